// ActorMailbox is one actor's cell in the work-stealing scheduler together
// with its mailbox and activation protocol: the only code that takes the
// cell's lock to append, schedule, start a turn or close. Senders append a
// message (or a batch, an error, a wake-up); the append that finds the
// actor idle marks it scheduled and tells the caller to make it runnable
// (kScheduled), so an actor is queued once however many send to it. The
// worker running the actor refills its inbox at the start of a turn
// (BeginTurn()), which clears `scheduled` when nothing is left; the end of
// the actor closes the mailbox and returns what was never delivered.
//
//   switch (mailbox.Append<int>(generation, 42)) {
//     case Appended::kRefused: /* dead letter */ break;
//     case Appended::kScheduled: MakeRunnable(&mailbox); break;
//     case Appended::kQueued: break;  // It runs, or is queued, already.
//   }
//
// Two queues: `incoming`, behind the lock, that senders append to, and
// `inbox`, owned by the worker running the actor, which swaps the two under
// the lock and then delivers without it. A thread whose append schedules
// the actor owns its inbox until it hands the actor on, so a waking message
// or batch goes straight there (when nothing waits in `incoming`).
//
// Thread-safety: the append methods, Wake(), AddMonitor(), IsOpen() and
// mailbox_lock() are thread-safe. The turn methods (AppendToSelf(),
// InboxEmpty(), SomethingMayOvertake(), BeginTurn(), TakeMessage(),
// TakeWakeOrIdle(), Close()) are for the one worker running the actor. The
// *Locked() methods need mailbox_lock() held; the compiler checks that, and
// which fields the lock guards (ABSL_GUARDED_BY, -Wthread-safety).
// AddTurn() is for the worker that ran a turn (the actor's metrics:
// ActorCounters).
#ifndef COACTOR_RUNTIME_INTERNAL_ACTOR_MAILBOX_H_
#define COACTOR_RUNTIME_INTERNAL_ACTOR_MAILBOX_H_

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "actors/down.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/message_type.h"
#include "actors/internal/mutex.h"
#include "runtime/erased_message.h"
#include "runtime/internal/actor_counters.h"
#include "runtime/internal/actor_end.h"
#include "runtime/internal/mailbox.h"
#include "runtime/internal/mailbox_limit.h"
#include "runtime/internal/payload_relocator.h"
#include "runtime/internal/spin_lock.h"

namespace coactor::internal {

// A callback that does nothing: the untraced default of the appends' and
// BeginTurn()'s `on_appended`/`on_moved` (a trace's flow starts), which so
// cost nothing untraced.
struct NoSlotCallback {
  void operator()(Payload*) const {}
  void operator()(Payload*, Payload*) const {}
};

// What an append did.
enum class Appended : uint8_t {
  kRefused,    // The actor is gone (or takes another type): nothing queued.
  kQueued,     // Queued for an actor already runnable or running.
  kScheduled,  // Queued for an idle actor, now scheduled: make it runnable.
};

class ActorMailbox : public ActorCell {
 public:
  using Monitor = absl::AnyInvocable<void(const Down&)>;

  // ---- Any thread ----------------------------------------------------------

  // Appends a message built from `args` if the actor of `generation` lives
  // here and takes Msg; otherwise leaves `args` alone. `on_appended(slot)`
  // is called under the lock with the message's slot (in the inbox if it
  // wakes the actor).
  template <typename Msg, typename OnAppended = NoSlotCallback,
            typename... Args>
  Appended AppendWith(OnAppended&& on_appended, uint32_t generation,
                      Args&&... args) {
    MutexLock hold(lock_);
    if (ABSL_PREDICT_FALSE(closed_ || Generation() != generation ||
                           type != MessageTypeOf<Msg>())) {
      return Appended::kRefused;
    }
    Mailbox& to = !scheduled_ && incoming_.empty() ? inbox_ : incoming_;
    Payload* slot = to.ReserveBack();
    ConstructPayload<Msg>(slot, std::forward<Args>(args)...);
    to.CommitBack();
    on_appended(slot);
    counters_.AppendedLocked(1);
    return ScheduleLocked();
  }
  template <typename Msg, typename... Args>
  Appended Append(uint32_t generation, Args&&... args) {
    return AppendWith<Msg>(NoSlotCallback{}, generation,
                           std::forward<Args>(args)...);
  }

  // Appends the message `build(slot, type)` constructs in `slot` for an
  // actor of message type `type`, if the actor of `generation` lives here
  // and `build` accepts the type (returns true); into the inbox if
  // `to_self` (the calling worker runs the actor).
  template <typename Build>
  Appended AppendBuilt(uint32_t generation, bool to_self, Build&& build) {
    Mailbox& to = to_self ? inbox_ : incoming_;
    MutexLock hold(lock_);
    if (closed_ || Generation() != generation) return Appended::kRefused;
    if (!build(to.ReserveBack(), type)) return Appended::kRefused;
    to.CommitBack();
    counters_.AppendedLocked(1);
    if (to_self) sent_to_self_ = true;
    return ScheduleLocked();
  }

  // Appends every message `for_each_message(visit)` visits, `count` of
  // them (moving each with `relocate`), in order, if the actor of
  // `generation` lives here;
  // otherwise calls `on_refused(closed)` (under the lock, where the cell's
  // name is stable; `closed`: IsClosedLocked(), passed because a lambda
  // cannot say it runs under the lock) and appends nothing.
  // `on_appended(slot)` is called under the lock with each message's new
  // slot.
  template <typename ForEach, typename OnRefused,
            typename OnAppended = NoSlotCallback>
  ABSL_ATTRIBUTE_ALWAYS_INLINE Appended
  AppendBatch(uint32_t generation, uint32_t count,
              const PayloadRelocator& relocate, ForEach&& for_each_message,
              OnRefused&& on_refused, OnAppended&& on_appended = {}) {
    MutexLock hold(lock_);
    if (closed_ || Generation() != generation) {
      on_refused(closed_);
      return Appended::kRefused;
    }
    return AppendBatchLocked(count, relocate, for_each_message, on_appended);
  }
  // AppendBatch() once the actor is known to live here (also
  // LimitedMailbox::AppendCredited()'s).
  template <typename ForEach, typename OnAppended>
  ABSL_ATTRIBUTE_ALWAYS_INLINE Appended
  AppendBatchLocked(uint32_t count, const PayloadRelocator& relocate,
                    ForEach& for_each_message, OnAppended& on_appended)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    const bool wake = !scheduled_;
    scheduled_ = true;
    // Waking it, the caller owns its inbox until it hands the actor on
    // (making it runnable publishes it with the actor): with nothing
    // waiting in `incoming` (order), the batch goes straight to the inbox,
    // and the actor's turn takes no lock to find it.
    Mailbox& to = wake && incoming_.empty() ? inbox_ : incoming_;
    // Counted by the caller: a count per message here cost ping-pong one
    // instruction and two register moves a message.
    counters_.AppendedLocked(count);
    // Always inline: in a flush that is a template (traced or not), clang
    // otherwise calls this per message.
    for_each_message([&](Payload* message) ABSL_ATTRIBUTE_ALWAYS_INLINE {
      Payload* slot = to.ReserveBack();
      relocate(slot, message);
      to.CommitBack();
      on_appended(slot);
    });
    return wake ? Appended::kScheduled : Appended::kQueued;
  }

  // Queues `error` for the actor of `generation`, to be rethrown at the
  // start of its next turn, ahead of queued messages.
  Appended AppendError(uint32_t generation, std::exception_ptr error) {
    MutexLock hold(lock_);
    if (closed_ || Generation() != generation) return Appended::kRefused;
    GetExtras().errors.push_back(std::move(error));
    // Relaxed: a hint for the turn's start; see error_pending_.
    error_pending_.store(true, std::memory_order_relaxed);
    special_turn_ = true;
    return ScheduleLocked();
  }

  // Records `handle` as what resumes the blocked actor; true if the caller
  // must make the actor runnable.
  bool Wake(std::coroutine_handle<> handle) {
    MutexLock hold(lock_);
    wake_ = handle;
    return ScheduleLocked() == Appended::kScheduled;
  }

  // Adds `notify` to what Close() returns, if the actor of `generation`
  // lives here; false (leaving `notify` alone) if not.
  bool AddMonitor(uint32_t generation, Monitor& notify) {
    MutexLock hold(lock_);
    if (closed_ || Generation() != generation) return false;
    GetExtras().monitors.push_back(std::move(notify));
    return true;
  }

  // Whether the actor of `generation` lives here.
  bool IsOpen(uint32_t generation) const {
    MutexLock hold(lock_);
    return IsOpenLocked(generation);
  }

  // The lock, to hold (`MutexLock hold(cell->mailbox_lock());`) for the
  // *Locked() methods and for reading the cell's name and type stably (both
  // change under it when the cell is reused).
  SpinLock& mailbox_lock() const ABSL_LOCK_RETURNED(lock_) { return lock_; }
  bool IsOpenLocked(uint32_t generation) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    return !closed_ && Generation() == generation;
  }
  bool IsClosedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    return closed_;
  }

  // The message type, readable without the lock by senders by name
  // (`type` itself changes under the lock when the cell is reused; a stale
  // read is caught by the generation check when the message is appended).
  const MessageType* PublishedType() const {
    // Relaxed: a pre-check; appends re-check under the lock.
    return published_type_.load(std::memory_order_relaxed);
  }

  // Under mailbox_lock(): makes this the cell of a new actor, not yet
  // started and already scheduled (its start is pending: the caller makes
  // it runnable).
  void OpenLocked(std::coroutine_handle<> new_handle,
                  ActorPromiseBase* new_promise, const MessageType* new_type,
                  std::unique_ptr<std::string> new_name, uint64_t new_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    handle = new_handle;
    promise = new_promise;
    type = new_type;
    // Relaxed: readers re-check under the lock (generation) on append.
    published_type_.store(new_type, std::memory_order_relaxed);
    SetState(ActorState::kStarting);
    name = std::move(new_name);
    id = new_id;
    closed_ = false;
    scheduled_ = true;
    special_turn_ = false;
    wake_ = nullptr;
    extras_.reset();
    counters_.ResetLocked();
    limit_.reset();
    // Relaxed: as published_type_.
    limited_.store(false, std::memory_order_relaxed);
  }

  // Whether it is bounded (LimitedMailbox::SetLimitLocked()): every send
  // to it then goes through LimitedMailbox. Relaxed: as PublishedType().
  bool Limited() const { return limited_.load(std::memory_order_relaxed); }

  // ---- The worker running the actor -----------------------------------------

  // Appends a message the running actor sends itself: into its inbox, with
  // no lock and no wake-up, so its order holds. (It took the message it is
  // handling out of the inbox when it resumed.)
  template <typename Msg, typename... Args>
  void AppendToSelf(Args&&... args) {
    ConstructPayload<Msg>(inbox_.ReserveBack(), std::forward<Args>(args)...);
    inbox_.CommitBack();
    counters_.SentToSelf();
    sent_to_self_ = true;
  }

  // Whether the inbox is empty: the turn must look at `incoming` (and
  // errors) before the next delivery.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool InboxEmpty() const {
    return inbox_.empty();
  }
  // Whether, at the start of a turn, the turn must look at `incoming` (and
  // errors) although its inbox holds messages: the actor has sent itself
  // messages (those must not hold back others' messages or errors for
  // ever) or an error waits (it overtakes the messages a waking sender put
  // in the inbox).
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool SomethingMayOvertake() const {
    return sent_to_self_ ||
           // Relaxed: a hint; see error_pending_.
           error_pending_.load(std::memory_order_relaxed);
  }

  // Refills the inbox for the next delivery: takes the first waiting error
  // into `*error` (which comes first), or moves what waits in `incoming`
  // behind the inbox. False, with nothing waiting, when the activation
  // ends: the actor is no longer scheduled (the next append schedules it).
  // `on_moved(from, to)` is called for each message moved to another slot.
  template <typename OnMoved = NoSlotCallback>
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool BeginTurn(std::exception_ptr* error,
                                              OnMoved&& on_moved = {}) {
    sent_to_self_ = false;
    TurnStart start = TurnStart::kGoOn;
    {
      MutexLock hold(lock_);
      if (ABSL_PREDICT_FALSE(special_turn_)) {
        // An error waits, or senders wait for room (limited_mailbox.h).
        start = BeginSpecialTurnLocked(error, on_moved);
        if (start == TurnStart::kIdle) return false;
      } else if (incoming_.empty()) {
        if (inbox_.empty()) {
          scheduled_ = false;
          counters_.IdleLocked();
          return false;
        }
      } else if (inbox_.empty()) {
        counters_.RefilledLocked(incoming_.size());
        inbox_.swap(incoming_);
      } else {
        MoveAll(incoming_, inbox_, on_moved);
      }
    }
    if (ABSL_PREDICT_FALSE(start == TurnStart::kWakeAdmitted)) WakeAdmitted();
    return true;
  }

  // The next message to deliver. Precondition: !InboxEmpty().
  ABSL_ATTRIBUTE_ALWAYS_INLINE Payload* TakeMessage() {
    return inbox_.PopFront();
  }
  // For a trace: the inbox's count of appends, and a visit of the slots
  // appended since `position` (what the actor sent itself meanwhile).
  uint64_t InboxBackPosition() const { return inbox_.back_position(); }
  template <typename F>
  void ForEachInboxSlotFrom(uint64_t position, F&& f) {
    inbox_.ForEachFrom(position, f);
  }

  // A turn of the actor of `generation` took `ticks` (TickClock); any
  // worker, also after it handed the actor on. Nothing if that actor has
  // ended (the cell may hold another).
  void AddTurn(uint32_t generation, uint64_t ticks) {
    MutexLock hold(lock_);
    // Checked under the lock, which an end (the generation's bump) and a
    // reuse take: the actor may have ended on another worker meanwhile.
    if (Generation() == generation) counters_.AddTurnLocked(ticks);
  }
  // Under mailbox_lock(): the actor's metrics at `now` (see ActorCounters).
  ActorCounters::Reading ReadCountersLocked(uint64_t now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    return counters_.ReadLocked(now);
  }

  // The handle a Wake() left for the blocked actor, or (none yet) null
  // and the actor is no longer scheduled (Wake() schedules it again).
  //
  // A bounded mailbox first learns its count exactly (nothing is received
  // while the actor is blocked) and admits the senders waiting for the room
  // that makes: the room is offered now, not at the actor's next turn,
  // which may never come if what it waits for is one of them (a send to
  // itself, or to an actor sending to it). `on_moved(slot)` as BeginTurn().
  template <typename OnMoved = NoSlotCallback>
  std::coroutine_handle<> TakeWakeOrIdle(OnMoved&& on_moved = {}) {
    {
      MutexLock hold(lock_);
      if (ABSL_PREDICT_TRUE(limit_ == nullptr) ||
          !SettleBlockedLocked(on_moved)) {
        return TakeWakeOrIdleLocked();
      }
    }
    WakeAdmitted();  // Perhaps the actor itself: then it finds wake_ set.
    MutexLock hold(lock_);
    return TakeWakeOrIdleLocked();
  }

  // What closing an actor's mailbox leaves to report (for EndActor(),
  // runtime/internal/actor_end.h).
  using Closed = ClosedCell;
  // Ends the actor's activation for good: refuses appends from now on,
  // makes every reference stale and hands back what was not delivered,
  // each message's slot given to `on_undelivered` first (a trace's flow end).
  template <typename OnUndelivered = NoSlotCallback>
  Closed Close(OnUndelivered&& on_undelivered = {}) {
    Closed closed;
    MutexLock hold(lock_);
    closed_ = true;
    scheduled_ = false;
    special_turn_ = false;
    closed.generation = Generation();
    BumpGeneration();
    if (extras_ != nullptr) {
      closed.monitors = std::exchange(extras_->monitors, {});
      for (std::exception_ptr& error : extras_->errors) {
        closed.undelivered.push_back(ErasedMessage::Of(std::move(error)));
      }
      extras_.reset();
    }
    // Relaxed: under the lock; the cell's next actor starts with none.
    error_pending_.store(false, std::memory_order_relaxed);
    if (limit_ != nullptr) {
      while (SendWaiter* waiter = limit_->waiters.PopFront()) {
        closed.waiters.push_back(waiter);
      }
    }
    for (Mailbox* mailbox : {&inbox_, &incoming_}) {
      while (!mailbox->empty()) {
        Payload* slot = mailbox->PopFront();
        on_undelivered(slot);
        closed.undelivered.push_back(ErasedMessage::Adopt(type, slot));
      }
      mailbox->Shrink();  // A burst's segments go back now, not at reuse.
    }
    return closed;
  }

  // ---- Shutdown (no worker runs) --------------------------------------------

  // Refuses appends from now on and makes every reference stale; true if
  // an actor lived here.
  bool CloseForShutdown() {
    MutexLock hold(lock_);
    const bool was_open = !closed_;
    if (was_open) {
      closed_ = true;
      BumpGeneration();
    }
    scheduled_ = false;
    return was_open;
  }
  // Destroys every queued message (of the cell's `type`), error and
  // monitor, outside the lock: a message's destructor may send, even here.
  void DestroyContents() {
    Mailbox inbox, incoming;
    std::unique_ptr<Extras> extras;
    {
      MutexLock hold(lock_);
      inbox.swap(inbox_);
      incoming.swap(incoming_);
      extras = std::move(extras_);
      wake_ = nullptr;
    }
    for (Mailbox* mailbox : {&inbox, &incoming}) {
      while (!mailbox->empty()) type->destroy(mailbox->PopFront());
    }
  }

 private:
  friend class LimitedMailbox;
  // How a turn starts: BeginSpecialTurnLocked(), for an error or waiting
  // senders (special_turn_), out of line and defined in limited_mailbox.h
  // (included at the end of this file), like the rest of the bounded part.
  enum class TurnStart : uint8_t { kIdle, kGoOn, kWakeAdmitted };
  template <typename OnMoved>
  ABSL_ATTRIBUTE_NOINLINE TurnStart
  BeginSpecialTurnLocked(std::exception_ptr* error, OnMoved& on_moved)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  void UpdateSpecialTurnLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  std::coroutine_handle<> TakeWakeOrIdleLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    std::coroutine_handle<> woken = std::exchange(wake_, nullptr);
    if (!woken) scheduled_ = false;
    return woken;
  }
  // A bounded mailbox's count made exact by the worker running the actor
  // (only it takes from the inbox, which holds no message sent around the
  // lock): the rest of the turn's batch and `incoming` are all that is
  // queued.
  void SettleCountLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    counters_.RefilledLocked(incoming_.size() + inbox_.size());
  }
  // TakeWakeOrIdle() of a bounded mailbox: true if it admitted waiting
  // senders (to wake: WakeAdmitted()).
  template <typename OnMoved>
  bool SettleBlockedLocked(OnMoved& on_moved)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  template <typename OnMoved>
  bool AdmitWaitersLocked(OnMoved& on_moved)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  // Not under the lock, by protocol: the limit stays while the actor
  // lives, and its list of admitted waiters is the running worker's.
  void WakeAdmitted() ABSL_NO_THREAD_SAFETY_ANALYSIS;

  // Allocated on first use (idle actors stay small).
  struct Extras {
    std::vector<std::exception_ptr> errors;
    std::vector<Monitor> monitors;
  };
  Extras& GetExtras() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    if (extras_ == nullptr) extras_ = std::make_unique<Extras>();
    return *extras_;
  }

  // Under the lock, after an append: schedules an idle actor.
  Appended ScheduleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    const bool wake = !scheduled_;
    scheduled_ = true;
    return wake ? Appended::kScheduled : Appended::kQueued;
  }

  // Appends every message of `from` to `to`, in order (`from` is
  // `incoming_`, whose lock the caller holds). (Rare: out of line, so that
  // it does not crowd the turn's loop.)
  template <typename OnMoved>
  ABSL_ATTRIBUTE_NOINLINE void MoveAll(Mailbox& from, Mailbox& to,
                                       OnMoved& on_moved)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    const PayloadRelocator relocate{type};
    while (!from.empty()) {
      Payload* message = from.PopFront();
      Payload* slot = to.ReserveBack();
      relocate(slot, message);
      to.CommitBack();
      on_moved(message, slot);
    }
  }

  mutable SpinLock lock_;
  // Runnable or running; set by the append that finds the mailbox idle,
  // cleared by the turn that finds it empty. (Beside the one-byte lock, so
  // that the flags cost an idle actor nothing.)
  bool scheduled_ ABSL_GUARDED_BY(lock_) = false;
  // No actor lives here; appends are refused.
  bool closed_ ABSL_GUARDED_BY(lock_) = true;
  // The next turn starts out of line: errors wait, or senders wait for room.
  bool special_turn_ ABSL_GUARDED_BY(lock_) = false;
  // Not guarded, by protocol: owned by the worker running the actor. It
  // has sent itself messages (into `inbox_`) since `incoming_` was last
  // looked at.
  bool sent_to_self_ = false;
  // An atomic, written under `lock_`, read without it at the start of a
  // turn: errors wait in `extras_` (a hint; the errors themselves are read
  // under the lock).
  std::atomic<bool> error_pending_{false};
  // Whether `limit_` is set (Limited()), read by senders without the lock.
  // (With the flags above: one word with the lock.)
  std::atomic<bool> limited_{false};
  // What senders append to.
  Mailbox incoming_ ABSL_GUARDED_BY(lock_);
  // The actor's metrics (ActorCounters says who writes what; the counts
  // are guarded by `lock_`).
  ActorCounters counters_;
  // Not guarded, by protocol: owned by the worker running the actor, or
  // by the sender whose append schedules it until it is made runnable
  // (see the header comment); the lock is held only when the owner swaps
  // it with `incoming_`, or a sender appends to it as its owner.
  Mailbox inbox_;
  // The coroutine to resume when a blocked actor is woken (a sleep ended,
  // a task finished, a reply came).
  std::coroutine_handle<> wake_ ABSL_GUARDED_BY(lock_);
  // Errors to rethrow from the next Receive(), and who to tell when the
  // actor ends.
  std::unique_ptr<Extras> extras_ ABSL_GUARDED_BY(lock_);
  // An atomic: written under `lock_`, read without it (see PublishedType()).
  std::atomic<const MessageType*> published_type_{nullptr};
  // A bounded mailbox's limit (null: unbounded); Limited() without the
  // lock. Its list of the waiters BeginTurn() admitted is the running
  // worker's (see WakeAdmitted()).
  std::unique_ptr<MailboxLimit> limit_ ABSL_GUARDED_BY(lock_);
};

}  // namespace coactor::internal

#include "runtime/internal/limited_mailbox.h"  // IWYU pragma: export

#endif  // COACTOR_RUNTIME_INTERNAL_ACTOR_MAILBOX_H_
