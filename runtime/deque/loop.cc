// DequeScheduler: the loop. Run() and its kin deliver queued envelopes
// (Step(), runtime/deque/step_inl.h), looking every kTimerCheckInterval
// steps at the timers, the posts from other threads and Stop(); when only
// timers are left the loop sleeps on the clock until the next one (or a
// post). Also the timers themselves. Delivery of one envelope and an
// actor's end are in delivery.cc.

#include "runtime/deque_scheduler.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "runtime/internal/actor_end.h"
#include "runtime/internal/record_keeper.h"

namespace coactor {

absl::Status DequeScheduler::Run() { return RunLoop(/*until_stopped=*/false); }

absl::Status DequeScheduler::RunUntilStopped() {
  return RunLoop(/*until_stopped=*/true);
}

template <bool kTraced>
bool DequeScheduler::RunSteps() {
  // Traced: where the next turn starts, the last one's end (nothing runs
  // between two steps here but the countdown), or 0: read the clock.
  [[maybe_unused]] uint64_t next_turn_ns = 0;
  while (!queue_.empty()) {
    if constexpr (kTraced) {
      next_turn_ns = StepTraced(next_turn_ns);
    } else {
      Step();
    }
    // Every kTimerCheckInterval steps, or right after a Stop() (or
    // StartTrace(), StopTrace()) from an actor, which sets steps_to_check_
    // to 1: a decrement of memory, as cheap as of a register, where a stop
    // flag tested per step would cost 2-4% of counter/printer.
    if (--steps_to_check_ == 0) {
      steps_to_check_ = kTimerCheckInterval;
      if constexpr (kTraced) next_turn_ns = 0;  // Timers, posts: a gap.
      if (HasTimers()) FireDueTimers();
      DrainPosted();
      // Relaxed: a flag (see TakeStop()).
      if (stop_requested_.load(std::memory_order_relaxed)) return true;
      if ((trace_.get() != nullptr) != kTraced) return false;
      // One step in kTimerCheckInterval is timed for the actors' metrics
      // (untraced: a traced step is timed by its trace); what it starts or
      // stops is seen at once, as here.
      if (!kTraced && !queue_.empty()) {
        TimedStep();
        // Relaxed: as above.
        if (stop_requested_.load(std::memory_order_relaxed)) return true;
        if (trace_.get() != nullptr) return false;
      }
    }
  }
  return true;
}

absl::Status DequeScheduler::RunLoop(bool until_stopped) {
  if (running_) {
    return absl::FailedPreconditionError(
        until_stopped
            ? "RunUntilStopped() called from inside one of the scheduler's "
              "actors"
            : "Run() called from inside one of the scheduler's actors");
  }
  RunScope running(*this);
  // Relaxed: only Stop() on this thread compares it with its own id.
  loop_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  // A Stop() while no run ran ends this one at once.
  bool stopped = TakeStop();
  while (!stopped) {
    steps_to_check_ = kTimerCheckInterval;
    while (trace_.get() == nullptr ? !RunSteps<false>() : !RunSteps<true>()) {
    }
    if ((stopped = TakeStop())) break;
    if (DrainPosted()) {
      // A posted call runs as an actor's handler does: if it called
      // Stop(), what it queued waits for the next run.
      stopped = TakeStop();
      continue;
    }
    if (HasTimers()) {
      // Only timers are left: wait until the next one is due (or a post).
      if (!FireDueTimers()) WaitForPosts(timers_.NextDeadline());
      continue;
    }
    if (!until_stopped) break;
    WaitForPosts(std::nullopt);
  }
  // Out of work with senders waiting for room: they wait for each other.
  const bool deadlocked = !stopped && limits_.waiting_senders != 0;
  // Relaxed: a flag; this run served any request made during it.
  stop_requested_.store(false, std::memory_order_relaxed);
  loop_thread_.store(std::thread::id(), std::memory_order_relaxed);
  ArmDeferredTimers();
  if (ABSL_PREDICT_FALSE(deadlocked)) return Limits::WaitingSendersError(*this);
  return absl::OkStatus();
}

void DequeScheduler::Stop() {
  stop_requested_.store(true);
  // Relaxed: compared with this thread's own id, which only this thread
  // stores.
  if (loop_thread_.load(std::memory_order_relaxed) ==
      std::this_thread::get_id()) {
    steps_to_check_ = 1;  // From an actor: the loop looks after this step.
    return;
  }
  internal::MutexLock hold(posted_mutex_);
  if (loop_waiting_) posted_wakeup_.NotifyOne();
}

void DequeScheduler::Post(absl::AnyInvocable<void()> call) {
  internal::MutexLock hold(posted_mutex_);
  posted_.push_back(std::move(call));
  // Release: the loop's acquire load sees the call (it also takes the
  // lock, but the hint must not be seen before the call is there).
  posted_pending_.store(true, std::memory_order_release);
  if (loop_waiting_) posted_wakeup_.NotifyOne();
}

bool DequeScheduler::DrainPosted() {
  // Acquire: pairs with the release in Post().
  if (!posted_pending_.load(std::memory_order_acquire)) return false;
  std::vector<absl::AnyInvocable<void()>> calls;
  {
    internal::MutexLock hold(posted_mutex_);
    calls.swap(posted_);
    // Relaxed: under the lock, which the next Post() takes.
    posted_pending_.store(false, std::memory_order_relaxed);
  }
  for (absl::AnyInvocable<void()>& call : calls) {
    try {
      call();
    } catch (...) {
      std::exception_ptr exception = std::current_exception();
      internal::RecordKeeper::Dropped dropped;
      records_.AddFailure(
          ActorFailure{"(posted call)", internal::DescribeException(exception),
                       exception},
          dropped);
    }
  }
  return !calls.empty();
}

void DequeScheduler::WaitForPosts(std::optional<absl::Time> deadline) {
  // A virtual clock jumps to the deadline here and waits for nothing.
  const absl::Duration wait = deadline.has_value()
                                  ? clock_.RealWaitUntil(*deadline)
                                  : absl::InfiniteDuration();
  if (wait <= absl::ZeroDuration()) return;
  internal::MutexLock hold(posted_mutex_);
  loop_waiting_ = true;
  const auto ready = [this] {
    return posted_pending_.load() || stop_requested_.load();
  };
  if (wait == absl::InfiniteDuration()) {
    while (!ready()) posted_wakeup_.Wait(posted_mutex_);
  } else {
    // A day at most: an early end only sends the loop round again, and
    // libstdc++ overflows on huge waits.
    const auto until =
        std::chrono::steady_clock::now() +
        absl::ToChronoNanoseconds(std::min(wait, absl::Hours(24)));
    while (!ready() && posted_wakeup_.WaitUntil(posted_mutex_, until)) {
    }
  }
  loop_waiting_ = false;
}

bool DequeScheduler::RunOnce() {
  if (running_) return false;
  RunScope running(*this);
  if (HasTimers()) FireDueTimers();
  DrainPosted();
  if (!queue_.empty()) StepMaybeTraced();
  ArmDeferredTimers();
  return has_pending();
}

size_t DequeScheduler::RunReady() {
  if (running_) return 0;
  RunScope running(*this);
  if (HasTimers()) FireDueTimers();
  DrainPosted();
  const size_t ready = queue_.size();
  for (size_t i = 0; i < ready; ++i) StepMaybeTraced();
  ArmDeferredTimers();
  return ready;
}

size_t DequeScheduler::RunFor(size_t budget) {
  if (running_) return 0;
  RunScope running(*this);
  size_t delivered = 0;
  while (delivered < budget) {
    if (delivered % kTimerCheckInterval == 0) {
      if (HasTimers()) FireDueTimers();
      DrainPosted();
    }
    if (queue_.empty()) break;
    StepMaybeTraced();
    ++delivered;
  }
  ArmDeferredTimers();
  return delivered;
}

size_t DequeScheduler::RunUntil(absl::Time deadline) {
  if (running_) return 0;
  RunScope running(*this);
  size_t delivered = 0;
  while (clock_.Now() < deadline) {
    if (HasTimers()) FireDueTimers();
    DrainPosted();
    if (queue_.empty()) break;
    StepMaybeTraced();
    ++delivered;
  }
  ArmDeferredTimers();
  return delivered;
}

bool DequeScheduler::FireDueTimers() {
  bool fired = false;
  const absl::Time now = clock_.Now();
  while (std::optional<internal::TimerQueue::Due> due = timers_.PopDue(now)) {
    if (Tracer* t = trace_.get(); t != nullptr && due->id() != 0) {
      t->TimerFired(due->id());
    }
    due->Fire();
    fired = true;
    ++timers_fired_;
  }
  return fired;
}

internal::TimerId DequeScheduler::AddTimer(absl::Time deadline,
                                           absl::AnyInvocable<void()> fire) {
  const internal::TimerId id = timers_.Add(deadline, std::move(fire));
  if (Tracer* t = trace_.get(); ABSL_PREDICT_FALSE(t != nullptr)) {
    t->TimerArmed(id, absl::ToUnixNanos(deadline));
  }
  return id;
}

void DequeScheduler::ArmDeferredTimers() {
  if (deferred_timers_.empty()) return;
  deferred_timers_.ArmAll(clock_.DeadlineNanosAfter(0), timers_);
}

size_t DequeScheduler::pending_timers() const {
  return timers_.size() + deferred_timers_.pending();
}

bool DequeScheduler::CancelTimer(TimerId id) {
  const bool cancelled = timers_.Cancel(internal::TimerIdAccess::Value(id));
  if (Tracer* t = trace_.get(); ABSL_PREDICT_FALSE(t != nullptr) && cancelled) {
    t->TimerCancelled(internal::TimerIdAccess::Value(id));
  }
  return cancelled;
}

}  // namespace coactor
