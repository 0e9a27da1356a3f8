// DequeScheduler::Limits: the deque scheduler's bounded mailboxes
// (SpawnOptions), defined in deque/limit.cc. Every entry for a bounded actor
// reaches DequeScheduler::AtPeak() (its EntryCount is in counted mode,
// deque/entry_count.h), which decides by its MailboxLimit and tags its
// messages Envelope::kLimitedTag; their step (Deliver()) counts them out and
// admits waiting senders as room appears.
//
// Not to be included directly: include runtime/deque_scheduler.h.
//
// Thread-safety: the loop's thread only.
#ifndef COACTOR_RUNTIME_DEQUE_LIMITS_H_
#define COACTOR_RUNTIME_DEQUE_LIMITS_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/message_type.h"
#include "actors/internal/send_waiter.h"
#include "runtime/deque_scheduler.h"

namespace coactor {

class DequeScheduler::Limits {
 public:
  // The step of a bounded actor's message when the actor is not waiting
  // in a Receive() (StepSpecial() delivers that case inline): stashed
  // (still counted) or a dead letter.
  static void Deliver(DequeScheduler& s, Cell* cell,
                      internal::Payload* payload);
  // Queues the message `waiter` holds for `cell`, which has room (its
  // MailboxLimit said so): tagged, counted, without another decision.
  static void AppendAdmitted(DequeScheduler& s, Cell* cell,
                             internal::SendWaiter* waiter);
  // Drops the oldest queued message of `cell` as a dead letter.
  static bool DropOldest(DequeScheduler& s, Cell* cell);
  // Queues waiting senders' messages while there is room, and wakes them.
  static void AdmitWaiters(DequeScheduler& s, Cell* cell);
  // The actor of `cell` ended: its waiting senders fail (dead letters).
  static void FailWaiters(DequeScheduler& s, Cell* cell);
  // internal::Runtime's SendOrWait() and WithdrawWaiter(), and
  // SchedulerApi::SendBlocking() (refused here when it would wait).
  static bool SendOrWait(DequeScheduler& s, internal::ActorCell* to,
                         uint32_t generation, internal::SendWaiter* waiter);
  static bool FindForSend(DequeScheduler& s, std::string_view name,
                          internal::SendWaiter* waiter,
                          internal::SendTarget* target);
  static bool SendIfRoom(DequeScheduler& s, internal::ActorCell* to,
                         uint32_t generation, internal::SendWaiter* waiter);
  static bool Withdraw(DequeScheduler& s, internal::ActorCell* to,
                       internal::SendWaiter* waiter);
  static absl::Status SendBlocking(DequeScheduler& s, internal::ActorCell* to,
                                   uint32_t generation,
                                   internal::SendWaiter* waiter,
                                   absl::Duration timeout);
  // What Run() returns when it ran out of work with senders waiting.
  static absl::Status WaitingSendersError(const DequeScheduler& s);
};

}  // namespace coactor

#endif  // COACTOR_RUNTIME_DEQUE_LIMITS_H_
