// BiasedLock guards state that one thread (the owner) uses all the time and
// another thread (a visitor) needs now and then, when the owner is away.
// The owner takes and releases it with plain stores and a compiler barrier;
// a visitor pays for the ordering with AsymmetricFence::Heavy() and gets in
// only while the owner is out (it never waits for the owner).
//
//   owner:    { BiasedLock::OwnerHold hold(lock); ...use the state...; }
//   visitor:  if (lock.TryVisit()) { ...use the state...; lock.EndVisit(); }
//
// The protocol is Dekker's with an asymmetric fence pair: the owner stores
// `busy`, fences (light) and reads `visitor`; a visitor CASes `visitor`,
// fences (heavy) and reads `busy`. Either the owner sees the visitor (and
// waits until it leaves) or the visitor sees the owner (and gives up). One
// visitor at a time (the CAS).
//
// The work-stealing scheduler guards each worker's outbox with one: the
// worker appends to it on every send with no read-modify-write, and an idle
// worker hands over what it holds when the worker is stuck in a long
// handler.
//
// Memory ordering: the owner's release (busy = 0) and a visitor's acquire
// read of it pass the state to the visitor; the visitor's release (visitor
// = 0) and the owner's acquire read of it pass it back, and the next
// visitor's acquire CAS passes it on.
//
// Not a lock to Clang's thread-safety analysis (no ABSL_LOCKABLE): owner
// holds nest, which clang 16's analysis cannot express (it would refuse the
// inner hold), and the state it guards is not guarded by it alone (the
// work-stealing outbox is used with no hold at all while no visitor can
// come; see Worker::outbox).
//
// Thread-safety: OwnerHold by the owning thread only; TryVisit() and
// EndVisit() by any other thread.
#ifndef COACTOR_RUNTIME_INTERNAL_BIASED_LOCK_H_
#define COACTOR_RUNTIME_INTERNAL_BIASED_LOCK_H_

#include <atomic>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "runtime/internal/asymmetric_fence.h"
#include "runtime/internal/spin_lock.h"

namespace coactor::internal {

class BiasedLock {
 public:
  class OwnerHold {
   public:
    // Holds may nest (the outermost one counts).
    explicit OwnerHold(BiasedLock& lock)
        // Relaxed: only the owner stores to busy_.
        : lock_(lock), outer_(!lock.busy_.load(std::memory_order_relaxed)) {
      if (!outer_) return;
      // Relaxed: ordered with the visitor's CAS by the fences.
      lock_.busy_.store(true, std::memory_order_relaxed);
      AsymmetricFence::Light();
      // Acquire: see what a visitor that has left did.
      if (ABSL_PREDICT_FALSE(lock_.visitor_.load(std::memory_order_acquire))) {
        lock_.WaitForVisitor();
      }
    }
    ~OwnerHold() {
      // Release: a visitor that sees the owner out sees what it did.
      if (outer_) lock_.busy_.store(false, std::memory_order_release);
    }
    OwnerHold(const OwnerHold&) = delete;
    OwnerHold& operator=(const OwnerHold&) = delete;

   private:
    BiasedLock& lock_;
    const bool outer_;
  };

  // Any thread but the owner: true if it may use the state now (the owner
  // is out and will wait for EndVisit()); false if the owner is in, or
  // another visitor is, or the process has no asymmetric fence (then no
  // visitor ever gets in).
  bool TryVisit() {
    if (!AsymmetricFence::available()) return false;
    bool none = false;
    // Acquire: the previous visitor's EndVisit() (release) passes the state
    // on to this one. (The heavy fence below orders it too, but
    // ThreadSanitizer does not see fences: two idle workers handing over
    // one stuck worker's outbox in turn were reported as a race.) Ordered
    // with the owner's store by the fences.
    if (!visitor_.compare_exchange_strong(none, true,
                                          std::memory_order_acquire)) {
      return false;
    }
    AsymmetricFence::Heavy();
    // Acquire: pairs with the owner's release when it left.
    if (busy_.load(std::memory_order_acquire)) {
      visitor_.store(false, std::memory_order_relaxed);  // Relaxed: unused.
      return false;
    }
    return true;
  }

  void EndVisit() {
    // Release: the owner's next hold sees what the visit did.
    visitor_.store(false, std::memory_order_release);
  }

 private:
  ABSL_ATTRIBUTE_NOINLINE void WaitForVisitor() {
    // Acquire: as in OwnerHold.
    while (visitor_.load(std::memory_order_acquire)) SpinLock::CpuRelax();
  }

  std::atomic<bool> busy_{false};     // The owner is in.
  std::atomic<bool> visitor_{false};  // A visitor is in, or deciding.
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_BIASED_LOCK_H_
