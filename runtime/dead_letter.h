// DeadLetter records a message that could not be delivered: to an unknown
// name, of the wrong type, or to an actor that had finished. The message
// itself is kept, so nothing is lost; the reason is the same error status
// the failed send returned (or, for a message queued before its actor
// finished, a FailedPrecondition).
//
// A dead letter may hold a request with an ask's ReplyTo (actors/ask.h),
// which points into its scheduler: destroy every dead letter, including
// those taken with TakeDeadLetters(), before the scheduler that recorded
// it. Destroying one later is a use after free. (Until then the ask is
// answered only by its timeout: see actors/ask.h.)
//
// ActorFailure records an exception that escaped an actor and ended it, or
// one thrown by user code the scheduler ran outside any actor (a SendAfter
// message's move, a watcher's message built from a Down): then `actor` says
// what ran ("SendAfter to printer", "Down to #3"), the message is a dead
// letter with an Aborted reason, and no actor ended.
//
// RecordLimits bounds what a scheduler keeps of these (SetRecordLimits()),
// so that a long-lived process that keeps sending to unknown names or
// losing actors does not grow for ever.
//
// Thread-safety: plain values.
#ifndef COACTOR_RUNTIME_DEAD_LETTER_H_
#define COACTOR_RUNTIME_DEAD_LETTER_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <cstddef>
#include <exception>
#include <string>

#include "absl/status/status.h"
#include "runtime/erased_message.h"

namespace coactor {

struct DeadLetter {
  // Who it was for, unquoted, the same on every scheduler (a name longer
  // than 256 bytes is recorded as its first 256 bytes and "...(N bytes)"):
  // the name it was sent to (a send by name), or the actor's name or "#id"
  // if it has none (a message it had not read when it finished, or a message or
  // error sent through a reference to it after it finished). "(finished actor)"
  // once that actor is no longer known (its place holds another actor by now),
  // "(another scheduler's actor)" for a reference that another scheduler
  // made, "(empty reference)" for an empty one.
  std::string recipient;
  absl::Status reason;
  ErasedMessage message;
};

struct ActorFailure {
  // The actor's display name ("'printer'", "#17"), or what ran (above).
  std::string actor;
  // The exception's what(), or a note that it was not a std::exception.
  std::string what;
  std::exception_ptr exception;
};

// How much a scheduler keeps. Each limit is a count; 0 keeps nothing.
struct RecordLimits {
  // The newest dead letters kept. An older one is dropped: its message is
  // destroyed (a request's ReplyTo then answers its ask at once with
  // "the request was dropped without a reply"); dead_letters_recorded()
  // still counts it.
  size_t dead_letters = 10'000;
  // The newest failures kept; failures_recorded() counts them all.
  size_t failures = 10'000;
  // Names of finished actors remembered, so that a send to one of them
  // fails with FailedPrecondition ("actor 'x' has finished"); a send to an
  // older one fails with NotFound, as to a name never used.
  size_t finished_names = 10'000;
};

}  // namespace coactor

#endif  // COACTOR_RUNTIME_DEAD_LETTER_H_
