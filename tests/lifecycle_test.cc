// What outlives what: a coroutine frame destroyed while it waits (its
// scheduler went away) must leave nothing registered anywhere, so that a
// BoundedQueue or a JoinHandle's task that outlives the scheduler never
// writes into the freed frame or wakes through the freed scheduler. Every
// case runs with each scheduler in each role (deque and work stealing);
// ASan (--config=asan) is what sees the use after free these guard against.
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/bounded_queue.h"
#include "actors/clock.h"
#include "actors/join_handle.h"
#include "actors/receive.h"
#include "actors/sleep.h"
#include "actors/task.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

using ::testing::ElementsAre;

// Longer than the small-string buffer, so a value moved into or out of a
// freed frame touches heap memory ASan watches.
const std::string kLong(64, 'x');

// Calls `program(sched)` on a fresh scheduler: the deque scheduler for 0
// threads, else work stealing with that many workers. The scheduler is
// destroyed when `program` returns.
template <typename Program>
void OnScheduler(int threads, Program program) {
  if (threads == 0) {
    DequeScheduler sched;
    program(sched);
  } else {
    WorkStealingScheduler sched(threads);
    program(sched);
  }
}

std::string KindName(int threads) {
  return threads == 0 ? "Deque" : "WorkStealing" + std::to_string(threads);
}

// (threads of the scheduler that is destroyed first, of the one that
// outlives it)
class LifecycleTest : public ::testing::TestWithParam<std::tuple<int, int>> {
 protected:
  int first() const { return std::get<0>(GetParam()); }
  int second() const { return std::get<1>(GetParam()); }
};

Actor<int> Getter(BoundedQueue<std::string>& queue,
                  std::vector<std::string>& got) {
  got.push_back(co_await queue.Get());
}

Actor<int> Putter(BoundedQueue<std::string>& queue, std::string value) {
  co_await queue.Put(std::move(value));
}

// The getter's scheduler is destroyed while it waits; a Put() on another
// scheduler afterwards must neither hand the value to the freed frame nor
// wake through the freed scheduler: the value waits in the queue.
TEST_P(LifecycleTest, AGetterDestroyedWhileWaitingLeavesTheQueue) {
  BoundedQueue<std::string> queue(/*capacity=*/1);
  std::vector<std::string> first_got, second_got;
  OnScheduler(first(), [&](auto& sched) {
    sched.Spawn(Getter(queue, first_got));
    ASSERT_TRUE(sched.Run().ok());  // The getter waits on the empty queue.
  });
  OnScheduler(second(), [&](auto& sched) {
    sched.Spawn(Putter(queue, kLong));
    ASSERT_TRUE(sched.Run().ok());
  });
  EXPECT_TRUE(first_got.empty());
  EXPECT_EQ(queue.size(), 1u);
  OnScheduler(second(), [&](auto& sched) {
    sched.Spawn(Getter(queue, second_got));
    ASSERT_TRUE(sched.Run().ok());
  });
  EXPECT_THAT(second_got, ElementsAre(kLong));
}

// The same for a putter waiting on a full queue (capacity 0: every Put
// waits for a Get): a later Get() must not take the value from the freed
// frame; it waits instead, and the value went with the frame.
TEST_P(LifecycleTest, APutterDestroyedWhileWaitingLeavesTheQueue) {
  BoundedQueue<std::string> queue(/*capacity=*/0);
  std::vector<std::string> got;
  OnScheduler(first(), [&](auto& sched) {
    sched.Spawn(Putter(queue, kLong));
    ASSERT_TRUE(sched.Run().ok());  // The putter waits for a getter.
  });
  OnScheduler(second(), [&](auto& sched) {
    sched.Spawn(Getter(queue, got));
    ASSERT_TRUE(sched.Run().ok());  // Nothing to get: the getter waits.
    EXPECT_EQ(sched.live_actors(), 1u);
  });
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(queue.size(), 0u);
}

// The other order: the queue is destroyed first, with a waiter still
// registered; destroying the waiter's frame afterwards must not touch the
// queue.
TEST_P(LifecycleTest, AQueueDestroyedBeforeItsWaitersFramesIsNotTouched) {
  OnScheduler(first(), [&](auto& sched) {
    auto queue = std::make_unique<BoundedQueue<std::string>>(0);
    std::vector<std::string> got;
    sched.Spawn(Putter(*queue, kLong));
    sched.Spawn(Getter(*queue, got));
    sched.Spawn(Getter(*queue, got));  // Waits: the one value went.
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(got, ElementsAre(kLong));
    queue.reset();
  });  // Destroys the waiting getter's frame.
}

Task<std::string> Compute() { co_return kLong; }

Actor<int> Joiner(JoinHandle<std::string> handle,
                  std::vector<std::string>& got) {
  got.push_back(co_await handle);
}

// A JoinHandle of a task on one scheduler, awaited by an actor on another
// that is destroyed first: when the task ends, it must not wake the freed
// scheduler or write into the freed frame.
TEST_P(LifecycleTest, AJoinerDestroyedWhileWaitingIsNotWoken) {
  std::vector<std::string> got;
  OnScheduler(second(), [&](auto& outliving) {
    JoinHandle<std::string> handle = outliving.CreateTask(Compute());
    OnScheduler(first(), [&](auto& sched) {
      sched.Spawn(Joiner(handle, got));
      // The task has not run yet (its scheduler is not running): the
      // joiner waits.
      ASSERT_TRUE(sched.Run().ok());
      EXPECT_EQ(sched.live_actors(), 1u);
    });
    ASSERT_TRUE(outliving.Run().ok());  // The task ends.
    ASSERT_TRUE(handle.done());
  });
  EXPECT_TRUE(got.empty());
}

// Awaiting another scheduler's task still works while both live (one
// thread drives both deque schedulers here, so the wake-up is no race).
TEST(LifecycleDequeTest, AJoinerOnAnotherSchedulerIsWokenWhileItLives) {
  std::vector<std::string> got;
  DequeScheduler tasks, joiners;
  JoinHandle<std::string> handle = tasks.CreateTask(Compute());
  joiners.Spawn(Joiner(handle, got));
  ASSERT_TRUE(joiners.Run().ok());
  ASSERT_TRUE(tasks.Run().ok());
  ASSERT_TRUE(joiners.Run().ok());
  EXPECT_THAT(got, ElementsAre(kLong));
}

// A sleeper's timer belongs to the sleeper's own scheduler, which drops it
// unfired when it is destroyed with the frame: nothing to deregister.
Actor<int> SleepForEver(int& woke) {
  co_await Sleep(absl::InfiniteDuration());
  ++woke;
}

TEST_P(LifecycleTest, ASleeperDestroyedWhileWaitingIsNeverWoken) {
  int woke = 0;
  OnScheduler(first(), [&](auto& sched) {
    sched.Spawn(SleepForEver(woke));
    ASSERT_TRUE(sched.Run().ok());  // Run() does not wait for it.
  });
  EXPECT_EQ(woke, 0);
}

INSTANTIATE_TEST_SUITE_P(
    EitherOrder, LifecycleTest,
    ::testing::Combine(::testing::Values(0, 2), ::testing::Values(0, 2)),
    [](const ::testing::TestParamInfo<std::tuple<int, int>>& info) {
      return KindName(std::get<0>(info.param)) + "Then" +
             KindName(std::get<1>(info.param));
    });

}  // namespace
}  // namespace coactor
