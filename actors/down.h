// Down is the message a monitoring actor receives when an actor it
// monitors ends (Erlang's 'DOWN'): which actor, and how — `reason` is OK
// when it returned normally, Aborted with the exception's what() when an
// exception ended it (`exception` then holds it).
//
//   using Msg = std::variant<Work, coactor::Down>;
//   sched.Monitor(worker_ref, supervisor_ref);   // supervisor gets a Down
//
// Thread-safety: a plain value.
#ifndef COACTOR_ACTORS_DOWN_H_
#define COACTOR_ACTORS_DOWN_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <exception>
#include <string>

#include "absl/status/status.h"

namespace coactor {

struct Down {
  // "'name'" or "#id", as in dead letters and failures.
  std::string actor;
  absl::Status reason;
  std::exception_ptr exception;
};

}  // namespace coactor

#endif  // COACTOR_ACTORS_DOWN_H_
