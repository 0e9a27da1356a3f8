// Task<T> is a coroutine that computes a T and can itself wait: on sleeps,
// other tasks, asks. It starts only when awaited (lazy), runs inside the
// actor or task that awaits it, and hands its result (or exception) to the
// awaiter. To run tasks concurrently, spawn them with CreateTask() and join
// them (join_handle.h), or use Gather().
//
//   coactor::Task<int> Factorial(std::string name, int n) {
//     int f = 1;
//     for (int i = 2; i <= n; ++i) {
//       co_await coactor::Sleep(absl::Seconds(1));
//       f *= i;
//     }
//     co_return f;
//   }
//   ... int f = co_await Factorial("A", 4);   // inside an actor or task
//
// A Task is awaited once. Awaiting it again (it has ended) throws
// std::logic_error("Task awaited twice") at the co_await; awaiting an
// empty (moved-from) Task throws std::invalid_argument there. Either would
// otherwise resume a coroutine that cannot run. (CreateTask() of an empty
// Task thus gives a JoinHandle that rethrows the std::invalid_argument.)
//
// Thread-safety: a Task is a move-only owner of an unstarted coroutine; it
// runs wherever its awaiter runs.
#ifndef COACTOR_ACTORS_TASK_H_
#define COACTOR_ACTORS_TASK_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <coroutine>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "actors/internal/runtime.h"

namespace coactor {

template <typename T = void>
class Task;

namespace internal {

// The part of a task's promise that does not depend on T.
class TaskPromiseBase {
 public:
  // Where the task runs; set by whoever awaits it.
  ExecutionContext context;
  // Resumed when the task ends.
  std::coroutine_handle<> continuation;
  std::exception_ptr exception;

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <typename Promise>
    std::coroutine_handle<> await_suspend(
        std::coroutine_handle<Promise> handle) noexcept {
      std::coroutine_handle<> next = handle.promise().continuation;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }

  void unhandled_exception() noexcept { exception = std::current_exception(); }

  // Awaitables that need to know where they run.
  // (clang-format 14 and 16 lay out concepts and requires-clauses
  // differently; kept as written so both accept the file.)
  // clang-format off
  template <typename Awaitable>
    requires std::is_base_of_v<ContextBound, std::remove_cvref_t<Awaitable>>
  Awaitable&& await_transform(Awaitable&& awaitable) {
    // clang-format on
    awaitable.Bind(context);
    return std::forward<Awaitable>(awaitable);
  }
  template <AwaitDescription Description>
  auto await_transform(Description&& description) {
    return AwaitDescribed(std::forward<Description>(description), context);
  }
  // A nested task runs in this task's context.
  template <typename U>
  auto await_transform(Task<U>&& task);
  template <typename U>
  auto await_transform(Task<U>& task);
};

template <typename T>
class TaskPromise : public TaskPromiseBase {
 public:
  template <typename Value>
  void return_value(Value&& value) {
    result.emplace(std::forward<Value>(value));
  }
  std::optional<T> result;
};

template <>
class TaskPromise<void> : public TaskPromiseBase {
 public:
  void return_void() noexcept {}
};

}  // namespace internal

template <typename T>
class [[nodiscard]] Task {
 public:
  using value_type = T;

  class promise_type : public internal::TaskPromise<T> {
   public:
    Task get_return_object() noexcept {
      return Task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
  };

  Task(Task&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (handle_) handle_.destroy();
  }

  bool valid() const { return static_cast<bool>(handle_); }

  // What `co_await task` becomes: runs the task in `context` and resumes
  // the awaiter when it ends (symmetric transfer both ways).
  class Awaiter {
   public:
    Awaiter(std::coroutine_handle<promise_type> handle,
            const internal::ExecutionContext& context)
        : handle_(handle), context_(context) {}
    // Throws if the task cannot run (see the header comment).
    bool await_ready() const {
      if (!handle_ || handle_.done()) [[unlikely]] {
        ThrowNotAwaitable(handle_);
      }
      return false;
    }
    std::coroutine_handle<> await_suspend(
        std::coroutine_handle<> awaiter) noexcept {
      handle_.promise().continuation = awaiter;
      handle_.promise().context = context_;
      return handle_;
    }
    T await_resume() {
      promise_type& promise = handle_.promise();
      if (promise.exception) std::rethrow_exception(promise.exception);
      if constexpr (!std::is_void_v<T>) return std::move(*promise.result);
    }

   private:
    [[noreturn, gnu::noinline, gnu::cold]] static void ThrowNotAwaitable(
        std::coroutine_handle<promise_type> handle) {
      if (!handle) {
        throw std::invalid_argument("co_await of an empty Task (moved from)");
      }
      throw std::logic_error("Task awaited twice");
    }

    std::coroutine_handle<promise_type> handle_;
    internal::ExecutionContext context_;
  };

  Awaiter AwaitIn(const internal::ExecutionContext& context) & {
    return Awaiter(handle_, context);
  }

 private:
  explicit Task(std::coroutine_handle<promise_type> handle) : handle_(handle) {}
  std::coroutine_handle<promise_type> handle_;
};

namespace internal {

template <typename U>
auto TaskPromiseBase::await_transform(Task<U>&& task) {
  return task.AwaitIn(context);
}
template <typename U>
auto TaskPromiseBase::await_transform(Task<U>& task) {
  return task.AwaitIn(context);
}

}  // namespace internal
}  // namespace coactor

#endif  // COACTOR_ACTORS_TASK_H_
