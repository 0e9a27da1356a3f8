// DequeScheduler: construction and destruction, admission, the registry,
// the records and monitors. The loop and the timers are in deque/loop.cc,
// the delivery of what is not a plain message and an actor's end in
// deque/delivery.cc; the sends are templates (deque/send_inl.h).

#include "runtime/deque_scheduler.h"

#include <exception>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "runtime/internal/actor_end.h"
#include "runtime/internal/record_keeper.h"
#include "runtime/internal/records.h"
#include "runtime/internal/send_errors.h"

namespace coactor {
namespace {

using internal::ActorState;

}  // namespace

DequeScheduler::DequeScheduler(Clock& clock) : clock_(clock) {
  records_.TraceInto(&trace_);
  trace_.StartFromEnvironment();
  SetTracingAsks(trace_.get() != nullptr);
}

DequeScheduler::~DequeScheduler() {
  shutting_down_ = true;
  // Mark every actor finished and make every reference to it stale first
  // (its generation, and the name cache, which holds live actors only), so
  // that a send from a destructor that runs below (of a local in a frame,
  // or of a message) becomes a dead letter instead of a queue entry for an
  // actor that is going away.
  for (Cell& cell : cells_) {
    if (cell.State() != ActorState::kFinished) {
      cell.SetState(ActorState::kFinished);
      cell.BumpGeneration();
      --live_actors_;
    }
  }
  name_cache_.Clear();
  for (Cell& cell : cells_) {
    if (cell.handle) {
      std::coroutine_handle<> handle = std::exchange(cell.handle, nullptr);
      handle.destroy();
      cell.promise = nullptr;
    }
  }
  // Then every message, wherever it waits; destroying one may send another
  // (a dead letter by now), so until none is left.
  do {
    DestroyPendingMessages();
    std::vector<absl::AnyInvocable<void()>> posted;
    {
      internal::MutexLock hold(posted_mutex_);
      posted.swap(posted_);
    }
    posted.clear();  // Posted messages, unsent.
    std::vector<DeadLetter> letters = records_.TakeDeadLetters();
    letters.clear();  // Their destructors' sends land in records_.
  } while (!queue_.empty() || timers_.size() != 0 ||
           !records_.dead_letters().empty() || !posted_.empty());
}

void DequeScheduler::DestroyPendingMessages() {
  // A SendAfter() timer's callback holds its message: dropped unfired,
  // never-timers (an infinite delay) included.
  timers_.TakeAllCallbacks().clear();
  while (!queue_.empty()) {
    Envelope* envelope = queue_.PopFront();
    const uintptr_t tag = envelope->target & kTagMask;
    if (tag == 0 || tag == Envelope::kLimitedTag) {
      reinterpret_cast<Cell*>(envelope->target & ~kTagMask)
          ->type->destroy(&envelope->payload);
    } else if (tag == kErrorTag) {
      std::launder(
          reinterpret_cast<std::exception_ptr*>(envelope->payload.bytes))
          ->~exception_ptr();
    }
  }
  for (Cell& cell : cells_) {
    if (cell.extras == nullptr) continue;
    auto& stash = cell.extras->stash;
    while (!stash.empty()) cell.type->destroy(stash.PopFront());
    cell.extras->stashed_errors.clear();
  }
}

absl::StatusOr<DequeScheduler::Cell*> DequeScheduler::Admit(
    std::string_view name, internal::ActorPromiseBase* promise,
    std::coroutine_handle<> handle, const internal::MessageType* type) {
  if (shutting_down_) {
    return absl::FailedPreconditionError(
        "cannot spawn while the scheduler is being destroyed");
  }
  if (!name.empty() && FindLive(name) != nullptr) {
    return internal::NameTaken(name);
  }
  Cell* cell = cells_.Take();
  cell->handle = handle;
  cell->promise = promise;
  cell->type = type;
  cell->SetState(ActorState::kStarting);
  cell->name = name.empty() ? nullptr : std::make_unique<std::string>(name);
  cell->id = next_actor_id_++;
  cell->runtime = this;
  cell->pending.Reset();
  // Sized for the previous actor's message type; its counts were that
  // actor's.
  cell->extras.reset();
  cell->limit =
      internal::MailboxLimit::For(internal::SpawnOptionsScope::Current());
  promise->cell = cell;
  if (!name.empty()) registry_.Set(name, {cell, cell->Generation()});
  ++live_actors_;
  if (Tracer* t = trace_.get(); ABSL_PREDICT_FALSE(t != nullptr)) {
    t->Spawn(cell->id, cell->RecipientName());
  }

  EnqueueSpecial(cell, kStartTag);
  return cell;
}

void DequeScheduler::EnqueueSpecial(Cell* cell, uintptr_t tag) {
  EnqueueEnvelope(cell, tag, [](internal::Payload&) {});
}

absl::Status DequeScheduler::LookupError(std::string_view name) const {
  return internal::NameNotLive(name, registry_.Contains(name));
}

absl::Status DequeScheduler::WrongTypeError(std::string_view name,
                                            const internal::MessageType& wanted,
                                            std::string_view sent) const {
  return internal::WrongType(name, wanted.name, sent);
}

internal::DeadReference DequeScheduler::DescribeDeadRef(
    internal::ActorCell* cell, uint32_t generation) const {
  return internal::DescribeDeadReference(
      cell, generation, Identity(),
      cell != nullptr && cell->State() == ActorState::kFinished);
}

bool DequeScheduler::EnqueueAlternative(
    Cell* cell, const internal::Alternative& alternative, void* source) {
  return EnqueueEnvelope(cell, 0, [&](internal::Payload& payload) {
    alternative.construct_from(&payload, source);
  });
}

absl::Status DequeScheduler::RecordDeadLetter(std::string recipient,
                                              absl::Status reason,
                                              ErasedMessage message) {
  internal::RecordKeeper::Dropped dropped;
  records_.AddDeadLetter(
      DeadLetter{std::move(recipient), reason, std::move(message)}, dropped);
  // `dropped` goes here, the log whole again: a message's destructor may
  // send, and so record.
  return reason;
}

void DequeScheduler::SetRecordLimits(const RecordLimits& limits) {
  internal::RecordKeeper::Dropped dropped;
  records_.SetLimits(limits, dropped);
  registry_.SetFinishedLimit(limits.finished_names);
}

void DequeScheduler::RecordThrown(const char* doing, internal::ActorCell* to,
                                  uint32_t generation,
                                  std::exception_ptr exception,
                                  ErasedMessage message) {
  // Named as dead letters name it: its actor's name while it lives, else
  // as a dead reference is described.
  const bool live = to != nullptr &&
                    static_cast<const void*>(to->runtime) == Identity() &&
                    to->Generation() == generation;
  std::string recipient = live ? internal::RecordedName(to->RecipientName())
                               : DescribeDeadRef(to, generation).recipient;
  internal::RecordKeeper::Dropped dropped;
  records_.AddThrown(doing, std::move(recipient), exception, std::move(message),
                     dropped);
}

// ---- internal::Runtime (Wake(): deque/delivery.cc; timers: deque/loop.cc)

absl::Status DequeScheduler::AddMonitor(
    internal::ActorCell* watched, uint32_t generation,
    absl::AnyInvocable<void(const Down&)> notify) {
  if (watched == nullptr || watched->runtime != Identity() ||
      watched->Generation() != generation) {
    return absl::FailedPreconditionError(
        "cannot monitor an actor that has finished");
  }
  static_cast<Cell*>(watched)->GetExtras().monitors.push_back(
      std::move(notify));
  return absl::OkStatus();
}

}  // namespace coactor
