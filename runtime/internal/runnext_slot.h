// RunnextSlot is a worker's `runnext`: one item the owner runs next, that
// another thread may take from it when the owner is stuck (a long handler
// keeps it from coming back to the slot). The owner puts and takes with
// plain loads and stores and no fence; a thief claims the item, then pays
// for the ordering with AsymmetricFence::Heavy(), and gets the item only if
// the owner had not taken it by then.
//
//   owner:  Cell* displaced = slot.Exchange(next);  // Put, maybe push old.
//           Cell* mine = slot.Take();               // nullptr if stolen.
//   thief:  if (slot.TrySteal(seen)) Run(seen);
//
// The protocol. A thief CASes a claim word from empty to (item, pending),
// fences (heavy), and looks at the slot: if the item is still there, the
// claim becomes (item, stolen) and the item is the thief's; if not, the
// claim is withdrawn. The owner, whenever it removes an item from the slot
// (Take, or Exchange displacing it), stores the new content, fences
// (light), and reads the claim word: a claim for that item makes it wait
// out a pending decision and then obey it. The two fences order as seq_cst
// fences: either the thief's look sees the owner's store (and withdraws),
// or the owner's read sees the claim (and waits for the verdict). A stolen
// item stays in the slot, unusable, until the owner next removes it and
// clears the claim (Peek() hides it meanwhile); only one claim exists at a
// time, so a second thief waits for that.
//
// Without membarrier (AsymmetricFence::available() false) TrySteal()
// refuses, and the slot is the owner's alone.
//
// Memory ordering: putting an item releases what the owner wrote before;
// a thief that takes it acquires that (the look after the fence). Cells
// are at least 4-byte aligned, so the claim's two low bits are free.
//
// Thread-safety: Exchange() and Take() by the owning worker only; Peek()
// and TrySteal() by any thread.
#ifndef COACTOR_RUNTIME_INTERNAL_RUNNEXT_SLOT_H_
#define COACTOR_RUNTIME_INTERNAL_RUNNEXT_SLOT_H_

#include <atomic>
#include <cstdint>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "runtime/internal/asymmetric_fence.h"
#include "runtime/internal/spin_lock.h"

namespace coactor::internal {

template <typename T>
class RunnextSlot {
 public:
  static_assert(alignof(T) >= 4,
                "the claim word keeps two flags in the "
                "low bits of an item's address");

  // The item in the slot (nullptr if none, or one a thief has taken): a
  // hint for other threads, exact for the owner.
  T* Peek() const {
    // Relaxed: a hint; TrySteal() decides under the protocol.
    T* item = item_.load(std::memory_order_relaxed);
    if (item != nullptr &&
        // Relaxed: as above.
        claim_.load(std::memory_order_relaxed) == (Bits(item) | kStolen)) {
      return nullptr;
    }
    return item;
  }

  // Owner: puts `item` (may be nullptr) and returns the item that was
  // there, or nullptr if there was none or a thief took it.
  T* Exchange(T* item) {
    // Relaxed: only the owner stores to item_.
    T* old = item_.load(std::memory_order_relaxed);
    // Release: a thief that takes `item` sees what we wrote before.
    item_.store(item, std::memory_order_release);
    if (old == nullptr) return nullptr;  // Nothing to claim.
    return Settle(old);
  }

  // Owner: empties the slot; the item, or nullptr (none, or stolen).
  T* Take() {
    // Relaxed: only the owner stores to item_.
    T* item = item_.load(std::memory_order_relaxed);
    if (item == nullptr) return nullptr;
    // Relaxed: nothing to publish with an empty slot.
    item_.store(nullptr, std::memory_order_relaxed);
    return Settle(item);
  }

  // Any thread but the owner: takes `expected` if it is still in the slot.
  // False if it is not, or another thief's claim is in the way, or the
  // process has no asymmetric fence (then nothing is ever stolen).
  bool TrySteal(T* expected) {
    if (!AsymmetricFence::available()) return false;
    uintptr_t none = 0;
    // Relaxed: the claim is ordered with the owner's store by the fences.
    if (!claim_.compare_exchange_strong(none, Bits(expected) | kPending,
                                        std::memory_order_relaxed)) {
      return false;
    }
    AsymmetricFence::Heavy();
    // Acquire: pairs with the owner's release store of the item.
    if (item_.load(std::memory_order_acquire) == expected) {
      // Relaxed: the owner needs only the verdict's value.
      claim_.store(Bits(expected) | kStolen, std::memory_order_relaxed);
      return true;
    }
    claim_.store(0, std::memory_order_relaxed);  // Relaxed: as above.
    return false;
  }

 private:
  static constexpr uintptr_t kPending = 1;
  static constexpr uintptr_t kStolen = 2;
  static constexpr uintptr_t kFlags = kPending | kStolen;

  static uintptr_t Bits(const T* item) {
    return reinterpret_cast<uintptr_t>(item);
  }

  // Owner, after storing over `old`: `old`, unless a thief claimed it.
  T* Settle(T* old) {
    AsymmetricFence::Light();  // Our store, then the claim (see above).
    // Relaxed: the item is ours or the thief's; nothing else to see.
    const uintptr_t claim = claim_.load(std::memory_order_relaxed);
    if (ABSL_PREDICT_TRUE(claim == 0)) return old;
    return SettleClaimed(old, claim);
  }

  ABSL_ATTRIBUTE_NOINLINE T* SettleClaimed(T* old, uintptr_t claim) {
    if ((claim & ~kFlags) != Bits(old)) return old;  // Another item's.
    while ((claim & kPending) != 0) {                // The thief is deciding.
      SpinLock::CpuRelax();
      claim = claim_.load(std::memory_order_relaxed);  // Relaxed: as above.
    }
    if (claim != (Bits(old) | kStolen)) return old;  // Withdrawn.
    // Cleared by the owner only: the stolen item has left the slot.
    // Relaxed: a later claim CAS is ordered by its own fence.
    claim_.store(0, std::memory_order_relaxed);
    return nullptr;
  }

  std::atomic<T*> item_{nullptr};
  // 0, or (item | kPending) while a thief decides, or (item | kStolen)
  // until the owner removes the stolen item from the slot.
  std::atomic<uintptr_t> claim_{0};
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_RUNNEXT_SLOT_H_
