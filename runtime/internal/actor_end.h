// How an actor ended, for every scheduler: the one end-of-actor report
// (EndActor(): close its cell, record its failure and what it never
// received, finish it, tell its monitors, release its name and cell), and its
// texts, worded once: the what() of the exception that ended it, the Down its
// monitors receive, and the reason given for messages it never received.
//
//   // In a scheduler, once an actor's coroutine is done:
//   internal::EndActor(cell, EndHooks{*this});
//
// Thread-safety: the texts are pure functions. EndActor() runs on the
// thread that ran the actor's last turn; the hooks take whatever locks
// their scheduler needs.
#ifndef COACTOR_RUNTIME_INTERNAL_ACTOR_END_H_
#define COACTOR_RUNTIME_INTERNAL_ACTOR_END_H_

#include <concepts>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "actors/actor_ref.h"
#include "actors/down.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/send_waiter.h"
#include "runtime/erased_message.h"
#include "runtime/internal/records.h"
#include "runtime/trace/tracer.h"

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
  return Down{display_name,
              exception ? absl::AbortedError(absl::StrCat(
                              "actor ", display_name,
                              " failed: ", DescribeException(exception)))
                        : absl::OkStatus(),
              exception, ActorRefAccess::MakeAny(&cell, generation),
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
  return absl::AbortedError(
      absl::StrCat(thrown_by, " threw: ", DescribeException(exception)));
}

// What a scheduler's close of an ended actor's cell hands back.
struct ClosedCell {
  uint32_t generation;  // The actor's, before it ended.
  // Errors never rethrown, then messages never delivered, in order.
  std::vector<ErasedMessage> undelivered;
  std::vector<absl::AnyInvocable<void(const Down&)>> monitors;
  // Senders that waited for room in its bounded mailbox (work stealing's
  // Close() hands them over; the scheduler ends each with an error).
  std::vector<SendWaiter*> waiters;
};

// The steps of an actor's end that differ between schedulers (how the
// mailbox is drained, which locks are held, and when the actor stops
// counting as live); see EndActor().
// (clang-format 14 and 16 lay out concepts and requires-clauses
// differently; kept as written so both accept the file.)
// clang-format off
template <typename Hooks, typename Cell>
concept ActorEndHooks =
    requires(Hooks& hooks, Cell* cell, const std::exception_ptr& exception,
             std::vector<ErasedMessage>& undelivered, uint32_t generation) {
      // Hands back what was never delivered, the monitors and the actor's
      // generation. It may also end the actor here (refuse sends from now on,
      // make every reference and name cache entry stale, destroy the frame and
      // mark the actor finished; work stealing, whose senders race the end),
      // or leave that to Finish() (the deque, where the records are made while
      // the actor still counts as live, as they always were); the name stays
      // in the cell either way.
      { hooks.Close(cell) } -> std::same_as<ClosedCell>;
      // Records the failure (if `exception`) and `undelivered` as dead
      // letters (RecordKeeper).
      hooks.Record(*cell, exception, undelivered);
      // Ends the actor if Close() did not (see there); does nothing if it did.
      hooks.Finish(cell, generation);
      // Retires the actor's name in the registry (kept a while, as finished),
      // if Finish() did not, and gives the cell back to be reused, when its
      // scheduler allows.
      hooks.Release(cell, generation);
    };
// clang-format on

// The actor in `cell` ends (by `exception`, if not null), in a trace.
inline void TraceEnd(Tracer& tracer, const ActorCell& cell,
                     const std::exception_ptr& exception) {
  if (exception) {
    tracer.EndByException(cell.id, cell.RecipientName(),
                          DescribeException(exception));
  } else {
    tracer.End(cell.id, cell.RecipientName());
  }
}

// The actor in `cell` has ended (its coroutine is done; the promise is
// still there): closes the cell, records its failure and turns what it
// never received into dead letters, finishes it, tells its monitors (after
// the close and finish, so a Down's watcher finds it ended), then releases
// its name and cell. The common end (no failure, nothing undelivered, no
// monitor) builds no name and records nothing.
// With a `tracer`, the end goes in its trace first.
// (clang-format 14 and 16 lay out concepts and requires-clauses
// differently; kept as written so both accept the file.)
// clang-format off
template <typename Cell, typename Hooks>
  requires ActorEndHooks<Hooks, Cell>
void EndActor(Cell* cell, Hooks hooks, Tracer* tracer = nullptr) {
  // clang-format on
  const std::exception_ptr exception = cell->promise->exception;
  if (ABSL_PREDICT_FALSE(tracer != nullptr))
    TraceEnd(*tracer, *cell, exception);
  ClosedCell closed = hooks.Close(cell);
  if (ABSL_PREDICT_FALSE(exception || !closed.undelivered.empty())) {
    hooks.Record(*cell, exception, closed.undelivered);
  }
  hooks.Finish(cell, closed.generation);
  if (ABSL_PREDICT_FALSE(!closed.monitors.empty())) {
    const Down down = DownNotice(*cell, closed.generation, exception);
    for (auto& notify : closed.monitors) notify(down);
  }
  hooks.Release(cell, closed.generation);
}

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_ACTOR_END_H_
