// DequeScheduler's sends, finds and posts, defined: the templates declared
// in runtime/deque_scheduler.h, which includes this at its end, with the
// name look-up (FindLive()) and the one way into the FIFO (Enqueue()). A send
// by name looks the name up through the name cache (runtime/internal/
// name_cache.h) and appends one envelope to the FIFO; everything else (a
// conversion to a variant alternative, every error, a dead reference) is
// out of line, kept out of the caller's code.
//
// Not to be included directly: include runtime/deque_scheduler.h.
//
// Thread-safety: that of DequeScheduler (Send, Find, SendError: the loop's
// thread; Post: any thread).
#ifndef COACTOR_RUNTIME_DEQUE_SEND_INL_H_
#define COACTOR_RUNTIME_DEQUE_SEND_INL_H_

#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/deque_scheduler.h"

namespace coactor {

inline DequeScheduler::Cell* DequeScheduler::FindLive(
    std::string_view name) const {
  if (Cell** hit = name_cache_.Find(name); ABSL_PREDICT_TRUE(hit)) {
    return *hit;
  }
  return FindLiveAndCache(name);
}

inline DequeScheduler::Cell* DequeScheduler::FindLiveAndCache(
    std::string_view name) const {
  const RegistryEntry* entry = registry_.Find(name);
  // An actor's generation changes when it finishes.
  if (entry == nullptr || entry->cell->Generation() != entry->generation) {
    return nullptr;
  }
  name_cache_.Fill(name, entry->cell);
  return entry->cell;
}

template <typename Build>
bool DequeScheduler::EnqueueEnvelope(Cell* cell, uintptr_t tag, Build&& build) {
  Envelope* envelope = queue_.ReserveBack();
  build(envelope->payload);
  envelope->target = reinterpret_cast<uintptr_t>(cell) | tag;
  queue_.CommitBack();
  if (ABSL_PREDICT_FALSE(cell->pending.AddReachesPeak())) {
    return AtPeak(envelope);  // Its cell is in its target.
  }
  return true;
}

template <typename Msg, typename... Args>
bool DequeScheduler::Enqueue(Cell* cell, Args&&... args) {
  return EnqueueEnvelope(cell, 0, [&](internal::Payload& payload) {
    internal::ConstructPayload<Msg>(&payload, std::forward<Args>(args)...);
  });
}

template <typename M>
absl::Status DequeScheduler::Send(std::string_view name, M&& message) {
  // Decayed: a string literal is a const char* message (a type error for
  // a std::string actor, reported as such), not an array.
  using T = std::decay_t<M>;
  internal::CheckSendable<T, M>();
  Cell* cell = FindLive(name);
  if (ABSL_PREDICT_TRUE(cell != nullptr &&
                        cell->type == internal::MessageTypeOf<T>()) &&
      ABSL_PREDICT_TRUE(Enqueue<T>(cell, std::forward<M>(message)))) {
    return absl::OkStatus();
  }
  // (Or a bounded mailbox did not take it as it came: see there.)
  return SendByNameSlow<T>(name, cell, std::forward<M>(message));
}

template <typename T, typename M>
absl::Status DequeScheduler::SendByNameSlow(std::string_view name, Cell* cell,
                                            M&& message) {
  // A bounded mailbox refused or dropped it (the message is used up).
  if (ABSL_PREDICT_FALSE(limits_.pending)) return TakeLimitStatus();
  if (cell == nullptr) {
    return RecordDeadLetter(internal::RecordedName(name), LookupError(name),
                            ErasedMessage::Of(std::forward<M>(message)));
  }
  const internal::Alternative* alternative =
      internal::FindAlternative(*cell->type, internal::MessageTypeOf<T>());
  if (alternative != nullptr) {
    T value(std::forward<M>(message));
    if (!EnqueueAlternative(cell, *alternative, &value)) {
      return TakeLimitStatus();
    }
    return absl::OkStatus();
  }
  return RecordDeadLetter(
      internal::RecordedName(name),
      WrongTypeError(name, *cell->type, internal::TypeName<T>()),
      ErasedMessage::Of(std::forward<M>(message)));
}

template <typename Msg, typename M>
absl::Status DequeScheduler::Send(const ActorRef<Msg>& to, M&& message) {
  internal::CheckSendable<Msg, M>();
  internal::ActorCell* cell =
      internal::ActorRefAccess::LiveCell(to, Identity());
  if (ABSL_PREDICT_TRUE(cell != nullptr) &&
      ABSL_PREDICT_TRUE(
          Enqueue<Msg>(static_cast<Cell*>(cell), std::forward<M>(message)))) {
    return absl::OkStatus();
  }
  // (Or a bounded mailbox did not take it as it came: see there.)
  return SendToDeadRef(to, std::forward<M>(message));
}

template <typename Msg, typename M>
absl::Status DequeScheduler::SendToDeadRef(const ActorRef<Msg>& to,
                                           M&& message) {
  // A bounded mailbox refused or dropped it (the message is used up).
  if (ABSL_PREDICT_FALSE(limits_.pending)) return TakeLimitStatus();
  internal::DeadReference dead =
      DescribeDeadRef(internal::ActorRefAccess::Cell(to),
                      internal::ActorRefAccess::Generation(to));
  return RecordDeadLetter(std::move(dead.recipient), std::move(dead.reason),
                          ErasedMessage::Of(Msg(std::forward<M>(message))));
}

template <typename M>
void DequeScheduler::Post(std::string_view name, M&& message) {
  internal::CheckSendable<std::decay_t<M>, M>();  // As Send() does.
  Post([this, name = std::string(name),
        message = std::decay_t<M>(std::forward<M>(message))]() mutable {
    Send(name, std::move(message)).IgnoreError();
  });
}

template <typename Msg, typename M>
void DequeScheduler::Post(const ActorRef<Msg>& to, M&& message) {
  internal::CheckSendable<Msg, M>();  // As Send() does.
  Post([this, to, message = Msg(std::forward<M>(message))]() mutable {
    Send(to, std::move(message)).IgnoreError();
  });
}

template <typename Msg>
absl::StatusOr<ActorRef<Msg>> DequeScheduler::Find(
    std::string_view name) const {
  Cell* cell = FindLive(name);
  if (cell == nullptr) return LookupError(name);
  if (cell->type != internal::MessageTypeOf<Msg>()) {
    return WrongTypeError(name, *cell->type, internal::TypeName<Msg>());
  }
  return internal::ActorRefAccess::Make<Msg>(cell);
}

template <typename Msg>
absl::Status DequeScheduler::SendError(const ActorRef<Msg>& to,
                                       std::exception_ptr error) {
  if (error == nullptr) {
    return absl::InvalidArgumentError(
        "SendError(nullptr): no error to deliver");
  }
  internal::ActorCell* cell =
      internal::ActorRefAccess::LiveCell(to, Identity());
  if (cell == nullptr) {
    internal::DeadReference dead =
        DescribeDeadRef(internal::ActorRefAccess::Cell(to),
                        internal::ActorRefAccess::Generation(to));
    return RecordDeadLetter(std::move(dead.recipient), std::move(dead.reason),
                            ErasedMessage::Of(std::move(error)));
  }
  EnqueueEnvelope(static_cast<Cell*>(cell), kErrorTag,
                  [&](internal::Payload& payload) {
                    ::new (static_cast<void*>(payload.bytes))
                        std::exception_ptr(std::move(error));
                  });
  return absl::OkStatus();
}

}  // namespace coactor

#endif  // COACTOR_RUNTIME_DEQUE_SEND_INL_H_
