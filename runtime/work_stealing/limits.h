// WorkStealingScheduler::Limits: the work-stealing scheduler's bounded
// mailboxes (SpawnOptions), defined in work_stealing/limit.cc but for the
// send template below. A send to a bounded actor takes the slow path (by
// reference: ActorMailbox::Limited() after LiveCell(); by name: the actor
// publishes no type, so LooksLive() fails and PushConverted() comes here),
// flushes the sender's outbox and appends under the mailbox lock by its
// MailboxLimit (internal::LimitedMailbox); so the fast paths test nothing
// more. Waiting senders (SendWhenRoom(), SendBlocking() from plain threads)
// are linked there and admitted by the receiver's turn as room appears
// (ActorMailbox::BeginTurn()). A refusal is PushResult::kLimited, its
// status kept per thread until TakeLimitStatus().
//
// Credits: a worker whose SendWhenRoom()s stream to one backpressure actor
// (a second send to it since the last turn start or flush) is given places
// the mailbox sets aside (MailboxLimit::SetAside(), at most half its
// capacity); its next sends go into its outbox without the lock
// (SendCredited(), inline from SendIfRoom()), and the outbox's flush hands
// them over and gives back what is left (LimitedMailbox::AppendCredited()):
// one lock per batch, not per message.
//
// Not to be included directly: include runtime/work_stealing_scheduler.h.
//
// Thread-safety: any thread, as the scheduler's sends.
#ifndef COACTOR_RUNTIME_WORK_STEALING_LIMITS_H_
#define COACTOR_RUNTIME_WORK_STEALING_LIMITS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/send_waiter.h"
#include "runtime/erased_message.h"
#include "runtime/internal/limited_mailbox.h"
#include "runtime/internal/mailbox_limit.h"
#include "runtime/trace/tracer.h"
#include "runtime/work_stealing/trace_flows.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {

class WorkStealingScheduler::Limits {
 public:
  // A send to the bounded actor of `generation` in `cell`.
  template <typename Msg, typename... Args>
  ABSL_ATTRIBUTE_NOINLINE static PushResult Deliver(WorkStealingScheduler& s,
                                                    Cell* cell,
                                                    uint32_t generation,
                                                    Args&&... args) {
    // Earlier sends to the same actor may wait in this worker's outbox
    // (credited: SendCredited()).
    if (Worker* locals = s.CurrentWorker()) {
      s.FlushOwnOutbox(*locals);
      if (locals->running == cell)
        internal::LimitedMailbox::SettleOwnCount(*cell);
    }
    // Traced, the message queued starts its flow (and one dropped for it
    // ends).
    Tracer* const tracer = s.trace_.get();
    const internal::MessageType* const type = internal::MessageTypeOf<Msg>();
    internal::LimitedMailbox::Outcome out = internal::LimitedMailbox::AppendAs(
        *cell, generation, type,
        [&](internal::Payload* slot) {
          internal::ConstructPayload<Msg>(slot, std::forward<Args>(args)...);
          if (tracer != nullptr) {
            internal::SlotFlows{tracer, type->name}(slot);
          }
        },
        internal::DroppedFlows{tracer, type->name});
    if (out.appended == internal::Appended::kRefused) {
      return PushResult::kRefused;
    }
    ErasedMessage dropped_new;
    if (out.action == internal::MailboxLimit::kReject ||
        out.action == internal::MailboxLimit::kDropNewest) {
      // Not queued: `args` were left alone.
      dropped_new = ErasedMessage::Of(Msg(std::forward<Args>(args)...));
    }
    return AfterLimited(s, cell, out, &dropped_new);
  }
  // What an append left to do: make the actor runnable, record what was
  // dropped (`dropped_new`: the new message, if so). kLimited if the new
  // message was refused or dropped.
  static PushResult AfterLimited(WorkStealingScheduler& s, Cell* cell,
                                 internal::LimitedMailbox::Outcome& out,
                                 ErasedMessage* dropped_new);
  // The status of a send a bounded mailbox refused or dropped on this
  // thread, if one is pending (then the message was used up).
  static bool TakeLimitStatus(absl::Status* status);
  // PushConverted() to a bounded actor (a send by name).
  static absl::Status PushConverted(WorkStealingScheduler& s,
                                    std::string_view name,
                                    const RegistryEntry& entry,
                                    const internal::MessageType* sent,
                                    void* object);
  // internal::Runtime's SendOrWait() and WithdrawWaiter(), and
  // SchedulerApi::SendBlocking().
  static bool SendOrWait(WorkStealingScheduler& s, internal::ActorCell* to,
                         uint32_t generation, internal::SendWaiter* waiter);
  static bool FindForSend(WorkStealingScheduler& s, std::string_view name,
                          internal::SendWaiter* waiter,
                          internal::SendTarget* target);
  // On a credit, into the outbox (inline: a flood's every message comes
  // here); else AppendWaiter().
  ABSL_ATTRIBUTE_ALWAYS_INLINE static bool SendIfRoom(
      WorkStealingScheduler& s, internal::ActorCell* to, uint32_t generation,
      internal::SendWaiter* waiter) {
    // `to` is only compared: a cell that is not this scheduler's has no
    // credits. The waiter's result stays OK, as a SendWhenRoom() begins.
    Worker* const locals = s.CurrentWorker();
    if (locals != nullptr) {
      Cell* cell = static_cast<Cell*>(to);
      if (!s.takeover_) {  // The outbox is this worker's alone.
        if (SendCredited(s, *locals, cell, generation, waiter)) return true;
      } else {
        internal::BiasedLock::OwnerHold hold(locals->outbox_lock);
        if (SendCredited(s, *locals, cell, generation, waiter)) {
          s.NoteOutboxPending(*locals);
          return true;
        }
      }
    }
    return !AppendWaiter(s, to, generation, waiter, /*may_wait=*/false, locals);
  }
  // SendIfRoom() (`may_wait` false: true where it would wait, nothing
  // done) and SendOrWait(); `locals`: the calling worker, if any.
  static bool AppendWaiter(WorkStealingScheduler& s, internal::ActorCell* to,
                           uint32_t generation, internal::SendWaiter* waiter,
                           bool may_wait, Worker* locals);
  static internal::LimitedMailbox::Outcome AppendTraced(
      Cell* cell, uint32_t generation, internal::SendWaiter* waiter,
      bool may_wait, Tracer* tracer, uint32_t credits_wanted);
  // Credits (MailboxLimit::SetAside()): a worker that sends on to the same
  // bounded actor puts the messages into its outbox, up to the places the
  // mailbox set aside for it, and the flush gives back what is left
  // (LimitedMailbox::AppendCredited()), so that a flood takes the lock once
  // per batch. The credits asked for by a send to the actor of
  // `generation` in `cell` (0 for the first since the last turn or flush).
  static uint32_t CreditsWanted(Worker& locals, Cell* cell,
                                uint32_t generation);
  // The message `waiter` holds, into the outbox on a credit for that actor,
  // if one is left: true if so. Under the outbox's hold (takeover_).
  ABSL_ATTRIBUTE_ALWAYS_INLINE static bool SendCredited(
      WorkStealingScheduler& s, Worker& locals, Cell* cell, uint32_t generation,
      internal::SendWaiter* waiter) {
    internal::Payload* slot = locals.outbox.ReserveCredited(cell, generation);
    if (slot == nullptr) return false;
    internal::MoveWaiterMessage(waiter, slot);
    const uint32_t left = locals.outbox.CommitCredited();
    if (ABSL_PREDICT_FALSE(left % kProgressEvery == 0)) {
      CreditedProgress(s, locals, left);
    }
    return true;
  }
  // Credited sends between two signs of progress (Worker::Progress()).
  static constexpr uint32_t kProgressEvery = 64;
  // Every kProgressEvery credited sends: shows progress, and flushes the
  // outbox if its batch used its last credit (`left` 0).
  static void CreditedProgress(WorkStealingScheduler& s, Worker& locals,
                               uint32_t left);
  // Hands the outbox `credits` the mailbox set aside (or gives them back).
  static void Grant(WorkStealingScheduler& s, Worker& locals, Cell* cell,
                    uint32_t generation, const internal::MessageType* type,
                    uint32_t credits);
  static bool Withdraw(WorkStealingScheduler& s, internal::ActorCell* to,
                       internal::SendWaiter* waiter);
  static absl::Status SendBlocking(WorkStealingScheduler& s,
                                   internal::ActorCell* to, uint32_t generation,
                                   internal::SendWaiter* waiter,
                                   absl::Duration timeout);
  // An actor ended with senders waiting: they fail (dead letters).
  static void FailWaiters(WorkStealingScheduler& s,
                          const std::vector<internal::SendWaiter*>& waiters,
                          const std::string& who, const std::string& recipient);
  // Shutdown(): unlinks every waiter of `cell`; a thread's fails (its
  // message a dead letter), an actor's stays with its frame.
  static void EndWaitersAtShutdown(WorkStealingScheduler& s, Cell& cell);
  // At quiescence: an error naming actors that wait for room, if any.
  static absl::Status WaitingSendersError(WorkStealingScheduler& s);
};

}  // namespace coactor

#endif  // COACTOR_RUNTIME_WORK_STEALING_LIMITS_H_
