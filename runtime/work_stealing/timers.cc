// WorkStealingScheduler: timers, and the standby's wait for them. Timers
// live in an internal::TimerKeeper (timer_keeper.h), which says when to
// interrupt the standby or find one; busy workers fire due ones
// every kFairnessInterval picks, and the standby (see idle.cc) fires them
// when due whatever the other workers do: it waits
// (IdleWorkers::WaitForInterrupt()) for Clock::RealWaitUntil() of the next
// deadline (or the watch's tick), and a new earlier timer, a cancelled
// one, new work or a parking worker cuts the wait short
// (IdleWorkers::InterruptKeeper()). On a virtual clock the standby jumps
// the clock once every other worker sleeps.

#include "runtime/work_stealing/standby.h"
#include "runtime/work_stealing_scheduler.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
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
  const internal::TimerKeeper::Armed armed =
      timers_.Add(deadline, std::move(fire));
  if (Tracer* t = trace_.get(); ABSL_PREDICT_FALSE(t != nullptr)) {
    t->TimerArmed(armed.id, absl::ToUnixNanos(deadline));
  }
  if (armed.cuts_keeper_short) idle_.InterruptKeeper();
  if (armed.unkept) idle_.EnsureStandby();
  return armed.id;
}

void WorkStealingScheduler::AddGuardedTimer(
    int64_t timeout_nanos, const internal::GuardedTimer& timer) {
  const internal::TimerKeeper::Armed armed =
      timers_.AddGuarded(clock_.DeadlineNanosAfter(timeout_nanos), timer);
  if (armed.cuts_keeper_short) idle_.InterruptKeeper();
  if (armed.unkept) idle_.EnsureStandby();
}

bool WorkStealingScheduler::CancelTimer(TimerId id) {
  const bool cancelled = timers_.Cancel(internal::TimerIdAccess::Value(id));
  // The standby may be waiting for it: let it look again (and let Run()
  // return if it was the last).
  if (Tracer* t = trace_.get(); ABSL_PREDICT_FALSE(t != nullptr) && cancelled) {
    t->TimerCancelled(internal::TimerIdAccess::Value(id));
  }
  if (cancelled && idle_.keeper_waiting()) idle_.InterruptKeeper();
  return cancelled;
}

bool WorkStealingScheduler::FireDueTimers() {
  std::vector<internal::TimerQueue::Due> due = timers_.TakeDue(clock_);
  // Run outside the lock: they wake actors and send, which may add timers.
  Tracer* const tracer = trace_.get();
  for (internal::TimerQueue::Due& fire : due) {
    if (tracer != nullptr && fire.id() != 0) tracer->TimerFired(fire.id());
    fire.Fire();
  }
  // Their sends (SendAfter) must not wait in this worker's outbox.
  if (Worker* locals = CurrentWorker(); locals != nullptr) {
    FlushOwnOutbox(*locals);
  }
  return !due.empty();
}

bool WorkStealingScheduler::Standby::Wait(bool running, bool watching) {
  // The run we may find quiescent is the one going on before we look for
  // work (a later one may have work we do not see; RunEntered() interrupts
  // us then); and how often workers had listed themselves asleep: only
  // those asleep since before the look are sure to have armed and queued
  // nothing it missed (StandbyWaits()).
  const internal::IdleWorkers::StandbySnapshot before =
      sched_.idle_.SnapshotBeforeLook();
  sched_.idle_.SetKeeperWaiting(true);
  // As in Park(): either a waker's fence (WakeOne()) comes after ours
  // and it sees keeper_waiting_, or ours comes after its push and we see
  // the work here. (And CancelTimer() either sees keeper_waiting_ or we
  // see its cancellation here.) The same pairing with the fence of a
  // worker that parks while we stand by: either it interrupts us, or we
  // see here every ask it answered before parking, whose timers are now
  // stale and must not be waited for.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // Stopping (Stop()): queued work and timers wait for the next run.
  const bool stop = sched_.stop_requested_.load();
  if (sched_.idle_.stopping() || (running && !stop && sched_.AnyQueuedWork())) {
    sched_.idle_.SetKeeperWaiting(false);
    return true;
  }
  std::optional<absl::Time> next;
  // (On a virtual clock new timers need not interrupt: see KeeperNext().)
  if (running && !stop) next = sched_.timers_.KeeperNext();
  // If every other worker sleeps, and has since before the snapshot, we
  // found no work after they stopped making any: with no timer pending the
  // run is over (reported here); with one, on a virtual clock, jump to it.
  // If one listed itself since, look again: the timer it armed before it
  // parked may be earlier than `next` (a jump to `next` would fire it
  // late), or the only one (the run is not over).
  using Decision = internal::IdleWorkers::StandbyDecision;
  const Decision decision = sched_.idle_.StandbyWaits(
      before, running, next.has_value(), sched_.clock_is_virtual_);
  bool interrupted = false;
  if (decision == Decision::kLookAgain) {
    interrupted = true;  // Look again at once.
  } else if (decision == Decision::kJump) {
    sched_.clock_.RealWaitUntil(*next);  // Jumps; the caller fires the timers.
  } else {
    // How long, in real time (none: until interrupted).
    std::optional<absl::Duration> wait;
    if (next.has_value() && !sched_.clock_is_virtual_) {
      // A day at most: a wait that ends early only sends us round the
      // loop, and libstdc++ overflows on huge waits.
      wait = std::min(sched_.clock_.RealWaitUntil(*next), absl::Hours(24));
    }
    if (running && watching) {
      const absl::Duration tick = absl::Nanoseconds(kWatchTickNanos);
      wait = wait.has_value() ? std::min(*wait, tick) : tick;
    }
    if (wait != absl::ZeroDuration()) {
      interrupted = sched_.idle_.WaitForInterrupt(wait);
    }
  }
  sched_.idle_.StandbyWoke();
  sched_.idle_.SetKeeperWaiting(false);
  return interrupted;
}

}  // namespace coactor
