// DequeScheduler's loop step, defined: Step() pops one envelope and resumes
// its actor (the hot path: inlined into every loop that steps),
// ResumeWoken() a wake-up, the templated loops RunWhileNot() and
// RunTask() (RunUntilComplete()), and the RunScope they run in. Declared in
// runtime/deque_scheduler.h, which includes this at its end.
//
// Not to be included directly: include runtime/deque_scheduler.h.
//
// Thread-safety: the loop's thread only.
#ifndef COACTOR_RUNTIME_DEQUE_STEP_INL_H_
#define COACTOR_RUNTIME_DEQUE_STEP_INL_H_

#include <coroutine>
#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/base/optimization.h"
#include "absl/status/statusor.h"
#include "actors/internal/actor_cell.h"
#include "actors/join_handle.h"
#include "actors/task.h"
#include "runtime/deque_scheduler.h"

namespace coactor {

class DequeScheduler::RunScope {
 public:
  explicit RunScope(DequeScheduler& sched)
      : sched_(sched), outer_(std::exchange(current_loop_, &sched)) {
    sched_.running_ = true;
  }
  ~RunScope() {
    sched_.running_ = false;
    current_loop_ = outer_;
  }

 private:
  DequeScheduler& sched_;
  const DequeScheduler* const outer_;
};

inline void DequeScheduler::ResumeWoken(Cell* cell,
                                        const internal::Payload& payload) {
  cell->pending.Remove();
  ResumeWokenRemoved(cell, payload);
}

inline void DequeScheduler::ResumeWokenRemoved(
    Cell* cell, const internal::Payload& payload) {
  void* address;
  std::memcpy(&address, payload.bytes, sizeof address);
  if (ABSL_PREDICT_FALSE(cell->State() == internal::ActorState::kFinished)) {
    // A stale wake-up (the actor was not blocked on it: a broken
    // Runtime::Wake() precondition) outlived the actor: dropped, and the
    // cell freed if it was the last envelope naming it, as for a message.
    if (cell->pending.empty()) FreeCell(cell);
    return;
  }
  cell->SetState(internal::ActorState::kRunning);
  std::coroutine_handle<>::from_address(address).resume();
  // Blocked again (say, on its next ask): nothing to hand it yet.
  if (cell->State() == internal::ActorState::kBlocked && !cell->handle.done()) {
    return;
  }
  AfterWake(cell);
}

// The hot path: one envelope, one resumption.
inline void DequeScheduler::Dispatch(Envelope* envelope) {
  const uintptr_t target = envelope->target;
  if (ABSL_PREDICT_FALSE((target & kTagMask) != 0)) {
    auto* cell = reinterpret_cast<Cell*>(target & ~kTagMask);
    if ((target & kTagMask) == kResumeTag) {
      ResumeWoken(cell, envelope->payload);
      return;
    }
    StepSpecial(target & kTagMask, cell, &envelope->payload);
    return;
  }
  auto* cell = reinterpret_cast<Cell*>(target);
  cell->pending.Remove();
  if (ABSL_PREDICT_FALSE(cell->State() != internal::ActorState::kWaiting)) {
    if (cell->State() == internal::ActorState::kFinished) {
      DeliverToFinished(cell, &envelope->payload);
    } else {
      Stash(cell, &envelope->payload);  // Blocked: kept for Receive().
    }
    return;
  }
  // The actor moves the message out of the popped slot as soon as it
  // resumes, before it can send anything that would reuse the slot.
  cell->promise->inbox = &envelope->payload;
  ++cell->received;  // The scheduler's count adds these up.
  cell->handle.resume();
  if (ABSL_PREDICT_FALSE(cell->handle.done())) OnFinished(cell);
}

template <typename Done>
DequeScheduler::RunEnd DequeScheduler::RunWhileNot(const Done& done) {
  RunScope running(*this);
  RunEnd end = RunEnd::kDone;
  uint32_t until_timer_check = 1;  // Due timers first, as RunOnce().
  while (!done()) {
    if (--until_timer_check == 0) {
      // As in Run(): reading the clock every step would cost more than
      // the step.
      until_timer_check = kTimerCheckInterval;
      if (HasTimers()) FireDueTimers();
      DrainPosted();
      if (TakeStop()) {
        end = RunEnd::kStopped;
        break;
      }
      continue;
    }
    if (!queue_.empty()) {
      StepMaybeTraced();
    } else if (DrainPosted()) {
      until_timer_check = 1;  // A posted call may have called Stop().
    } else if (HasTimers()) {
      if (!FireDueTimers()) {
        WaitForPosts(timers_.NextDeadline());
        until_timer_check = 1;  // Woken by a Stop(), perhaps.
      }
    } else {
      end = RunEnd::kOutOfWork;
      break;
    }
  }
  // Relaxed: a flag; this run served any request made during it (as
  // RunLoop()), also one from the task just before it ended.
  stop_requested_.store(false, std::memory_order_relaxed);
  ArmDeferredTimers();
  return end;
}

template <typename T>
absl::StatusOr<JoinHandle<T>> DequeScheduler::RunTask(Task<T> task) {
  if (running_) {
    return absl::FailedPreconditionError(
        "RunUntilComplete() called from inside one of the scheduler's actors");
  }
  JoinHandle<T> handle = CreateTask(std::move(task));
  if (RunWhileNot([state = handle.state()] { return state->done(); }) ==
          RunEnd::kStopped &&
      !handle.done()) {
    return internal::StoppedBeforeTaskEnded();
  }
  return handle;
}

}  // namespace coactor

#endif  // COACTOR_RUNTIME_DEQUE_STEP_INL_H_
