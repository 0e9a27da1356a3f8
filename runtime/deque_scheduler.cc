#include "runtime/deque_scheduler.h"

#include <cstring>
#include <exception>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace coactor {
namespace {

using internal::ActorState;

std::string DescribeException(const std::exception_ptr& exception) {
  try {
    std::rethrow_exception(exception);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

// Restores a flag when a scope ends, also by exception.
class FlagScope {
 public:
  explicit FlagScope(bool& flag) : flag_(flag) { flag_ = true; }
  ~FlagScope() { flag_ = false; }

 private:
  bool& flag_;
};

}  // namespace

DequeScheduler::DequeScheduler() = default;

DequeScheduler::~DequeScheduler() {
  shutting_down_ = true;
  // Mark every actor finished first, so that sends from destructors of
  // locals in the frames below become dead letters instead of queue entries
  // for frames that are going away.
  for (Cell& cell : cells_) {
    if (cell.State() != ActorState::kFinished) {
      cell.SetState(ActorState::kFinished);
      --live_actors_;
    }
  }
  for (Cell& cell : cells_) {
    if (cell.handle) {
      std::coroutine_handle<> handle = std::exchange(cell.handle, nullptr);
      handle.destroy();
      cell.promise = nullptr;
    }
  }
  while (!queue_.empty()) {
    Envelope* envelope = queue_.PopFront();
    if ((envelope->target & kStartTag) != 0) continue;
    auto* cell = reinterpret_cast<Cell*>(envelope->target);
    cell->type->destroy(&envelope->payload);
  }
}

void DequeScheduler::EnvelopeRelocator::operator()(Envelope* destination,
                                                   Envelope* source) const {
  destination->target = source->target;
  if ((source->target & kStartTag) != 0) return;
  const internal::MessageType* type =
      reinterpret_cast<Cell*>(source->target)->type;
  if (type->trivially_relocatable) {
    std::memcpy(&destination->payload, &source->payload,
                sizeof(internal::Payload));
  } else {
    type->relocate(&destination->payload, &source->payload);
  }
}

absl::StatusOr<DequeScheduler::Cell*> DequeScheduler::Admit(
    std::string_view name, internal::ActorPromiseBase* promise,
    std::coroutine_handle<> handle, const internal::MessageType* type) {
  if (shutting_down_) {
    return absl::FailedPreconditionError(
        "cannot spawn while the scheduler is being destroyed");
  }
  RegistryEntry* entry = nullptr;
  if (!name.empty()) {
    auto [it, inserted] = registry_.try_emplace(Key(name), RegistryEntry{});
    if (!inserted && FindLive(name) != nullptr) {
      return absl::AlreadyExistsError(
          absl::StrCat("an actor named '", Key(name), "' already exists"));
    }
    entry = &it->second;
  }
  Cell* cell = free_cells_;
  if (cell != nullptr) {
    free_cells_ = cell->next_free;
    cell->next_free = nullptr;
  } else {
    cell = &cells_.emplace_back();
  }
  cell->handle = handle;
  cell->promise = promise;
  cell->type = type;
  cell->SetState(ActorState::kStarting);
  cell->name = std::string(name);
  cell->id = next_actor_id_++;
  cell->owner = this;
  cell->pending = 0;
  promise->cell = cell;
  if (entry != nullptr) *entry = RegistryEntry{cell, cell->Generation()};
  ++live_actors_;

  Envelope* start = queue_.ReserveBack();
  start->target = reinterpret_cast<uintptr_t>(cell) | kStartTag;
  queue_.CommitBack();
  ++cell->pending;
  return cell;
}

absl::Status DequeScheduler::LookupError(std::string_view name) const {
  if (registry_.contains(Key(name))) {
    return absl::FailedPreconditionError(
        absl::StrCat("actor '", Key(name), "' has finished"));
  }
  return absl::NotFoundError(absl::StrCat("no actor named '", Key(name), "'"));
}

absl::Status DequeScheduler::WrongTypeError(std::string_view name,
                                            const internal::MessageType& wanted,
                                            std::string_view sent) const {
  return absl::InvalidArgumentError(
      absl::StrCat("actor '", Key(name), "' receives ", Key(wanted.name),
                   ", not ", Key(sent)));
}

absl::Status DequeScheduler::DeadRefError(internal::ActorCell* cell,
                                          uint32_t generation) const {
  if (cell == nullptr) {
    return absl::InvalidArgumentError("send through an empty ActorRef");
  }
  if (cell->owner != this) {
    return absl::InvalidArgumentError(
        "the ActorRef belongs to another scheduler");
  }
  if (cell->Generation() == generation + 1 &&
      cell->State() == ActorState::kFinished) {  // Not reused yet.
    return absl::FailedPreconditionError(
        absl::StrCat("actor ", cell->DisplayName(), " has finished"));
  }
  return absl::FailedPreconditionError("the referenced actor has finished");
}

void DequeScheduler::EnqueueAlternative(Cell* cell,
                                        const internal::Alternative& alternative,
                                        void* source) {
  Envelope* envelope = queue_.ReserveBack();
  alternative.construct_from(&envelope->payload, source);
  envelope->target = reinterpret_cast<uintptr_t>(cell);
  queue_.CommitBack();
  ++cell->pending;
}

absl::Status DequeScheduler::RecordDeadLetter(std::string recipient,
                                              absl::Status reason,
                                              ErasedMessage message) {
  dead_letters_.push_back(
      DeadLetter{std::move(recipient), reason, std::move(message)});
  return reason;
}

absl::Status DequeScheduler::Run() {
  if (running_) {
    return absl::FailedPreconditionError(
        "Run() called from inside one of the scheduler's actors");
  }
  FlagScope running(running_);
  while (!queue_.empty()) Step();
  return absl::OkStatus();
}

bool DequeScheduler::RunOnce() {
  if (running_ || queue_.empty()) return false;
  FlagScope running(running_);
  Step();
  return !queue_.empty();
}

// The hot path: one envelope, one resumption.
inline void DequeScheduler::Step() {
  Envelope* envelope = queue_.PopFront();
  const uintptr_t target = envelope->target;
  if (ABSL_PREDICT_FALSE((target & kStartTag) != 0)) {
    Start(reinterpret_cast<Cell*>(target & ~kStartTag));
    return;
  }
  auto* cell = reinterpret_cast<Cell*>(target);
  --cell->pending;
  if (ABSL_PREDICT_FALSE(cell->State() != ActorState::kWaiting)) {
    DeliverToFinished(cell, &envelope->payload);
    return;
  }
  // The actor moves the message out of the popped slot as soon as it
  // resumes, before it can send anything that would reuse the slot.
  cell->promise->inbox = &envelope->payload;
  ++messages_delivered_;
  cell->handle.resume();
  if (ABSL_PREDICT_FALSE(cell->handle.done())) OnFinished(cell);
}

void DequeScheduler::Start(Cell* cell) {
  --cell->pending;
  if (cell->State() != ActorState::kStarting) return;
  cell->SetState(ActorState::kWaiting);
  cell->handle.resume();
  if (cell->handle.done()) OnFinished(cell);
}

void DequeScheduler::DeliverToFinished(Cell* cell,
                                       internal::Payload* payload) {
  RecordDeadLetter(cell->DisplayName(),
                   absl::FailedPreconditionError(absl::StrCat(
                       "actor ", cell->DisplayName(),
                       " finished before this message was delivered")),
                   ErasedMessage::Adopt(cell->type, payload))
      .IgnoreError();
  if (cell->pending == 0) FreeCell(cell);
}

void DequeScheduler::OnFinished(Cell* cell) {
  if (cell->promise->exception) {
    failures_.push_back(ActorFailure{cell->DisplayName(),
                                     DescribeException(cell->promise->exception),
                                     cell->promise->exception});
  }
  std::exchange(cell->handle, nullptr).destroy();
  cell->promise = nullptr;
  cell->SetState(ActorState::kFinished);
  // From now on every reference to and registry entry for this actor is
  // stale; the generation alone tells (typed sends check nothing else).
  cell->BumpGeneration();
  --live_actors_;
  if (cell->pending == 0) FreeCell(cell);
}

void DequeScheduler::FreeCell(Cell* cell) {
  cell->name.clear();
  cell->next_free = free_cells_;
  free_cells_ = cell;
}

}  // namespace coactor
