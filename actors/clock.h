// Clock is where a scheduler reads the time and waits for its next timer.
// RealClock is monotonic real time (steady_clock; not calendar time, which
// can jump); ManualClock is
// virtual time for deterministic tests: it moves only when told to, and
// "sleeping" until a deadline jumps straight to it, so a scheduler whose
// only pending work is timers runs them at once, in deadline order, with no
// real waiting.
//
//   coactor::ManualClock clock;
//   coactor::DequeScheduler sched(clock);
//   ...                               // actors that co_await Sleep(...)
//   sched.Run().IgnoreError();        // fires every timer, in order
//   EXPECT_EQ(clock.Now() - start, absl::Seconds(3));
//
// Thread-safety: both are thread-safe.
#ifndef COACTOR_ACTORS_CLOCK_H_
#define COACTOR_ACTORS_CLOCK_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/base/thread_annotations.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "actors/internal/mutex.h"

namespace coactor {
namespace internal {

// How RealClock reads a kernel clock: clock_gettime, or a test's stand-in.
using ClockReader = int (*)(clockid_t clock, timespec* now);

}  // namespace internal

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
  // Now() + `timeout_nanos` in Unix nanoseconds (saturating), never
  // earlier by Now() (which timers fire by): for deadlines that are set
  // often (every ask), in integer arithmetic.
  virtual int64_t DeadlineNanosAfter(int64_t timeout_nanos) {
    return absl::ToUnixNanos(Now() + absl::Nanoseconds(timeout_nanos));
  }
  // Returns at or after `deadline` (by this clock).
  virtual void SleepUntil(absl::Time deadline) = 0;
  // For a scheduler that waits for `deadline` on its own condition, so
  // that new work can cut the wait short: how long to wait in real time.
  // A real clock returns the time left (zero if past); a virtual one jumps
  // to `deadline` and returns zero. By default, SleepUntil() and zero (a
  // wait that cannot be cut short).
  virtual absl::Duration RealWaitUntil(absl::Time deadline) {
    SleepUntil(deadline);
    return absl::ZeroDuration();
  }
  // Whether the clock is virtual: it moves only when told to or when a
  // scheduler jumps it, which a scheduler does only once every actor is
  // idle. (A real clock's timers fire when due, even while others run.)
  virtual bool IsVirtual() const { return false; }
};

class RealClock final : public Clock {
 public:
  RealClock() = default;
  // For tests: reads the clock through `reader` (clock_gettime's
  // signature) instead of clock_gettime.
  explicit RealClock(internal::ClockReader reader) : read_(reader) {}

  // CLOCK_MONOTONIC, the clock std::chrono::steady_clock reads.
  absl::Time Now() override {
    return absl::FromUnixNanos(ReadNanos(CLOCK_MONOTONIC));
  }
  // From the same clock as Now(), in integer nanoseconds (absl's time
  // arithmetic is out of line). Not from the kernel's cheaper tick-time
  // copy (CLOCK_MONOTONIC_COARSE) plus its reported resolution: that copy
  // lags by more than the resolution when ticks are skipped (by up to
  // 16 ms against 4 ms on one machine), and timers fired that much early.
  // The deque scheduler reads this once per batch of asks; the
  // work-stealing one once per ask.
  int64_t DeadlineNanosAfter(int64_t timeout_nanos) override {
    const int64_t now = ReadNanos(CLOCK_MONOTONIC);
    if (timeout_nanos > std::numeric_limits<int64_t>::max() - now) {
      return std::numeric_limits<int64_t>::max();
    }
    return now + timeout_nanos;
  }
  void SleepUntil(absl::Time deadline) override {
    const absl::Duration left = deadline - Now();
    if (left > absl::ZeroDuration()) absl::SleepFor(left);
  }
  absl::Duration RealWaitUntil(absl::Time deadline) override {
    return std::max(deadline - Now(), absl::ZeroDuration());
  }
  // The process-wide instance schedulers use by default.
  static RealClock& Get() {
    static RealClock* clock = new RealClock;
    return *clock;
  }

 private:
  int64_t ReadNanos(clockid_t clock) const {
    timespec now;
    read_(clock, &now);
    return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
  }
  internal::ClockReader read_ = &clock_gettime;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::UnixEpoch()) : now_(start) {}

  absl::Time Now() override {
    internal::MutexLock hold(mutex_);
    return now_;
  }
  // Jumps to `deadline` if it is later; never waits.
  void SleepUntil(absl::Time deadline) override {
    internal::MutexLock hold(mutex_);
    if (deadline > now_) now_ = deadline;
  }
  bool IsVirtual() const override { return true; }
  void Advance(absl::Duration by) {
    internal::MutexLock hold(mutex_);
    now_ += by;
  }

 private:
  internal::Mutex mutex_;
  absl::Time now_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace coactor

#endif  // COACTOR_ACTORS_CLOCK_H_
