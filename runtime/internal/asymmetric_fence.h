// AsymmetricFence is a pair of fences for a store-then-load handshake
// between a hot side and a rare side (Dekker's pattern: each side stores
// its flag, fences, then loads the other's). A pair of seq_cst fences
// makes sure at least one side sees the other's store; here the hot side
// pays only a compiler barrier, and the rare side a membarrier() system
// call that makes every running thread of the process execute a full
// fence (a thread that is not running passes one when it is scheduled).
// The pair then orders as two seq_cst fences would.
//
//   hot side:   flag_a.store(1, relaxed); AsymmetricFence::Light();
//               if (flag_b.load(relaxed)) ...
//   rare side:  flag_b.store(1, relaxed); AsymmetricFence::Heavy();
//               if (flag_a.load(relaxed)) ...
//
// (userspace RCU and folly's asymmetricLightBarrier use the same call.)
// Where membarrier's expedited command is unavailable (not Linux, an old
// kernel, a sandbox that refuses it), available() is false, and the rare
// side must not run at all: Light() stays a compiler barrier, so the hot
// side pays nothing for the choice.
//
// The scheduler uses it so that a worker's hot path (putting an actor in
// its runnext slot, taking it out) has no atomic read-modify-write and no
// fence, while an idle worker that steals from that slot, or stops watching
// it, pays for the ordering. Heavy() interrupts the other CPUs that run
// this process's threads for a few microseconds: call it rarely.
//
// Thread-safety: thread-safe. Init() before the threads that use Light()
// start (a constructor does), so that all of them see the same mode.
#ifndef COACTOR_RUNTIME_INTERNAL_ASYMMETRIC_FENCE_H_
#define COACTOR_RUNTIME_INTERNAL_ASYMMETRIC_FENCE_H_

#include <atomic>

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace coactor::internal {

class AsymmetricFence {
 public:
  // Registers the process for expedited membarrier, once. Idempotent.
  static void Init() {
    static const bool registered = Register();
    (void)registered;
  }

  // Whether the rare side may run (Heavy() works).
  static bool available() {
    // Relaxed: set once, before the threads that read it were started.
    return expedited_.load(std::memory_order_relaxed);
  }

  // The hot side's fence.
  static void Light() { std::atomic_signal_fence(std::memory_order_seq_cst); }

  // The rare side's fence. Precondition: available().
  static void Heavy() {
#if defined(__linux__)
    // Cannot fail once registered (see Register()).
    syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
#endif
  }

 private:
  static bool Register() {
#if defined(__linux__) && !defined(COACTOR_NO_MEMBARRIER)
    const long commands = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (commands > 0 && (commands & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0 &&
        syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0,
                0) == 0) {
      // Relaxed: published to the worker threads by their creation.
      expedited_.store(true, std::memory_order_relaxed);
      return true;
    }
#endif
    return false;
  }

  static inline std::atomic<bool> expedited_{false};
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_ASYMMETRIC_FENCE_H_
