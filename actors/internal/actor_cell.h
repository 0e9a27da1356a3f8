// ActorCell is the runtime's control block for one spawned actor; it outlives
// the actor's coroutine frame so that typed references and queued messages
// can tell a finished actor from a live one. ActorPromiseBase is the part of
// every actor's promise that the runtime reads and writes.
//
// Thread-safety: owned by one scheduler. `generation` and `state` are
// atomics because a multi-threaded scheduler's senders read them from other
// threads as a fast liveness pre-check; relaxed order suffices for that (the
// scheduler re-checks under its mailbox lock before it accepts a message).
#ifndef COACTOR_ACTORS_INTERNAL_ACTOR_CELL_H_
#define COACTOR_ACTORS_INTERNAL_ACTOR_CELL_H_

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "actors/internal/frame_pool.h"
#include "actors/internal/message_type.h"
#include "actors/internal/runtime.h"

namespace coactor::internal {

struct ActorCell;

class ActorPromiseBase {
 public:
  // The message to hand to the actor on its next resumption; set by the
  // runtime right before it resumes the actor at a Receive(); nullptr when
  // it delivers `delivered_error` instead.
  Payload* inbox = nullptr;
  // The cell the actor was admitted with; set at spawn.
  ActorCell* cell = nullptr;
  // An exception that escaped the actor's body.
  std::exception_ptr exception;
  // An error delivered instead of a message: rethrown by the actor's
  // pending Receive().
  std::exception_ptr delivered_error;

  // Every actor's coroutine frame comes from the frame pool (frame_pool.h).
  static void* operator new(std::size_t size) { return AllocateFrame(size); }
  static void operator delete(void* frame, std::size_t size) noexcept {
    FreeFrame(frame, size);
  }
};

enum class ActorState : uint8_t {
  kStarting,  // Admitted; its start has not run yet.
  kWaiting,   // Suspended in Receive(), ready for the next message.
  kBlocked,   // Suspended elsewhere (a sleep, a task, an ask); messages wait.
  // Resumed other than by a message; if it suspends still in this state,
  // it is back in a Receive() (awaitables that block call BlockActor(),
  // actor_blocking.h).
  kRunning,
  kFinished,  // Returned or threw; the frame is gone.
};

// A cell whose actor finishes with this generation is retired: never
// reused, so a generation never wraps and a reference never matches a later
// actor than its own (with free cells reused last in, first out, one cell
// can host every short-lived actor of a program: 2^32 of them take hours).
// A retired cell costs its few hundred bytes once per 2^32 actors.
inline constexpr uint32_t kLastGeneration = ~uint32_t{0};

struct ActorCell {
  std::coroutine_handle<> handle;
  ActorPromiseBase* promise = nullptr;
  const MessageType* type = nullptr;
  // Changed when the actor finishes (before the cell can be reused), so a
  // reference or registry entry with another generation is stale. Never
  // wraps: see kLastGeneration.
  std::atomic<uint32_t> generation{0};
  std::atomic<ActorState> state{ActorState::kFinished};

  // Relaxed: a pre-check only; see the thread-safety note above.
  uint32_t Generation() const {
    return generation.load(std::memory_order_relaxed);
  }
  // Relaxed: as Generation().
  ActorState State() const { return state.load(std::memory_order_relaxed); }
  // Relaxed: written by the thread that owns the actor's run; readers only
  // pre-check.
  void SetState(ActorState new_state) {
    state.store(new_state, std::memory_order_relaxed);
  }
  // Relaxed: as SetState().
  void BumpGeneration() {
    generation.store(Generation() + 1, std::memory_order_relaxed);
  }
  // Whether the cell may host another actor once its actor has finished
  // (see kLastGeneration).
  bool Reusable() const { return Generation() != kLastGeneration; }
  // Null for anonymous actors (most actors: a pointer, not a string, keeps
  // an idle actor small).
  std::unique_ptr<std::string> name;
  // Unique per scheduler; names anonymous actors in error messages.
  uint64_t id = 0;
  // The scheduler that admitted the actor (also how a reference is checked
  // to belong to the scheduler it is used with).
  Runtime* runtime = nullptr;
  // The token of the reply the actor awaits (odd), or an even number when
  // it awaits none; see actors/ask.h. It only counts up, across reuses of
  // the cell, so a late reply can never match a newer ask.
  std::atomic<uint64_t> ask_token{0};

  // "'printer'" for named actors, "#17" for anonymous ones.
  std::string DisplayName() const {
    return name == nullptr ? "#" + std::to_string(id) : "'" + *name + "'";
  }
  // The same unquoted, as DeadLetter::recipient records it.
  std::string RecipientName() const {
    return name == nullptr ? "#" + std::to_string(id) : *name;
  }
};

}  // namespace coactor::internal

#endif  // COACTOR_ACTORS_INTERNAL_ACTOR_CELL_H_
