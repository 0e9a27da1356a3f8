// WorkStealingScheduler's bounded mailboxes (SpawnOptions,
// runtime/spawn_options.h): a send to a bounded actor appends under the
// mailbox lock by its MailboxLimit (internal::LimitedMailbox), or, for a
// worker streaming SendWhenRoom()s, into its outbox on credits (see
// limits.h); waiting senders (SendWhenRoom(), and SendBlocking() from plain
// threads) are linked there and admitted by the receiver's turn as room
// appears (ActorMailbox::BeginTurn()).

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/send_waiter.h"
#include "runtime/internal/limited_mailbox.h"
#include "runtime/internal/mailbox_limit.h"
#include "runtime/internal/send_errors.h"
#include "runtime/trace/tracer.h"
#include "runtime/work_stealing/trace_flows.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

// The status of the last send a bounded mailbox refused or dropped on this
// thread, for the Send() that called Deliver() (limit_pending: one waits).
thread_local absl::Status limit_status;
thread_local bool limit_pending = false;

}  // namespace

bool WorkStealingScheduler::Limits::TakeLimitStatus(absl::Status* status) {
  if (!limit_pending) return false;
  limit_pending = false;
  *status = std::exchange(limit_status, absl::OkStatus());
  return true;
}

WorkStealingScheduler::PushResult WorkStealingScheduler::Limits::AfterLimited(
    WorkStealingScheduler& s, Cell* cell,
    internal::LimitedMailbox::Outcome& out, ErasedMessage* dropped_new) {
  if (out.appended == internal::Appended::kScheduled) s.MakeRunnable(cell);
  using internal::MailboxLimit;
  if (out.action == MailboxLimit::kAdmit || out.action == MailboxLimit::kWait) {
    return PushResult::kQueued;
  }
  internal::LimitedMailbox::Refusal& refusal = *out.refusal;
  std::string recipient = internal::RecordedName(refusal.recipient);
  switch (out.action) {
    case MailboxLimit::kDropOldest:
      s.RecordDeadLetter(std::move(recipient),
                         internal::DroppedOldest(refusal.who, refusal.capacity),
                         std::move(refusal.dropped))
          .IgnoreError();
      return PushResult::kQueued;
    case MailboxLimit::kDropNewest:
      s.RecordDeadLetter(std::move(recipient),
                         internal::DroppedNewest(refusal.who, refusal.capacity),
                         std::move(*dropped_new))
          .IgnoreError();
      limit_status = absl::OkStatus();
      break;
    default:  // kReject
      limit_status = s.RecordDeadLetter(
          std::move(recipient),
          internal::MailboxFull(refusal.who, refusal.capacity,
                                refusal.when_full),
          std::move(*dropped_new));
      break;
  }
  limit_pending = true;
  return PushResult::kLimited;
}

absl::Status WorkStealingScheduler::Limits::PushConverted(
    WorkStealingScheduler& s, std::string_view name, const RegistryEntry& entry,
    const internal::MessageType* sent, void* object) {
  // The type, read under the lock (a bounded actor publishes none); the
  // append re-checks it with the generation.
  const internal::MessageType* type = nullptr;
  {
    internal::MutexLock hold(entry.cell->mailbox_lock());
    if (entry.cell->IsOpenLocked(entry.generation)) type = entry.cell->type;
  }
  const internal::Alternative* alternative =
      type == nullptr || type == sent ? nullptr
                                      : internal::FindAlternative(*type, sent);
  if (type == nullptr || (type != sent && alternative == nullptr)) {
    return type == nullptr ? internal::NameNotLive(name, /*registered=*/true)
                           : internal::WrongType(name, type->name, sent->name);
  }
  Worker* const locals = s.CurrentWorker();
  if (locals != nullptr && locals->running == entry.cell) {
    internal::LimitedMailbox::SettleOwnCount(*entry.cell);  // To itself.
  }
  // Traced: the flow starts (and one dropped for it ends).
  Tracer* const tracer = s.trace_.get();
  internal::LimitedMailbox::Outcome out = internal::LimitedMailbox::AppendAs(
      *entry.cell, entry.generation, type,
      [&](internal::Payload* slot) {
        if (alternative == nullptr) {
          sent->construct_from_object(slot, object);
        } else {
          alternative->construct_from(slot, object);
        }
        if (tracer != nullptr) internal::SlotFlows{tracer, type->name}(slot);
      },
      internal::DroppedFlows{tracer, type->name});
  if (out.appended == internal::Appended::kRefused) {
    return internal::NameNotLive(name, /*registered=*/true);
  }
  if (out.action == internal::MailboxLimit::kReject) {
    // The caller keeps the message as the dead letter.
    const internal::LimitedMailbox::Refusal& refusal = *out.refusal;
    return internal::MailboxFull(refusal.who, refusal.capacity,
                                 refusal.when_full);
  }
  ErasedMessage dropped_new;
  if (out.action == internal::MailboxLimit::kDropNewest) {
    internal::Payload payload;
    sent->construct_from_object(&payload, object);
    dropped_new = ErasedMessage::Adopt(sent, &payload);
  }
  AfterLimited(s, entry.cell, out, &dropped_new);
  absl::Status dropped;  // OK: dropped (recorded) or queued.
  TakeLimitStatus(&dropped);
  return absl::OkStatus();
}

bool WorkStealingScheduler::Limits::FindForSend(WorkStealingScheduler& s,
                                                std::string_view name,
                                                internal::SendWaiter* waiter,
                                                internal::SendTarget* target) {
  RegistryEntry entry;
  absl::Status error;
  if (s.IsShutDown() || !s.LookUp(name, &entry)) {
    error = s.IsShutDown() ? ShutDownError() : s.LookupError(name);
  } else {
    // The type, read under the lock (a bounded actor publishes none); the
    // send re-checks the generation.
    const internal::MessageType* type = nullptr;
    {
      internal::MutexLock hold(entry.cell->mailbox_lock());
      if (entry.cell->IsOpenLocked(entry.generation)) type = entry.cell->type;
    }
    error = type == nullptr ? internal::NameNotLive(name, /*registered=*/true)
                            : internal::CheckSentType(name, type, waiter->type);
    if (error.ok()) {
      *target = {entry.cell, entry.generation, type};
      return true;
    }
  }
  waiter->result =
      s.RecordDeadLetter(internal::RecordedName(name), std::move(error),
                         internal::TakeWaiterMessage(waiter));
  return false;
}

bool WorkStealingScheduler::Limits::SendOrWait(WorkStealingScheduler& s,
                                               internal::ActorCell* to,
                                               uint32_t generation,
                                               internal::SendWaiter* waiter) {
  return AppendWaiter(s, to, generation, waiter, /*may_wait=*/true,
                      s.CurrentWorker());
}

// AppendWaiter()'s append in a trace: the message queued starts its flow.
internal::LimitedMailbox::Outcome WorkStealingScheduler::Limits::AppendTraced(
    Cell* cell, uint32_t generation, internal::SendWaiter* waiter,
    bool may_wait, Tracer* tracer, uint32_t credits_wanted) {
  // The type's name, read under the lock at the append.
  const internal::SlotFlows flows{tracer, waiter->type->name};
  const internal::DroppedFlows dropped{tracer, waiter->type->name};
  return may_wait
             ? internal::LimitedMailbox::AppendOrWait(*cell, generation, waiter,
                                                      flows, dropped)
             : internal::LimitedMailbox::AppendIfRoom(
                   *cell, generation, waiter, flows, credits_wanted, dropped);
}

uint32_t WorkStealingScheduler::Limits::CreditsWanted(Worker& locals,
                                                      Cell* cell,
                                                      uint32_t generation) {
  // Relaxed: the owner's own count.
  const uint32_t progress = locals.progress.load(std::memory_order_relaxed);
  const bool again = locals.credit_hint == cell &&
                     locals.credit_hint_generation == generation &&
                     locals.credit_hint_progress == progress;
  locals.credit_hint = cell;
  locals.credit_hint_generation = generation;
  locals.credit_hint_progress = progress;
  // As many as the outbox holds (the limit gives at most half its room):
  // the batches that came out fastest (counting at 2 workers, 256 of
  // capacity 1,024: 53 M msgs/s; 512: 62 M).
  return again ? Outbox::kMessages : 0;
}

void WorkStealingScheduler::Limits::CreditedProgress(WorkStealingScheduler& s,
                                                     Worker& locals,
                                                     uint32_t left) {
  // A batch of credits lasts long enough for idle workers to think the
  // sender stuck and take its outbox over (a heavy fence each): show them
  // progress, as the outbox's own flushes of a flood do.
  locals.Progress();
  if (left != 0) return;
  s.FlushOutbox(locals.outbox, FlushPoint::kMidTurn, &locals);
  // Its next send asks for credits again at once (the flush counted as
  // progress).
  // Relaxed: the owner's own count.
  locals.credit_hint_progress = locals.progress.load(std::memory_order_relaxed);
}

void WorkStealingScheduler::Limits::Grant(WorkStealingScheduler& s,
                                          Worker& locals, Cell* cell,
                                          uint32_t generation,
                                          const internal::MessageType* type,
                                          uint32_t credits) {
  bool granted;
  if (!s.takeover_) {  // The outbox is this worker's alone.
    granted = locals.outbox.Grant(cell, generation, type, credits);
  } else {
    internal::BiasedLock::OwnerHold hold(locals.outbox_lock);
    granted = locals.outbox.Grant(cell, generation, type, credits);
    if (granted) s.NoteOutboxPending(locals);
  }
  if (granted) return;
  // No place in the outbox: they go back at once.
  const internal::Appended appended = internal::LimitedMailbox::AppendCredited(
      *cell, generation, /*count=*/0, credits, internal::PayloadRelocator{type},
      [](auto&&) {}, [](bool) {});
  if (appended == internal::Appended::kScheduled) s.MakeRunnable(cell);
}

bool WorkStealingScheduler::Limits::AppendWaiter(
    WorkStealingScheduler& s, internal::ActorCell* to, uint32_t generation,
    internal::SendWaiter* waiter, bool may_wait, Worker* on_worker) {
  Cell* cell = static_cast<Cell*>(to);
  const bool ours =
      to != nullptr && static_cast<const void*>(to->runtime) == s.Identity();
  Worker* const locals = ours ? on_worker : nullptr;
  uint32_t credits_wanted = 0;
  if (locals != nullptr) {
    // Earlier sends to the same actor may wait in this worker's outbox
    // (credited, SendIfRoom() having found no credit left).
    // In a turn, as the outbox's own flushes: a flood's receivers go
    // where idle workers steal them (FlushOutboxOf()).
    s.FlushOwnOutbox(*locals, locals->running != nullptr
                                  ? FlushPoint::kMidTurn
                                  : FlushPoint::kTurnEnd);
    if (!may_wait) credits_wanted = CreditsWanted(*locals, cell, generation);
    if (locals->running == cell) {
      internal::LimitedMailbox::SettleOwnCount(*cell);  // To itself.
    }
  }
  // Initialised, not assigned: a move-assignment of its strings cost 7% of
  // a bounded send (perf, counting at 2 workers).
  Tracer* const tracer = ours ? s.trace_.get() : nullptr;
  internal::LimitedMailbox::Outcome out =
      !ours               ? internal::LimitedMailbox::Outcome{}
      : tracer != nullptr ? AppendTraced(cell, generation, waiter, may_wait,
                                         tracer, credits_wanted)
      : may_wait
          ? internal::LimitedMailbox::AppendOrWait(*cell, generation, waiter)
          : internal::LimitedMailbox::AppendIfRoom(*cell, generation, waiter,
                                                   internal::NoSlotCallback{},
                                                   credits_wanted);
  if (out.appended == internal::Appended::kRefused) {
    waiter->result = s.RecordDeadRefLetter(to, generation,
                                           internal::TakeWaiterMessage(waiter));
    return false;
  }
  if (ABSL_PREDICT_TRUE(out.Admitted())) {  // Without AfterLimited()'s call.
    if (out.appended == internal::Appended::kScheduled) {
      // Stealable in a flood, as FlushOutboxOf() makes its receivers.
      s.MakeRunnable(cell, locals != nullptr &&
                               (locals->Flooding() || credits_wanted != 0));
    }
    if (out.credits != 0) {
      Grant(s, *locals, cell, generation, waiter->type, out.credits);
    }
    waiter->result = absl::OkStatus();
    return false;
  }
  if (out.action == internal::MailboxLimit::kWait) return true;
  ErasedMessage dropped_new;
  if (waiter->holds_message) {  // Refused or dropped: not queued.
    dropped_new = internal::TakeWaiterMessage(waiter);
  }
  waiter->result = absl::OkStatus();
  if (AfterLimited(s, cell, out, &dropped_new) != PushResult::kQueued) {
    TakeLimitStatus(&waiter->result);
  }
  return false;
}

bool WorkStealingScheduler::Limits::Withdraw(WorkStealingScheduler& s,
                                             internal::ActorCell* to,
                                             internal::SendWaiter* waiter) {
  return internal::LimitedMailbox::Withdraw(*static_cast<Cell*>(to), waiter);
}

absl::Status WorkStealingScheduler::Limits::SendBlocking(
    WorkStealingScheduler& s, internal::ActorCell* to, uint32_t generation,
    internal::SendWaiter* waiter, absl::Duration timeout) {
  if (s.CurrentWorker() != nullptr || timeout == absl::InfiniteDuration() ||
      timeout < absl::ZeroDuration()) {
    const bool inside = s.CurrentWorker() != nullptr;
    absl::Status reason =
        inside ? absl::FailedPreconditionError(
                     "SendBlocking() inside an actor would block its worker: "
                     "co_await coactor::SendWhenRoom() instead")
               : absl::InvalidArgumentError(
                     "SendBlocking() needs a finite, non-negative timeout");
    std::string recipient = "(SendBlocking)";
    if (to != nullptr &&
        static_cast<const void*>(to->runtime) == s.Identity()) {
      internal::MutexLock hold(static_cast<Cell*>(to)->mailbox_lock());
      recipient = to->RecipientName();
    }
    return s.RecordDeadLetter(internal::RecordedName(recipient),
                              std::move(reason),
                              internal::TakeWaiterMessage(waiter));
  }
  struct ThreadWake {
    std::mutex mutex;
    std::condition_variable woken_cv;
    bool woken = false;
  } wake;
  waiter->wake = [](internal::SendWaiter* self) {
    auto* wake = static_cast<ThreadWake*>(self->wake_argument);
    // Notified under the lock: the waiting thread cannot see `woken` (and
    // return, destroying `wake`) before this call is done with it.
    std::lock_guard<std::mutex> hold(wake->mutex);
    wake->woken = true;
    wake->woken_cv.notify_one();
  };
  waiter->wake_argument = &wake;
  if (!SendOrWait(s, to, generation, waiter)) return waiter->result;
  std::unique_lock<std::mutex> hold(wake.mutex);
  if (wake.woken_cv.wait_for(hold, absl::ToChronoNanoseconds(timeout),
                             [&] { return wake.woken; })) {
    return waiter->result;
  }
  hold.unlock();
  auto* cell = static_cast<Cell*>(to);
  if (!Withdraw(s, to, waiter)) {
    // Admitted or refused meanwhile: its wake-up is on its way.
    hold.lock();
    wake.woken_cv.wait(hold, [&] { return wake.woken; });
    return waiter->result;
  }
  std::string who, recipient;
  {
    internal::MutexLock cell_hold(cell->mailbox_lock());
    who = cell->DisplayName();
    recipient = cell->RecipientName();
  }
  return s.RecordDeadLetter(
      internal::RecordedName(recipient),
      absl::DeadlineExceededError("SendBlocking(): no room in the mailbox of " +
                                  who + " within " +
                                  absl::FormatDuration(timeout)),
      internal::TakeWaiterMessage(waiter));
}

void WorkStealingScheduler::Limits::FailWaiters(
    WorkStealingScheduler& s, const std::vector<internal::SendWaiter*>& waiters,
    const std::string& who, const std::string& recipient) {
  internal::FailWaiters(waiters, internal::FinishedWhileWaiting(who),
                        [&](ErasedMessage message, const absl::Status& reason) {
                          s.RecordDeadLetter(internal::RecordedName(recipient),
                                             reason, std::move(message))
                              .IgnoreError();
                        });
}

void WorkStealingScheduler::Limits::EndWaitersAtShutdown(
    WorkStealingScheduler& s, Cell& cell) {
  std::vector<internal::SendWaiter*> threads;
  for (internal::SendWaiter* waiter :
       internal::LimitedMailbox::TakeWaiters(cell)) {
    if (waiter->sender == nullptr) threads.push_back(waiter);
  }
  if (threads.empty()) return;
  std::string recipient;
  {
    internal::MutexLock hold(cell.mailbox_lock());
    recipient = cell.RecipientName();
  }
  internal::FailWaiters(threads, s.ShutDownError(),
                        [&](ErasedMessage message, const absl::Status& reason) {
                          s.RecordDeadLetter(internal::RecordedName(recipient),
                                             reason, std::move(message))
                              .IgnoreError();
                        });
}

absl::Status WorkStealingScheduler::Limits::WaitingSendersError(
    WorkStealingScheduler& s) {
  std::string text;
  internal::MutexLock pool_hold(s.pool_mutex_);
  for (Cell& cell : s.cells_) {
    internal::MutexLock hold(cell.mailbox_lock());
    const internal::MailboxLimit* limit =
        internal::LimitedMailbox::LimitLocked(cell);
    if (limit == nullptr || cell.IsClosedLocked()) continue;
    for (const internal::SendWaiter* waiter = limit->waiters.front();
         waiter != nullptr; waiter = waiter->next) {
      if (waiter->sender == nullptr) continue;  // A thread: not stuck here.
      // As the deque says it (at quiescence the count is exact: no turn
      // is under way), with the places set aside for credits if any.
      text += " " + waiter->sender->DisplayName() + " waits for room in " +
              cell.DisplayName() + " (" +
              std::to_string(internal::LimitedMailbox::DepthLocked(cell)) +
              " of " + std::to_string(limit->capacity()) + " queued";
      if (limit->set_aside() != 0) {
        text += ", " + std::to_string(limit->set_aside()) + " set aside";
      }
      text += cell.State() == internal::ActorState::kBlocked
                  ? ", itself waiting);"
                  : ");";
    }
  }
  if (text.empty()) return absl::OkStatus();
  text.pop_back();
  return absl::FailedPreconditionError(
      "deadlock: senders wait for room in full mailboxes and nothing else "
      "can run:" +
      text);
}

}  // namespace coactor
