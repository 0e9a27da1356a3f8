// On a virtual clock (ManualClock) the work-stealing standby jumps the clock
// to the next timer once every other worker sleeps; it must never jump over
// a timer, nor end the run with one pending. Each actor here sleeps again as
// soon as it wakes, so at every step of time some workers arm new timers
// and park while the standby decides.
//
// The standby looked at the timers (KeeperNext()), then saw every other
// worker asleep (StandbyWaits()) and jumped; a worker that armed an earlier
// timer and parked in between (on a virtual clock new timers do not
// interrupt the standby: the last worker to park does, and a jump did not
// wait for that) had its timer fired late, at the later deadline. In the
// conformance suite, SleepersWakeInDeadlineOrderInVirtualTime/Stealing8
// once saw the sleeper of 2 s report before the one of 1 s: both fired at
// 2 s. The standby now decides only if no worker listed itself as asleep
// since before its look (IdleWorkers::StandbySnapshot); see
// idle_workers_test.cc for the interleaving step by step.
#include <atomic>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/clock.h"
#include "actors/sleep.h"
#include "gtest/gtest.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/sanitizer.h"

namespace coactor {
namespace {

#if defined(COACTOR_TEST_SANITIZED)
constexpr int kRounds = 20;
#else
constexpr int kRounds = 100;
#endif
constexpr int kSteps = 30;  // Seconds of virtual time a round lasts.

struct Wakes {
  std::atomic<int> on_time{0};
  std::atomic<int> late{0};
};

// Wakes at every multiple of `period` seconds up to `until`, counting the
// wake-ups that came after their deadline (a late one does not shift the
// later deadlines).
Actor<int> Metronome(ManualClock& clock, int period, absl::Time until,
                     Wakes& wakes) {
  const absl::Time start = clock.Now();
  for (int k = 1; start + k * absl::Seconds(period) <= until; ++k) {
    const absl::Time deadline = start + k * absl::Seconds(period);
    co_await Sleep(deadline - clock.Now());
    if (clock.Now() == deadline) {
      wakes.on_time.fetch_add(1);
    } else {
      wakes.late.fetch_add(1);
    }
  }
}

class VirtualClockJumpTest : public ::testing::TestWithParam<int> {};

TEST_P(VirtualClockJumpTest, TheClockNeverJumpsOverATimer) {
  const int threads = GetParam();
  int late_rounds = 0;
  for (int round = 0; round < kRounds; ++round) {
    ManualClock clock{absl::UnixEpoch()};
    Wakes wakes;
    {
      WorkStealingScheduler sched(threads, clock);
      const absl::Time until = absl::UnixEpoch() + absl::Seconds(kSteps);
      for (int period = 1; period <= 5; ++period) {
        sched.Spawn(Metronome(clock, period, until, wakes));
      }
      ASSERT_TRUE(sched.Run().ok());
    }
    // 30 + 15 + 10 + 7 + 6 wake-ups, each on time; the last at 30 s.
    if (wakes.late.load() != 0) ++late_rounds;
    EXPECT_EQ(wakes.late.load(), 0) << "round " << round;
    EXPECT_EQ(wakes.on_time.load() + wakes.late.load(), 68)
        << "round " << round << ": Run() returned with timers pending";
    EXPECT_EQ(clock.Now() - absl::UnixEpoch(), absl::Seconds(kSteps))
        << "round " << round;
  }
  EXPECT_EQ(late_rounds, 0) << "of " << kRounds;
}

INSTANTIATE_TEST_SUITE_P(Workers, VirtualClockJumpTest,
                         ::testing::Values(2, 4, 8),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "Stealing" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace coactor
