// Down is the message a monitoring actor receives when an actor it
// monitors ends (Erlang's 'DOWN'): which actor, and how — `reason` is OK
// when it returned normally, Aborted with the exception's what() when an
// exception ended it (`exception` then holds it).
//
//   using Msg = std::variant<Work, coactor::Down>;
//   sched.Monitor(worker_ref, supervisor_ref).IgnoreError();  // Or check it.
//   ...                                         // in the supervisor:
//   if (coactor::Down* down = std::get_if<coactor::Down>(&message)) {
//     if (down->ref == worker_ref) ...          // that worker ended
//     if (!down->name.empty()) {                // respawn under its name
//       sched.Spawn(down->name, Worker()).IgnoreError();
//     }
//   }
//
// Thread-safety: a plain value.
#ifndef COACTOR_ACTORS_DOWN_H_
#define COACTOR_ACTORS_DOWN_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <exception>
#include <string>

#include "absl/status/status.h"
#include "actors/actor_ref.h"

namespace coactor {

struct Down {
  // "'name'" or "#id", as in dead letters and failures (a name longer than
  // 256 bytes cut there, and in `reason`).
  std::string actor;
  absl::Status reason;
  std::exception_ptr exception;
  // The actor that ended, as the reference Monitor() was given (it
  // compares equal to it; `ref.As<Msg>()` gives the typed one back).
  // Sends through it now fail: the actor has finished.
  AnyActorRef ref;
  // The name it was spawned under, unquoted ("acct-7"), to spawn a
  // successor under; empty for an anonymous actor.
  std::string name;
};

}  // namespace coactor

#endif  // COACTOR_ACTORS_DOWN_H_
