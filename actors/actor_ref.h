// ActorRef<Msg> is a typed reference to a spawned actor that receives Msg.
//
// Sending through a reference is checked at compile time (the message must
// convert to Msg) and needs no name lookup:
//
//   absl::StatusOr<coactor::ActorRef<int>> printer =
//       sched.Spawn("printer", Printer());
//   sched.Send(*printer, 42).IgnoreError();  // Or check it.
//
// A reference stays safe to use after its actor finished: sends through it
// become dead letters with a FailedPrecondition error. A default-constructed
// reference refers to no actor.
//
// AnyActorRef refers to an actor whatever its message type: a Down carries
// one, since a watcher may monitor actors of several types. Every ActorRef
// converts to it, it compares equal to the reference it was made from, and
// As<Msg>() gives the typed reference back (an empty one if the actor does
// not receive Msg):
//
//   if (down.ref == worker) ...                    // this worker ended
//   coactor::ActorRef<Work> typed = down.ref.As<Work>();
//
// Thread-safety: a value type; copy it freely. It is only used through the
// scheduler that spawned the actor.
#ifndef COACTOR_ACTORS_ACTOR_REF_H_
#define COACTOR_ACTORS_ACTOR_REF_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <cstdint>

#include "actors/internal/actor_cell.h"
#include "actors/internal/message_type.h"

namespace coactor {
namespace internal {
struct ActorRefAccess;
}  // namespace internal

template <typename Msg>
class ActorRef {
 public:
  using message_type = Msg;

  ActorRef() = default;

  // True when this reference was obtained from a spawn (even if the actor
  // has finished since).
  bool valid() const { return cell_ != nullptr; }

  friend bool operator==(const ActorRef& a, const ActorRef& b) {
    return a.cell_ == b.cell_ && a.generation_ == b.generation_;
  }

 private:
  friend struct internal::ActorRefAccess;
  ActorRef(internal::ActorCell* cell, uint32_t generation)
      : cell_(cell), generation_(generation) {}

  internal::ActorCell* cell_ = nullptr;
  uint32_t generation_ = 0;
};

class AnyActorRef {
 public:
  AnyActorRef() = default;
  // Implicit: wherever an AnyActorRef is wanted, any typed reference does.
  template <typename Msg>
  AnyActorRef(const ActorRef<Msg>& ref);  // NOLINT(runtime/explicit)

  // True when this reference was obtained from a spawn (even if the actor
  // has finished since).
  bool valid() const { return cell_ != nullptr; }

  // The typed reference, if the actor receives Msg; else an empty one.
  template <typename Msg>
  ActorRef<Msg> As() const;

  friend bool operator==(const AnyActorRef& a, const AnyActorRef& b) {
    return a.cell_ == b.cell_ && a.generation_ == b.generation_;
  }

 private:
  friend struct internal::ActorRefAccess;
  AnyActorRef(internal::ActorCell* cell, uint32_t generation,
              const internal::MessageType* type)
      : cell_(cell), generation_(generation), type_(type) {}

  internal::ActorCell* cell_ = nullptr;
  uint32_t generation_ = 0;
  // The actor's message type, kept here: the cell may hold another actor
  // (of another type) later.
  const internal::MessageType* type_ = nullptr;
};

namespace internal {

// Lets schedulers make and read references; not for actor authors.
struct ActorRefAccess {
  template <typename Msg>
  static ActorRef<Msg> Make(ActorCell* cell) {
    return ActorRef<Msg>(cell, cell->Generation());
  }
  template <typename Msg>
  static ActorRef<Msg> Make(ActorCell* cell, uint32_t generation) {
    return ActorRef<Msg>(cell, generation);
  }
  // The erased reference to the actor of `generation` in `cell` (which
  // must still hold it, for its message type).
  static AnyActorRef MakeAny(ActorCell* cell, uint32_t generation) {
    return AnyActorRef(cell, generation, cell->type);
  }
  template <typename Msg>
  static ActorCell* Cell(const ActorRef<Msg>& ref) {
    return ref.cell_;
  }
  template <typename Msg>
  static uint32_t Generation(const ActorRef<Msg>& ref) {
    return ref.generation_;
  }
  // The cell, or nullptr if the reference is empty, its actor finished, or
  // it belongs to another scheduler than `owner` (the scheduler's Runtime).
  template <typename Msg>
  static ActorCell* LiveCell(const ActorRef<Msg>& ref, const void* owner) {
    ActorCell* cell = ref.cell_;
    // Schedulers change an actor's generation when it finishes, so a
    // matching generation means it is live.
    if (cell == nullptr || cell->Generation() != ref.generation_ ||
        static_cast<const void*>(cell->runtime) != owner) {
      return nullptr;
    }
    return cell;
  }
};

}  // namespace internal

template <typename Msg>
AnyActorRef::AnyActorRef(const ActorRef<Msg>& ref)
    : cell_(internal::ActorRefAccess::Cell(ref)),
      generation_(internal::ActorRefAccess::Generation(ref)),
      type_(ref.valid() ? internal::MessageTypeOf<Msg>() : nullptr) {}

template <typename Msg>
ActorRef<Msg> AnyActorRef::As() const {
  if (cell_ == nullptr || type_ != internal::MessageTypeOf<Msg>()) return {};
  return internal::ActorRefAccess::Make<Msg>(cell_, generation_);
}

}  // namespace coactor

#endif  // COACTOR_ACTORS_ACTOR_REF_H_
