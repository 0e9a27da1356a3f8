// DeferredTimers holds DequeScheduler's guarded timers (one per ask) whose
// deadlines are not resolved yet. Reading the clock for every ask would cost
// more than the ask's two messages, so they are resolved together, from one
// clock read, wherever the scheduler consults its timers (every
// kTimerCheckInterval deliveries, when the queue runs dry, and before a Run
// call returns); those answered by then are dropped unread. A deadline is
// thus the timeout after that clock read: never early, late by at most one
// check interval.
//
//   deferred.Add(timeout_nanos, timer);            // On the ask's path.
//   if (!deferred.empty()) {
//     deferred.ArmAll(clock.DeadlineNanosAfter(0), timers);
//   }
//
// Thread-safety: none; the loop's thread only.
#ifndef COACTOR_RUNTIME_DEQUE_DEFERRED_TIMERS_H_
#define COACTOR_RUNTIME_DEQUE_DEFERRED_TIMERS_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "actors/internal/runtime.h"
#include "runtime/internal/timer_queue.h"

namespace coactor::internal {

class DeferredTimers {
 public:
  // Defers `timer`, due `timeout_nanos` after the next ArmAll()'s clock
  // read. An actor has one ask pending at a time, so a deferred timer of
  // its previous ask (the same word) is stale: reused.
  void Add(int64_t timeout_nanos, const GuardedTimer& timer) {
    if (!timers_.empty() && timers_.back().timer.word == timer.word) {
      Deferred& last = timers_.back();
      last.timeout_nanos = timeout_nanos;
      CopyGuardedTimer(timer, last.timer);
      return;
    }
    timers_.emplace_back(timeout_nanos, timer);
  }

  bool empty() const { return timers_.empty(); }

  // Arms, in `queue`, every deferred timer not answered yet, due its
  // timeout after `now` (Unix nanoseconds, saturating), and forgets them.
  void ArmAll(int64_t now, TimerQueue& queue) {
    for (const Deferred& deferred : timers_) {
      if (!IsArmed(deferred.timer)) continue;  // Answered already.
      const int64_t deadline =
          deferred.timeout_nanos > std::numeric_limits<int64_t>::max() - now
              ? std::numeric_limits<int64_t>::max()
              : now + deferred.timeout_nanos;
      queue.AddGuarded(deadline, deferred.timer);
    }
    timers_.clear();
  }

  // How many would be armed now. An infinite timeout is dropped when armed
  // (see TimerQueue): not counted meanwhile either. (Not checked on the
  // ask's path: it costs.)
  size_t pending() const {
    size_t pending = 0;
    for (const Deferred& deferred : timers_) {
      pending +=
          IsArmed(deferred.timer) && deferred.timeout_nanos != kInfiniteTimeout;
    }
    return pending;
  }

 private:
  struct Deferred {
    // Field by field, not zeroed first (see CopyGuardedTimer).
    Deferred(int64_t timeout, const GuardedTimer& guarded)
        : timeout_nanos(timeout) {
      CopyGuardedTimer(guarded, timer);
    }
    int64_t timeout_nanos;
    GuardedTimer timer;
  };
  std::vector<Deferred> timers_;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_DEQUE_DEFERRED_TIMERS_H_
