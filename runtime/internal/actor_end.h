// How an actor ended, worded once for every scheduler: the what() of the
// exception that ended it, the Down its monitors receive, and the reason
// given for messages it never received.
//
// Thread-safety: pure functions.
#ifndef COACTOR_RUNTIME_INTERNAL_ACTOR_END_H_
#define COACTOR_RUNTIME_INTERNAL_ACTOR_END_H_

#include <cstdint>
#include <exception>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "actors/actor_ref.h"
#include "actors/down.h"
#include "actors/internal/actor_cell.h"
#include "runtime/internal/records.h"

namespace coactor::internal {

inline std::string DescribeException(const std::exception_ptr& exception) {
  try {
    std::rethrow_exception(exception);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

// What monitors of the actor of `generation` in `cell` hear when it ends
// (the cell still holds it: its name and type): who it was, and OK, or
// Aborted with the what() of the exception that ended it.
inline Down DownNotice(ActorCell& cell, uint32_t generation,
                       const std::exception_ptr& exception) {
  // Cut as in failures (the full name is in Down::name).
  const std::string display_name = RecordedName(cell.DisplayName());
  return Down{
      display_name,
      exception ? absl::AbortedError(absl::StrCat(
                      "actor ", display_name, " failed: ",
                      DescribeException(exception)))
                : absl::OkStatus(),
      exception,
      ActorRefAccess::MakeAny(&cell, generation),
      cell.name == nullptr ? std::string() : *cell.name};
}

// The reason kept with a message (or error) the actor `name` (its display
// name) ended before receiving; a long name is cut, as in every record.
inline absl::Status Undelivered(const std::string& name) {
  return absl::FailedPreconditionError(absl::StrCat(
      "actor ", RecordedName(name), " finished before this was delivered"));
}

// User code a scheduler ran outside any actor (`doing`: a SendAfter's
// send, a monitor's Down) threw on its way to the actor `name`: who failed,
// as recorded in failures(), and the reason kept with the message.
inline std::string ThrownBy(const char* doing, const std::string& name) {
  return absl::StrCat(doing, " to ", name);
}
inline absl::Status ThrownReason(const std::string& thrown_by,
                                 const std::exception_ptr& exception) {
  return absl::AbortedError(absl::StrCat(thrown_by, " threw: ",
                                         DescribeException(exception)));
}

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_ACTOR_END_H_
