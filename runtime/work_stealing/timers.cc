// WorkStealingScheduler: timers, and the standby's wait for them. Timers
// live in a TimerQueue under timers_mutex_; busy workers fire due ones
// every kFairnessInterval picks, and the standby (see idle.cc) fires them
// when due whatever the other workers do: it waits on keeper_wakeup_ for
// Clock::RealWaitUntil() of the next deadline (or the watch's tick), and a
// new earlier timer, a cancelled one, new work or a parking worker cuts
// the wait short (InterruptKeeper()). On a virtual clock the standby jumps
// the clock once every other worker sleeps.

#include "runtime/work_stealing_scheduler.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace coactor {

internal::TimerId WorkStealingScheduler::AddTimer(
    absl::Time deadline, absl::AnyInvocable<void()> fire) {
  if (IsShutDown()) {
    // No worker will ever fire it: fire now. (A SendAfter()'s send is
    // refused and its message kept as a dead letter, as for any send
    // after Shutdown(), instead of waiting in a timer until destruction.)
    fire();
    return 0;  // No timer.
  }
  internal::TimerId id;
  bool earlier_than_kept;
  bool unkept;
  {
    internal::MutexLock hold(timers_mutex_);
    const bool was_pending = timers_pending_.load() != 0;
    id = timers_.Add(deadline, std::move(fire));
    timers_pending_.store(timers_.empty() ? 0 : 1);
    earlier_than_kept = CutsKeeperShort(absl::ToUnixNanos(deadline));
    unkept = !was_pending && !keeping_timers_ && !timers_.empty();
  }
  if (earlier_than_kept) InterruptKeeper();
  if (unkept) EnsureStandby();
  return id;
}

void WorkStealingScheduler::AddGuardedTimer(
    int64_t timeout_nanos, const internal::GuardedTimer& timer) {
  const int64_t deadline = clock_.DeadlineNanosAfter(timeout_nanos);
  bool earlier_than_kept;
  bool unkept;
  {
    internal::MutexLock hold(timers_mutex_);
    // An infinite timeout arms nothing (see internal::TimerQueue).
    if (!timers_.AddGuarded(deadline, timer)) return;
    unkept = timers_pending_.load() == 0 && !keeping_timers_;
    timers_pending_.store(1);
    earlier_than_kept = CutsKeeperShort(deadline);
  }
  if (earlier_than_kept) InterruptKeeper();
  if (unkept) EnsureStandby();
}

bool WorkStealingScheduler::CancelTimer(TimerId id) {
  bool cancelled;
  {
    internal::MutexLock hold(timers_mutex_);
    cancelled = timers_.Cancel(internal::TimerIdAccess::Value(id));
    timers_pending_.store(timers_.empty() ? 0 : 1);
  }
  // The standby may be waiting for it: let it look again (and let Run()
  // return if it was the last).
  if (cancelled && keeper_waiting_.load()) InterruptKeeper();
  return cancelled;
}

bool WorkStealingScheduler::FireDueTimers() {
  std::vector<internal::TimerQueue::Due> due;
  {
    internal::MutexLock hold(timers_mutex_);
    const absl::Time now = clock_.Now();
    while (std::optional<internal::TimerQueue::Due> fire =
               timers_.PopDue(now)) {
      due.push_back(std::move(*fire));
    }
    timers_pending_.store(timers_.empty() ? 0 : 1);
  }
  // Run outside the lock: they wake actors and send, which may add timers.
  for (internal::TimerQueue::Due& fire : due) fire.Fire();
  // Their sends (SendAfter) must not wait in this worker's outbox.
  if (Worker* locals = CurrentWorker(); locals != nullptr) {
    FlushOwnOutbox(*locals);
  }
  return !due.empty();
}

void WorkStealingScheduler::EnsureStandby() {
  // Pairs with the fence in Park(): either the worker going to sleep sees
  // the timer pending (and becomes the standby), or we see it asleep here.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // Relaxed: ordered by the fence above.
  if (sleepers_.load(std::memory_order_relaxed) == 0) return;
  Worker* heir;
  {
    // Even if standby_ is set: it may be leaving without having seen this
    // timer (LeaveStandby() reads the timers, then clears standby_). A
    // sleeper woken in vain goes back to sleep.
    internal::MutexLock hold(idle_mutex_);
    heir = PopSleeperLocked();
  }
  if (heir != nullptr) heir->Unpark(/*as_heir=*/true);
}

bool WorkStealingScheduler::StandbyWait(bool running, bool watching) {
  // The run we may find quiescent is the one going on before we look for
  // work (a later one may have work we do not see; RunEntered() interrupts
  // us then).
  uint64_t run;
  {
    internal::MutexLock hold(idle_mutex_);
    run = run_number_;
  }
  keeper_waiting_.store(true);
  // As in Park(): either a waker's fence (WakeOneWorker) comes after ours
  // and it sees keeper_waiting_, or ours comes after its push and we see
  // the work here. (And CancelTimer() either sees keeper_waiting_ or we
  // see its cancellation here.) The same pairing with the fence of a
  // worker that parks while we stand by: either it interrupts us, or we
  // see here every ask it answered before parking, whose timers are now
  // stale and must not be waited for.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // Stopping (Stop()): queued work and timers wait for the next run.
  const bool stop = stop_requested_.load();
  if (stopping_.load() || (running && !stop && AnyQueuedWork())) {
    keeper_waiting_.store(false);
    return true;
  }
  std::optional<absl::Time> next;
  if (running && !stop) {
    internal::MutexLock hold(timers_mutex_);
    next = timers_.NextDeadline();  // Drops stale guarded timers.
    timers_pending_.store(next.has_value() ? 1 : 0);
    // A virtual clock's time stands still while actors run: nothing to
    // wait for until every worker sleeps (the last to park tells us), so
    // new timers need not interrupt.
    keeper_deadline_nanos_ = !next.has_value()
                                 ? std::numeric_limits<int64_t>::max()
                             : clock_is_virtual_
                                 ? std::numeric_limits<int64_t>::min()
                                 : absl::ToUnixNanos(*next);
  }
  bool jump = false;
  {
    internal::MutexLock hold(idle_mutex_);
    const bool others_asleep = idle_.size() + 1 == workers_.size();
    if (running && others_asleep && run == run_number_) {
      if (!next.has_value()) {
        // Every other worker sleeps, we found no work after they stopped
        // making any, and no timer is pending: the run is over.
        // Release: Run() acquires what every actor did.
        quiesced_run_.store(run_number_, std::memory_order_release);
        quiesced_run_.notify_all();
      } else {
        jump = clock_is_virtual_;
      }
    }
    standby_asleep_ = !jump;
  }
  bool interrupted = false;
  if (jump) {
    clock_.RealWaitUntil(*next);  // Jumps; the caller fires the timers.
  } else {
    // How long, in real time (none: until interrupted).
    std::optional<absl::Duration> wait;
    if (next.has_value() && !clock_is_virtual_) {
      // A day at most: a wait that ends early only sends us round the
      // loop, and libstdc++ overflows on huge waits.
      wait = std::min(clock_.RealWaitUntil(*next), absl::Hours(24));
    }
    if (running && watching) {
      const absl::Duration tick = absl::Nanoseconds(kWatchTickNanos);
      wait = wait.has_value() ? std::min(*wait, tick) : tick;
    }
    if (wait != absl::ZeroDuration()) {
      internal::MutexLock hold(keeper_mutex_);
      if (wait.has_value()) {
        const auto deadline = std::chrono::steady_clock::now() +
                              absl::ToChronoNanoseconds(*wait);
        while (!keeper_interrupted_ &&
               keeper_wakeup_.WaitUntil(keeper_mutex_, deadline)) {
        }
      } else {
        while (!keeper_interrupted_) keeper_wakeup_.Wait(keeper_mutex_);
      }
      // An interruption that comes after this only ends a later wait
      // early.
      interrupted = std::exchange(keeper_interrupted_, false);
    }
  }
  {
    internal::MutexLock hold(idle_mutex_);
    standby_asleep_ = false;
  }
  keeper_waiting_.store(false);
  return interrupted;
}

void WorkStealingScheduler::InterruptKeeper() {
  internal::MutexLock hold(keeper_mutex_);
  keeper_interrupted_ = true;
  keeper_wakeup_.NotifyOne();
}

}  // namespace coactor
