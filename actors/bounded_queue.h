// BoundedQueue<T> is asyncio.Queue for actors and tasks: `co_await
// queue.Put(x)` waits while the queue is full, `co_await queue.Get()` waits
// while it is empty; waiters are served first come, first served, and a
// value handed to a waiting getter skips the buffer.
//
//   coactor::BoundedQueue<int> queue(/*capacity=*/2);
//   co_await queue.Put(42);               // in a producer task
//   int x = co_await queue.Get();         // in a consumer task
//
// Thread-safety: thread-safe (a mutex); the queue must outlive every
// coroutine waiting on it.
#ifndef COACTOR_ACTORS_BOUNDED_QUEUE_H_
#define COACTOR_ACTORS_BOUNDED_QUEUE_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <coroutine>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

#include "actors/internal/actor_cell.h"
#include "actors/internal/runtime.h"

namespace coactor {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  class [[nodiscard]] PutAwaiter : public internal::ContextBound {
   public:
    PutAwaiter(BoundedQueue* queue, T value)
        : queue_(queue), value_(std::move(value)) {}
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> handle) {
      return queue_->PutOrWait(this, handle);
    }
    void await_resume() const noexcept {}

   private:
    friend class BoundedQueue;
    BoundedQueue* queue_;
    T value_;
  };

  class [[nodiscard]] GetAwaiter : public internal::ContextBound {
   public:
    explicit GetAwaiter(BoundedQueue* queue) : queue_(queue) {}
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> handle) {
      return queue_->GetOrWait(this, handle);
    }
    T await_resume() { return std::move(*value_); }

   private:
    friend class BoundedQueue;
    BoundedQueue* queue_;
    std::optional<T> value_;
  };

  PutAwaiter Put(T value) { return PutAwaiter(this, std::move(value)); }
  GetAwaiter Get() { return GetAwaiter(this); }

  size_t size() {
    std::lock_guard<std::mutex> hold(mutex_);
    return items_.size();
  }

 private:
  template <typename Awaiter>
  struct Waiting {
    Awaiter* awaiter;
    internal::ExecutionContext context;
    std::coroutine_handle<> handle;
    void Wake() const { context.runtime->Wake(context.cell, handle); }
  };

  // Each returns true to suspend the caller; a waiter it completes is
  // woken after the lock is released.
  bool PutOrWait(PutAwaiter* put, std::coroutine_handle<> handle) {
    std::optional<Waiting<GetAwaiter>> getter;
    {
      std::lock_guard<std::mutex> hold(mutex_);
      if (!getters_.empty()) {
        getter = getters_.front();
        getters_.pop_front();
        getter->awaiter->value_.emplace(std::move(put->value_));
      } else if (items_.size() < capacity_) {
        items_.push_back(std::move(put->value_));
      } else {
        put->context_.cell->SetState(internal::ActorState::kBlocked);
        putters_.push_back({put, put->context_, handle});
        return true;
      }
    }
    if (getter) getter->Wake();
    return false;
  }

  bool GetOrWait(GetAwaiter* get, std::coroutine_handle<> handle) {
    std::optional<Waiting<PutAwaiter>> putter;
    {
      std::lock_guard<std::mutex> hold(mutex_);
      if (!putters_.empty()) {
        putter = putters_.front();
        putters_.pop_front();
      }
      if (!items_.empty()) {
        get->value_.emplace(std::move(items_.front()));
        items_.pop_front();
        if (putter) items_.push_back(std::move(putter->awaiter->value_));
      } else if (putter) {  // Capacity 0: hand over directly.
        get->value_.emplace(std::move(putter->awaiter->value_));
      } else {
        get->context_.cell->SetState(internal::ActorState::kBlocked);
        getters_.push_back({get, get->context_, handle});
        return true;
      }
    }
    if (putter) putter->Wake();
    return false;
  }

  const size_t capacity_;
  std::mutex mutex_;
  std::deque<T> items_;
  std::deque<Waiting<PutAwaiter>> putters_;
  std::deque<Waiting<GetAwaiter>> getters_;
};

}  // namespace coactor

#endif  // COACTOR_ACTORS_BOUNDED_QUEUE_H_
