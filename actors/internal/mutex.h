// Mutex, SharedMutex and CondVar are std::mutex, std::shared_mutex and
// std::condition_variable with Clang's thread-safety annotations, so that
// which lock guards which field is a rule the compiler checks
// (-Wthread-safety, an error in .bazelrc) instead of a comment. MutexLock
// holds any of our locks (these, internal::SpinLock) for a scope;
// ReaderLock holds a SharedMutex shared.
//
//   mutable Mutex mutex_;
//   int count_ ABSL_GUARDED_BY(mutex_) = 0;
//   void Add() ABSL_LOCKS_EXCLUDED(mutex_) {
//     MutexLock hold(mutex_);
//     ++count_;             // Without `hold`: error, "requires holding".
//   }
//   void AddLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { ++count_; }
//
// Why not absl::Mutex: code tested under ThreadSanitizer synchronises with
// std:: types only, because Debian's Abseil is not built with
// -fsanitize=thread (see .bazelrc). These add nothing to the std:: types
// but the annotations: same size and layout, every call inline (libstdc++'s
// std::mutex has no annotations of its own).
//
// A CondVar waits with a Mutex held, as std::condition_variable waits with
// a std::unique_lock: the caller tests its condition (a guarded field) in a
// loop around Wait()/WaitUntil(), where the analysis sees the lock held.
// (A predicate lambda would be analysed as a function of its own, holding
// nothing.)
//
// Thread-safety: the locks are thread-safe, as their std:: types; MutexLock
// and ReaderLock belong to the scope (the thread) that made them.
#ifndef COACTOR_ACTORS_INTERNAL_MUTEX_H_
#define COACTOR_ACTORS_INTERNAL_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#include "absl/base/thread_annotations.h"

namespace coactor::internal {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  // True if it took the lock.
  [[nodiscard]] bool try_lock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) {
    return mutex_.try_lock();
  }
  void unlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mutex_;
};

// Many readers (ReaderLock) or one writer (MutexLock).
class ABSL_LOCKABLE SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  void unlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock(); }
  void lock_shared() ABSL_SHARED_LOCK_FUNCTION() { mutex_.lock_shared(); }
  void unlock_shared() ABSL_UNLOCK_FUNCTION() { mutex_.unlock_shared(); }

 private:
  std::shared_mutex mutex_;
};

// Holds `lock` (a Mutex, a SharedMutex exclusively, or any lock of ours
// with annotated lock()/unlock()) until the end of the scope.
template <typename Lock>
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Lock& lock) ABSL_EXCLUSIVE_LOCK_FUNCTION(lock)
      : lock_(lock) {
    lock_.lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { lock_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Lock& lock_;
};

// Holds `mutex` shared until the end of the scope.
class ABSL_SCOPED_LOCKABLE ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mutex) ABSL_SHARED_LOCK_FUNCTION(mutex)
      : mutex_(mutex) {
    mutex_.lock_shared();
  }
  ~ReaderLock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock_shared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& mutex_;
};

class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Lets go of `mutex`, waits until notified (or woken spuriously), and
  // takes `mutex` again before it returns.
  void Wait(Mutex& mutex) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    std::unique_lock<std::mutex> hold(mutex.mutex_, std::adopt_lock);
    wakeup_.wait(hold);
    hold.release();  // Still held: the caller's.
  }
  // As Wait(), but until `deadline` at the latest: false if it passed.
  template <typename Clock, typename Duration>
  bool WaitUntil(Mutex& mutex,
                 const std::chrono::time_point<Clock, Duration>& deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    std::unique_lock<std::mutex> hold(mutex.mutex_, std::adopt_lock);
    const std::cv_status status = wakeup_.wait_until(hold, deadline);
    hold.release();  // As in Wait().
    return status == std::cv_status::no_timeout;
  }

  void NotifyOne() { wakeup_.notify_one(); }
  void NotifyAll() { wakeup_.notify_all(); }

 private:
  std::condition_variable wakeup_;
};

// Nothing but the std:: type inside (the annotations cost no byte).
static_assert(sizeof(Mutex) == sizeof(std::mutex));
static_assert(sizeof(SharedMutex) == sizeof(std::shared_mutex));
static_assert(sizeof(CondVar) == sizeof(std::condition_variable));

}  // namespace coactor::internal

#endif  // COACTOR_ACTORS_INTERNAL_MUTEX_H_
