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
// Thread-safety: a value type; copy it freely. It is only used through the
// scheduler that spawned the actor.
#ifndef COACTOR_ACTORS_ACTOR_REF_H_
#define COACTOR_ACTORS_ACTOR_REF_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <cstdint>

#include "actors/internal/actor_cell.h"

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
}  // namespace coactor

#endif  // COACTOR_ACTORS_ACTOR_REF_H_
