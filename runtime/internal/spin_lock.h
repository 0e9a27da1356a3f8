// SpinLock guards an actor's mailbox in the work-stealing scheduler. The
// critical sections are a handful of instructions (append one message, or
// swap two ring buffers), so a lock word that is taken with one atomic
// exchange and released with one store is cheaper than std::mutex (two
// read-modify-writes). When the holder was preempted — likely with more
// workers than cores — waiters yield the CPU instead of burning it.
//
// It is a capability to Clang's thread-safety analysis: fields it guards
// say ABSL_GUARDED_BY(lock_), and MutexLock (actors/internal/mutex.h)
// holds it for a scope.
//
// Thread-safety: thread-safe; not reentrant.
#ifndef COACTOR_RUNTIME_INTERNAL_SPIN_LOCK_H_
#define COACTOR_RUNTIME_INTERNAL_SPIN_LOCK_H_

#include <atomic>
#include <thread>

#include "absl/base/thread_annotations.h"

namespace coactor::internal {

class ABSL_LOCKABLE SpinLock {
 public:
  static void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    // Acquire: what the previous holder wrote is visible once we hold it.
    while (locked_.exchange(true, std::memory_order_acquire)) {
      for (int spins = 0;
           // Relaxed: only a hint to retry the exchange above.
           locked_.load(std::memory_order_relaxed); ++spins) {
        if (spins < 64) {
          CpuRelax();
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  // Release: publishes what we wrote to the next holder.
  void unlock() ABSL_UNLOCK_FUNCTION() {
    locked_.store(false, std::memory_order_release);
  }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_SPIN_LOCK_H_
