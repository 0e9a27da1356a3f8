// RingQueue<T> is a FIFO on a power-of-two ring buffer that grows by
// doubling and never shrinks, so a steady workload runs with no allocation
// at all (std::deque frees and allocates a block every few dozen elements).
// A queue made with capacity 0 allocates on first use, so idle owners (an
// actor's empty mailbox) cost no buffer. T must be trivially copyable;
// `relocator(destination, source)` is called for each element when the ring
// grows, for payloads that cannot be moved byte-wise.
//
// Thread-safety: none; one thread (or one lock holder) owns it.
#ifndef COACTOR_RUNTIME_INTERNAL_RING_QUEUE_H_
#define COACTOR_RUNTIME_INTERNAL_RING_QUEUE_H_

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>

#include "absl/base/attributes.h"

namespace coactor::internal {

// Memory for rings of trivially copyable elements (malloc's: a ring is
// moved element by element, never reallocated in place).
inline void* AllocateRing(size_t bytes) {
  void* memory = std::malloc(bytes);
  if (memory == nullptr) throw std::bad_alloc();
  return memory;
}

template <typename T, typename Relocator>
class RingQueue {
  static_assert(std::is_trivially_copyable_v<T>);
  static_assert(alignof(T) <= alignof(std::max_align_t));  // malloc's.

 public:
  // `initial_capacity` is 0 or a power of two.
  explicit RingQueue(size_t initial_capacity, Relocator relocator = {})
      : buffer_(initial_capacity == 0 ? nullptr
                                      : static_cast<T*>(AllocateRing(
                                            initial_capacity * sizeof(T)))),
        capacity_(initial_capacity),
        relocator_(relocator) {}
  RingQueue(const RingQueue&) = delete;
  RingQueue& operator=(const RingQueue&) = delete;
  ~RingQueue() { std::free(buffer_); }

  bool empty() const { return head_ == tail_; }
  size_t size() const { return tail_ - head_; }
  size_t capacity() const { return capacity_; }

  // The slot behind the last element; construct into it, then CommitBack().
  // Growing may move every element, so pointers from Front()/PopFront() are
  // invalid after this call.
  T* ReserveBack() {
    if (size() == capacity_) Grow();
    return &buffer_[tail_ & (capacity_ - 1)];
  }
  void CommitBack() { ++tail_; }

  T* Front() { return &buffer_[head_ & (capacity_ - 1)]; }
  // The element `index` places behind the front.
  const T* At(size_t index) const {
    return &buffer_[(head_ + index) & (capacity_ - 1)];
  }

  // Removes the first element and returns it; the pointer stays valid until
  // the next ReserveBack().
  T* PopFront() { return &buffer_[head_++ & (capacity_ - 1)]; }

  void swap(RingQueue& other) noexcept {
    std::swap(buffer_, other.buffer_);
    std::swap(capacity_, other.capacity_);
    std::swap(head_, other.head_);
    std::swap(tail_, other.tail_);
    std::swap(relocator_, other.relocator_);
  }

 private:
  static constexpr size_t kFirstAllocation = 8;

  // Out of line so that ReserveBack() stays small enough to inline.
  ABSL_ATTRIBUTE_NOINLINE void Grow() {
    const size_t new_capacity = std::max(capacity_ * 2, kFirstAllocation);
    // Uninitialized: relocation fills what is used.
    T* bigger = static_cast<T*>(AllocateRing(new_capacity * sizeof(T)));
    for (size_t i = head_; i != tail_; ++i) {
      relocator_(&bigger[i & (new_capacity - 1)],
                 &buffer_[i & (capacity_ - 1)]);
    }
    std::free(buffer_);
    buffer_ = bigger;
    capacity_ = new_capacity;
  }

  T* buffer_;  // From AllocateRing(capacity_ * sizeof(T)).
  size_t capacity_;
  // Free-running positions; an element is at `position & (capacity_ - 1)`.
  size_t head_ = 0;
  size_t tail_ = 0;
  [[no_unique_address]] Relocator relocator_;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_RING_QUEUE_H_
