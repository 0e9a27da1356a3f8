// Running tasks concurrently, as asyncio's create_task and gather do.
//
// CreateTask(task) starts `task` as its own unit of work on the scheduler
// (inside a coroutine: `co_await CreateTask(t)`; outside:
// `sched.CreateTask(t)`) and gives a JoinHandle<T>; `co_await handle` waits
// for the task and yields its result, or rethrows its exception. Gather()
// runs several tasks concurrently and yields all their results in argument
// order (Task<void>s: nothing); if any threw, it rethrows the first one (in
// argument order) after all have ended. An empty (moved-from) task ends at
// once, as if it threw std::invalid_argument (see task.h).
//
//   coactor::Task<std::vector<int>> Main() {
//     std::vector<int> results = co_await coactor::Gather(
//         Factorial("A", 2), Factorial("B", 3), Factorial("C", 4));
//     co_return results;                                   // {2, 6, 24}
//   }
//
// A JoinHandle may be awaited from an actor or task on another scheduler
// than the task's. If the awaiting frame is destroyed while it waits (its
// scheduler went away), it withdraws: the task, ending later, wakes no one.
// If the task's own scheduler goes away first (destroyed, or
// WorkStealingScheduler::Shutdown()) before the task ended, or refuses to
// start it (after Shutdown()), the task ends with a std::runtime_error
// ("the task was destroyed before it ended: ..."), rethrown by the join.
//
// Thread-safety: a JoinHandle may be awaited once, from one coroutine; the
// task may end on another thread (work-stealing scheduler): the handle's
// state is guarded by a mutex, and the waiter is woken with it held, so
// its frame cannot be destroyed between the task's end and its wake-up.
#ifndef COACTOR_ACTORS_JOIN_HANDLE_H_
#define COACTOR_ACTORS_JOIN_HANDLE_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <atomic>
#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "actors/actor.h"
#include "actors/internal/actor_blocking.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/mutex.h"
#include "actors/internal/runtime.h"
#include "actors/task.h"

namespace coactor {
namespace internal {

// The result of a spawned task, shared by its runner and its JoinHandle.
template <typename T>
class TaskState {
 public:
  // Without the lock: schedulers poll it after every step.
  bool done() {
    // Acquire: pairs with the release in Finish(); the result is visible.
    return done_.load(std::memory_order_acquire);
  }

  template <typename... Value>
  void Finish(std::exception_ptr exception, Value&&... value) {
    Waiter waiter;
    {
      MutexLock hold(mutex_);
      // (Without a value, nothing to build: T need not be default
      // constructible.)
      if constexpr (!std::is_void_v<T> && sizeof...(Value) > 0) {
        if (!exception) value_.emplace(std::forward<Value>(value)...);
      }
      exception_ = exception;
      // Release: see done().
      done_.store(true, std::memory_order_release);
      waiter = std::exchange(waiter_, Waiter{});
      // Under the lock: see Withdraw().
      if (waiter.handle) {
        WakeActor(*waiter.runtime, *waiter.cell, waiter.handle);
      }
    }
  }

  // Registers `handle` (in `context`) to be woken; false if already done.
  // `owner` identifies the registration for Withdraw().
  bool Await(const ExecutionContext& context, std::coroutine_handle<> handle,
             const void* owner) {
    MutexLock hold(mutex_);
    // Relaxed: the lock orders it with Finish().
    if (done_.load(std::memory_order_relaxed)) return false;
    // Blocked before the lock is released, so a Finish() on another thread
    // always wakes a blocked actor.
    BlockActor(*context.cell);
    waiter_ = Waiter{context.runtime, context.cell, handle, owner};
    return true;
  }

  // The frame of the waiter `owner` registered is being destroyed: forgets
  // it, unless already woken. (Finish() wakes with the lock held, so once
  // this returns no wake-up for it is under way.)
  void Withdraw(const void* owner) {
    MutexLock hold(mutex_);
    if (waiter_.owner == owner) waiter_ = Waiter{};
  }

  // The result, once: a second take (say, a copy of the JoinHandle
  // awaited again) throws std::logic_error, as awaiting a Task twice does,
  // instead of yielding a moved-from value.
  T Take() {
    MutexLock hold(mutex_);
    if (taken_) {
      throw std::logic_error(
          "JoinHandle: the task's result was already taken (awaited twice?)");
    }
    taken_ = true;
    if (exception_) std::rethrow_exception(exception_);
    if constexpr (!std::is_void_v<T>) return std::move(*value_);
  }

 private:
  struct Waiter {
    Runtime* runtime = nullptr;
    ActorCell* cell = nullptr;
    std::coroutine_handle<> handle;
    const void* owner = nullptr;
  };

  Mutex mutex_;
  // An atomic: set under mutex_, read without it (see done()).
  std::atomic<bool> done_{false};
  std::exception_ptr exception_ ABSL_GUARDED_BY(mutex_);
  std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> value_
      ABSL_GUARDED_BY(mutex_){};
  bool taken_ ABSL_GUARDED_BY(mutex_) = false;
  Waiter waiter_ ABSL_GUARDED_BY(mutex_);
};

// The runner's hold on a task's state. If the runner's frame is destroyed
// before the task ended (its scheduler shut down or was destroyed, or
// refused to start it), the task ends with an error: a JoinHandle awaited
// from another scheduler, or checked with done(), would otherwise wait for
// ever.
template <typename T>
class RunnerState {
 public:
  explicit RunnerState(std::shared_ptr<TaskState<T>> state)
      : state_(std::move(state)) {}
  RunnerState(RunnerState&& other) noexcept = default;
  RunnerState& operator=(RunnerState&&) = delete;
  ~RunnerState() {
    if (state_ != nullptr && !state_->done()) {
      state_->Finish(std::make_exception_ptr(std::runtime_error(
          "the task was destroyed before it ended: its scheduler shut down "
          "or was destroyed")));
    }
  }
  TaskState<T>* operator->() const { return state_.get(); }

 private:
  std::shared_ptr<TaskState<T>> state_;  // Null once moved from.
};

// The actor that runs a spawned task and records how it ended.
template <typename T>
Actor<NoMessage> RunTask(Task<T> task, RunnerState<T> state) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
      state->Finish(nullptr);
    } else {
      T value = co_await std::move(task);
      state->Finish(nullptr, std::move(value));
    }
  } catch (...) {
    state->Finish(std::current_exception());
  }
}

}  // namespace internal

template <typename T>
class [[nodiscard]] JoinHandle : public internal::ContextBound {
 public:
  explicit JoinHandle(std::shared_ptr<internal::TaskState<T>> state)
      : state_(std::move(state)) {}
  // A copy or move is a handle that is not waiting.
  JoinHandle(const JoinHandle& other) : state_(other.state_) {}
  JoinHandle(JoinHandle&& other) noexcept : state_(std::move(other.state_)) {}
  JoinHandle& operator=(const JoinHandle& other) {
    Withdraw();
    state_ = other.state_;
    return *this;
  }
  JoinHandle& operator=(JoinHandle&& other) noexcept {
    Withdraw();
    state_ = std::move(other.state_);
    return *this;
  }
  // Destroyed while waiting (its frame went with its scheduler): the task
  // will wake no one.
  ~JoinHandle() { Withdraw(); }

  // True once the task has ended.
  bool done() const { return state_->done(); }

  bool await_ready() const { return state_->done(); }
  bool await_suspend(std::coroutine_handle<> handle) {
    // Set first: once registered, it may be woken and resumed at once on
    // another thread.
    suspended_ = true;
    if (state_->Await(context_, handle, this)) return true;
    suspended_ = false;  // Done already: it goes on at once.
    return false;
  }
  T await_resume() {
    suspended_ = false;
    return state_->Take();
  }

  // For schedulers: the result once done() (rethrows the task's exception).
  T TakeResult() { return state_->Take(); }
  // For schedulers that test done() after every step: the state itself,
  // held in a register instead of reloaded through the handle each time.
  internal::TaskState<T>* state() const { return state_.get(); }

 private:
  void Withdraw() {
    if (suspended_ && state_ != nullptr) state_->Withdraw(this);
    suspended_ = false;
  }

  std::shared_ptr<internal::TaskState<T>> state_;
  // It registered to be woken and was not resumed since; owned by the
  // awaiting coroutine.
  bool suspended_ = false;
};

namespace internal {

// Builds the runner of `task` and the handle to join it.
template <typename T>
std::pair<Actor<NoMessage>, JoinHandle<T>> MakeRunner(Task<T> task) {
  auto state = std::make_shared<TaskState<T>>();
  return {RunTask(std::move(task), RunnerState<T>(state)),
          JoinHandle<T>(state)};
}

}  // namespace internal

// `co_await CreateTask(task)`: starts `task` concurrently on the scheduler
// of the awaiting coroutine and yields its JoinHandle at once.
template <typename T>
class [[nodiscard]] CreateTask : public internal::ContextBound {
 public:
  explicit CreateTask(Task<T> task) : task_(std::move(task)) {}
  bool await_ready() const noexcept { return true; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  JoinHandle<T> await_resume() {
    auto [runner, handle] = internal::MakeRunner(std::move(task_));
    context_.runtime->SpawnRunner(std::move(runner));
    return std::move(handle);
  }

 private:
  Task<T> task_;
};

// What gathering tasks of T yields: their results in order, or nothing
// for Task<void> (all have ended, none threw).
template <typename T>
using GatherResult =
    std::conditional_t<std::is_void_v<T>, void, std::vector<T>>;

// Waits for every handle, in order; all results, or the first exception.
template <typename T>
Task<GatherResult<T>> Gather(std::vector<JoinHandle<T>> handles) {
  std::conditional_t<std::is_void_v<T>, bool, std::vector<T>> results{};
  if constexpr (!std::is_void_v<T>) results.reserve(handles.size());
  std::exception_ptr first_failure;
  for (JoinHandle<T>& handle : handles) {
    try {
      if constexpr (std::is_void_v<T>) {
        co_await handle;
      } else {
        results.push_back(co_await handle);
      }
    } catch (...) {
      if (!first_failure) first_failure = std::current_exception();
    }
  }
  if (first_failure) std::rethrow_exception(first_failure);
  if constexpr (!std::is_void_v<T>) co_return results;
}

// Starts every task concurrently, then gathers them.
template <typename T>
Task<GatherResult<T>> Gather(std::vector<Task<T>> tasks) {
  std::vector<JoinHandle<T>> handles;
  handles.reserve(tasks.size());
  for (Task<T>& task : tasks) {
    handles.push_back(co_await CreateTask<T>(std::move(task)));
  }
  if constexpr (std::is_void_v<T>) {
    co_await Gather(std::move(handles));
  } else {
    co_return co_await Gather(std::move(handles));
  }
}

// (clang-format 14 and 16 disagree on requires-clauses.)
// clang-format off
template <typename T, typename... Rest>
  requires(std::is_same_v<Rest, Task<T>> && ...)
Task<GatherResult<T>> Gather(Task<T> first, Rest... rest) {
  std::vector<Task<T>> tasks;
  tasks.push_back(std::move(first));
  (tasks.push_back(std::move(rest)), ...);
  return Gather(std::move(tasks));
}
// clang-format on

// (clang-format 14 and 16 disagree on requires-clauses.)
// clang-format off
template <typename T, typename... Rest>
  requires(std::is_same_v<Rest, JoinHandle<T>> && ...)
Task<GatherResult<T>> Gather(JoinHandle<T> first, Rest... rest) {
  std::vector<JoinHandle<T>> handles;
  handles.push_back(std::move(first));
  (handles.push_back(std::move(rest)), ...);
  return Gather(std::move(handles));
}
// clang-format on

}  // namespace coactor

#endif  // COACTOR_ACTORS_JOIN_HANDLE_H_
