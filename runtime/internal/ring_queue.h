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

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>

namespace coactor::internal {

// Memory for a ring of trivially copyable elements. Large rings are mapped
// with their pages populated in one system call: a flooded mailbox
// (millions of messages) otherwise takes a page fault every 4 KiB.
class RingMemory {
 public:
  static constexpr size_t kPopulateFrom = size_t{1} << 20;

  RingMemory() = default;
  explicit RingMemory(size_t bytes) : bytes_(bytes) {
    if (bytes >= kPopulateFrom) {
      void* mapped = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
      memory_ = mapped == MAP_FAILED ? nullptr : mapped;
    } else {
      memory_ = std::malloc(bytes);
    }
    if (memory_ == nullptr) throw std::bad_alloc();
  }
  RingMemory(RingMemory&& other) noexcept
      : memory_(std::exchange(other.memory_, nullptr)),
        bytes_(other.bytes_) {}
  RingMemory& operator=(RingMemory&& other) noexcept {
    std::swap(memory_, other.memory_);
    std::swap(bytes_, other.bytes_);
    return *this;
  }
  ~RingMemory() {
    if (memory_ == nullptr) return;
    if (bytes_ >= kPopulateFrom) {
      munmap(memory_, bytes_);
    } else {
      std::free(memory_);
    }
  }

  void* get() const { return memory_; }

 private:
  void* memory_ = nullptr;
  size_t bytes_ = 0;
};

template <typename T, typename Relocator>
class RingQueue {
  static_assert(std::is_trivially_copyable_v<T>);
  static_assert(alignof(T) <= alignof(std::max_align_t));  // malloc's.

 public:
  // `initial_capacity` is 0 or a power of two.
  explicit RingQueue(size_t initial_capacity, Relocator relocator = {})
      : memory_(initial_capacity == 0 ? RingMemory()
                                      : RingMemory(initial_capacity * sizeof(T))),
        buffer_(static_cast<T*>(memory_.get())),
        capacity_(initial_capacity),
        relocator_(relocator) {}
  RingQueue(const RingQueue&) = delete;
  RingQueue& operator=(const RingQueue&) = delete;

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

  // For elements whose relocation depends on state (an actor's message
  // type); only while empty.
  void set_relocator(Relocator relocator) { relocator_ = relocator; }

  void swap(RingQueue& other) noexcept {
    std::swap(memory_, other.memory_);
    std::swap(buffer_, other.buffer_);
    std::swap(capacity_, other.capacity_);
    std::swap(head_, other.head_);
    std::swap(tail_, other.tail_);
    std::swap(relocator_, other.relocator_);
  }

 private:
  static constexpr size_t kFirstAllocation = 8;

  void Grow() {
    const size_t new_capacity = std::max(capacity_ * 2, kFirstAllocation);
    // Uninitialized: relocation fills what is used.
    RingMemory memory(new_capacity * sizeof(T));
    T* bigger = static_cast<T*>(memory.get());
    for (size_t i = head_; i != tail_; ++i) {
      relocator_(&bigger[i & (new_capacity - 1)],
                 &buffer_[i & (capacity_ - 1)]);
    }
    memory_ = std::move(memory);
    buffer_ = bigger;
    capacity_ = new_capacity;
  }

  RingMemory memory_;
  T* buffer_;
  size_t capacity_;
  // Free-running positions; an element is at `position & (capacity_ - 1)`.
  size_t head_ = 0;
  size_t tail_ = 0;
  [[no_unique_address]] Relocator relocator_;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_RING_QUEUE_H_
