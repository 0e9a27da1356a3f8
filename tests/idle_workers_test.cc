// IdleWorkers (the work-stealing scheduler's idle state): a parking worker
// becomes the standby when no other does and some worker is busy or a
// timer is pending; the last to list itself reports the run quiescent
// unless a standby is up; a run starts only when not stopping and its
// caller agrees, and ends when reported; wakers take the newest sleeper,
// and none while a worker spins; a timer with no keeper wakes an heir; the
// standby's wait ends on an interruption (one that came first included)
// or its timeout; the standby decides (quiescent, or a jump) only if no
// worker listed itself since before its look.
#include "runtime/work_stealing/idle_workers.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "runtime/internal/worker.h"

namespace coactor::internal {
namespace {

using AfterLook = IdleWorkers::AfterLook;
using Decision = IdleWorkers::StandbyDecision;

char kOwner;  // Its address identifies the "scheduler".

std::vector<std::unique_ptr<Worker>> MakeWorkers(int count) {
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < count; ++i) {
    workers.push_back(std::make_unique<Worker>(
        &kOwner, static_cast<uint64_t>(i + 1), static_cast<size_t>(count)));
  }
  return workers;
}

// Whether `worker` was unparked since it read `ticket` (and as heir).
struct Woken {
  bool unparked;
  bool as_heir;
};
Woken WokenSince(Worker& worker, uint32_t ticket) {
  return Woken{worker.ParkTicket() != ticket, worker.TakeHeir()};
}

TEST(IdleWorkersTest, TheFirstToParkWhileAnotherIsBusyBecomesTheStandby) {
  auto workers = MakeWorkers(3);
  IdleWorkers idle(3);
  idle.List(workers[0].get());
  // Two others busy: someone must watch them.
  EXPECT_EQ(idle.AfterEmptyLook(workers[0].get(), /*timers=*/false),
            AfterLook::kStandBy);
  // Off the list: a waker prefers a sleeper, and finds none.
  EXPECT_EQ(idle.PopSleeper(), nullptr);
  // A second parks: one still busy, but there is a standby already.
  idle.List(workers[1].get());
  EXPECT_EQ(idle.AfterEmptyLook(workers[1].get(), false), AfterLook::kSleep);
  EXPECT_EQ(idle.PopSleeper(), workers[1].get());
}

TEST(IdleWorkersTest, APendingTimerMakesTheOnlyWorkerTheStandby) {
  auto workers = MakeWorkers(1);
  IdleWorkers idle(1);
  idle.List(workers[0].get());
  EXPECT_EQ(idle.AfterEmptyLook(workers[0].get(), /*timers=*/true),
            AfterLook::kStandBy);
}

TEST(IdleWorkersTest, TheLastToParkEndsTheRunUnlessTheStandbyIsUp) {
  auto workers = MakeWorkers(2);
  IdleWorkers idle(2);
  const IdleWorkers::RunStart start = idle.StartRun([] { return true; });
  ASSERT_FALSE(start.stopping);
  ASSERT_EQ(start.run, 1u);
  EXPECT_TRUE(idle.running());
  EXPECT_EQ(idle.run(), 1u);
  // Worker 0 stands by (worker 1 is busy), then worker 1 parks last while
  // the standby is up: the standby decides, and is interrupted to do so.
  idle.List(workers[0].get());
  ASSERT_EQ(idle.AfterEmptyLook(workers[0].get(), false), AfterLook::kStandBy);
  idle.List(workers[1].get());
  EXPECT_EQ(idle.AfterEmptyLook(workers[1].get(), false),
            AfterLook::kInterruptStandbyAndSleep);
  // The standby, with a timer pending on a real clock: it waits (counted
  // asleep), and the run goes on.
  const IdleWorkers::StandbySnapshot before = idle.SnapshotBeforeLook();
  EXPECT_EQ(before.run, 1u);
  EXPECT_EQ(idle.StandbyWaits(before, /*running=*/true, /*timer_pending=*/true,
                              /*clock_is_virtual=*/false),
            Decision::kWait);
  idle.StandbyWoke();
  // On a virtual clock it jumps instead.
  EXPECT_EQ(idle.StandbyWaits(before, true, true, /*clock_is_virtual=*/true),
            Decision::kJump);
  idle.StandbyWoke();
  // With no timer: the run is over, and FinishRun() returns.
  EXPECT_EQ(idle.StandbyWaits(before, true, false, false), Decision::kWait);
  idle.StandbyWoke();
  idle.FinishRun(1);
  EXPECT_FALSE(idle.running());
}

// Three workers, the standby waiting (it said so: standby_asleep_), no
// timer pending. Worker 1 parks and looks (nothing), then is preempted;
// worker 2's handler arms a timer (a standby keeps timers: no sleeper is
// woken) and worker 2 parks, sees the timer and leaves the decision to the
// standby. Worker 1's decision comes last, from its earlier look: it must
// not report the run over while worker 2's timer is pending.
TEST(IdleWorkersTest, AParkingWorkerDecidesOnlyIfNoneListedItselfSince) {
  auto workers = MakeWorkers(3);
  IdleWorkers idle(3);
  const uint64_t run = idle.StartRun([] { return true; }).run;
  const uint64_t listed0 = idle.List(workers[0].get());
  ASSERT_EQ(idle.AfterEmptyLook(workers[0].get(), /*timers=*/false, listed0),
            AfterLook::kStandBy);
  const IdleWorkers::StandbySnapshot before = idle.SnapshotBeforeLook();
  ASSERT_EQ(idle.StandbyWaits(before, /*running=*/true,
                              /*timer_pending=*/false,
                              /*clock_is_virtual=*/false),
            Decision::kWait);  // Two busy: the standby waits.
  const uint64_t listed1 = idle.List(workers[1].get());
  // ... worker 1's look: nothing. Worker 2 arms a timer and parks.
  const uint64_t listed2 = idle.List(workers[2].get());
  EXPECT_EQ(idle.AfterEmptyLook(workers[2].get(), /*timers=*/true, listed2),
            AfterLook::kInterruptStandbyAndSleep);
  EXPECT_EQ(idle.AfterEmptyLook(workers[1].get(), /*timers=*/false, listed1),
            AfterLook::kInterruptStandbyAndSleep);
  // Not reported: a thread waiting for the run's end still waits.
  std::atomic<bool> finished{false};
  std::thread finisher([&] {
    idle.FinishRun(run);
    finished.store(true);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(finished.load());
  // The standby, interrupted, looks again: the timer is pending, it waits;
  // when it has fired and its work is done, the last to park reports.
  idle.StandbyWoke();
  idle.Unlist(workers[2].get());  // Its timer's actor ran on it.
  const uint64_t again = idle.List(workers[2].get());
  EXPECT_EQ(idle.AfterEmptyLook(workers[2].get(), /*timers=*/false, again),
            AfterLook::kInterruptStandbyAndSleep);
  EXPECT_FALSE(finished.load());  // The standby is up: it decides.
  const IdleWorkers::StandbySnapshot last = idle.SnapshotBeforeLook();
  EXPECT_EQ(idle.StandbyWaits(last, true, /*timer_pending=*/false, false),
            Decision::kWait);
  finisher.join();
  EXPECT_TRUE(finished.load());
  idle.StandbyWoke();
}

// The standby takes its snapshot and looks (no work; a timer at 2 s
// pending) while worker 1 runs an actor that arms a timer at 1 s and parks
// (on a virtual clock a new timer does not interrupt the standby). Worker 1
// lists itself before the standby decides: every other worker sleeps, but
// the look may have missed what worker 1 did, so the standby looks again
// instead of jumping to 2 s (which fired the 1 s timer late: in the
// conformance suite, the sleeper of 2 s reported before the one of 1 s).
TEST(IdleWorkersTest, TheStandbyLooksAgainIfAWorkerListedItselfAfterItsLook) {
  auto workers = MakeWorkers(2);
  IdleWorkers idle(2);
  const uint64_t run = idle.StartRun([] { return true; }).run;
  idle.List(workers[0].get());
  ASSERT_EQ(idle.AfterEmptyLook(workers[0].get(), /*timers=*/true),
            AfterLook::kStandBy);
  const IdleWorkers::StandbySnapshot before = idle.SnapshotBeforeLook();
  // ... the standby's look: no queued work, KeeperNext() says 2 s. Worker 1
  // arms its 1 s timer, then parks, last.
  idle.List(workers[1].get());
  EXPECT_EQ(idle.StandbyWaits(before, /*running=*/true, /*timer_pending=*/true,
                              /*clock_is_virtual=*/true),
            Decision::kLookAgain);
  idle.StandbyWoke();
  // Its interruption comes after (the next wait, if any, ends at once).
  EXPECT_EQ(idle.AfterEmptyLook(workers[1].get(), /*timers=*/true),
            AfterLook::kInterruptStandbyAndSleep);
  // The next look sees the 1 s timer, and jumps.
  const IdleWorkers::StandbySnapshot again = idle.SnapshotBeforeLook();
  EXPECT_EQ(idle.StandbyWaits(again, true, true, true), Decision::kJump);
  idle.StandbyWoke();
  // The same without a timer seen: the run was not over (worker 1's timer),
  // so it is not reported quiescent on the first look.
  idle.Unlist(workers[1].get());  // Woken by its timer; it runs, then parks.
  const IdleWorkers::StandbySnapshot third = idle.SnapshotBeforeLook();
  idle.List(workers[1].get());
  EXPECT_EQ(idle.StandbyWaits(third, true, /*timer_pending=*/false, true),
            Decision::kLookAgain);
  idle.StandbyWoke();
  // Not reported: a thread waiting for the run's end still waits.
  std::atomic<bool> finished{false};
  std::thread finisher([&] {
    idle.FinishRun(run);
    finished.store(true);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(finished.load());
  // Looked at again with nothing pending: now it is over.
  EXPECT_EQ(idle.StandbyWaits(idle.SnapshotBeforeLook(), true, false, true),
            Decision::kWait);
  idle.StandbyWoke();
  finisher.join();
  EXPECT_TRUE(finished.load());
}

TEST(IdleWorkersTest, TheLastSleeperEndsTheRunWithNoStandby) {
  auto workers = MakeWorkers(2);
  IdleWorkers idle(2);
  const uint64_t run = idle.StartRun([] { return true; }).run;
  // Worker 0 stands by (worker 1 is busy), then gives the role up: it
  // found work. No timer, so no heir is wanted; worker 1 is busy.
  idle.List(workers[0].get());
  ASSERT_EQ(idle.AfterEmptyLook(workers[0].get(), false), AfterLook::kStandBy);
  bool others_busy = false;
  EXPECT_EQ(idle.LeaveStandby(/*want_heir=*/false, &others_busy), nullptr);
  EXPECT_TRUE(others_busy);
  // Worker 1 parks: worker 0 runs, so it becomes the standby, not the last
  // sleeper; it leaves the role too.
  idle.List(workers[1].get());
  ASSERT_EQ(idle.AfterEmptyLook(workers[1].get(), false), AfterLook::kStandBy);
  EXPECT_EQ(idle.LeaveStandby(false, &others_busy), nullptr);
  // Both sleep now, no standby: the last to list itself ends the run.
  idle.List(workers[0].get());
  idle.List(workers[1].get());
  idle.List(workers[1].get());  // Listed once however often.
  EXPECT_EQ(idle.AfterEmptyLook(workers[1].get(), false), AfterLook::kSleep);
  idle.FinishRun(run);  // Reported: returns at once.
  EXPECT_FALSE(idle.running());
}

TEST(IdleWorkersTest, ARunStartsOnlyWhenNotStoppingAndTheCallerAgrees) {
  auto workers = MakeWorkers(2);
  IdleWorkers idle(2);
  IdleWorkers::RunStart start = idle.StartRun([] { return false; });
  EXPECT_FALSE(start.stopping);
  EXPECT_EQ(start.run, 0u);
  EXPECT_FALSE(idle.running());
  // Starting wakes every sleeper (not as heirs) and empties the list.
  const uint32_t ticket0 = workers[0]->ParkTicket();
  const uint32_t ticket1 = workers[1]->ParkTicket();
  idle.List(workers[0].get());
  idle.List(workers[1].get());
  start = idle.StartRun([] { return true; });
  EXPECT_EQ(start.run, 1u);
  const Woken woken0 = WokenSince(*workers[0], ticket0);
  const Woken woken1 = WokenSince(*workers[1], ticket1);
  EXPECT_TRUE(woken0.unparked && woken1.unparked);
  EXPECT_FALSE(woken0.as_heir || woken1.as_heir);
  EXPECT_EQ(idle.PopSleeper(), nullptr);
  idle.ReportQuiescent();  // As Shutdown() ends a run.
  idle.FinishRun(1);
  idle.StopForGood();
  EXPECT_TRUE(idle.stopping());
  bool asked = false;
  start = idle.StartRun([&] { return asked = true; });
  EXPECT_TRUE(start.stopping);
  EXPECT_EQ(start.run, 0u);
  EXPECT_FALSE(asked);
}

TEST(IdleWorkersTest, WakeOneTakesTheNewestSleeperUnlessAWorkerSpins) {
  auto workers = MakeWorkers(3);
  IdleWorkers idle(3);
  idle.List(workers[0].get());
  idle.List(workers[1].get());
  const uint32_t ticket0 = workers[0]->ParkTicket();
  const uint32_t ticket1 = workers[1]->ParkTicket();
  ASSERT_TRUE(idle.StartSpinning());
  EXPECT_FALSE(idle.StartSpinning());  // One spinner at a time.
  idle.WakeOne();                      // The spinner will find the work.
  EXPECT_FALSE(WokenSince(*workers[1], ticket1).unparked);
  idle.StopSpinning();
  idle.WakeOne();
  const Woken woken1 = WokenSince(*workers[1], ticket1);
  EXPECT_TRUE(woken1.unparked);
  EXPECT_FALSE(woken1.as_heir);
  EXPECT_FALSE(WokenSince(*workers[0], ticket0).unparked);
  EXPECT_EQ(idle.PopSleeper(), workers[0].get());
}

TEST(IdleWorkersTest, ATimerWithNoKeeperWakesASleeperAsHeir) {
  auto workers = MakeWorkers(2);
  IdleWorkers idle(2);
  idle.EnsureStandby();  // Nobody sleeps: nothing to do.
  idle.List(workers[0].get());
  const uint32_t ticket = workers[0]->ParkTicket();
  idle.EnsureStandby();
  const Woken woken = WokenSince(*workers[0], ticket);
  EXPECT_TRUE(woken.unparked);
  EXPECT_TRUE(woken.as_heir);
  EXPECT_EQ(idle.PopSleeper(), nullptr);
}

TEST(IdleWorkersTest, CallingTheStandbyInterruptsItOrWakesAnHeir) {
  auto workers = MakeWorkers(3);
  IdleWorkers idle(3);
  idle.List(workers[1].get());
  const uint32_t ticket = workers[1]->ParkTicket();
  idle.CallStandby();  // No standby: a sleeper becomes it.
  const Woken woken = WokenSince(*workers[1], ticket);
  EXPECT_TRUE(woken.unparked);
  EXPECT_TRUE(woken.as_heir);
  idle.List(workers[0].get());
  ASSERT_EQ(idle.AfterEmptyLook(workers[0].get(), false), AfterLook::kStandBy);
  idle.CallStandby();  // The standby: interrupted, its wait ends at once.
  EXPECT_TRUE(idle.WaitForInterrupt(std::nullopt));
}

TEST(IdleWorkersTest, TheStandbysWaitEndsOnAnInterruptionOrItsTimeout) {
  IdleWorkers idle(1);
  // An interruption before the wait ends it at once, once.
  idle.InterruptKeeper();
  EXPECT_TRUE(idle.WaitForInterrupt(absl::Hours(1)));
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(idle.WaitForInterrupt(absl::Milliseconds(20)));
  EXPECT_GE(std::chrono::steady_clock::now() - before,
            std::chrono::milliseconds(20));
  // From another thread, while it waits for ever.
  std::thread interrupter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    idle.InterruptKeeper();
  });
  EXPECT_TRUE(idle.WaitForInterrupt(std::nullopt));
  interrupter.join();
  idle.SetKeeperWaiting(true);
  EXPECT_TRUE(idle.keeper_waiting());
  // With no sleeper, a waker interrupts the waiting standby.
  idle.WakeOne();
  EXPECT_TRUE(idle.WaitForInterrupt(absl::Hours(1)));
}

TEST(IdleWorkersTest, IdleWorkersAreCountedOnce) {
  auto workers = MakeWorkers(2);
  IdleWorkers idle(2);  // All idle at first.
  EXPECT_TRUE(idle.AnyIdle());
  idle.SetIdle(workers[0].get(), false);
  EXPECT_TRUE(idle.AnyIdle());
  idle.SetIdle(workers[1].get(), false);
  EXPECT_FALSE(idle.AnyIdle());
  idle.SetIdle(workers[1].get(), false);  // Already busy: no change.
  EXPECT_FALSE(idle.AnyIdle());
  idle.SetIdle(workers[1].get(), true);
  idle.SetIdle(workers[1].get(), true);
  EXPECT_TRUE(idle.AnyIdle());
  idle.SetIdle(workers[1].get(), false);
  EXPECT_FALSE(idle.AnyIdle());
}

}  // namespace
}  // namespace coactor::internal
