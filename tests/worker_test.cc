// Worker (a work-stealing worker thread and what it owns): its own work
// comes from runnext first, then the new end of its deque; spilling moves
// the runnext actor to the deque; stealing takes other workers' oldest
// work and never its own; a ticket read before Unpark() does not wait, and
// tells whether it was woken as heir; Current() answers only for the
// scheduler the thread's worker belongs to, and only on that thread.
#include "runtime/internal/worker.h"

#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace coactor::internal {
namespace {

// Their addresses identify two "schedulers".
char kOwner;
char kOtherOwner;

std::vector<std::unique_ptr<Worker>> MakeWorkers(int count) {
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < count; ++i) {
    workers.push_back(std::make_unique<Worker>(
        &kOwner, 0x9E3779B97F4A7C15ull * (i + 1), static_cast<size_t>(count)));
  }
  return workers;
}

TEST(WorkerTest, OwnWorkIsRunnextFirstThenTheNewestInTheDeque) {
  auto workers = MakeWorkers(1);
  Worker& worker = *workers[0];
  StealingCell a, b, c;
  worker.deque.Push(&a);
  worker.deque.Push(&b);
  EXPECT_EQ(worker.runnext.Exchange(&c), nullptr);
  EXPECT_TRUE(worker.HasSomethingWaiting());
  EXPECT_EQ(worker.TakeOwnWork(), &c);
  EXPECT_FALSE(worker.HasSomethingWaiting());
  EXPECT_EQ(worker.TakeOwnWork(), &b);
  EXPECT_EQ(worker.TakeOwnWork(), &a);
  EXPECT_EQ(worker.TakeOwnWork(), nullptr);
}

TEST(WorkerTest, SpillingMovesTheRunnextActorToTheDeque) {
  auto workers = MakeWorkers(2);
  Worker& worker = *workers[0];
  EXPECT_FALSE(worker.SpillRunnext());  // Nothing to spill.
  StealingCell a;
  worker.runnext.Exchange(&a);
  EXPECT_TRUE(worker.SpillRunnext());
  EXPECT_EQ(worker.runnext.Peek(), nullptr);
  // Now another worker can steal it.
  EXPECT_EQ(workers[1]->StealFromOthers(workers), &a);
  EXPECT_EQ(worker.TakeOwnWork(), nullptr);
}

TEST(WorkerTest, StealsTheOldestFromOthersAndNeverFromItself) {
  auto workers = MakeWorkers(3);
  StealingCell mine, first, second;
  workers[0]->deque.Push(&mine);
  workers[1]->deque.Push(&first);
  workers[1]->deque.Push(&second);
  std::vector<StealingCell*> stolen;
  for (int i = 0; i < 3; ++i) {
    if (StealingCell* cell = workers[0]->StealFromOthers(workers)) {
      stolen.push_back(cell);
    }
  }
  EXPECT_EQ(stolen, (std::vector<StealingCell*>{&first, &second}));
  EXPECT_EQ(workers[0]->TakeOwnWork(), &mine);
  // Alone, a worker has no one to steal from.
  auto alone = MakeWorkers(1);
  alone[0]->deque.Push(&mine);
  EXPECT_EQ(alone[0]->StealFromOthers(alone), nullptr);
}

TEST(WorkerTest, AnUnparkAfterTheTicketEndsTheSleep) {
  auto workers = MakeWorkers(1);
  Worker& worker = *workers[0];
  const uint32_t ticket = worker.ParkTicket();
  worker.Unpark();
  worker.Sleep(ticket);  // Returns at once: the ticket is stale.
  EXPECT_FALSE(worker.TakeHeir());
  // From another thread, as heir.
  const uint32_t next = worker.ParkTicket();
  std::thread waker([&] { worker.Unpark(/*as_heir=*/true); });
  worker.Sleep(next);
  waker.join();
  EXPECT_TRUE(worker.TakeHeir());
  EXPECT_FALSE(worker.TakeHeir());  // Cleared.
}

TEST(WorkerTest, CurrentIsTheThreadsWorkerOfThatOwnerOnly) {
  auto workers = MakeWorkers(2);
  EXPECT_EQ(Worker::Current(&kOwner), nullptr);
  Worker::SetCurrent(workers[0].get());
  EXPECT_EQ(Worker::Current(&kOwner), workers[0].get());
  EXPECT_EQ(Worker::Current(&kOtherOwner), nullptr);
  std::thread other([&] { EXPECT_EQ(Worker::Current(&kOwner), nullptr); });
  other.join();
  Worker::SetCurrent(nullptr);
  EXPECT_EQ(Worker::Current(&kOwner), nullptr);
}

TEST(WorkerTest, ATurnMarksTheRunningActorForItsScope) {
  auto workers = MakeWorkers(1);
  Worker& worker = *workers[0];
  StealingCell cell;
  worker.mid_turn_flushes = 3;
  {
    const Worker::Turn turn(worker, &cell);
    EXPECT_EQ(worker.running, &cell);
    EXPECT_EQ(worker.mid_turn_flushes, 0u);
    worker.mid_turn_flushes = 2;
  }
  EXPECT_EQ(worker.running, nullptr);
  EXPECT_EQ(worker.mid_turn_flushes, 0u);
}

}  // namespace
}  // namespace coactor::internal
