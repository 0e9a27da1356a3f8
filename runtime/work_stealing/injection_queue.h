// InjectionQueue is the work-stealing scheduler's shared queue of runnable
// actors: those made runnable by threads that are not workers, and those
// a worker yields while others wait. A mutex guards the queue; a count
// stored under it and read without it lets workers skip the lock when it
// is empty (a hint: the queue is re-read under the lock).
//
//   injected.Push(cell);                  // Then wake an idle worker.
//   if (Cell* cell = injected.Pop()) ...  // A worker looking for work.
//
// Thread-safety: thread-safe.
#ifndef COACTOR_RUNTIME_WORK_STEALING_INJECTION_QUEUE_H_
#define COACTOR_RUNTIME_WORK_STEALING_INJECTION_QUEUE_H_

#include <atomic>
#include <cstddef>
#include <deque>

#include "absl/base/thread_annotations.h"
#include "actors/internal/mutex.h"

namespace coactor::internal {

template <typename T>
class InjectionQueue {
 public:
  void Push(T* item) ABSL_LOCKS_EXCLUDED(mutex_) {
    MutexLock hold(mutex_);
    items_.push_back(item);
    // Relaxed: a hint read without the lock; Pop() re-checks.
    size_.store(items_.size(), std::memory_order_relaxed);
  }

  // The oldest item, or nullptr.
  T* Pop() ABSL_LOCKS_EXCLUDED(mutex_) {
    if (EmptyHint()) return nullptr;
    MutexLock hold(mutex_);
    if (items_.empty()) return nullptr;
    T* item = items_.front();
    items_.pop_front();
    // Relaxed: as in Push().
    size_.store(items_.size(), std::memory_order_relaxed);
    return item;
  }

  // Whether it looked empty (without the lock).
  bool EmptyHint() const {
    // Relaxed: a hint; the queue itself is read under the lock.
    return size_.load(std::memory_order_relaxed) == 0;
  }

 private:
  Mutex mutex_;
  std::deque<T*> items_ ABSL_GUARDED_BY(mutex_);
  // items_.size(), stored under the lock, read without it (a hint).
  std::atomic<size_t> size_{0};
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_WORK_STEALING_INJECTION_QUEUE_H_
