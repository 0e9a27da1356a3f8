// ChaseLevDeque<T> is a lock-free work-stealing deque for a scheduler's
// per-worker run queue: the worker that owns it pushes and pops work at the
// bottom (LIFO, cache-warm), idle workers steal from the top (FIFO, oldest
// first). T is a pointer (e.g. WorkerCell*) or another small trivially
// copyable type that std::atomic handles lock-free.
//
//   ChaseLevDeque<WorkerCell*> deque(/*initial_capacity=*/64);
//   deque.Push(cell);                                   // owner thread
//   if (std::optional<WorkerCell*> c = deque.Pop()) Run(*c);    // owner
//   if (std::optional<WorkerCell*> c = deque.Steal()) Run(*c);  // any thread
//   if (deque.Empty()) Sleep();  // any thread; a hint only
//
// Thread-safety: Push() and Pop() only from the single owner thread; Steal(),
// Empty(), SizeApprox() from any thread; the destructor once no other thread
// can touch the deque. Every pushed value comes out exactly once, and writes
// made before Push(x) happen-before reads made after obtaining x. Pop() and
// Steal() return std::nullopt when they get nothing; from Steal() that means
// empty OR lost a race with the owner or another thief: not proof of empty.
//
// The array grows by doubling when full and never shrinks. A thief may still
// be reading an old array after the owner replaced it, so replaced arrays are
// kept (total memory < 2x the largest array) and freed in the destructor.
//
// Algorithm and memory orders: N. M. Lê, A. Pop, A. Cohen, F. Zappa Nardelli,
// "Correct and Efficient Work-Stealing for Weak Memory Models", PPoPP 2013
// (doi:10.1145/2442516.2442524), the C11 version in its Fig. 1, with two
// deliberate changes so ThreadSanitizer (which ignores atomic_thread_fence)
// sees the synchronization:
//  - Push publishes with bottom_.store(release) instead of
//    atomic_thread_fence(release) + bottom_.store(relaxed);
//  - the array pointer is stored with release and loaded with acquire (the
//    paper uses relaxed/consume; compilers implement consume as acquire);
//  - Pop() stores bottom_ with release, so that a thief reading such a store
//    still synchronizes with the earlier Push()es under the C++ model.
// The seq_cst fences in Pop() and Steal() are as in the paper.
#ifndef COACTOR_RUNTIME_INTERNAL_CHASE_LEV_DEQUE_H_
#define COACTOR_RUNTIME_INTERNAL_CHASE_LEV_DEQUE_H_

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace coactor::internal {

template <typename T>
class ChaseLevDeque {
  static_assert(std::is_pointer_v<T> || std::is_trivially_copyable_v<T>,
                "ChaseLevDeque<T>: T must be a pointer or trivially copyable");
  static_assert(std::atomic<T>::is_always_lock_free,
                "ChaseLevDeque<T>: std::atomic<T> must be lock-free");

 public:
  // `initial_capacity` must be a power of two, at least 1.
  explicit ChaseLevDeque(size_t initial_capacity = 64) {
    assert(initial_capacity > 0 &&
           (initial_capacity & (initial_capacity - 1)) == 0);
    arrays_.push_back(std::make_unique<Array>(initial_capacity));
    // relaxed: no other thread can see the deque before construction ends.
    array_.store(arrays_.back().get(), std::memory_order_relaxed);
  }
  ChaseLevDeque(const ChaseLevDeque&) = delete;
  ChaseLevDeque& operator=(const ChaseLevDeque&) = delete;

  // Owner only. Adds `item` at the bottom, growing the array if it is full.
  void Push(T item) {
    // relaxed: only the owner (this thread) writes bottom_.
    const int64_t b = bottom_.load(std::memory_order_relaxed);
    // acquire: pairs with thieves' CAS, so their reads of slots < t are done.
    const int64_t t = top_.load(std::memory_order_acquire);
    // relaxed: only the owner (this thread) writes array_.
    Array* a = array_.load(std::memory_order_relaxed);
    if (static_cast<size_t>(b - t) > a->mask) a = Grow(a, t, b);
    a->Put(b, item);
    // release: publishes the slot (and what it points to) to Steal(); the
    // paper has a release fence + relaxed store here, which TSan cannot see.
    bottom_.store(b + 1, std::memory_order_release);
  }

  // Owner only. Removes and returns the bottom (most recently pushed) item,
  // or std::nullopt if the deque is empty.
  std::optional<T> Pop() {
    // relaxed: only the owner (this thread) writes bottom_.
    const int64_t b = bottom_.load(std::memory_order_relaxed) - 1;
    // relaxed: only the owner (this thread) writes array_.
    Array* a = array_.load(std::memory_order_relaxed);
    // release (the paper: relaxed): a thief whose acquire load of bottom_
    // reads this store then still synchronizes with the Push()es before it,
    // which the C++ model otherwise does not promise. Free on x86.
    bottom_.store(b, std::memory_order_release);
    SeqCstFence();
    // relaxed: as in the paper; the fence above orders it after the store.
    int64_t t = top_.load(std::memory_order_relaxed);
    if (t > b) {  // Empty: undo the decrement.
      // release: as for the store above; t == b + 1, so this restores empty.
      bottom_.store(b + 1, std::memory_order_release);
      return std::nullopt;
    }
    T item = a->Get(b);
    if (t == b) {  // The last item: race the thieves for it through top_.
      const bool won = top_.compare_exchange_strong(
          t, t + 1, std::memory_order_seq_cst,
          // relaxed: on failure we only need to know that we lost.
          std::memory_order_relaxed);
      // release: as above; top_ == b + 1 now, so the deque is empty.
      bottom_.store(b + 1, std::memory_order_release);
      if (!won) return std::nullopt;
    }
    return item;
  }

  // Any thread. Removes and returns the top (oldest) item, or std::nullopt if
  // the deque is empty or another thread took that item first.
  std::optional<T> Steal() {
    // acquire: as in the paper; pairs with the CAS that last advanced top_.
    int64_t t = top_.load(std::memory_order_acquire);
    SeqCstFence();
    // acquire: pairs with Push()'s release store; slot t is then visible.
    const int64_t b = bottom_.load(std::memory_order_acquire);
    if (t >= b) return std::nullopt;
    // acquire: pairs with Grow()'s store: copied slots visible (paper: consume)
    Array* a = array_.load(std::memory_order_acquire);
    T item = a->Get(t);
    if (!top_.compare_exchange_strong(
            t, t + 1, std::memory_order_seq_cst,
            // relaxed: on failure the item is discarded, nothing is read.
            std::memory_order_relaxed)) {
      return std::nullopt;
    }
    return item;
  }

  // Any thread. Snapshots that may be stale by the time they return.
  bool Empty() const { return SizeApprox() == 0; }
  size_t SizeApprox() const {
    // relaxed: an approximate snapshot; no data is read through it.
    const int64_t b = bottom_.load(std::memory_order_relaxed);
    // relaxed: an approximate snapshot; no data is read through it.
    const int64_t t = top_.load(std::memory_order_relaxed);
    return b > t ? static_cast<size_t>(b - t) : 0;
  }

  // Any thread; the capacity may grow right after it is read.
  size_t CapacityApprox() const {
    // acquire: mask is read through the pointer; pairs with Grow()'s store.
    return array_.load(std::memory_order_acquire)->mask + 1;
  }

 private:
  // A power-of-two circular array; position i lives at slot i & mask.
  struct Array {
    explicit Array(size_t capacity)
        : mask(capacity - 1), slots(new std::atomic<T>[capacity]) {}
    T Get(int64_t i) const {
      // relaxed: as in the paper; top_, bottom_ and array_ order slots.
      return slots[static_cast<size_t>(i) & mask].load(
          std::memory_order_relaxed);
    }
    void Put(int64_t i, T x) {
      // relaxed: as in the paper; top_, bottom_ and array_ order slots.
      slots[static_cast<size_t>(i) & mask].store(x, std::memory_order_relaxed);
    }

    const size_t mask;
    const std::unique_ptr<std::atomic<T>[]> slots;
  };

  // Owner only: copies positions [t, b) into an array twice the size and
  // publishes it. The old array stays in arrays_ for thieves still using it.
  Array* Grow(Array* old, int64_t t, int64_t b) {
    auto bigger = std::make_unique<Array>(2 * (old->mask + 1));
    for (int64_t i = t; i != b; ++i) bigger->Put(i, old->Get(i));
    Array* raw = bigger.get();
    arrays_.push_back(std::move(bigger));  // May throw; nothing changed yet.
    // release: publishes the copied slots to Steal()'s acquire load.
    array_.store(raw, std::memory_order_release);
    return raw;
  }

  // The paper's fence. TSan ignores fences (GCC >= 12 warns so, -Wtsan);
  // harmless here: no false reports, as the accesses it orders are atomic.
  static void SeqCstFence() {
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
#endif
    std::atomic_thread_fence(std::memory_order_seq_cst);
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic pop
#endif
  }

  static constexpr size_t kCacheLine = 64;

  // Thieves CAS top_; the owner writes bottom_; each gets its own line.
  alignas(kCacheLine) std::atomic<int64_t> top_{0};
  alignas(kCacheLine) std::atomic<int64_t> bottom_{0};
  // Read by every operation, written only when growing.
  alignas(kCacheLine) std::atomic<Array*> array_{nullptr};
  // Owner only: every array allocated so far, the current one last.
  std::vector<std::unique_ptr<Array>> arrays_;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_CHASE_LEV_DEQUE_H_
