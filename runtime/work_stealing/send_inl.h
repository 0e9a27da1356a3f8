// WorkStealingScheduler's sends and finds, defined: the templates and inline
// functions declared in runtime/work_stealing_scheduler.h, which includes
// this at its end. A send by name looks the name up through the calling
// worker's name cache (runtime/internal/name_cache.h); a send from a worker
// goes into that worker's outbox (runtime/internal/outbox.h), handed to the
// receiver's mailbox in batches; a send from any other thread is appended to
// the mailbox directly (Push). Conversions to a variant alternative, every
// error and dead references are out of line, kept out of the caller's code.
//
// Not to be included directly: include runtime/work_stealing_scheduler.h.
//
// Thread-safety: that of WorkStealingScheduler (any thread).
#ifndef COACTOR_RUNTIME_WORK_STEALING_SEND_INL_H_
#define COACTOR_RUNTIME_WORK_STEALING_SEND_INL_H_

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/work_stealing/limits.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {

template <typename Msg, typename... Args>
WorkStealingScheduler::PushResult WorkStealingScheduler::Push(
    Worker *locals, Cell *cell, uint32_t generation, Args &&...args) {
  Tracer *const tracer = trace_.get();
  const internal::Appended appended =
      tracer == nullptr
          ? cell->Append<Msg>(generation, std::forward<Args>(args)...)
          : cell->AppendWith<Msg>(internal::SlotFlows{tracer, cell->type->name},
                                  generation, std::forward<Args>(args)...);
  if (ABSL_PREDICT_FALSE(appended == internal::Appended::kRefused)) {
    return PushResult::kRefused;
  }
  if (appended == internal::Appended::kScheduled) {
    // On a worker, as a turn-end flush would: it runs next, here (or on an
    // idle worker that takes it from the runnext slot if this turn lasts).
    if (locals != nullptr) {
      MakeRunnableOn(locals, cell, /*stealable=*/false);
    } else {
      MakeRunnable(cell);
    }
  }
  return PushResult::kQueued;
}

template <typename Msg, typename... Args>
WorkStealingScheduler::PushResult WorkStealingScheduler::Deliver(
    Cell *cell, uint32_t generation, Args &&...args) {
  Worker *locals = CurrentWorker();
  if (locals == nullptr) {
    return Push<Msg>(nullptr, cell, generation, std::forward<Args>(args)...);
  }
  if (cell == locals->running && generation == cell->Generation()) {
    // To itself: straight into its own inbox, which this worker owns
    // while the actor runs; no lock, no batch, no wake-up.
    cell->template AppendToSelf<Msg>(std::forward<Args>(args)...);
    return PushResult::kQueued;
  }
  if (!takeover_) {  // The outbox is this worker's alone.
    if (ABSL_PREDICT_TRUE(AppendToOutbox<Msg>(locals, locals->outbox, cell,
                                              generation,
                                              std::forward<Args>(args)...))) {
      return PushResult::kQueued;
    }
  } else {
    // Idle workers may take a receiver from the runnext slot, or hand the
    // outbox over, while this turn goes on: there a receiver woken by the
    // turn's first send could start (and end) before the turn's later
    // sends reach it, where before they all went out together. The turn's
    // sends all go through the outbox, as they did.
    locals->direct_send = 0;
    internal::BiasedLock::OwnerHold hold(locals->outbox_lock);
    if (ABSL_PREDICT_TRUE(AppendToOutbox<Msg>(locals, locals->outbox, cell,
                                              generation,
                                              std::forward<Args>(args)...))) {
      NoteOutboxPending(*locals);
      return PushResult::kQueued;
    }
  }
  // The outbox declined it (`args` are untouched): the turn's first send
  // to another actor, with nothing held back for anyone (so it overtakes
  // nothing of this sender's), goes straight to the receiver's mailbox.
  // One receiver a turn is the common case (a reply, a ring, a random
  // ping), and a batch of one paid the outbox's reservation and flush on
  // top of the lock; a flood still goes through the outbox after its first
  // message.
  locals->direct_send = 0;
  return Push<Msg>(locals, cell, generation, std::forward<Args>(args)...);
}

// False, leaving `args` alone, if the outbox declines the turn's first send
// (Worker::direct_send), which then goes directly.
template <typename Msg, typename... Args>
bool WorkStealingScheduler::AppendToOutbox(Worker *worker, Outbox &outbox,
                                           Cell *cell, uint32_t generation,
                                           Args &&...args) {
  const internal::MessageType *type = internal::MessageTypeOf<Msg>();
  internal::Payload *slot =
      outbox.Reserve(cell, generation, type, worker->direct_send);
  if (ABSL_PREDICT_FALSE(slot == nullptr)) {
    if (outbox.empty()) return false;  // Declined: see Deliver().
    FlushOutbox(outbox, FlushPoint::kMidTurn, worker);
    slot = outbox.Reserve(cell, generation, type);
  }
  internal::ConstructPayload<Msg>(slot, std::forward<Args>(args)...);
  if (outbox.Commit()) FlushOutbox(outbox, FlushPoint::kMidTurn, worker);
  return true;
}

template <int kTraced>
inline void WorkStealingScheduler::FlushOwnOutbox(Worker &locals,
                                                  FlushPoint point) {
  if (!takeover_) {  // The outbox is this worker's alone.
    if (!locals.outbox.empty()) {
      if constexpr (kTraced < 0) {
        FlushOutbox(locals.outbox, point, &locals);
      } else {  // Without testing the hook again: 3 instructions a turn.
        FlushOutboxOf<kTraced == 1>(locals.outbox, point, &locals);
      }
    }
    return;
  }
  // Relaxed: the owner's own hint (a visitor's clear is published by the
  // hold in FlushHeldOutbox()).
  if (locals.outbox_pending.load(std::memory_order_relaxed)) {
    FlushHeldOutbox(locals, point);
  }
}

inline bool WorkStealingScheduler::LookUpCached(std::string_view name,
                                                RegistryEntry *entry) const {
  Worker *locals = CurrentWorker();
  if (locals == nullptr) return LookUp(name, entry);
  // Acquire: pairs with the release bump that publishes a registry change.
  const uint64_t version = registry_version_.load(std::memory_order_acquire);
  if (const RegistryEntry *hit = locals->names.Find(name, version);
      ABSL_PREDICT_TRUE(hit != nullptr)) {
    *entry = *hit;
    return true;
  }
  return LookUpAndCache(name, version, locals->names, entry);
}

inline bool WorkStealingScheduler::LookUpAndCache(std::string_view name,
                                                  uint64_t version,
                                                  Worker::NameCache &cache,
                                                  RegistryEntry *entry) const {
  if (!LookUp(name, entry)) return false;
  cache.Fill(name, *entry, version);
  return true;
}

namespace internal {

// A fast, lock-free guess that `entry` still names a live actor of type T;
// the hand-over re-checks under the mailbox lock.
template <typename T>
bool LooksLive(const CellEntry &entry) {
  const StealingCell *cell = entry.cell;
  // A pre-check, as for the generation and state.
  return cell->PublishedType() == MessageTypeOf<T>() &&
         cell->Generation() == entry.generation &&
         cell->State() != ActorState::kFinished;
}

}  // namespace internal

inline void WorkStealingScheduler::NoteOutboxPending(Worker &locals) {
  // Relaxed: owner writes under the hold; a hint for idle workers.
  if (!locals.outbox_pending.load(std::memory_order_relaxed)) {
    locals.outbox_pending.store(true, std::memory_order_relaxed);
    // The sender may go on computing for long before its turn ends: an
    // idle worker must be watching, to hand the message over then.
    if (locals.running != nullptr) NoteWaitingDuringTurn();
  }
}

inline void WorkStealingScheduler::NoteWaitingDuringTurn() {
  // (With no worker idle, one looks when it gets idle.)
  if (ABSL_PREDICT_FALSE(idle_.AnyIdle())) {
    // Our store (runnext slot, outbox_pending), then watch_fast_: either
    // the standby's stop (store false, heavy fence, look) sees what
    // waits, or we see false here and ask.
    internal::AsymmetricFence::Light();
    // Relaxed: ordered by the fence above.
    if (!watch_fast_.load(std::memory_order_relaxed)) RequestWatch();
  }
}

template <typename M>
absl::Status WorkStealingScheduler::Send(std::string_view name, M &&message) {
  // Decayed: a string literal is a const char* message (a type error for
  // a std::string actor, reported as such), not an array.
  using T = std::decay_t<M>;
  internal::CheckSendable<T, M>();
  RegistryEntry entry;
  if (ABSL_PREDICT_TRUE(LookUpCached(name, &entry)) &&
      ABSL_PREDICT_TRUE(internal::LooksLive<T>(entry)) &&
      Deliver<T>(entry.cell, entry.generation, std::forward<M>(message)) ==
          PushResult::kQueued) {
    return absl::OkStatus();
  }
  return SendByNameSlow<T>(name, std::forward<M>(message));
}

template <typename T, typename M>
absl::Status WorkStealingScheduler::SendByNameSlow(std::string_view name,
                                                   M &&message) {
  RegistryEntry entry;
  if (IsShutDown() || !LookUp(name, &entry)) {
    return RecordDeadLetter(internal::RecordedName(name),
                            IsShutDown() ? ShutDownError() : LookupError(name),
                            ErasedMessage::Of(std::forward<M>(message)));
  }
  T value(std::forward<M>(message));
  // Earlier sends to the same actor may wait in this worker's outbox.
  if (Worker *locals = CurrentWorker()) FlushOwnOutbox(*locals);
  absl::Status status =
      PushConverted(name, entry, internal::MessageTypeOf<T>(), &value);
  if (status.ok()) return status;
  if (IsShutDown()) status = ShutDownError();
  return RecordDeadLetter(internal::RecordedName(name), status,
                          ErasedMessage::Of(std::move(value)));
}

template <typename Msg, typename M>
absl::Status WorkStealingScheduler::Send(const ActorRef<Msg> &to, M &&message) {
  internal::CheckSendable<Msg, M>();
  internal::ActorCell *cell =
      internal::ActorRefAccess::LiveCell(to, Identity());
  if (ABSL_PREDICT_TRUE(cell != nullptr) &&
      ABSL_PREDICT_TRUE(!static_cast<Cell *>(cell)->Limited()) &&
      Deliver<Msg>(static_cast<Cell *>(cell),
                   internal::ActorRefAccess::Generation(to),
                   std::forward<M>(message)) == PushResult::kQueued) {
    return absl::OkStatus();
  }
  // (Or a bounded mailbox: see there.)
  return SendToDeadRef(to, std::forward<M>(message));
}

template <typename Msg, typename M>
absl::Status WorkStealingScheduler::SendToDeadRef(const ActorRef<Msg> &to,
                                                  M &&message) {
  if (internal::ActorCell *cell =
          internal::ActorRefAccess::LiveCell(to, Identity());
      cell != nullptr && static_cast<Cell *>(cell)->Limited()) {
    // A bounded mailbox: by its limit (if still that actor's).
    const PushResult pushed = Limits::Deliver<Msg>(
        *this, static_cast<Cell *>(cell),
        internal::ActorRefAccess::Generation(to), std::forward<M>(message));
    if (pushed == PushResult::kQueued) return absl::OkStatus();
    // Refused or dropped (the message used up), or not that actor's.
    if (absl::Status limited; Limits::TakeLimitStatus(&limited)) {
      return limited;
    }
  }
  return RecordDeadRefLetter(internal::ActorRefAccess::Cell(to),
                             internal::ActorRefAccess::Generation(to),
                             ErasedMessage::Of(Msg(std::forward<M>(message))));
}

template <typename Msg>
absl::StatusOr<ActorRef<Msg>> WorkStealingScheduler::Find(
    std::string_view name) const {
  if (IsShutDown()) return ShutDownError();
  RegistryEntry entry;
  if (!LookUp(name, &entry)) return LookupError(name);
  {
    internal::MutexLock hold(entry.cell->mailbox_lock());
    if (entry.cell->IsOpenLocked(entry.generation)) {
      if (entry.cell->type != internal::MessageTypeOf<Msg>()) {
        return internal::WrongType(name, entry.cell->type->name,
                                   internal::TypeName<Msg>());
      }
      return internal::ActorRefAccess::Make<Msg>(entry.cell);
    }
  }
  return LookupError(name);
}

template <typename T>
absl::StatusOr<JoinHandle<T>> WorkStealingScheduler::RunTask(Task<T> task) {
  std::unique_lock<std::mutex> run_hold;
  if (absl::Status entry = EnterRun("RunUntilComplete()", run_hold);
      !entry.ok()) {
    return entry;
  }
  JoinHandle<T> handle = CreateTask(std::move(task));
  bool stopped = false;
  if (absl::Status ran = RunEntered(&stopped); !ran.ok()) return ran;
  if (stopped && !handle.done()) return internal::StoppedBeforeTaskEnded();
  return handle;
}

template <typename Msg>
absl::Status WorkStealingScheduler::SendError(const ActorRef<Msg> &to,
                                              std::exception_ptr error) {
  if (error == nullptr) {
    return absl::InvalidArgumentError(
        "SendError(nullptr): no error to deliver");
  }
  internal::ActorCell *base =
      internal::ActorRefAccess::LiveCell(to, Identity());
  internal::Appended appended = internal::Appended::kRefused;
  if (base != nullptr) {
    appended = static_cast<Cell *>(base)->AppendError(
        internal::ActorRefAccess::Generation(to), error);
    if (appended == internal::Appended::kRefused) base = nullptr;
  }
  if (base == nullptr) {
    return RecordDeadRefLetter(internal::ActorRefAccess::Cell(to),
                               internal::ActorRefAccess::Generation(to),
                               ErasedMessage::Of(std::move(error)));
  }
  if (appended == internal::Appended::kScheduled) {
    MakeRunnable(static_cast<Cell *>(base));
  }
  return absl::OkStatus();
}

}  // namespace coactor

#endif  // COACTOR_RUNTIME_WORK_STEALING_SEND_INL_H_
