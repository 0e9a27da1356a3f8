// Actor<Msg> is the return type of an actor: a coroutine that receives
// messages of type Msg, one at a time, by co_awaiting Receive().
//
//   coactor::Actor<int> Counter(coactor::DequeScheduler& sched) {
//     for (;;) {
//       int n = co_await coactor::Receive<int>();
//       if (n == 0) co_return;
//       sched.Send("printer", n).IgnoreError();  // Failures: dead letters.
//       sched.Send("counter", n - 1).IgnoreError();
//     }
//   }
//
// Calling an actor function only creates its frame; nothing runs until a
// scheduler admits it with Spawn(), which starts it in the scheduler's loop.
// `co_return` ends the actor. An exception that escapes it ends that actor
// only: the scheduler records it and keeps running the others. An actor that
// takes several kinds of message uses a std::variant as Msg.
//
// Thread-safety: an Actor is a move-only owner of an unstarted coroutine;
// once spawned, its scheduler owns the frame.
#ifndef COACTOR_ACTORS_ACTOR_H_
#define COACTOR_ACTORS_ACTOR_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <coroutine>
#include <exception>

#include <type_traits>
#include <utility>
#include "absl/base/attributes.h"
#include "absl/base/optimization.h"

#include "actors/actor_ref.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/message_type.h"
#include "actors/internal/runtime.h"
#include "actors/receive.h"
#include "actors/task.h"

namespace coactor {
namespace internal {
struct ActorAccess;
}  // namespace internal

template <typename Msg>
class [[nodiscard]] Actor {
  static_assert(std::is_same_v<Msg, std::remove_cvref_t<Msg>>,
                "an actor's message type is a plain value type");
  static_assert(std::is_move_constructible_v<Msg>,
                "messages are moved into the actor");

 public:
  using message_type = Msg;

  class promise_type;

  Actor(Actor&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)) {}
  Actor& operator=(Actor&& other) noexcept {
    if (this != &other) {
      Reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Actor(const Actor&) = delete;
  Actor& operator=(const Actor&) = delete;
  ~Actor() { Reset(); }

  // False once spawned or moved from.
  bool valid() const { return static_cast<bool>(handle_); }

 private:
  friend struct internal::ActorAccess;
  using Handle = std::coroutine_handle<promise_type>;

  explicit Actor(Handle handle) : handle_(handle) {}
  void Reset() {
    if (handle_) handle_.destroy();
    handle_ = nullptr;
  }

  Handle handle_;
};

namespace internal {

template <typename T>
inline constexpr bool kDependentFalse = false;

// Rethrows an error delivered instead of a message; out of line and cold,
// so that the hot path of every actor's Receive() stays a load and a test.
[[noreturn]] ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD inline void
RethrowDeliveredError(ActorPromiseBase* promise) {
  std::rethrow_exception(std::exchange(promise->delivered_error, nullptr));
}

// What `co_await Receive()` becomes inside an Actor<Msg>.
template <typename Msg>
class MessageAwaiter {
 public:
  explicit MessageAwaiter(ActorPromiseBase* promise) : promise_(promise) {}
  bool await_ready() const noexcept { return false; }
  // Nothing to do: an actor's state changes only when it blocks elsewhere,
  // and the scheduler notices when it comes back to a Receive().
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  // No inbox means an error was delivered instead of a message.
  Msg await_resume() const {
    Payload* inbox = promise_->inbox;
    if (ABSL_PREDICT_FALSE(inbox == nullptr)) RethrowDeliveredError(promise_);
    return TakePayload<Msg>(inbox);
  }

 private:
  ActorPromiseBase* promise_;
};

// What `co_await Self()` becomes inside an Actor<Msg>.
template <typename Msg>
class SelfAwaiter {
 public:
  explicit SelfAwaiter(ActorCell* cell) : cell_(cell) {}
  bool await_ready() const noexcept { return true; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  ActorRef<Msg> await_resume() const {
    return ActorRefAccess::Make<Msg>(cell_);
  }

 private:
  ActorCell* cell_;
};

// Lets schedulers take ownership of an actor's frame; not for actor authors.
struct ActorAccess {
  template <typename Msg>
  static std::coroutine_handle<> Handle(const Actor<Msg>& actor) {
    return actor.handle_;
  }
  template <typename Msg>
  static ActorPromiseBase* Promise(const Actor<Msg>& actor) {
    return &actor.handle_.promise();
  }
  // The caller now owns the frame.
  template <typename Msg>
  static void Release(Actor<Msg>& actor) {
    actor.handle_ = nullptr;
  }
};

}  // namespace internal

template <typename Msg>
class Actor<Msg>::promise_type : public internal::ActorPromiseBase {
 public:
  Actor get_return_object() noexcept {
    return Actor(Handle::from_promise(*this));
  }
  std::suspend_always initial_suspend() noexcept { return {}; }
  // Stays suspended at the end so the scheduler sees done() and then
  // destroys the frame itself.
  std::suspend_always final_suspend() noexcept { return {}; }
  void return_void() noexcept {}
  void unhandled_exception() noexcept { exception = std::current_exception(); }

  template <typename Wanted>
  internal::MessageAwaiter<Msg> await_transform(ReceiveTag<Wanted>) {
    static_assert(std::is_void_v<Wanted> || std::is_same_v<Wanted, Msg>,
                  "Receive<T>() inside an Actor<Msg> must name Msg");
    return internal::MessageAwaiter<Msg>(this);
  }
  internal::SelfAwaiter<Msg> await_transform(SelfTag) {
    return internal::SelfAwaiter<Msg>(cell);
  }
  // Sleeps, asks, joins: awaitables that need to know where they run.
  // (clang-format 14 and 16 disagree on requires-clauses.)
  // clang-format off
  template <typename Awaitable>
    requires std::is_base_of_v<internal::ContextBound,
                               std::remove_cvref_t<Awaitable>>
  Awaitable&& await_transform(Awaitable&& awaitable) {
    awaitable.Bind(internal::ExecutionContext{cell->runtime, cell});
    return std::forward<Awaitable>(awaitable);
  }
  // clang-format on
  template <internal::AwaitDescription Description>
  auto await_transform(Description&& description) {
    return internal::AwaitDescribed(
        std::forward<Description>(description),
        internal::ExecutionContext{cell->runtime, cell});
  }
  // A task runs inside the actor: while it waits, so does the actor.
  template <typename T>
  auto await_transform(Task<T>&& task) {
    return task.AwaitIn(internal::ExecutionContext{cell->runtime, cell});
  }
  template <typename T>
  auto await_transform(Task<T>& task) {
    return task.AwaitIn(internal::ExecutionContext{cell->runtime, cell});
  }
  // (clang-format 14 and 16 disagree on requires-clauses.)
  // clang-format off
  template <typename Other>
    requires(!internal::NeedsContext<Other>)
  Other&& await_transform(Other&& other) {
    static_assert(internal::kDependentFalse<Other>,
                  "an Actor can co_await Receive(), Self(), Sleep(), tasks, "
                  "asks and JoinHandles; other awaitables do not know the "
                  "scheduler");
    return std::forward<Other>(other);
  }
  // clang-format on
};

}  // namespace coactor

#endif  // COACTOR_ACTORS_ACTOR_H_
