// TimerKeeper is WorkStealingScheduler's timers and the only code that
// changes them: the TimerQueue under its mutex, a count of fired timers,
// whether any timer is pending (an atomic, readable without the lock), and
// what the standby, which keeps the timers while the other workers sleep,
// waits for (whether one keeps them, and until which deadline). It decides;
// the scheduler acts (work_stealing/timers.cc): each Add says whether the
// standby must be interrupted or a standby found, and the scheduler does it
// through IdleWorkers.
//
//   internal::TimerKeeper::Armed armed = keeper.Add(deadline, fire);
//   if (armed.cuts_keeper_short) idle.InterruptKeeper();    // invariant 7
//   if (armed.unkept) idle.EnsureStandby();                 // invariant 8
//   for (auto& due : keeper.TakeDue(clock)) due.Fire();     // outside it
//
// Its part in the protocol of work_stealing/idle.cc (numbered invariants):
// - pending() is stored under the mutex, seq_cst, whenever the queue
//   changes; a parking worker reads it after its fence P (6., 8.: it
//   becomes the standby if timers are pending), and EnsureStandby(), called
//   after an Add that found nothing pending and no keeper, fences before it
//   reads the sleepers: one of the two sees the other.
// - StartKeeping() (the standby takes the role) and KeeperNext() (before
//   each wait) are under the mutex, as every Add: a timer added later sees
//   the deadline the standby waits for, and is `cuts_keeper_short` if it
//   comes earlier (none yet: every new timer does; on a virtual clock,
//   which stands still while actors run, none does: the last worker to park
//   tells the standby, 7.). StopKeeping() gives the role up and says
//   whether timers remain, for an heir (10.).
//
// Thread-safety: thread-safe. Every method takes the mutex itself (none is
// called with it held); callbacks are never run under it.
#ifndef COACTOR_RUNTIME_WORK_STEALING_TIMER_KEEPER_H_
#define COACTOR_RUNTIME_WORK_STEALING_TIMER_KEEPER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "actors/clock.h"
#include "actors/internal/mutex.h"
#include "actors/internal/runtime.h"
#include "runtime/internal/timer_queue.h"

namespace coactor::internal {

class TimerKeeper {
 public:
  // Timers of a scheduler whose clock is virtual (a ManualClock) or not.
  explicit TimerKeeper(bool clock_is_virtual)
      : clock_is_virtual_(clock_is_virtual) {}
  TimerKeeper(const TimerKeeper&) = delete;
  TimerKeeper& operator=(const TimerKeeper&) = delete;

  // What arming a timer asks of the scheduler.
  struct Armed {
    TimerId id = 0;  // 0: none (a guarded timer, or nothing armed).
    // The standby waits for a later deadline: interrupt it (invariant 7).
    bool cuts_keeper_short = false;
    // No timer was pending and no standby keeps them: make sure one does
    // (EnsureStandby(), invariant 8).
    bool unkept = false;
  };
  // Arms `fire` for `deadline`.
  Armed Add(absl::Time deadline, absl::AnyInvocable<void()> fire);
  // Arms a guarded timer (see TimerQueue::AddGuarded()); an infinite
  // timeout arms nothing (and asks nothing).
  Armed AddGuarded(int64_t deadline_nanos, const GuardedTimer& timer);
  // As TimerQueue::Cancel().
  bool Cancel(TimerId id);
  // Removes and returns the timers due by `clock` (read under the mutex),
  // counting them as fired.
  std::vector<TimerQueue::Due> TakeDue(Clock& clock);
  // Removes every timer, returning the callbacks (for shutdown).
  std::vector<absl::AnyInvocable<void()>> TakeAllCallbacks();

  // Whether a timer is pending. Seq_cst: the parking worker's read after
  // its fence (see above).
  bool pending() const { return pending_.load() != 0; }
  // The same as a hint.
  bool PendingHint() const {
    // Relaxed: a hint; whoever acts on it looks under the mutex.
    return pending_.load(std::memory_order_relaxed) != 0;
  }
  uint64_t fired() const;

  // ---- The standby's (invariants 6, 7, 10) ----------------------------------
  // It takes the role: from now on every new timer cuts its wait short
  // until KeeperNext() says what it waits for.
  void StartKeeping();
  // Before each wait: the next deadline, if any (stale guarded timers
  // dropped); new timers cut the wait short if earlier (never on a virtual
  // clock).
  std::optional<absl::Time> KeeperNext();
  // It gives the role up; whether timers remain.
  bool StopKeeping();

 private:
  void StorePending() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    pending_.store(timers_.empty() ? 0 : 1);
  }
  // Whether a new timer due at `deadline_nanos` must cut the keeper's wait
  // short.
  bool CutsKeeperShort(int64_t deadline_nanos) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return keeping_ && deadline_nanos < keeper_deadline_nanos_;
  }

  const bool clock_is_virtual_;
  mutable Mutex mutex_;
  TimerQueue timers_ ABSL_GUARDED_BY(mutex_);
  uint64_t fired_ ABSL_GUARDED_BY(mutex_) = 0;
  // Pending timers, readable without the lock (a hint): 0 or 1.
  std::atomic<size_t> pending_{0};
  // Whether a standby keeps the timers, and the deadline it waits for, in
  // Unix nanoseconds (INT64_MAX: none yet; INT64_MIN: it fires nothing
  // before it is told, as on a virtual clock while actors run). (A new
  // timer looks at them: every ask adds one.)
  bool keeping_ ABSL_GUARDED_BY(mutex_) = false;
  int64_t keeper_deadline_nanos_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_WORK_STEALING_TIMER_KEEPER_H_
