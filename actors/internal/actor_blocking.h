// How an awaitable other than Receive() suspends an actor and has it
// resumed: the one place, beside the cell, where awaitables change an
// actor's state. Sleep, an ask, a BoundedQueue put or get and a JoinHandle
// call these; none writes ActorCell::state itself.
//
//   void await_suspend(std::coroutine_handle<> handle) {
//     internal::BlockActor(*context_.cell);  // Before anyone can wake it.
//     Register(context_, handle);            // Whoever completes it calls
//   }                                        // WakeActor(context, handle).
//
// The states an awaitable moves an actor between (ActorState, in
// actor_cell.h; the schedulers own the rest of the machine):
//   - BlockActor(): from the state the scheduler gave the handling actor
//     (kRunning, or kWaiting with work stealing) to kBlocked, no later than
//     the first moment something could wake it (on a multi-threaded
//     scheduler, before its waker is registered or its request sent; on
//     one thread, any time before it suspends): messages for it then wait
//     for its next Receive().
//   - UnblockActor(): back to that state, when the awaitable decides not
//     to suspend after all (a refused or throwing ask send) and nothing
//     has woken the actor.
//   - WakeActor(): has the scheduler resume the blocked actor at `handle`,
//     from its loop, never inline; the scheduler sets kRunning as it does.
//
// Thread-safety: BlockActor() and UnblockActor() run on the thread that
// runs the actor, inside its turn. WakeActor() is as thread-safe as the
// scheduler's Wake(): any thread on a work-stealing scheduler; for an actor
// of a deque scheduler, other threads' wake-ups are posted to its loop.
// Each blocked actor is woken exactly once (the awaitables' protocols
// guarantee it: a lock, or a claim of an ask's token).
#ifndef COACTOR_ACTORS_INTERNAL_ACTOR_BLOCKING_H_
#define COACTOR_ACTORS_INTERNAL_ACTOR_BLOCKING_H_

#include <coroutine>

#include "actors/internal/actor_cell.h"
#include "actors/internal/runtime.h"

namespace coactor::internal {

// The actor of `cell` is about to suspend somewhere other than Receive().
inline void BlockActor(ActorCell& cell) { cell.SetState(ActorState::kBlocked); }

// The actor of `cell`, blocked by BlockActor() and not woken since, goes on
// without suspending: back to `handling`, the state it had before.
inline void UnblockActor(ActorCell& cell, ActorState handling) {
  cell.SetState(handling);
}

// Resumes `handle`, suspended inside the blocked actor of `cell`, from
// `runtime`'s loop.
inline void WakeActor(Runtime& runtime, ActorCell& cell,
                      std::coroutine_handle<> handle) {
  runtime.Wake(&cell, handle);
}
inline void WakeActor(const ExecutionContext& context,
                      std::coroutine_handle<> handle) {
  context.runtime->Wake(context.cell, handle);
}

}  // namespace coactor::internal

#endif  // COACTOR_ACTORS_INTERNAL_ACTOR_BLOCKING_H_
