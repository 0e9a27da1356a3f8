// Liveness: no actor, timer or queued message waits on another actor that
// keeps its worker busy, and a worker waiting for a timer is woken by new
// work. Run on DequeScheduler (where a program allows) and on
// WorkStealingScheduler with 1, 2 and 4 workers, on the real clock.
//
// Each program would hang if the property failed; a Watchdog turns the
// hang into a failed expectation after a generous real-time limit (it is
// not a speed check: a passing run takes milliseconds).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "actors/sleep.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

constexpr std::chrono::seconds kHangLimit{30};

// Calls `on_timeout` from its own thread unless Done() comes within
// `limit`. (std::mutex rather than absl::Notification: Debian's Abseil is
// not built for ThreadSanitizer.)
class Watchdog {
 public:
  Watchdog(std::chrono::seconds limit, std::function<void()> on_timeout)
      : thread_([this, limit, on_timeout = std::move(on_timeout)] {
          std::unique_lock<std::mutex> hold(mutex_);
          if (wakeup_.wait_for(hold, limit, [this] { return done_; })) return;
          fired_ = true;
          hold.unlock();
          on_timeout();
        }) {}
  ~Watchdog() {
    Done();
    thread_.join();
  }
  void Done() {
    {
      std::lock_guard<std::mutex> hold(mutex_);
      done_ = true;
    }
    wakeup_.notify_all();
  }
  bool fired() {
    std::lock_guard<std::mutex> hold(mutex_);
    return fired_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable wakeup_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;  // Last: starts once the rest is built.
};

using testing::SchedulerKind;

class LivenessTest : public ::testing::TestWithParam<SchedulerKind> {
 protected:
  template <typename Program>
  void OnScheduler(Program program) {
    testing::RunOnScheduler(GetParam(), program);
  }
  // Programs that send from another thread need a thread-safe scheduler.
  bool SingleThreaded() const { return GetParam().threads == 0; }
};

// Sends itself the next number until it receives a negative one, which it
// records.
template <coactor::Scheduler Sched>
Actor<int> Busy(Sched& sched, std::atomic<int>& stopped_by) {
  ActorRef<int> self = co_await Self();
  for (;;) {
    int n = co_await Receive<int>();
    if (n < 0) {
      stopped_by.store(n);
      co_return;
    }
    sched.Send(self, n + 1).IgnoreError();
  }
}

TEST_P(LivenessTest, ATimerFiresWhileAnActorKeepsItsWorkerBusy) {
  if (SingleThreaded()) GTEST_SKIP() << "the watchdog sends from its thread";
  OnScheduler([&](auto& sched) {
    std::atomic<int> stopped_by{0};
    ActorRef<int> busy = sched.Spawn(Busy(sched, stopped_by));
    ASSERT_TRUE(sched.Send(busy, 0).ok());
    sched.SendAfter(absl::Milliseconds(1), busy, -1);
    Watchdog watchdog(kHangLimit, [&] { sched.Send(busy, -2).IgnoreError(); });
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_FALSE(watchdog.fired()) << "the timer never fired";
    EXPECT_EQ(stopped_by.load(), -1);
  });
}

// Sets `stop` (and who stopped: 1) when it gets a message.
Actor<int> Setter(std::atomic<bool>& stop, std::atomic<int>& by) {
  co_await Receive<int>();
  int nobody = 0;
  by.compare_exchange_strong(nobody, 1);
  stop.store(true);
}

// Wakes the setter, then yields until it has run.
template <coactor::Scheduler Sched>
Actor<int> WakeThenYield(Sched& sched, ActorRef<int> setter,
                         std::atomic<bool>& stop) {
  co_await Receive<int>();
  sched.Send(setter, 0).IgnoreError();
  while (!stop.load()) co_await Yield();
}

TEST_P(LivenessTest, YieldGivesWayToTheActorItWoke) {
  OnScheduler([&](auto& sched) {
    std::atomic<bool> stop{false};
    std::atomic<int> by{0};
    ActorRef<int> setter = sched.Spawn(Setter(stop, by));
    ActorRef<int> yielder = sched.Spawn(WakeThenYield(sched, setter, stop));
    ASSERT_TRUE(sched.Run().ok());  // Both started, waiting.
    ASSERT_TRUE(sched.Send(yielder, 0).ok());
    Watchdog watchdog(kHangLimit, [&] {
      int nobody = 0;
      if (by.compare_exchange_strong(nobody, 2)) stop.store(true);
    });
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(by.load(), 1) << "the woken actor never ran";
  });
}

// Ticks itself forever and pokes its peer every 100 ticks, until told to
// stop; records who stopped it first.
template <coactor::Scheduler Sched>
Actor<int> Chatter(Sched& sched, std::string peer, std::atomic<int>& by) {
  constexpr int kTick = 0, kPoke = 1;
  ActorRef<int> self = co_await Self();
  bool ticking = false;
  for (int64_t ticks = 0;;) {
    const int message = co_await Receive<int>();
    if (message > kPoke) {  // A stop, from `message - 1`.
      int nobody = 0;
      by.compare_exchange_strong(nobody, message - 1);
      co_return;
    }
    if (message == kPoke && ticking) continue;
    ticking = true;
    sched.Send(self, kTick).IgnoreError();
    if (++ticks % 100 == 0) sched.Send(peer, kPoke).IgnoreError();
  }
}

template <coactor::Scheduler Sched>
Actor<int> Stopper(Sched& sched) {
  co_await Receive<int>();
  sched.Send("a", 2).IgnoreError();  // Stopped by 1: this actor.
  sched.Send("b", 2).IgnoreError();
}

TEST_P(LivenessTest, TwoActorsTradingAWorkerDoNotStarveAThird) {
  if (SingleThreaded()) GTEST_SKIP() << "sends from another thread";
  OnScheduler([&](auto& sched) {
    std::atomic<int> by{0};
    ASSERT_TRUE(sched.Spawn("a", Chatter(sched, "b", by)).ok());
    ASSERT_TRUE(sched.Spawn("b", Chatter(sched, "a", by)).ok());
    ActorRef<int> stopper = sched.Spawn(Stopper(sched));
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_TRUE(sched.Send("a", 1).ok());
    std::thread outside([&] {
      // Not a timing assumption: the stopper must run whenever it comes.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      sched.Send(stopper, 0).IgnoreError();
    });
    Watchdog watchdog(kHangLimit, [&] {
      sched.Send("a", 3).IgnoreError();  // Stopped by 2: the watchdog.
      sched.Send("b", 3).IgnoreError();
    });
    const absl::Status ran = sched.Run();
    outside.join();  // Before any ASSERT can leave it joinable.
    ASSERT_TRUE(ran.ok());
    EXPECT_EQ(by.load(), 1) << "the stopper never ran";
  });
}

// Waits for a message, then sleeps a millisecond, then cancels the long
// timer (which lets Run() return) and reports.
template <coactor::Scheduler Sched>
Actor<int> SleepThenCancel(Sched& sched, TimerId& long_timer,
                           Watchdog*& watchdog) {
  co_await Receive<int>();
  co_await Sleep(absl::Milliseconds(1));
  sched.CancelTimer(long_timer);
  watchdog->Done();
}

Actor<int> Sink() {
  for (;;) co_await Receive<int>();
}

TEST_P(LivenessTest, NewWorkAndEarlierTimersCutATimerWaitShort) {
  if (SingleThreaded()) GTEST_SKIP() << "sends from another thread";
  OnScheduler([&](auto& sched) {
    ActorRef<int> sink = sched.Spawn(Sink());
    TimerId long_timer =
        sched.SendAfter(absl::Seconds(2 * kHangLimit.count()), sink, 0);
    Watchdog* watchdog_ptr = nullptr;
    ActorRef<int> actor =
        sched.Spawn(SleepThenCancel(sched, long_timer, watchdog_ptr));
    Watchdog watchdog(kHangLimit, [&] { sched.CancelTimer(long_timer); });
    watchdog_ptr = &watchdog;
    std::thread outside([&] {
      // Not a timing assumption: gives the workers time to settle into
      // waiting for the long timer, which is the case under test.
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      sched.Send(actor, 1).IgnoreError();
    });
    const absl::Status ran = sched.Run();
    outside.join();  // Before any ASSERT can leave it joinable.
    ASSERT_TRUE(ran.ok());
    EXPECT_FALSE(watchdog.fired())
        << "the message or the 1 ms sleep waited for the long timer";
  });
}

TEST_P(LivenessTest, CancellingTheOnlyTimerFromOutsideEndsTheRun) {
  if (SingleThreaded()) GTEST_SKIP() << "cancels from another thread";
  OnScheduler([&](auto& sched) {
    ActorRef<int> sink = sched.Spawn(Sink());
    const TimerId long_timer =
        sched.SendAfter(absl::Seconds(2 * kHangLimit.count()), sink, 0);
    std::atomic<bool> cancelled{false};
    Watchdog watchdog(kHangLimit, [] {});
    std::thread outside([&] {
      // Not a timing assumption: gives a worker time to settle into
      // waiting for the timer, which is the case under test.
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      cancelled.store(sched.CancelTimer(long_timer));
    });
    const absl::Status ran = sched.Run();  // Returns once it is cancelled.
    watchdog.Done();
    outside.join();
    ASSERT_TRUE(ran.ok());
    EXPECT_TRUE(cancelled.load());
    EXPECT_FALSE(watchdog.fired()) << "Run() waited for the cancelled timer";
  });
}

INSTANTIATE_TEST_SUITE_P(Schedulers, LivenessTest,
                         ::testing::ValuesIn(testing::SchedulerKinds(4)),
                         testing::SchedulerKindName);

}  // namespace
}  // namespace coactor
