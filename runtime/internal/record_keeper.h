// RecordKeeper holds what a scheduler keeps of what went wrong, for both
// schedulers: the newest dead letters and failures (each a BoundedLog,
// runtime/internal/records.h), the limits they are kept to (RecordLimits,
// runtime/dead_letter.h), and the records a scheduler makes: a dead
// letter, an actor's end (its failure, and its undelivered messages as dead
// letters), and user code that threw outside any actor.
//
//   internal::RecordKeeper records;
//   internal::RecordKeeper::Dropped dropped;  // Before any lock: see below.
//   records.AddDeadLetter({"printer", reason, std::move(message)}, dropped);
//
// What the limits push out is moved to `dropped`, for the caller to destroy
// where that is safe: a dropped message's destructor may send, and so
// record again (so after the caller has let go of its records' lock).
//
// Thread-safety: none; a multi-threaded scheduler holds its records' lock
// around every call but DescribeEnd() and DescribeThrown(), which it calls
// before taking it (they run the what() of user exceptions).
#ifndef COACTOR_RUNTIME_INTERNAL_RECORD_KEEPER_H_
#define COACTOR_RUNTIME_INTERNAL_RECORD_KEEPER_H_

#include <cstdint>
#include <deque>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "actors/internal/actor_cell.h"
#include "runtime/dead_letter.h"
#include "runtime/erased_message.h"
#include "runtime/internal/actor_end.h"
#include "runtime/internal/records.h"
#include "runtime/trace/trace_hook.h"
#include "runtime/trace/tracer.h"

namespace coactor::internal {

class RecordKeeper {
 public:
  // Records the limits pushed out, to be destroyed by the caller.
  struct Dropped {
    std::vector<DeadLetter> letters;
    std::vector<ActorFailure> failures;
  };

  // Also writes each dead letter and failure into the trace `hook` holds,
  // when it holds one (the scheduler's, which outlives this).
  void TraceInto(const TraceHook* hook) { trace_ = hook; }

  void AddDeadLetter(DeadLetter letter, Dropped& dropped) {
    if (Tracer* t = Tracing(); ABSL_PREDICT_FALSE(t != nullptr)) {
      const absl::string_view why = letter.reason.message();
      t->DeadLetter(letter.recipient, std::string_view(why.data(), why.size()),
                    letter.message.type_name());
    }
    dead_letters_.Add(std::move(letter), limits_.dead_letters, dropped.letters);
  }
  void AddFailure(ActorFailure failure, Dropped& dropped) {
    if (Tracer* t = Tracing(); ABSL_PREDICT_FALSE(t != nullptr)) {
      t->Failure(0, failure.actor, failure.what);
    }
    failures_.Add(std::move(failure), limits_.failures, dropped.failures);
  }

  // What an actor's end and user code that threw record, worked out
  // before any lock is taken: an exception's what() is user code, which
  // may call the scheduler (and so take its records' lock).
  struct End {
    std::optional<ActorFailure> failure;
    std::string recipient;  // As its undelivered messages' dead letters
    absl::Status reason;    // name it, and why they were not delivered.
  };
  struct Thrown {
    ActorFailure failure;
    std::string recipient;
    absl::Status reason;
  };

  // The actor in `cell` ended (its name still there), by `exception` if
  // not null, before receiving some messages if `undelivered`.
  static End DescribeEnd(const ActorCell& cell,
                         const std::exception_ptr& exception,
                         bool undelivered) {
    End end;
    const std::string display_name = cell.DisplayName();
    if (exception) {
      end.failure = ActorFailure{RecordedName(display_name),
                                 DescribeException(exception), exception};
    }
    if (undelivered) {
      end.reason = Undelivered(display_name);
      end.recipient = RecordedName(cell.RecipientName());
    }
    return end;
  }
  // Records `end`: its failure, then a dead letter for each of
  // `undelivered` (errors, then messages, in order).
  void AddEnd(End end, std::vector<ErasedMessage>& undelivered,
              Dropped& dropped) {
    if (end.failure.has_value()) {
      AddFailure(std::move(*end.failure), dropped);
    }
    for (ErasedMessage& message : undelivered) {
      AddDeadLetter(DeadLetter{end.recipient, end.reason, std::move(message)},
                    dropped);
    }
    undelivered.clear();
  }
  // Both in one, where no lock is held.
  void AddEnd(const ActorCell& cell, const std::exception_ptr& exception,
              std::vector<ErasedMessage>& undelivered, Dropped& dropped) {
    AddEnd(DescribeEnd(cell, exception, !undelivered.empty()), undelivered,
           dropped);
  }

  // User code the scheduler ran outside any actor (`doing`: a SendAfter's
  // send, a monitor's Down) threw `exception` on its way to `recipient` (as
  // dead letters name it).
  static Thrown DescribeThrown(const char* doing, std::string recipient,
                               const std::exception_ptr& exception) {
    std::string thrown_by = ThrownBy(doing, recipient);
    absl::Status reason = ThrownReason(thrown_by, exception);
    return Thrown{ActorFailure{std::move(thrown_by),
                               DescribeException(exception), exception},
                  std::move(recipient), std::move(reason)};
  }
  // Records `thrown`: a failure, and `message` kept as a dead letter.
  void AddThrown(Thrown thrown, ErasedMessage message, Dropped& dropped) {
    AddFailure(std::move(thrown.failure), dropped);
    AddDeadLetter(DeadLetter{std::move(thrown.recipient),
                             std::move(thrown.reason), std::move(message)},
                  dropped);
  }
  // Both in one, where no lock is held.
  void AddThrown(const char* doing, std::string recipient,
                 const std::exception_ptr& exception, ErasedMessage message,
                 Dropped& dropped) {
    AddThrown(DescribeThrown(doing, std::move(recipient), exception),
              std::move(message), dropped);
  }

  // From now on keeps at most `limits` (finished names are the registry's:
  // runtime/internal/name_registry.h), dropping the oldest beyond them now.
  void SetLimits(const RecordLimits& limits, Dropped& dropped) {
    limits_ = limits;
    dead_letters_.Trim(limits_.dead_letters, dropped.letters);
    failures_.Trim(limits_.failures, dropped.failures);
  }
  const RecordLimits& limits() const { return limits_; }

  // The newest records kept, oldest first.
  const std::deque<DeadLetter>& dead_letters() const {
    return dead_letters_.items();
  }
  const std::deque<ActorFailure>& failures() const { return failures_.items(); }
  // Hands over the records kept (the counts stay).
  std::vector<DeadLetter> TakeDeadLetters() { return dead_letters_.Take(); }
  std::vector<ActorFailure> TakeFailures() { return failures_.Take(); }
  // Every record ever made, kept, taken or dropped.
  uint64_t dead_letters_recorded() const { return dead_letters_.total(); }
  uint64_t failures_recorded() const { return failures_.total(); }

 private:
  Tracer* Tracing() const {
    return trace_ == nullptr ? nullptr : trace_->get();
  }

  const TraceHook* trace_ = nullptr;
  RecordLimits limits_;
  BoundedLog<DeadLetter> dead_letters_;
  BoundedLog<ActorFailure> failures_;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_RECORD_KEEPER_H_
