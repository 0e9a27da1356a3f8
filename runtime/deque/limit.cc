// DequeScheduler's bounded mailboxes (SpawnOptions, runtime/spawn_options.h):
// every entry for a bounded actor reaches AtPeak() (its EntryCount is in
// counted mode, runtime/deque/entry_count.h), which decides by its
// MailboxLimit and tags its messages Envelope::kLimitedTag; their delivery
// (StepSpecial(), Deliver()) counts them out and admits waiting senders
// (SendOrWait()) as room appears. SendWhenRoom() with room
// (SendIfRoom()) appends tagged and counted at once (AppendAdmitted()). An
// unbounded actor's new peak is raised inline, in EnqueueEnvelope()
// (runtime/deque/send_inl.h).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/send_waiter.h"
#include "runtime/deque/limits.h"
#include "runtime/deque_scheduler.h"
#include "runtime/internal/mailbox_limit.h"
#include "runtime/internal/payload_relocator.h"
#include "runtime/internal/send_errors.h"

namespace coactor {

using internal::ActorState;
using internal::MailboxLimit;

absl::Status DequeScheduler::TakeLimitStatus() {
  limits_.pending = false;
  return std::exchange(limits_.status, absl::OkStatus());
}

bool DequeScheduler::AtPeak(Envelope* envelope) {
  auto* cell = reinterpret_cast<Cell*>(envelope->target & ~kTagMask);
  if (ABSL_PREDICT_TRUE(cell->limit == nullptr)) {
    cell->pending.RaisePeak();
    return true;
  }
  return AtLimit(envelope);
}

bool DequeScheduler::AtLimit(Envelope* envelope) {
  auto* cell = reinterpret_cast<Cell*>(envelope->target & ~kTagMask);
  MailboxLimit* limit = cell->limit.get();
  const uintptr_t tag = envelope->target & kTagMask;
  if (tag != 0) {
    cell->pending.RaisePeak();
    if (tag == kResumeTag) {
      envelope->target =
          (envelope->target & ~kTagMask) | Envelope::kLimitedResumeTag;
    }
    return true;  // Starts, errors, wake-ups: never limited.
  }
  const MailboxLimit::Action action = limit->Decide(limit->queued, false);
  if (action == MailboxLimit::kAdmit || action == MailboxLimit::kDropOldest) {
    envelope->target |= Envelope::kLimitedTag;
    cell->pending.RaisePeak();
    ++limit->queued;
    if (action == MailboxLimit::kAdmit) {
      limit->Admitted(limit->queued);
      return true;
    }
    // After the new one is queued: a send from a dead letter's destructor
    // (a record pushed out) cannot take its slot. The peak is noted after
    // the drop: one in, one out, never above the capacity.
    Limits::DropOldest(*this, cell);
    limit->Admitted(limit->queued);
    limits_.status = absl::OkStatus();
    limits_.pending = true;
    return false;
  }
  // Not taken: back out of the FIFO, into a dead letter.
  queue_.UncommitBack();
  cell->pending.UndoAdd();
  ErasedMessage message = ErasedMessage::Adopt(cell->type, &envelope->payload);
  const std::string who = cell->DisplayName();
  absl::Status reason =
      action == MailboxLimit::kDropNewest
          ? internal::DroppedNewest(who, limit->capacity())
          : internal::MailboxFull(who, limit->capacity(), limit->when_full());
  limits_.status =
      action == MailboxLimit::kDropNewest ? absl::OkStatus() : reason;
  limits_.pending = true;
  RecordDeadLetter(internal::RecordedName(cell->RecipientName()),
                   std::move(reason), std::move(message))
      .IgnoreError();
  return false;
}

bool DequeScheduler::Limits::DropOldest(DequeScheduler& s, Cell* cell) {
  // The oldest is the first of the stash (messages that came while it was
  // blocked), else its first message in the FIFO, which becomes a
  // Envelope::kDroppedTag entry (it keeps its place; its step only counts it
  // out).
  ErasedMessage oldest;
  bool found = false;
  if (cell->extras != nullptr && !cell->extras->stash.empty()) {
    oldest = ErasedMessage::Adopt(cell->type, cell->extras->stash.PopFront());
    found = true;
  } else {
    const uintptr_t limited =
        reinterpret_cast<uintptr_t>(cell) | Envelope::kLimitedTag;
    s.queue_.ForEachFrom(s.queue_.front_position(), [&](Envelope& envelope) {
      if (envelope.target != limited) return false;
      oldest = ErasedMessage::Adopt(cell->type, &envelope.payload);
      envelope.target =
          reinterpret_cast<uintptr_t>(cell) | Envelope::kDroppedTag;
      found = true;
      return true;
    });
  }
  if (!found) return false;
  --cell->limit->queued;
  s.RecordDeadLetter(
       internal::RecordedName(cell->RecipientName()),
       internal::DroppedOldest(cell->DisplayName(), cell->limit->capacity()),
       std::move(oldest))
      .IgnoreError();
  return true;
}

void DequeScheduler::Limits::Deliver(DequeScheduler& s, Cell* cell,
                                     internal::Payload* payload) {
  // (Waiting: StepSpecial() delivers it inline.)
  if (cell->State() == ActorState::kFinished) {
    --cell->limit->queued;
    s.DeliverToFinished(cell, payload);
  } else {  // Blocked: kept for its Receive(), still counted.
    s.Stash(cell, payload);
  }
}

void DequeScheduler::Limits::AppendAdmitted(DequeScheduler& s, Cell* cell,
                                            internal::SendWaiter* waiter) {
  Envelope* envelope = s.queue_.ReserveBack();
  internal::MoveWaiterMessage(waiter, &envelope->payload);
  envelope->target = reinterpret_cast<uintptr_t>(cell) | Envelope::kLimitedTag;
  s.queue_.CommitBack();
  cell->pending.AddCounted();
  cell->limit->Admitted(++cell->limit->queued);
  waiter->result = absl::OkStatus();
}

void DequeScheduler::Limits::AdmitWaiters(DequeScheduler& s, Cell* cell) {
  MailboxLimit& limit = *cell->limit;
  while (!limit.waiters.empty() && limit.queued < limit.capacity()) {
    internal::SendWaiter* waiter = limit.waiters.PopFront();
    --s.limits_.waiting_senders;
    AppendAdmitted(s, cell, waiter);
    waiter->wake(waiter);
  }
}

void DequeScheduler::Limits::FailWaiters(DequeScheduler& s, Cell* cell) {
  MailboxLimit& limit = *cell->limit;
  if (limit.waiters.empty()) return;
  const std::string recipient = internal::RecordedName(cell->RecipientName());
  std::vector<internal::SendWaiter*> waiters;
  while (internal::SendWaiter* waiter = limit.waiters.PopFront()) {
    waiters.push_back(waiter);
  }
  internal::FailWaiters(
      waiters, internal::FinishedWhileWaiting(cell->DisplayName()),
      [&](ErasedMessage message, const absl::Status& reason) {
        --s.limits_.waiting_senders;
        s.RecordDeadLetter(recipient, reason, std::move(message)).IgnoreError();
      });
}

bool DequeScheduler::Limits::FindForSend(DequeScheduler& s,
                                         std::string_view name,
                                         internal::SendWaiter* waiter,
                                         internal::SendTarget* target) {
  Cell* cell = s.FindLive(name);
  absl::Status error =
      cell == nullptr ? s.LookupError(name)
                      : internal::CheckSentType(name, cell->type, waiter->type);
  if (error.ok()) {
    *target = {cell, cell->Generation(), cell->type};
    return true;
  }
  waiter->result =
      s.RecordDeadLetter(internal::RecordedName(name), std::move(error),
                         internal::TakeWaiterMessage(waiter));
  return false;
}

bool DequeScheduler::Limits::SendIfRoom(DequeScheduler& s,
                                        internal::ActorCell* to,
                                        uint32_t generation,
                                        internal::SendWaiter* waiter) {
  if (ABSL_PREDICT_TRUE(to != nullptr &&
                        static_cast<const void*>(to->runtime) == s.Identity() &&
                        to->Generation() == generation)) {
    auto* cell = static_cast<Cell*>(to);
    MailboxLimit* limit = cell->limit.get();
    if (ABSL_PREDICT_TRUE(limit != nullptr && limit->HasRoom(limit->queued))) {
      AppendAdmitted(s, cell, waiter);
      return true;
    }
    // Full, and it would wait: SendOrWait() decides, after the suspension.
    if (limit != nullptr && limit->when_full() == WhenFull::kBackpressure) {
      return false;
    }
  }
  SendOrWait(s, to, generation, waiter);  // Never waits here.
  return true;
}

bool DequeScheduler::Limits::SendOrWait(DequeScheduler& s,
                                        internal::ActorCell* to,
                                        uint32_t generation,
                                        internal::SendWaiter* waiter) {
  if (to == nullptr || static_cast<const void*>(to->runtime) != s.Identity() ||
      to->Generation() != generation) {
    internal::DeadReference dead = s.DescribeDeadRef(to, generation);
    waiter->result =
        s.RecordDeadLetter(std::move(dead.recipient), std::move(dead.reason),
                           internal::TakeWaiterMessage(waiter));
    return false;
  }
  auto* cell = static_cast<Cell*>(to);
  MailboxLimit* limit = cell->limit.get();
  if (limit != nullptr && limit->when_full() == WhenFull::kBackpressure &&
      limit->Decide(limit->queued, /*may_wait=*/true) == MailboxLimit::kWait) {
    limit->waiters.PushBack(waiter);
    ++s.limits_.waiting_senders;
    return true;
  }
  // Room, or no backpressure: as Send() does.
  const bool queued =
      s.EnqueueEnvelope(cell, 0, [&](internal::Payload& payload) {
        internal::MoveWaiterMessage(waiter, &payload);
      });
  waiter->result = queued ? absl::OkStatus() : s.TakeLimitStatus();
  return false;
}

bool DequeScheduler::Limits::Withdraw(DequeScheduler& s,
                                      internal::ActorCell* to,
                                      internal::SendWaiter* waiter) {
  if (!waiter->linked) return false;
  static_cast<Cell*>(to)->limit->waiters.Remove(waiter);
  --s.limits_.waiting_senders;
  return true;
}

absl::Status DequeScheduler::Limits::SendBlocking(DequeScheduler& s,
                                                  internal::ActorCell* to,
                                                  uint32_t generation,
                                                  internal::SendWaiter* waiter,
                                                  absl::Duration /*timeout*/) {
  if (!SendOrWait(s, to, generation, waiter)) return waiter->result;
  // Full: waiting here would wait for ever, since the actors that could
  // make room run on this thread (or, from another thread, the call is a
  // data race; Post() is the way in).
  Withdraw(s, to, waiter);
  auto* cell = static_cast<Cell*>(to);
  ErasedMessage message = internal::TakeWaiterMessage(waiter);
  return s.RecordDeadLetter(
      internal::RecordedName(cell->RecipientName()),
      absl::FailedPreconditionError(
          "SendBlocking(): the mailbox of " + cell->DisplayName() +
          " is full, and a DequeScheduler cannot wait for room: its actors "
          "run on the thread that would wait (inside an actor, co_await "
          "coactor::SendWhenRoom())"),
      std::move(message));
}

absl::Status DequeScheduler::Limits::WaitingSendersError(
    const DequeScheduler& s) {
  std::string text =
      "deadlock: senders wait for room in full mailboxes and nothing else "
      "can run:";
  for (const Cell& cell : s.cells_) {
    if (cell.limit == nullptr || cell.State() == ActorState::kFinished) {
      continue;
    }
    for (const internal::SendWaiter* waiter = cell.limit->waiters.front();
         waiter != nullptr; waiter = waiter->next) {
      text += " ";
      text += waiter->sender != nullptr ? waiter->sender->DisplayName()
                                        : std::string("(a thread)");
      text += " waits for room in " + cell.DisplayName() + " (" +
              std::to_string(cell.limit->queued) + " of " +
              std::to_string(cell.limit->capacity()) + " queued";
      const bool blocked = cell.State() == ActorState::kBlocked;
      text += blocked ? ", itself waiting);" : ");";
    }
  }
  text.pop_back();
  return absl::FailedPreconditionError(text);
}

}  // namespace coactor
