// BoundedQueue<T> is asyncio.Queue for actors and tasks: `co_await
// queue.Put(x)` waits while the queue is full, `co_await queue.Get()` waits
// while it is empty; waiters are served first come, first served, and a
// value handed to a waiting getter skips the buffer.
//
//   coactor::BoundedQueue<int> queue(/*capacity=*/2);
//   co_await queue.Put(42);               // in a producer task
//   int x = co_await queue.Get();         // in a consumer task
//
// A value whose move constructor throws stays where it was, and no waiter
// is left out of the queue unwoken: a Put() handing it to a waiting getter,
// or a Get() taking it from a waiting putter (capacity 0), throws at its
// co_await; a putter whose value cannot follow into the buffer behind a
// Get() keeps it and waits on (that Get() has its own value).
//
// Lifetimes: a waiter whose frame is destroyed while it waits (its
// scheduler was destroyed) withdraws from the queue, so a later Put() or
// Get() never touches the freed frame or wakes through the freed
// scheduler; the value a destroyed putter held goes with its frame. A
// queue destroyed with waiters still registered forgets them (they stay
// suspended until their frames are destroyed). Either may thus go first,
// but not while the other is in use on another thread.
//
// Thread-safety: thread-safe (a mutex). A waiter is woken with the mutex
// held, so a waiter's frame being destroyed on one thread never races its
// wake-up on another.
#ifndef COACTOR_ACTORS_BOUNDED_QUEUE_H_
#define COACTOR_ACTORS_BOUNDED_QUEUE_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <coroutine>
#include <cstddef>
#include <deque>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "actors/internal/actor_blocking.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/mutex.h"
#include "actors/internal/runtime.h"

namespace coactor {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;
  // Waiters still registered forget the queue (see the header comment).
  ~BoundedQueue() {
    internal::MutexLock hold(mutex_);
    for (const Waiting<PutAwaiter>& putter : putters_) {
      putter.awaiter->queue_ = nullptr;
    }
    for (const Waiting<GetAwaiter>& getter : getters_) {
      getter.awaiter->queue_ = nullptr;
    }
  }

  class [[nodiscard]] PutAwaiter : public internal::ContextBound {
   public:
    PutAwaiter(BoundedQueue* queue, T value)
        : queue_(queue), value_(std::move(value)) {}
    PutAwaiter(const PutAwaiter&) = delete;
    PutAwaiter& operator=(const PutAwaiter&) = delete;
    // Destroyed while waiting (its frame went with its scheduler): leaves
    // the queue.
    ~PutAwaiter() {
      if (suspended_ && queue_ != nullptr) queue_->Withdraw(this);
    }
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> handle) {
      return queue_->PutOrWait(this, handle);
    }
    // Woken: whoever woke it has taken it out of the queue.
    void await_resume() noexcept { suspended_ = false; }

   private:
    friend class BoundedQueue;
    BoundedQueue* queue_;  // Null once the queue is gone.
    T value_;
    // It registered as a waiter and was not resumed since: set under the
    // queue's lock, cleared by the resumed coroutine itself.
    bool suspended_ = false;
  };

  class [[nodiscard]] GetAwaiter : public internal::ContextBound {
   public:
    explicit GetAwaiter(BoundedQueue* queue) : queue_(queue) {}
    GetAwaiter(const GetAwaiter&) = delete;
    GetAwaiter& operator=(const GetAwaiter&) = delete;
    // As PutAwaiter's.
    ~GetAwaiter() {
      if (suspended_ && queue_ != nullptr) queue_->Withdraw(this);
    }
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> handle) {
      return queue_->GetOrWait(this, handle);
    }
    T await_resume() {
      suspended_ = false;
      return std::move(*value_);
    }

   private:
    friend class BoundedQueue;
    BoundedQueue* queue_;  // Null once the queue is gone.
    std::optional<T> value_;
    bool suspended_ = false;  // As PutAwaiter's.
  };

  PutAwaiter Put(T value) { return PutAwaiter(this, std::move(value)); }
  GetAwaiter Get() { return GetAwaiter(this); }

  size_t size() {
    internal::MutexLock hold(mutex_);
    return items_.size();
  }

 private:
  template <typename Awaiter>
  struct Waiting {
    Awaiter* awaiter;
    internal::ExecutionContext context;
    std::coroutine_handle<> handle;
    void Wake() const { internal::WakeActor(context, handle); }
  };

  // Each returns true to suspend the caller. A waiter it completes is
  // woken with the lock held: its frame cannot be destroyed (withdrawing
  // takes the lock) between leaving the queue and its wake-up.
  bool PutOrWait(PutAwaiter* put, std::coroutine_handle<> handle) {
    internal::MutexLock hold(mutex_);
    if (!getters_.empty()) {
      // The getter leaves the queue only once it has the value: if moving
      // the value throws, the putter's co_await throws and the getter
      // waits on.
      Waiting<GetAwaiter> getter = getters_.front();
      getter.awaiter->value_.emplace(std::move(put->value_));
      getters_.pop_front();
      getter.Wake();
    } else if (items_.size() < capacity_) {
      items_.push_back(std::move(put->value_));
    } else {
      internal::BlockActor(*put->context_.cell);
      // Before the lock goes: from then on it may be woken and resumed.
      put->suspended_ = true;
      putters_.push_back({put, put->context_, handle});
      return true;
    }
    return false;
  }

  bool GetOrWait(GetAwaiter* get, std::coroutine_handle<> handle) {
    internal::MutexLock hold(mutex_);
    // A putter leaves the queue only once its value is taken: if moving a
    // value throws, nobody is left out of the queue and not woken.
    std::optional<Waiting<PutAwaiter>> putter;
    if (!putters_.empty()) putter = putters_.front();
    if (!items_.empty()) {
      // If this throws, the getter's co_await throws; nothing changed.
      get->value_.emplace(std::move(items_.front()));
      items_.pop_front();
      if (putter) {
        try {
          items_.push_back(std::move(putter->awaiter->value_));
        } catch (...) {
          // The putter's value would not move: it keeps it and waits on
          // (a later Get() tries again); the getter has its value.
          putter.reset();
        }
      }
    } else if (putter) {  // Capacity 0: hand over directly.
      // If this throws, the getter's co_await throws; the putter waits on.
      get->value_.emplace(std::move(putter->awaiter->value_));
    } else {
      internal::BlockActor(*get->context_.cell);
      get->suspended_ = true;  // As in PutOrWait().
      getters_.push_back({get, get->context_, handle});
      return true;
    }
    if (putter) {
      putters_.pop_front();
      putter->Wake();
    }
    return false;
  }

  // Takes a waiter whose frame is being destroyed out of the queue, if it
  // is still there.
  template <typename Awaiter>
  void Withdraw(Awaiter* awaiter) {
    internal::MutexLock hold(mutex_);
    // (clang-format 14 and 16 disagree on this lambda call.)
    // clang-format off
    auto& waiters = [this]() -> auto& {
      if constexpr (std::is_same_v<Awaiter, PutAwaiter>) {
        return putters_;
      } else {
        return getters_;
      }
    }();
    // clang-format on
    for (auto it = waiters.begin(); it != waiters.end(); ++it) {
      if (it->awaiter == awaiter) {
        waiters.erase(it);
        return;
      }
    }
  }

  const size_t capacity_;
  internal::Mutex mutex_;
  std::deque<T> items_ ABSL_GUARDED_BY(mutex_);
  std::deque<Waiting<PutAwaiter>> putters_ ABSL_GUARDED_BY(mutex_);
  std::deque<Waiting<GetAwaiter>> getters_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace coactor

#endif  // COACTOR_ACTORS_BOUNDED_QUEUE_H_
