// The errors a send can return, worded once for every scheduler, so that
// the same mistake reads the same on each; and the compile-time checks of
// what is sent (CheckSendable).
//
// Thread-safety: pure functions; DescribeDeadReference() reads the cell, so
// a multi-threaded scheduler calls it under the cell's lock.
#ifndef COACTOR_RUNTIME_INTERNAL_SEND_ERRORS_H_
#define COACTOR_RUNTIME_INTERNAL_SEND_ERRORS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "actors/internal/actor_cell.h"
#include "runtime/internal/name_hash.h"
#include "runtime/internal/records.h"

namespace coactor::internal {

// Whether a send's argument, forwarded as `M&&`, is an lvalue that a
// message of type Msg can be moved from but not copied from (a
// std::unique_ptr, or a variant with one): the caller forgot std::move.
template <typename Msg, typename M>
inline constexpr bool kMustMove =
    std::is_lvalue_reference_v<M> && !std::is_constructible_v<Msg, M&&> &&
    std::is_constructible_v<Msg, std::remove_reference_t<M>&&>;

// Refuses, at compile time, to send `M&&` to an actor that receives Msg
// (by name, Msg is what is sent: std::decay_t<M>). Called first in every
// send, so that its message is the first error a user sees. (consteval:
// nothing of it is left at run time, even unoptimised.)
template <typename Msg, typename M>
consteval void CheckSendable() {
  static_assert(!kMustMove<Msg, M>,
                "the message cannot be copied from this lvalue: move it: "
                "std::move(...)");
  static_assert(kMustMove<Msg, M> || std::is_constructible_v<Msg, M&&>,
                "the message does not convert to the actor's message type");
}

// No live actor is called `name`: it never existed, or it has finished.
// (Names are cut to kMaxRecordedNameBytes: the status is kept with the
// dead letter.)
inline absl::Status NameNotLive(std::string_view name, bool registered) {
  if (registered) {
    return absl::FailedPreconditionError(
        absl::StrCat("actor '", RecordedName(name), "' has finished"));
  }
  return absl::NotFoundError(
      absl::StrCat("no actor named '", RecordedName(name), "'"));
}

// Spawn() under `name`, which a live actor bears.
inline absl::Status NameTaken(std::string_view name) {
  return absl::AlreadyExistsError(
      absl::StrCat("an actor named '", RecordedName(name), "' already exists"));
}

inline absl::Status WrongType(std::string_view name, std::string_view receives,
                              std::string_view sent) {
  return absl::InvalidArgumentError(
      absl::StrCat("actor '", RecordedName(name), "' receives ",
                   AbslView(receives), ", not ", AbslView(sent)));
}

// What a send (or SendError) through a reference that reaches no live actor
// records: who it was for, as DeadLetter::recipient says it, and why it was
// refused (the status the send returns).
struct DeadReference {
  std::string recipient;
  absl::Status reason;
};

// Describes the reference (`cell`, `generation`) used on `scheduler`.
// `vacant` is read only for a cell of `scheduler`: whether the cell has
// held no actor since its actor finished (a scheduler knows best: its
// finished state, or its closed flag read under the cell's lock), so that
// the name in it is still that actor's.
inline DeadReference DescribeDeadReference(const ActorCell* cell,
                                           uint32_t generation,
                                           const void* scheduler, bool vacant) {
  if (cell == nullptr) {
    return {"(empty reference)",
            absl::InvalidArgumentError("send through an empty ActorRef")};
  }
  if (static_cast<const void*>(cell->runtime) != scheduler) {
    return {"(another scheduler's actor)",
            absl::InvalidArgumentError(
                "the ActorRef belongs to another scheduler")};
  }
  // Generations change when an actor finishes: one step on, in a vacant
  // cell, is the referenced actor's own end.
  if (cell->Generation() == generation + 1 && vacant) {
    return {RecordedName(cell->RecipientName()),
            absl::FailedPreconditionError(absl::StrCat(
                "actor ", RecordedName(cell->DisplayName()), " has finished"))};
  }
  return {"(finished actor)",
          absl::FailedPreconditionError("the referenced actor has finished")};
}

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_SEND_ERRORS_H_
