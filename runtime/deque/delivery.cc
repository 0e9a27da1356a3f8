// DequeScheduler: what a step delivers besides a plain message (a start,
// an error, a message for a blocked or finished actor), a wake-up from
// another thread, the resumption of a woken actor, and an actor's end
// (internal::EndActor(), runtime/internal/actor_end.h, with the deque's
// hooks). The loop is in loop.cc.

#include "runtime/deque_scheduler.h"

#include <coroutine>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <utility>
#include <vector>

#include "runtime/internal/actor_end.h"
#include "runtime/internal/record_keeper.h"
#include "runtime/internal/records.h"

namespace coactor {

using internal::ActorState;

void DequeScheduler::Wake(internal::ActorCell* cell,
                          std::coroutine_handle<> handle) {
  // Not on the loop's thread (or outside any run): a JoinHandle or
  // BoundedQueue shared with a work-stealing scheduler wakes its waiter from
  // a worker thread, where pushing into queue_ would race the loop (and not
  // wake it from WaitForPosts()). The waiter cannot go away meanwhile: its
  // frame is destroyed only with this scheduler, which drops unrun posts.
  if (ABSL_PREDICT_FALSE(current_loop_ != this)) {
    Post([this, cell, handle] { Wake(cell, handle); });
    return;
  }
  EnqueueEnvelope(static_cast<Cell*>(cell), kResumeTag,
                  [&](internal::Payload& payload) {
                    void* address = handle.address();
                    std::memcpy(payload.bytes, &address, sizeof address);
                  });
}

void DequeScheduler::AfterWake(Cell* cell) {
  while (!cell->handle.done() && cell->State() == ActorState::kRunning) {
    cell->SetState(ActorState::kWaiting);  // Back in a Receive().
    Cell::Extras* extras = cell->extras.get();
    if (extras != nullptr && !extras->stashed_errors.empty()) {
      cell->promise->inbox = nullptr;
      cell->promise->delivered_error = extras->stashed_errors.front();
      extras->stashed_errors.erase(extras->stashed_errors.begin());
    } else if (extras != nullptr && !extras->stash.empty()) {
      cell->promise->inbox = extras->stash.PopFront();
      ++cell->received;
      if (cell->limit != nullptr) --cell->limit->queued;  // Room: see below.
    } else {
      break;  // Waiting in Receive(): the room it made admits waiters below.
    }
    // Afterwards it has either blocked again (kBlocked ends the loop) or
    // come back to a Receive() still kRunning (look again).
    cell->SetState(ActorState::kRunning);
    cell->handle.resume();
  }
  if (cell->handle.done()) {
    OnFinished(cell);
  } else if (ABSL_PREDICT_FALSE(cell->limit != nullptr)) {
    Limits::AdmitWaiters(*this, cell);
  }
}

void DequeScheduler::StepSpecial(uintptr_t tag, Cell* cell,
                                 internal::Payload* payload) {
  if (tag == kStartTag) {
    Start(cell);
    return;
  }
  if (tag >= Envelope::kLimitedTag) {  // A bounded actor's (deque/limit.cc).
    cell->pending.RemoveCounted();
    if (tag == Envelope::kLimitedTag) {
      if (ABSL_PREDICT_TRUE(cell->State() == ActorState::kWaiting)) {
        // As Dispatch() delivers, with the count out and room for waiters.
        --cell->limit->queued;
        cell->promise->inbox = payload;
        ++cell->received;
        cell->handle.resume();
        if (ABSL_PREDICT_FALSE(cell->handle.done())) {
          OnFinished(cell);
        } else if (ABSL_PREDICT_FALSE(!cell->limit->waiters.empty())) {
          Limits::AdmitWaiters(*this, cell);
        }
        return;
      }
      Limits::Deliver(*this, cell, payload);
    } else if (tag == Envelope::kLimitedResumeTag) {
      ResumeWokenRemoved(cell, *payload);
    } else if (cell->State() ==
                   ActorState::kFinished &&  // Envelope::kDroppedTag
               cell->pending.empty()) {
      FreeCell(cell);
    }
    return;
  }
  if (cell->limit != nullptr) {
    cell->pending.RemoveCounted();
  } else {
    cell->pending.Remove();
  }
  // kErrorTag
  auto* slot =
      std::launder(reinterpret_cast<std::exception_ptr*>(payload->bytes));
  std::exception_ptr error = std::move(*slot);
  slot->~exception_ptr();
  DeliverError(cell, std::move(error));
}

void DequeScheduler::DeliverError(Cell* cell, std::exception_ptr error) {
  switch (cell->State()) {
    case ActorState::kWaiting:
      cell->promise->inbox = nullptr;
      cell->promise->delivered_error = std::move(error);
      cell->SetState(ActorState::kRunning);
      cell->handle.resume();
      AfterWake(cell);
      break;
    case ActorState::kFinished:
      RecordDeadLetter(internal::RecordedName(cell->RecipientName()),
                       internal::Undelivered(cell->DisplayName()),
                       ErasedMessage::Of(std::move(error)))
          .IgnoreError();
      if (cell->pending.empty()) FreeCell(cell);
      break;
    default:  // Blocked: delivered at its next Receive().
      cell->GetExtras().stashed_errors.push_back(std::move(error));
      break;
  }
}

void DequeScheduler::Stash(Cell* cell, internal::Payload* payload) {
  auto& stash = cell->GetExtras().stash;
  internal::PayloadRelocator{cell->type}(stash.ReserveBack(), payload);
  stash.CommitBack();
}

void DequeScheduler::Start(Cell* cell) {
  if (cell->limit != nullptr) {
    cell->pending.RemoveCounted();
  } else {
    cell->pending.Remove();
    cell->pending.RestartPeak();  // Its messages' peak, without the start.
  }
  if (cell->State() != ActorState::kStarting) return;
  cell->SetState(ActorState::kWaiting);
  cell->handle.resume();
  if (cell->handle.done()) OnFinished(cell);
}

void DequeScheduler::DeliverToFinished(Cell* cell, internal::Payload* payload) {
  RecordDeadLetter(internal::RecordedName(cell->RecipientName()),
                   internal::Undelivered(cell->DisplayName()),
                   ErasedMessage::Adopt(cell->type, payload))
      .IgnoreError();
  if (cell->pending.empty()) FreeCell(cell);
}

// The deque's side of an actor's end (see internal::ActorEndHooks). As
// before EndActor() existed, the records are made while the actor still
// counts as live, one by one (each pushing out and destroying the oldest
// kept at once, whose destructor may send), and only then is the frame
// destroyed (its parameters' destructors may send too).
struct DequeScheduler::EndHooks {
  DequeScheduler& sched;

  internal::ClosedCell Close(Cell* cell) {
    internal::ClosedCell closed{cell->Generation(), {}, {}, {}};
    if (cell->extras != nullptr) {
      Cell::Extras& extras = *cell->extras;
      for (std::exception_ptr& error : extras.stashed_errors) {
        closed.undelivered.push_back(ErasedMessage::Of(std::move(error)));
      }
      extras.stashed_errors.clear();
      while (!extras.stash.empty()) {
        closed.undelivered.push_back(
            ErasedMessage::Adopt(cell->type, extras.stash.PopFront()));
      }
      closed.monitors = std::exchange(extras.monitors, {});
    }
    return closed;
  }

  void Record(Cell& cell, const std::exception_ptr& exception,
              std::vector<ErasedMessage>& undelivered) {
    internal::RecordKeeper::End end = internal::RecordKeeper::DescribeEnd(
        cell, exception, !undelivered.empty());
    if (end.failure.has_value()) {
      internal::RecordKeeper::Dropped dropped;
      sched.records_.AddFailure(std::move(*end.failure), dropped);
    }
    for (ErasedMessage& message : undelivered) {
      sched.RecordDeadLetter(end.recipient, end.reason, std::move(message))
          .IgnoreError();
    }
    undelivered.clear();
  }

  void Finish(Cell* cell, uint32_t generation) {
    std::exchange(cell->handle, nullptr).destroy();
    cell->promise = nullptr;
    cell->SetState(ActorState::kFinished);
    // From now on every reference to and registry entry for this actor is
    // stale; the generation alone tells (typed sends check nothing else),
    // and the name cache forgets it.
    cell->BumpGeneration();
    if (cell->name != nullptr) {
      sched.name_cache_.Forget(*cell->name, cell);
      // The entry stays a while, so that a send names the actor finished.
      sched.registry_.Retire(*cell->name, {cell, generation});
    }
    --sched.live_actors_;
    // Its messages go to the scheduler's count (see messages_delivered()).
    sched.messages_delivered_ += std::exchange(cell->received, 0);
  }

  void Release(Cell* cell, uint32_t /*generation*/) {
    // Freed once no envelope in the queue names it.
    if (cell->pending.empty()) sched.FreeCell(cell);
  }
};

void DequeScheduler::OnFinished(Cell* cell) {
  if (ABSL_PREDICT_FALSE(cell->limit != nullptr)) {
    Limits::FailWaiters(*this, cell);
  }
  internal::EndActor(cell, EndHooks{*this}, trace_.get());
}

void DequeScheduler::FreeCell(Cell* cell) {
  if (!cell->Reusable()) {  // Retired: it stays, for stale references.
    cell->extras.reset();
    return;
  }
  // The name stays until the cell is reused, for errors about stale
  // references to the actor.
  cells_.Free(cell);
}

}  // namespace coactor
