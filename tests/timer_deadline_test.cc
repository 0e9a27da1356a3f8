// No timer fires before its deadline on the clock that fires it. Firing is
// checked against RealClock::Now() (CLOCK_MONOTONIC), so a deadline must be
// at least Now() + timeout at the time it was set. Deadlines once came from
// the kernel's coarse copy of that clock plus its reported resolution; the
// coarse copy can lag by more than that (16 ms where 4 ms was reported, on
// the machine that found it), and asks with a 2 ms timeout came back
// DeadlineExceeded at once.
//
// Deterministic: a RealClock whose coarse reading lags by 16 ms. Then real:
// many 2 ms asks on the system clock, none back early.
#include <time.h>

#include <atomic>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/ask.h"
#include "actors/clock.h"
#include "actors/join_handle.h"
#include "actors/receive.h"
#include "actors/task.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

constexpr int64_t kCoarseLagNanos = 16'000'000;

// The system's clocks, except that the coarse one lags the precise one by
// a steady 16 ms (the kernel updates it at ticks, and a tickless idle CPU
// can skip several).
int LaggingCoarseClock(clockid_t clock, timespec* now) {
  const int result = clock_gettime(CLOCK_MONOTONIC, now);
  if (clock == CLOCK_MONOTONIC_COARSE) {
    int64_t nanos =
        int64_t{now->tv_sec} * 1'000'000'000 + now->tv_nsec - kCoarseLagNanos;
    now->tv_sec = nanos / 1'000'000'000;
    now->tv_nsec = nanos % 1'000'000'000;
  }
  return result;
}

TEST(RealClockTest, DeadlinesAreNeverEarlierThanNowPlusTheTimeout) {
  RealClock clock(&LaggingCoarseClock);
  constexpr int64_t kTimeout = 2'000'000;
  int early = 0;
  for (int i = 0; i < 1000; ++i) {
    const int64_t before = absl::ToUnixNanos(clock.Now());
    early += clock.DeadlineNanosAfter(kTimeout) < before + kTimeout;
  }
  EXPECT_EQ(early, 0);
}

TEST(RealClockTest, DeadlinesSaturate) {
  RealClock clock;
  EXPECT_EQ(clock.DeadlineNanosAfter(std::numeric_limits<int64_t>::max()),
            std::numeric_limits<int64_t>::max());
}

// Asks that nobody answers: the actor keeps every request (and so its
// ReplyTo, which would answer at once if dropped).
struct Request {
  ReplyTo<int> reply;
};

Actor<Request> Hoarder() {
  std::vector<Request> kept;
  for (;;) kept.push_back(co_await Receive<Request>());
}

struct Outcome {
  std::atomic<int> timed_out{0};
  std::atomic<int> early{0};
  std::atomic<int> other{0};
};

constexpr absl::Duration kTimeout = absl::Milliseconds(2);

// `asks` asks in a row, each timed on `clock` from before the co_await to
// after it.
template <coactor::Scheduler Sched>
Task<void> AskInTurn(Sched& sched, Clock& clock, ActorRef<Request> hoarder,
                     int asks, Outcome& outcome) {
  for (int i = 0; i < asks; ++i) {
    const absl::Time start = clock.Now();
    absl::StatusOr<int> reply = co_await Ask<int>(
        sched, hoarder,
        [](ReplyTo<int> reply) { return Request{std::move(reply)}; }, kTimeout);
    const absl::Duration took = clock.Now() - start;
    if (reply.status().code() != absl::StatusCode::kDeadlineExceeded) {
      ++outcome.other;
    } else {
      ++outcome.timed_out;
      if (took < kTimeout) ++outcome.early;
    }
  }
}

using testing::SchedulerKind;

class AskDeadlineTest : public ::testing::TestWithParam<SchedulerKind> {
 protected:
  // `askers` tasks ask `asks` times each, on a scheduler of the
  // parameter's kind timed by `clock`.
  void AskMany(Clock& clock, int askers, int asks, Outcome& outcome) {
    if (GetParam().threads == 0) {
      DequeScheduler sched(clock);
      AskOn(sched, clock, askers, asks, outcome);
    } else {
      WorkStealingScheduler sched(GetParam().threads, clock);
      AskOn(sched, clock, askers, asks, outcome);
    }
  }

 private:
  template <coactor::Scheduler Sched>
  void AskOn(Sched& sched, Clock& clock, int askers, int asks,
             Outcome& outcome) {
    ActorRef<Request> hoarder = sched.Spawn(Hoarder());
    std::vector<JoinHandle<void>> handles;
    for (int i = 0; i < askers; ++i) {
      handles.push_back(
          sched.CreateTask(AskInTurn(sched, clock, hoarder, asks, outcome)));
    }
    ASSERT_TRUE(sched.Run().ok());
    for (JoinHandle<void>& handle : handles) {
      ASSERT_TRUE(handle.done());
      handle.TakeResult();
    }
  }
};

TEST_P(AskDeadlineTest, NoAskTimesOutEarlyWhenTheCoarseClockLags) {
  RealClock clock(&LaggingCoarseClock);
  Outcome outcome;
  AskMany(clock, /*askers=*/20, /*asks=*/5, outcome);
  EXPECT_EQ(outcome.timed_out, 100);
  EXPECT_EQ(outcome.other, 0);
  EXPECT_EQ(outcome.early, 0);
}

TEST_P(AskDeadlineTest, NoAskTimesOutEarlyOnTheSystemClock) {
  Outcome outcome;
  AskMany(RealClock::Get(), /*askers=*/100, /*asks=*/20, outcome);
  EXPECT_EQ(outcome.timed_out, 2000);
  EXPECT_EQ(outcome.other, 0);
  EXPECT_EQ(outcome.early, 0);
}

INSTANTIATE_TEST_SUITE_P(Schedulers, AskDeadlineTest,
                         ::testing::ValuesIn(testing::SchedulerKinds()),
                         testing::SchedulerKindName);

}  // namespace
}  // namespace coactor
