// Ask: request/response between actors. The asker sends a request that
// carries a ReplyTo<R>, and `co_await`s the reply, or an error:
// DeadlineExceeded when no reply came in time; the send's own error when
// the target is unknown or finished; FailedPrecondition when the target
// dropped the request (its ReplyTo) without answering, or at once, with
// nothing sent, when an actor asks itself. With a finite timeout, never a
// hang. An infinite timeout (absl::InfiniteDuration(), or one that ends
// after the year 2262) never expires, even on a ManualClock: the ask waits
// for its reply however late it comes, and Run() does not wait for it.
//
//   struct Double { int n; coactor::ReplyTo<int> reply; };
//   coactor::Actor<Double> Doubler() {
//     for (;;) { Double d = co_await coactor::Receive(); d.reply.Send(2 * d.n);
//     }
//   }
//   ... absl::StatusOr<int> r = co_await coactor::Ask<int>(
//           sched, doubler, [](coactor::ReplyTo<int> reply) {
//             return Double{21, std::move(reply)};
//           }, absl::Seconds(1));                       // 42
//
// The request is sent when the ask is awaited. If building or sending it
// throws (say, its move constructor does), the exception is rethrown at
// the co_await, where the asker may catch it and go on as before.
//
// How it costs little: nothing is allocated, and on the single-threaded
// deque scheduler nothing is locked. The pending reply lives in the
// awaiter, inside the asker's coroutine frame, which cannot go away while
// the asker waits. The asker's cell holds a token that counts up
// (ActorCell::ask_token, odd while an ask is pending); the ReplyTo and the
// timeout timer carry the token, and whichever of reply, drop or timeout
// first swaps it for the next (even) number owns the completion. A late
// reply, or a timer whose ask was answered, finds another number and does
// nothing, so the timer is never cancelled (see GuardedTimer).
//
// Known gap: a request that becomes a dead letter after it was sent (its
// target finished before reading it) keeps its ReplyTo alive in the dead
// letter, so the ask is answered only by its timeout (DeadlineExceeded),
// not at once: the runtime cannot see a ReplyTo inside an arbitrary
// message type. (A request refused by the send itself is answered at once
// with the send's error.)
//
// Thread-safety: a ReplyTo may be answered once, from any thread if the
// asker's scheduler is thread-safe (WorkStealingScheduler), else from the
// scheduler's thread. A ReplyTo must be answered or destroyed before its
// scheduler is; that includes one inside a dead letter taken with
// TakeDeadLetters() (runtime/dead_letter.h).
#ifndef COACTOR_ACTORS_ASK_H_
#define COACTOR_ACTORS_ASK_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actors/actor_ref.h"
#include "actors/internal/actor_blocking.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/runtime.h"

namespace coactor {

template <typename R>
class ReplyTo;

namespace internal {

// absl::ToInt64Nanoseconds(timeout), inline for the usual range. The system
// Abseil has that conversion out of line, and g++ copies the Duration into
// memory to pass it, right after the caller's absl::Seconds(n) wrote it in
// two narrower stores: a store-forwarding stall of ~10 ns on every ask.
// Inline, a constant timeout folds to a constant. (GetRepHi/GetRepLo are
// Abseil's own accessors; whole seconds in rep_hi, quarter nanoseconds in
// rep_lo, ~0 in rep_lo for an infinite duration.)
inline int64_t TimeoutNanos(const absl::Duration& timeout) {
  const int64_t seconds = absl::time_internal::GetRepHi(timeout);
  const uint32_t quarters = absl::time_internal::GetRepLo(timeout);
  constexpr int64_t kMaxSeconds = 9'000'000'000;  // Fits in int64 nanos.
  if (quarters != ~uint32_t{0} && seconds >= 0 && seconds < kMaxSeconds) {
    return seconds * 1'000'000'000 + quarters / 4;
  }
  return absl::ToInt64Nanoseconds(timeout);  // Saturates.
}

// Takes the right to complete the ask `token` of the cell owning `word`;
// true for exactly one caller per ask. `one_thread`: the asker's scheduler
// is single-threaded, so every claimant (the reply, the timeout, the
// asker's withdrawal) runs on its thread (a reply from another thread
// would race the scheduler's own queue anyway); a load and a store then
// do, without the compare-and-swap's locked instruction, which drains the
// store buffer.
inline bool ClaimAsk(std::atomic<uint64_t>& word, uint64_t token,
                     bool one_thread) {
  if (one_thread) {
    // Relaxed: one thread; nothing to order with.
    if (word.load(std::memory_order_relaxed) != token) return false;
    word.store(token + 1, std::memory_order_relaxed);
    return true;
  }
  // Acquire: see the awaiter the asker filled in before it published the
  // token. (The completion written after a won claim reaches the asker
  // through the scheduler's wake-up, not through this word.)
  return word.compare_exchange_strong(
      token, token + 1, std::memory_order_acquire, std::memory_order_relaxed);
}

// Returns `value`, having made the compiler hold it in a register. A
// ReplyTo is usually built and moved into a message at once; g++ merges the
// copy of two adjacent fields into one 16-byte load, which cannot be
// forwarded from the two 8-byte stores that just wrote them and stalls for
// ~5 ns (a tenth of an ask's cost on the deque scheduler). Copying one
// field through a register keeps the loads as wide as the stores.
inline uint64_t ThroughRegister(uint64_t value) {
#if defined(__GNUC__)
  asm("" : "+r"(value));
#endif
  return value;
}

// The asker's half of a pending ask, typed by the reply; lives in the
// awaiter, in the asker's frame.
template <typename R>
class PendingReply {
 public:
  // Builds the StatusOr<R> from `result` (a reply or an error) in place
  // and wakes the asker. Only the caller that won ClaimAsk() may call this.
  template <typename Result>
  void Complete(Result&& result) {
    result_.emplace(std::forward<Result>(result));
    WakeActor(context_, handle_);
  }
  // Complete() with a reply. If moving the reply in throws, the asker
  // (whose ask is claimed: nothing else will answer it) gets an Aborted
  // error instead, and the exception goes on to the replier.
  void CompleteWithReply(R&& reply) {
    try {
      result_.emplace(std::move(reply));
    } catch (...) {
      ReplyThrew();
      throw;
    }
    WakeActor(context_, handle_);
  }

 protected:
  explicit PendingReply(const ExecutionContext& context) : context_(context) {}

  ReplyTo<R> MakeReplyTo(std::atomic<uint64_t>& word, uint64_t token,
                         bool one_thread) {
    return ReplyTo<R>(reinterpret_cast<uintptr_t>(&word) | one_thread, token,
                      this);
  }

  // From CompleteWithReply()'s handler: completes the ask with the error.
  [[gnu::noinline, gnu::cold]] void ReplyThrew() {
    std::string what = "an exception not derived from std::exception";
    try {
      throw;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    Complete(
        absl::AbortedError("the reply threw on its way to the asker: " + what));
  }

  // The asker: where it runs, and where it waits (set when it suspends).
  const ExecutionContext context_;
  std::coroutine_handle<> handle_;
  std::optional<absl::StatusOr<R>> result_;
};

}  // namespace internal

// The answering end of an ask; travels inside the request message.
template <typename R>
class ReplyTo {
 public:
  ReplyTo(ReplyTo&& other) noexcept
      : word_(std::exchange(other.word_, 0)),
        token_(internal::ThroughRegister(other.token_)),
        pending_(other.pending_) {}
  ReplyTo& operator=(ReplyTo&& other) noexcept {
    if (this != &other) {
      if (word_ != 0) Abandon();
      word_ = std::exchange(other.word_, 0);
      token_ = internal::ThroughRegister(other.token_);
      pending_ = other.pending_;
    }
    return *this;
  }
  ~ReplyTo() {
    if (word_ != 0) Abandon();  // Not answered: answer with an error.
  }

  // Answers the ask. Only the first answer counts; one that comes after
  // the timeout is dropped. If handing `reply` over throws (its move
  // constructor does), the asker gets Aborted and the exception is
  // rethrown here.
  void Send(R reply) {
    if (word_ != 0 && Claim()) pending_->CompleteWithReply(std::move(reply));
  }

 private:
  friend class internal::PendingReply<R>;
  ReplyTo(uintptr_t word, uint64_t token, internal::PendingReply<R>* pending)
      : word_(word), token_(token), pending_(pending) {}

  // Claims the ask (see internal::ClaimAsk) and empties this ReplyTo.
  bool Claim() {
    const uintptr_t word = std::exchange(word_, 0);
    return internal::ClaimAsk(
        *reinterpret_cast<std::atomic<uint64_t>*>(word & ~kOneThread), token_,
        (word & kOneThread) != 0);
  }

  ABSL_ATTRIBUTE_NOINLINE void Abandon() {
    if (word_ != 0 && Claim()) {
      pending_->Complete(absl::FailedPreconditionError(
          "the request was dropped without a reply"));
    }
  }

  static constexpr uintptr_t kOneThread = 1;
  // The asker's ActorCell::ask_token, with kOneThread set if its scheduler
  // is single-threaded; 0 once answered or moved from.
  uintptr_t word_;
  uint64_t token_;
  internal::PendingReply<R>* pending_;
};

// The waiting end of an ask, built in place in the asker's frame when an
// AskRequest is awaited: sends `make_request(ReplyTo<R>)` to the target and
// waits for the reply, the timeout or an error. Neither copied nor moved:
// its address goes into the ReplyTo.
template <typename R, typename Sched, typename Msg, typename MakeRequest>
class [[nodiscard]] AskAwaiter : private internal::PendingReply<R> {
 public:
  AskAwaiter(const internal::ExecutionContext& context, Sched& sched,
             internal::ActorCell* to_cell, uint32_t to_generation,
             MakeRequest&& make_request, int64_t timeout_nanos)
      : internal::PendingReply<R>(context),
        sched_(sched),
        to_cell_(to_cell),
        to_generation_(to_generation),
        make_request_(std::move(make_request)),
        timeout_nanos_(timeout_nanos) {}
  AskAwaiter(const AskAwaiter&) = delete;
  AskAwaiter& operator=(const AskAwaiter&) = delete;

  // A frame destroyed while waiting (its scheduler is going away): a later
  // answer must find the ask withdrawn.
  ~AskAwaiter() {
    if (token_ != 0 && !this->result_.has_value()) {  // Sent, unanswered.
      internal::ClaimAsk(context_.cell->ask_token, token_, kOneThread);
    }
  }

  bool await_ready() { return false; }

  bool await_suspend(std::coroutine_handle<> handle) {
    if (ABSL_PREDICT_FALSE(context_.runtime !=
                           internal::RuntimeAccess::AsRuntime(sched_))) {
      return RefuseForeignScheduler();
    }
    // (A cell is reused by later actors: the generation tells them apart.)
    if (ABSL_PREDICT_FALSE(to_cell_ == context_.cell) &&
        to_generation_ == context_.cell->Generation()) {
      return RefuseSelf();
    }
    this->handle_ = handle;
    std::atomic<uint64_t>& word = context_.cell->ask_token;
    // Relaxed: only the asker moves the word from even to odd; this reads
    // its own last write (or a claimer's, which left it even).
    token_ = word.load(std::memory_order_relaxed) + 1;
    bool waits;
    if constexpr (kOneThread) {
      waits = SendThenWait(word);
    } else {
      waits = WaitThenSend(word);
    }
    // Still in the asker's turn: whatever answers, the asker resumes only
    // after this returns (its scheduler resumes it from its next turn).
    if (waits && ABSL_PREDICT_FALSE(context_.runtime->TracingAsks())) {
      TraceSent();
    }
    return waits;
  }

  // The reply or the error; on a multi-threaded scheduler, rethrows what
  // the send threw if the asker had to suspend anyway (see SendThrew).
  absl::StatusOr<R> await_resume() {
    if (ABSL_PREDICT_FALSE(traced_)) TraceAnswered();
    if constexpr (!kOneThread) {
      if (ABSL_PREDICT_FALSE(send_exception_ != nullptr)) {
        std::rethrow_exception(std::exchange(send_exception_, nullptr));
      }
      if (ABSL_PREDICT_FALSE(!refusal_.ok())) return std::move(refusal_);
    }
    return std::move(*this->result_);
  }

 private:
  // On a single-threaded scheduler nothing can answer the request while
  // it is built and sent (Send() only queues, never runs the receiver), so
  // the token is published only once the request is sent. Meanwhile the
  // word holds token_ + 1, as if this ask were already claimed: if
  // make_request or Send() throws (say, the request's move constructor
  // throws halfway through Send()), a ReplyTo destroyed on the way claims
  // nothing and queues no wake-up, and the exception reaches the asker at
  // its co_await with its state untouched and its timer stale. (The word
  // steps back from token_ + 1 to token_ only here, unseen by any
  // claimant; stale ReplyTos hold older tokens.)
  bool SendThenWait(std::atomic<uint64_t>& word) {
    // Relaxed: one thread (see ClaimAsk).
    word.store(token_ + 1, std::memory_order_relaxed);
    internal::RuntimeAccess::AddGuardedTimer(
        sched_, timeout_nanos_,
        internal::GuardedTimer{&word, token_, &AskAwaiter::Expire, this});
    if (ABSL_PREDICT_FALSE(!BuildAndSendRequest(word))) {
      // Refused (and kept as a dead letter, whose ReplyTo can claim
      // nothing): answered with the refusal; do not suspend.
      return false;
    }
    word.store(token_, std::memory_order_relaxed);
    internal::BlockActor(*context_.cell);
    return true;
  }

  // On a multi-threaded scheduler the target may answer on another thread
  // as soon as the request is queued, even before Send() returns: the
  // asker is blocked and the token published first, and the request built
  // before that (if make_request throws, the exception reaches the asker
  // at its co_await and nothing is left armed: its ReplyTo's claim finds
  // the word still even).
  bool WaitThenSend(std::atomic<uint64_t>& word) {
    auto request =
        std::move(make_request_)(this->MakeReplyTo(word, token_, kOneThread));
    // Release: a claimer that sees the token sees this awaiter filled in.
    word.store(token_, std::memory_order_release);
    // Whatever the scheduler marks a handling actor with (kWaiting with
    // work stealing), for a refusal below.
    const internal::ActorState handling = context_.cell->State();
    internal::BlockActor(*context_.cell);
    internal::RuntimeAccess::AddGuardedTimer(
        sched_, timeout_nanos_,
        internal::GuardedTimer{&word, token_, &AskAwaiter::Expire, this});
    absl::Status sent;
    try {
      sent = sched_.Send(
          internal::ActorRefAccess::Make<Msg>(to_cell_, to_generation_),
          std::move(request));
    } catch (...) {
      return SendThrew(handling);
    }
    if (!sent.ok()) {
      if (internal::ClaimAsk(word, token_, kOneThread)) {
        // The request was refused (and kept as a dead letter): answer with
        // the refusal and do not suspend.
        internal::UnblockActor(*context_.cell, handling);
        this->result_.emplace(std::move(sent));
        return false;
      }
      // Refused, but the request's ReplyTo claimed the ask first: the
      // dead letter was dropped at once (RecordLimits::dead_letters of 0)
      // or taken and answered. Its wake-up is queued; the answer is still
      // the refusal, as on a single-threaded scheduler.
      refusal_ = std::move(sent);
    }
    return true;
  }

  // Builds the request and sends it; if the send is refused, answers the
  // ask with the refusal and returns false. The request (and the status)
  // are gone on return, so that the compiler need not keep them around the
  // caller's stores (which could alias them).
  bool BuildAndSendRequest(std::atomic<uint64_t>& word) {
    absl::Status sent = sched_.Send(
        internal::ActorRefAccess::Make<Msg>(to_cell_, to_generation_),
        std::move(make_request_)(this->MakeReplyTo(word, token_, kOneThread)));
    if (ABSL_PREDICT_TRUE(sent.ok())) return true;
    this->result_.emplace(std::move(sent));
    return false;
  }

  // Send() threw, on a multi-threaded scheduler; called inside the
  // handler. The ReplyTo, in the request or in the half-built copy Send()
  // was moving it into, may already have been destroyed and so have
  // claimed the ask and woken the asker (once); or the request was queued
  // before Send() threw and is being answered. So the asker claims the
  // ask. If that wins, nothing completed it: the actor's state is restored
  // and the exception rethrown (the co_await throws at once). If it loses,
  // exactly one wake-up is (or is about to be) queued: the exception is
  // kept and the asker suspends; the wake-up resumes it at this co_await,
  // and await_resume rethrows the exception. Out of line and cold.
  [[gnu::noinline, gnu::cold]] bool SendThrew(internal::ActorState handling) {
    if (internal::ClaimAsk(context_.cell->ask_token, token_, kOneThread)) {
      internal::UnblockActor(*context_.cell, handling);
      throw;
    }
    send_exception_ = std::current_exception();
    return true;
  }

  // The reply would wake this actor through another scheduler: answers at
  // once with an error. Out of line, so await_suspend stays small.
  [[gnu::noinline, gnu::cold]] bool RefuseForeignScheduler() {
    this->result_.emplace(absl::FailedPreconditionError(
        "an ask must be sent through the asking actor's own scheduler"));
    return false;
  }

  // An actor asking itself could not read the request while it waits for
  // the reply: answers at once with an error instead of timing out, and
  // sends nothing. Out of line and cold.
  [[gnu::noinline, gnu::cold]] bool RefuseSelf() {
    this->result_.emplace(absl::FailedPreconditionError(
        "an actor cannot ask itself: it cannot read the request while it "
        "waits for the reply"));
    return false;
  }

  // The ask's arrow in a trace (internal::Runtime::TraceAskSent()), named
  // after the request's type, from the request to the asker's resumption,
  // with the outcome: a reply, a timeout, or the error. Out of line and
  // cold: an untraced ask only tests for them.
  [[gnu::noinline, gnu::cold]] void TraceSent() {
    traced_ = true;
    context_.runtime->TraceAskSent(TraceId(), internal::TypeName<Msg>());
  }
  [[gnu::noinline, gnu::cold]] void TraceAnswered() {
    absl::Status outcome;
    if constexpr (!kOneThread) {
      if (send_exception_ != nullptr) {
        outcome = absl::AbortedError("sending the request threw");
      } else if (!refusal_.ok()) {
        outcome = refusal_;
      }
    }
    if (outcome.ok() && this->result_.has_value()) {
      outcome = this->result_->status();
    }
    context_.runtime->TraceAskAnswered(TraceId(), internal::TypeName<Msg>(),
                                       outcome);
  }
  // The asker's cell and the ask's token (an actor waits for one ask at a
  // time): an id below 2^53 (JSON's integers) that no other waiting ask has.
  uint64_t TraceId() const {
    const uint64_t cell = reinterpret_cast<uintptr_t>(context_.cell) >> 3;
    return ((cell << 9) | ((token_ >> 1) & 511)) & ((uint64_t{1} << 53) - 1);
  }

  static void Expire(const internal::GuardedTimer& timer) {
    // The awaiter may be gone unless the claim succeeds: claim first.
    if (internal::ClaimAsk(*timer.word, timer.token, kOneThread)) {
      static_cast<AskAwaiter*>(timer.argument)
          ->Complete(
              absl::DeadlineExceededError("no reply before the deadline"));
    }
  }

  static constexpr bool kOneThread =
      internal::RuntimeAccess::kSingleThreaded<Sched>;

  using internal::PendingReply<R>::context_;
  Sched& sched_;
  internal::ActorCell* const to_cell_;
  const uint32_t to_generation_;
  MakeRequest make_request_;
  const int64_t timeout_nanos_;
  uint64_t token_ = 0;   // The ask's token once sent (odd, so never 0).
  bool traced_ = false;  // TraceSent() recorded its request.
  // What Send() threw, kept for await_resume (see SendThrew); only
  // multi-threaded schedulers need it.
  struct NoException {};
  [[no_unique_address]] std::conditional_t<kOneThread, NoException,
                                           std::exception_ptr>
      send_exception_;
  // The send's refusal, when a ReplyTo claimed the ask first (see
  // WaitThenSend); only multi-threaded schedulers need it.
  struct NoRefusal {};
  [[no_unique_address]] std::conditional_t<kOneThread, NoRefusal, absl::Status>
      refusal_;
};

// What Ask() returns: what to ask of whom. Awaiting it (inside an actor or
// a task) builds the AskAwaiter, which sends the request.
template <typename R, typename Sched, typename Msg, typename MakeRequest>
class [[nodiscard]] AskRequest : public internal::DescribesAwait {
 public:
  AskRequest(Sched& sched, const ActorRef<Msg>& to, MakeRequest make_request,
             const absl::Duration& timeout)
      : sched_(sched),
        to_cell_(internal::ActorRefAccess::Cell(to)),
        to_generation_(internal::ActorRefAccess::Generation(to)),
        make_request_(std::move(make_request)),
        timeout_nanos_(internal::TimeoutNanos(timeout)) {}

  AskAwaiter<R, Sched, Msg, MakeRequest> AwaitIn(
      const internal::ExecutionContext& context) && {
    return AskAwaiter<R, Sched, Msg, MakeRequest>(
        context, sched_, to_cell_, to_generation_, std::move(make_request_),
        timeout_nanos_);
  }

 private:
  // Kept field by field, like the awaiter's: a whole struct copied right
  // after it was written in narrower pieces stalls store-to-load
  // forwarding.
  Sched& sched_;
  internal::ActorCell* to_cell_;
  uint32_t to_generation_;
  MakeRequest make_request_;
  int64_t timeout_nanos_;
};

// Returns what to co_await for the reply to `make_request(ReplyTo<R>)`
// sent to `to`; the request goes out when it is awaited. In a hot loop,
// keep the timeout in a constant or variable: g++ copies a temporary
// absl::Duration in a co_await expression just after writing it, which
// stalls store-to-load forwarding (about 10 ns per ask on an EPYC).
template <typename R, typename Sched, typename Msg, typename MakeRequest>
AskRequest<R, Sched, Msg, std::decay_t<MakeRequest>> Ask(
    Sched& sched, const ActorRef<Msg>& to, MakeRequest&& make_request,
    const absl::Duration& timeout) {
  return AskRequest<R, Sched, Msg, std::decay_t<MakeRequest>>(
      sched, to, std::forward<MakeRequest>(make_request), timeout);
}

}  // namespace coactor

#endif  // COACTOR_ACTORS_ASK_H_
