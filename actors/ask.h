// Ask: request/response between actors. The asker sends a request that
// carries a ReplyTo<R>, and `co_await`s the reply, or an error:
// DeadlineExceeded when no reply came in time; the send's own error when
// the target is unknown or finished; FailedPrecondition when the target
// dropped the request (its ReplyTo) without answering. Never a hang.
//
//   struct Double { int n; coactor::ReplyTo<int> reply; };
//   coactor::Actor<Double> Doubler() {
//     for (;;) { Double d = co_await coactor::Receive(); d.reply.Send(2 * d.n); }
//   }
//   ... absl::StatusOr<int> r = co_await coactor::Ask<int>(
//           sched, doubler, [](coactor::ReplyTo<int> reply) {
//             return Double{21, std::move(reply)};
//           }, absl::Seconds(1));                       // 42
//
// Thread-safety: a ReplyTo may be answered from any thread, once.
#ifndef COACTOR_ACTORS_ASK_H_
#define COACTOR_ACTORS_ASK_H_

#include <coroutine>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actors/actor_ref.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/runtime.h"

namespace coactor {
namespace internal {

// Where one reply goes; completed once, by the reply or the timeout.
template <typename R>
class AskState {
 public:
  // Completes with `result` unless already complete; wakes the asker.
  void Complete(absl::StatusOr<R> result) {
    Waiter waiter;
    std::optional<TimerId> timer;
    {
      std::lock_guard<std::mutex> hold(mutex_);
      if (result_.has_value()) return;
      result_.emplace(std::move(result));
      waiter = std::exchange(waiter_, Waiter{});
      timer = std::exchange(timer_, std::nullopt);
    }
    if (waiter.handle) {
      if (timer) waiter.runtime->CancelTimer(*timer);
      waiter.runtime->Wake(waiter.cell, waiter.handle);
    }
  }

  bool done() {
    std::lock_guard<std::mutex> hold(mutex_);
    return result_.has_value();
  }

  // Blocks the asker in `context` until completion or `deadline`; false if
  // already complete.
  bool Await(const ExecutionContext& context, std::coroutine_handle<> handle,
             absl::Time deadline, std::shared_ptr<AskState> self) {
    {
      std::lock_guard<std::mutex> hold(mutex_);
      if (result_.has_value()) return false;
      context.cell->SetState(ActorState::kBlocked);
      waiter_ = Waiter{context.runtime, context.cell, handle};
    }
    TimerId timer = context.runtime->AddTimer(deadline, [self] {
      self->Complete(absl::DeadlineExceededError("no reply before the deadline"));
    });
    std::lock_guard<std::mutex> hold(mutex_);
    if (!result_.has_value()) timer_ = timer;  // Else it fires harmlessly.
    return true;
  }

  absl::StatusOr<R> Take() {
    std::lock_guard<std::mutex> hold(mutex_);
    return std::move(*result_);
  }

 private:
  struct Waiter {
    Runtime* runtime = nullptr;
    ActorCell* cell = nullptr;
    std::coroutine_handle<> handle;
  };
  std::mutex mutex_;
  std::optional<absl::StatusOr<R>> result_;
  Waiter waiter_;
  std::optional<TimerId> timer_;
};

}  // namespace internal

// The answering end of an ask; travels inside the request message.
template <typename R>
class ReplyTo {
 public:
  explicit ReplyTo(std::shared_ptr<internal::AskState<R>> state)
      : state_(std::move(state)) {}
  ReplyTo(ReplyTo&&) noexcept = default;
  ReplyTo& operator=(ReplyTo&& other) noexcept {
    if (this != &other) {
      Abandon();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  ~ReplyTo() { Abandon(); }

  // Answers the ask (only the first answer counts).
  void Send(R reply) {
    if (state_) std::exchange(state_, nullptr)->Complete(std::move(reply));
  }

 private:
  void Abandon() {
    if (state_) {
      std::exchange(state_, nullptr)
          ->Complete(absl::FailedPreconditionError(
              "the request was dropped without a reply"));
    }
  }
  std::shared_ptr<internal::AskState<R>> state_;
};

template <typename R>
class [[nodiscard]] AskAwaiter : public internal::ContextBound {
 public:
  AskAwaiter(std::shared_ptr<internal::AskState<R>> state,
             absl::Duration timeout)
      : state_(std::move(state)), timeout_(timeout) {}

  bool await_ready() { return state_->done(); }
  bool await_suspend(std::coroutine_handle<> handle) {
    return state_->Await(context_, handle,
                         context_.runtime->Now() + timeout_, state_);
  }
  absl::StatusOr<R> await_resume() { return state_->Take(); }

 private:
  std::shared_ptr<internal::AskState<R>> state_;
  absl::Duration timeout_;
};

// Sends `make_request(ReplyTo<R>)` to `to` and returns what to co_await for
// the reply.
template <typename R, typename Sched, typename Msg, typename MakeRequest>
AskAwaiter<R> Ask(Sched& sched, const ActorRef<Msg>& to,
                  MakeRequest&& make_request, absl::Duration timeout) {
  auto state = std::make_shared<internal::AskState<R>>();
  absl::Status sent =
      sched.Send(to, std::forward<MakeRequest>(make_request)(ReplyTo<R>(state)));
  if (!sent.ok()) state->Complete(sent);
  return AskAwaiter<R>(std::move(state), timeout);
}

}  // namespace coactor

#endif  // COACTOR_ACTORS_ASK_H_
