// LimitedMailbox is the bounded part of work stealing's ActorMailbox
// (actor_mailbox.h, which includes this at its end): the appends that check
// a MailboxLimit under the mailbox lock, and the admission of waiting
// senders where a turn finds room (BeginTurn(): the inbox refilled, or both
// queues empty). A bounded mailbox is never appended to through the running
// actor's own inbox, and through an outbox only on credits, places its
// limit set aside under the lock (AppendIfRoom()'s `credits_wanted`) and
// takes back with the batch (AppendCredited()): every send to it comes
// here, so its count (ActorCounters::DepthLocked()) plus what is set aside
// is checked in one place.
//
//   LimitedMailbox::Outcome out = LimitedMailbox::Append<Msg>(*cell, gen, m);
//   if (out.appended == Appended::kScheduled) MakeRunnable(cell);
//   // out.action: kAdmit, kDropOldest (out.refusal->dropped: the oldest), or
//   // kReject / kDropNewest (nothing queued: `m` is left alone).
//
// Thread-safety: the appends (AppendCredited() too) from any thread; the
// rest as ActorMailbox says (the worker running the actor).
#ifndef COACTOR_RUNTIME_INTERNAL_LIMITED_MAILBOX_H_
#define COACTOR_RUNTIME_INTERNAL_LIMITED_MAILBOX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/internal/message_type.h"
#include "actors/internal/send_waiter.h"
#include "runtime/erased_message.h"
#include "runtime/internal/actor_mailbox.h"
#include "runtime/internal/mailbox_limit.h"
#include "runtime/internal/payload_relocator.h"

namespace coactor::internal {

class LimitedMailbox {
 public:
  // What a limit did that was not a plain admission: read under the lock,
  // for the errors and dead letters.
  struct Refusal {
    ErasedMessage dropped;  // kDropOldest: the message dropped.
    std::string who;
    std::string recipient;
    uint64_t capacity = 0;
    WhenFull when_full = WhenFull::kReject;
  };
  struct Outcome {
    Appended appended = Appended::kRefused;  // kRefused: not that actor.
    MailboxLimit::Action action = MailboxLimit::kAdmit;
    // Admitted with `credits_wanted`: places set aside for the sender's
    // next messages (MailboxLimit::SetAside()), to give back through
    // AppendCredited().
    uint32_t credits = 0;
    // Not kAdmit (nor kWait). A pointer, so that an admission (the common
    // case) builds and destroys no strings.
    std::unique_ptr<Refusal> refusal;
    // Queued as it came: the caller only makes the actor runnable if told.
    bool Admitted() const {
      return action == MailboxLimit::kAdmit && appended != Appended::kRefused;
    }
  };

  // Under box.mailbox_lock(), right after OpenLocked(): bounds the mailbox
  // (`limit` null: leaves it unbounded).
  static void SetLimitLocked(ActorMailbox& box,
                             std::unique_ptr<MailboxLimit> limit)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(box.lock_) {
    if (limit == nullptr) return;
    box.limit_ = std::move(limit);
    // Relaxed: as published_type_: a sender's reference was published
    // after this; a stale read (an older actor's) fails the generation
    // check under the lock. Sends by name see no type, so they take the
    // slow path (PushConverted()), which checks the limit.
    box.limited_.store(true, std::memory_order_relaxed);
    box.published_type_.store(nullptr, std::memory_order_relaxed);
  }

  // A send to a bounded mailbox: appends a message built from `args` if the
  // actor of `generation` lives in `box`, takes Msg and its limit says so.
  template <typename Msg, typename... Args>
  static Outcome Append(ActorMailbox& box, uint32_t generation,
                        Args&&... args) {
    return AppendBy(box, generation, MessageTypeOf<Msg>(), false,
                    [&](Payload* slot) {
                      ConstructPayload<Msg>(slot, std::forward<Args>(args)...);
                    });
  }
  // SendWhenRoom(): appends the message `waiter` holds, or (kWait) links
  // `waiter` to be admitted at the next room. `on_appended(slot)`, under
  // the lock, for the message queued (a trace's flow start), and
  // `on_dropped` as AppendAs() says.
  template <typename OnAppended = NoSlotCallback,
            typename OnDropped = NoSlotCallback>
  static Outcome AppendOrWait(ActorMailbox& box, uint32_t generation,
                              SendWaiter* waiter,
                              const OnAppended& on_appended = {},
                              const OnDropped& on_dropped = {}) {
    return AppendWaiterMessage(box, generation, waiter, /*link=*/true,
                               on_appended, 0, on_dropped);
  }
  // AppendOrWait() that never waits: where it would (out.action kWait),
  // nothing is done, not even counted. Admitted, it sets aside up to
  // `credits_wanted` places for the sender's next messages (out.credits).
  template <typename OnAppended = NoSlotCallback,
            typename OnDropped = NoSlotCallback>
  static Outcome AppendIfRoom(ActorMailbox& box, uint32_t generation,
                              SendWaiter* waiter,
                              const OnAppended& on_appended = {},
                              uint32_t credits_wanted = 0,
                              const OnDropped& on_dropped = {}) {
    return AppendWaiterMessage(box, generation, waiter, /*link=*/false,
                               on_appended, credits_wanted, on_dropped);
  }
  // A worker's outbox hands over a bounded actor's batch: `count` credited
  // messages (ActorMailbox::AppendBatch()'s arguments) and the `credits`
  // their sender was given, which go back to the limit, used or not. As
  // AppendBatch(), but with no message it schedules the actor only where
  // senders wait for the room given back (its turn admits them).
  template <typename ForEach, typename OnRefused,
            typename OnAppended = NoSlotCallback>
  static Appended AppendCredited(ActorMailbox& box, uint32_t generation,
                                 uint32_t count, uint32_t credits,
                                 const PayloadRelocator& relocate,
                                 ForEach&& for_each_message,
                                 OnRefused&& on_refused,
                                 OnAppended&& on_appended = {}) {
    MutexLock hold(box.lock_);
    if (box.closed_ || box.Generation() != generation) {
      // The limit went with the actor that set the places aside.
      on_refused(box.closed_);
      return Appended::kRefused;
    }
    MailboxLimit& limit = *box.limit_;
    limit.GiveBack(credits);
    if (count == 0) {
      return limit.waiters.empty() ||
                     limit.Room(box.counters_.DepthLocked()) == 0
                 ? Appended::kQueued
                 : box.ScheduleLocked();
    }
    const Appended appended =
        box.AppendBatchLocked(count, relocate, for_each_message, on_appended);

    limit.Admitted(box.counters_.DepthLocked());
    return appended;
  }
  // A message `build(slot)` constructs as one of `type`, the actor's type
  // (a conversion to a variant's alternative). `on_dropped(slot)`, under
  // the lock, for the oldest message if the limit drops it (kDropOldest),
  // before it is moved out (a trace's flow ends there).
  template <typename Build, typename OnDropped = NoSlotCallback>
  static Outcome AppendAs(ActorMailbox& box, uint32_t generation,
                          const MessageType* type, Build&& build,
                          const OnDropped& on_dropped = {}) {
    return AppendBy(box, generation, type, false, build, nullptr, 0,
                    on_dropped);
  }
  // The worker running the actor of `box`, before it sends the actor a
  // message: the count learns what the turn has received of its batch, so
  // that the limit decides on the messages really queued, as on the deque
  // (else an actor streaming to itself is refused, or waits for room in
  // its own mailbox for ever, because of messages it has handled).
  static void SettleOwnCount(ActorMailbox& box) {
    MutexLock hold(box.lock_);
    if (box.limit_ != nullptr) box.SettleCountLocked();
  }
  // Unlinks `waiter` if it still waits in `box`: true if so.
  static bool Withdraw(ActorMailbox& box, SendWaiter* waiter) {
    MutexLock hold(box.lock_);
    if (!waiter->linked || box.limit_ == nullptr) return false;
    box.limit_->waiters.Remove(waiter);
    box.UpdateSpecialTurnLocked();
    return true;
  }
  // Unlinks and returns every waiter (Shutdown()).
  static std::vector<SendWaiter*> TakeWaiters(ActorMailbox& box) {
    std::vector<SendWaiter*> waiters;
    MutexLock hold(box.lock_);
    if (box.limit_ == nullptr) return waiters;
    while (SendWaiter* waiter = box.limit_->waiters.PopFront()) {
      waiters.push_back(waiter);
    }
    box.UpdateSpecialTurnLocked();
    return waiters;
  }
  // Under mailbox_lock(): the messages queued, as its limit counts them
  // (exact unless a turn of the actor is under way: ActorCounters).
  static uint64_t DepthLocked(const ActorMailbox& box)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(box.lock_) {
    return box.counters_.DepthLocked();
  }
  // Metrics, under mailbox_lock(): null for an unbounded mailbox.
  static const MailboxLimit* LimitLocked(const ActorMailbox& box)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(box.lock_) {
    return box.limit_.get();
  }

 private:
  // AppendOrWait() (`link`: a waiter kWait links) and AppendIfRoom().
  template <typename OnAppended, typename OnDropped>
  static Outcome AppendWaiterMessage(ActorMailbox& box, uint32_t generation,
                                     SendWaiter* waiter, bool link,
                                     const OnAppended& on_appended,
                                     uint32_t credits_wanted,
                                     const OnDropped& on_dropped) {
    return AppendBy(
        box, generation, waiter->type, true,
        [&](Payload* slot) {
          MoveWaiterMessage(waiter, slot);
          on_appended(slot);
        },
        link ? waiter : nullptr, credits_wanted, on_dropped);
  }
  template <typename Build, typename OnDropped = NoSlotCallback>
  static Outcome AppendBy(ActorMailbox& box, uint32_t generation,
                          const MessageType* type, bool may_wait, Build&& build,
                          SendWaiter* waiter = nullptr,
                          uint32_t credits_wanted = 0,
                          const OnDropped& on_dropped = {}) {
    Outcome out;
    MutexLock hold(box.lock_);
    if (box.closed_ || box.Generation() != generation || box.type != type) {
      return out;
    }
    MailboxLimit* limit = box.limit_.get();
    if (limit != nullptr) {
      out.action = limit->Decide(
          box.counters_.DepthLocked(),
          may_wait && limit->when_full() == WhenFull::kBackpressure);
    }
    if (out.action == MailboxLimit::kWait) {
      if (waiter == nullptr) {  // AppendIfRoom(): the caller will wait.
        limit->UncountWaited();
        out.appended = Appended::kQueued;
        return out;
      }
      limit->waiters.PushBack(waiter);
      box.special_turn_ = true;  // Its turns admit waiters.
      out.appended = Appended::kQueued;
      return out;
    }
    if (out.action == MailboxLimit::kDropOldest && box.incoming_.empty()) {
      // The older messages are all in the batch the actor is handling, out
      // of reach: the new one goes instead.
      out.action = MailboxLimit::kDropNewest;
    }
    if (out.action != MailboxLimit::kAdmit) {
      out.refusal = std::make_unique<Refusal>();
      out.refusal->who = box.DisplayName();
      out.refusal->recipient = box.RecipientName();
      out.refusal->capacity = limit->capacity();
      out.refusal->when_full = limit->when_full();
    }
    if (out.action == MailboxLimit::kReject ||
        out.action == MailboxLimit::kDropNewest) {
      out.appended = Appended::kQueued;  // Nothing queued; the actor lives.
      return out;
    }
    // Built first: if its move throws, nothing was queued or dropped.
    Payload* slot = box.incoming_.ReserveBack();
    if (out.action == MailboxLimit::kDropOldest) {
      try {
        build(slot);
      } catch (...) {
        limit->UncountDropped();
        throw;
      }
    } else {
      build(slot);
    }
    box.incoming_.CommitBack();
    if (out.action == MailboxLimit::kDropOldest) {  // One in, one out.
      Payload* oldest = box.incoming_.PopFront();
      on_dropped(oldest);
      out.refusal->dropped = ErasedMessage::Adopt(box.type, oldest);
    } else {
      box.counters_.AppendedLocked(1);
    }
    if (limit != nullptr) {
      limit->Admitted(box.counters_.DepthLocked());
      if (credits_wanted != 0 && out.action == MailboxLimit::kAdmit) {
        out.credits = static_cast<uint32_t>(
            limit->SetAside(box.counters_.DepthLocked(), credits_wanted));
      }
    }
    out.appended = box.ScheduleLocked();
    return out;
  }
};

template <typename OnMoved>
ActorMailbox::TurnStart ActorMailbox::BeginSpecialTurnLocked(
    std::exception_ptr* error, OnMoved& on_moved) {
  if (extras_ != nullptr && !extras_->errors.empty()) {
    auto& errors = extras_->errors;
    *error = errors.front();
    errors.erase(errors.begin());
    // Relaxed: under the lock; see error_pending_.
    if (errors.empty()) error_pending_.store(false, std::memory_order_relaxed);
    UpdateSpecialTurnLocked();
    return TurnStart::kGoOn;
  }
  // Senders wait for room: BeginTurn()'s refill, admitting them where the
  // count is learnt (both queues empty, or an empty inbox refilled).
  bool admitted = false;
  if (incoming_.empty()) {
    if (!inbox_.empty()) return TurnStart::kGoOn;
    counters_.IdleLocked();
    admitted = AdmitWaitersLocked(on_moved);
    if (!admitted) {
      scheduled_ = false;
      return TurnStart::kIdle;
    }
    counters_.RefilledLocked(incoming_.size());
    inbox_.swap(incoming_);
  } else if (inbox_.empty()) {
    counters_.RefilledLocked(incoming_.size());
    inbox_.swap(incoming_);
    admitted = AdmitWaitersLocked(on_moved);
  } else {
    MoveAll(incoming_, inbox_, on_moved);
  }
  UpdateSpecialTurnLocked();
  return admitted ? TurnStart::kWakeAdmitted : TurnStart::kGoOn;
}

template <typename OnMoved>
bool ActorMailbox::SettleBlockedLocked(OnMoved& on_moved) {
  SettleCountLocked();
  if (limit_->waiters.empty()) return false;
  const bool admitted = AdmitWaitersLocked(on_moved);
  UpdateSpecialTurnLocked();
  return admitted;
}

inline void ActorMailbox::UpdateSpecialTurnLocked() {
  special_turn_ = (extras_ != nullptr && !extras_->errors.empty()) ||
                  (limit_ != nullptr && !limit_->waiters.empty());
}

template <typename OnMoved>
bool ActorMailbox::AdmitWaitersLocked(OnMoved& on_moved) {
  if (limit_ == nullptr) return false;
  MailboxLimit& limit = *limit_;
  bool any = false;
  while (!limit.waiters.empty() && limit.Room(counters_.DepthLocked()) > 0) {
    SendWaiter* waiter = limit.waiters.PopFront();
    Payload* slot = incoming_.ReserveBack();
    MoveWaiterMessage(waiter, slot);
    incoming_.CommitBack();
    on_moved(slot);  // Queued now: its flow starts (traced).
    counters_.AppendedLocked(1);
    limit.Admitted(counters_.DepthLocked());
    waiter->result = absl::OkStatus();
    limit.admitted.push_back(waiter);
    any = true;
  }
  return any;
}

inline void ActorMailbox::WakeAdmitted() {
  // In place, by index (a wake-up only schedules its sender, but the
  // vector keeps its capacity for the next turn's admissions).
  std::vector<SendWaiter*>& admitted = limit_->admitted;
  for (size_t i = 0; i < admitted.size(); ++i) admitted[i]->wake(admitted[i]);
  admitted.clear();
}

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_LIMITED_MAILBOX_H_
