// Stop() on both schedulers (from another thread and from inside an actor:
// the messages being handled finish, the rest wait for the next run), and
// DequeScheduler::Post(), the thread-safe way into a deque scheduler.
// Tagged "concurrency": CI runs it under TSan.
#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/clock.h"
#include "actors/receive.h"
#include "actors/sleep.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

using ::testing::ElementsAre;

class StopTest : public ::testing::TestWithParam<int> {
 protected:
  // Calls `program(sched)` on a fresh scheduler: deque for 0 threads.
  template <typename Program>
  void OnScheduler(Program program) {
    testing::RunOnScheduler(testing::SchedulerKind{"", GetParam()}, program);
  }
};

struct Ball {
  ActorRef<Ball> to;
};

// Plays until the ball has been hit `end` times in all (by either
// player); every hit numbered a multiple of `stop_every` stops the run
// (after which the ball, sent on, waits).
template <coactor::Scheduler Sched>
Actor<Ball> Player(Sched& sched, std::atomic<int64_t>& hits, int64_t stop_every,
                   int64_t end) {
  ActorRef<Ball> self = co_await Self();
  for (;;) {
    Ball ball = co_await Receive<Ball>();
    const int64_t hit = hits.fetch_add(1) + 1;
    if (stop_every > 0 && hit % stop_every == 0) sched.Stop();
    if (hit == end) co_return;
    sched.Send(ball.to, Ball{self}).IgnoreError();
  }
}

TEST_P(StopTest, FromAnActorEndsTheRunAfterItsMessage) {
  OnScheduler([](auto& sched) {
    std::atomic<int64_t> hits{0};
    ActorRef<Ball> a = sched.Spawn(Player(sched, hits, 1'000, 2'500));
    ActorRef<Ball> b = sched.Spawn(Player(sched, hits, 1'000, 2'500));
    ASSERT_TRUE(sched.Send(a, Ball{b}).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(hits.load(), 1'000);  // Exactly: the next ball waits.
    ASSERT_TRUE(sched.Run().ok());  // Goes on where it stopped.
    EXPECT_EQ(hits.load(), 2'000);
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(hits.load(), 2'500);
    EXPECT_EQ(sched.live_actors(), 1u);  // The one that hit last finished.
  });
}

TEST_P(StopTest, BeforeARunEndsItAtOnceAndOnlyIt) {
  OnScheduler([](auto& sched) {
    std::atomic<int64_t> hits{0};
    ActorRef<Ball> a = sched.Spawn(Player(sched, hits, -1, 100));
    ActorRef<Ball> b = sched.Spawn(Player(sched, hits, -1, 100));
    ASSERT_TRUE(sched.Send(a, Ball{b}).ok());
    sched.Stop();
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(hits.load(), 0);
    ASSERT_TRUE(sched.Run().ok());  // The request was used up.
    EXPECT_EQ(hits.load(), 100);
  });
}

TEST_P(StopTest, FromAnotherThreadEndsARunThatWouldNot) {
  OnScheduler([](auto& sched) {
    std::atomic<int64_t> hits{0};
    ActorRef<Ball> a = sched.Spawn(Player(sched, hits, -1, -1));
    ActorRef<Ball> b = sched.Spawn(Player(sched, hits, -1, -1));
    ASSERT_TRUE(sched.Send(a, Ball{b}).ok());
    std::thread stopper([&] {
      while (hits.load() < 1'000) std::this_thread::yield();
      sched.Stop();
    });
    ASSERT_TRUE(sched.Run().ok());
    stopper.join();
    const int64_t stopped_at = hits.load();
    EXPECT_GE(stopped_at, 1'000);
    // Nothing runs between runs; the ball is still in play.
    EXPECT_EQ(hits.load(), stopped_at);
    EXPECT_EQ(sched.live_actors(), 2u);
  });
}

// A run that sleeps for a timer is stopped too (work stealing: the worker
// keeping the timers; deque: the loop's wait).
TEST_P(StopTest, EndsARunWaitingForATimer) {
  OnScheduler([](auto& sched) {
    int woke = 0;
    auto sleeper = [](int& woke) -> Actor<int> {
      co_await Sleep(absl::Hours(1));
      ++woke;
    };
    sched.Spawn(sleeper(woke));
    std::thread stopper([&] {
      // Give the run time to start waiting (if it has not, Stop() ends it
      // at once all the same).
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      sched.Stop();
    });
    ASSERT_TRUE(sched.Run().ok());
    stopper.join();
    EXPECT_EQ(woke, 0);
  });
}

INSTANTIATE_TEST_SUITE_P(Schedulers, StopTest, ::testing::Values(0, 1, 2, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == 0
                                      ? std::string("Deque")
                                      : "WorkStealing" +
                                            std::to_string(info.param);
                         });

// ---- DequeScheduler::Post ---------------------------------------------------

struct Numbered {
  int thread;
  int seq;
};

// Checks per-thread order; stops the loop when it has all `expected`.
Actor<Numbered> OrderedSink(DequeScheduler& sched, int threads, int expected,
                            std::vector<int>& last_seen, int& count) {
  last_seen.assign(threads, -1);
  for (;;) {
    Numbered n = co_await Receive<Numbered>();
    if (n.seq != last_seen[n.thread] + 1) {
      throw std::logic_error("out of order");
    }
    last_seen[n.thread] = n.seq;
    if (++count == expected) sched.Stop();
  }
}

TEST(PostTest, MessagesFromManyThreadsArriveOnceEachInOrderPerThread) {
  constexpr int kThreads = 4;
  constexpr int kEach = 5'000;
  DequeScheduler sched;
  std::vector<int> last_seen;
  int count = 0;
  ActorRef<Numbered> sink = *sched.Spawn(
      "sink", OrderedSink(sched, kThreads, kThreads * kEach, last_seen, count));
  std::thread loop([&] { EXPECT_TRUE(sched.RunUntilStopped().ok()); });
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        // By name and by reference: one order all the same.
        if (i % 2 == 0) {
          sched.Post("sink", Numbered{t, i});
        } else {
          sched.Post(sink, Numbered{t, i});
        }
      }
    });
  }
  for (std::thread& poster : posters) poster.join();
  loop.join();  // The sink stopped it after the last message.
  EXPECT_EQ(count, kThreads * kEach);
  EXPECT_THAT(last_seen,
              ElementsAre(kEach - 1, kEach - 1, kEach - 1, kEach - 1));
  EXPECT_TRUE(sched.failures().empty());
  EXPECT_TRUE(sched.dead_letters().empty());
}

Actor<int> Counter(int& got) {
  for (;;) got += co_await Receive<int>();
}

TEST(PostTest, WhileNoRunRunsAPostWaitsForTheNext) {
  DequeScheduler sched;
  int got = 0;
  ASSERT_TRUE(sched.Spawn("counter", Counter(got)).ok());
  std::thread poster([&] { sched.Post("counter", 5); });
  poster.join();
  EXPECT_EQ(got, 0);
  EXPECT_TRUE(sched.Run().ok());
  EXPECT_EQ(got, 5);
  // Errors of a posted send are dead letters, recorded on the loop.
  std::thread(([&] { sched.Post("nobody", 1); })).join();
  EXPECT_TRUE(sched.Run().ok());
  ASSERT_EQ(sched.dead_letters().size(), 1u);
  EXPECT_EQ(sched.dead_letters()[0].reason.code(), absl::StatusCode::kNotFound);
}

TEST(PostTest, APostWakesARunSleepingForATimer) {
  DequeScheduler sched;  // A real clock: the sleep would last an hour.
  int woke = 0;
  auto sleeper = [](int& woke) -> Actor<int> {
    co_await Sleep(absl::Hours(1));
    ++woke;
  };
  sched.Spawn(sleeper(woke));
  std::thread poster([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    // A call run on the loop's thread: there it may stop the loop.
    sched.Post([&sched] { sched.Stop(); });
  });
  ASSERT_TRUE(sched.Run().ok());
  poster.join();
  EXPECT_EQ(woke, 0);
}

Actor<int> AtomicCounter(std::atomic<int>& got) {
  for (;;) got.fetch_add(co_await Receive<int>());
}

TEST(PostTest, RunUntilStoppedWaitsIdleForPostsUntilStopped) {
  DequeScheduler sched;
  std::atomic<int> got{0};
  ASSERT_TRUE(sched.Spawn("counter", AtomicCounter(got)).ok());
  std::thread loop([&] { EXPECT_TRUE(sched.RunUntilStopped().ok()); });
  for (int i = 1; i <= 10; ++i) {
    sched.Post("counter", i);
    // Each is delivered while the loop waits idle between posts.
    const int want = i * (i + 1) / 2;
    while (got.load() != want) std::this_thread::yield();
  }
  sched.Stop();
  loop.join();
  EXPECT_EQ(got.load(), 55);
  EXPECT_TRUE(sched.failures().empty());
}

TEST(PostTest, AThrowingCallIsRecordedAsAFailure) {
  DequeScheduler sched;
  sched.Post([] { throw std::runtime_error("posted boom"); });
  EXPECT_TRUE(sched.Run().ok());
  ASSERT_EQ(sched.failures().size(), 1u);
  EXPECT_EQ(sched.failures()[0].actor, "(posted call)");
  EXPECT_EQ(sched.failures()[0].what, "posted boom");
}

}  // namespace
}  // namespace coactor
