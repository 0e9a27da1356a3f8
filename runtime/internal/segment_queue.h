// SegmentQueue<T> is a FIFO kept in a chain of fixed-size segments. An
// element never moves once written: when the last segment is full the queue
// links another one instead of copying everything into a bigger buffer, so
// a flood of a million messages costs no doubling copies and no relocation
// of payloads that cannot be moved byte-wise. Segments the front has left
// are kept as spares and reused, so a steady workload allocates nothing, and
// a queue that empties at the end of a full segment starts over in it (in
// one of kRestartCapacity if it was smaller).
// Memory is kept until the queue is destroyed, like a ring that never
// shrinks. T must be trivially copyable (constructed and destroyed by the
// owner in the slots this queue hands out).
//
// Thread-safety: none; one thread owns it.
#ifndef COACTOR_RUNTIME_INTERNAL_SEGMENT_QUEUE_H_
#define COACTOR_RUNTIME_INTERNAL_SEGMENT_QUEUE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"

namespace coactor::internal {

template <typename T>
class SegmentQueue {
  static_assert(std::is_trivially_copyable_v<T>);
  static_assert(alignof(T) <= alignof(std::max_align_t));  // malloc's.

 public:
  // The first segment holds `first_capacity` (>= 2) elements; each new
  // segment doubles the last (at least kRestartCapacity), up to
  // kMaxSegmentCapacity.
  static constexpr size_t kMaxSegmentCapacity = 2048;
  // An emptied queue that starts over (see AddSegment()) in a smaller
  // segment moves to one of this size.
  static constexpr size_t kRestartCapacity = 16;

  explicit SegmentQueue(size_t first_capacity) {
    head_segment_ = tail_segment_ = NewSegment(first_capacity, 0);
    head_ = tail_ = tail_segment_->slots();
    head_end_ = tail_end_ = head_ + first_capacity;
  }
  SegmentQueue(const SegmentQueue&) = delete;
  SegmentQueue& operator=(const SegmentQueue&) = delete;
  ~SegmentQueue() {
    FreeChain(head_segment_);
    FreeChain(spares_);
  }

  bool empty() const { return head_ == tail_; }
  size_t size() const {
    return static_cast<size_t>(Position(tail_segment_, tail_) -
                               Position(head_segment_, head_));
  }
  // How many elements were ever popped, and pushed: an element's position
  // (pops before it) names it from push to pop (a trace's flow id).
  uint64_t front_position() const { return Position(head_segment_, head_); }
  uint64_t back_position() const { return Position(tail_segment_, tail_); }
  // Calls `f(element)` for each element from position `from` (at least
  // front_position()) to the back, in order; if `f` returns a bool, until
  // it returns true.
  template <typename F>
  void ForEachFrom(uint64_t from, F&& f) {
    for (Segment* segment = head_segment_;; segment = segment->next) {
      T* const end = segment == tail_segment_
                         ? tail_
                         : segment->slots() + segment->capacity;
      const uint64_t end_position = Position(segment, end);
      if (from < end_position) {
        for (T* slot = segment->slots() + (from - segment->base); slot != end;
             ++slot) {
          if constexpr (std::is_same_v<decltype(f(*slot)), bool>) {
            if (f(*slot)) return;
          } else {
            f(*slot);
          }
        }
        from = end_position;
      }
      if (segment == tail_segment_) return;
    }
  }
  // Elements the queue can hold without allocating (spares included).
  size_t capacity() const { return capacity_; }

  // The slot behind the last element; construct into it, then CommitBack().
  T* ReserveBack() {
    if (ABSL_PREDICT_FALSE(tail_ == tail_end_)) AddSegment();
    return tail_;
  }
  void CommitBack() { ++tail_; }
  // Takes back the element just committed (nothing reserved since): its
  // slot keeps its contents until reserved again.
  void UncommitBack() { --tail_; }

  // The first element. Precondition: !empty().
  const T& front() const { return *head_; }

  // Removes the first element and returns it. The slot keeps its contents
  // until at least one more slot has been reserved (in fact until every
  // other slot of its segment has been), so an owner that takes the element
  // before it pushes anything never loses it.
  T* PopFront() {
    T* front = head_++;
    if (ABSL_PREDICT_FALSE(head_ == head_end_) &&
        head_segment_ != tail_segment_) {
      RetireHeadSegment();
    }
    return front;
  }

 private:
  struct alignas(std::max_align_t) Segment {
    Segment* next;
    size_t capacity;
    // How many elements were pushed before the one in slot 0; for size().
    uint64_t base;
    T* slots() { return reinterpret_cast<T*>(this + 1); }
  };
  static_assert(sizeof(Segment) % alignof(std::max_align_t) == 0);

  static uint64_t Position(const Segment* segment, const T* slot) {
    return segment->base +
           static_cast<uint64_t>(slot - const_cast<Segment*>(segment)->slots());
  }

  Segment* NewSegment(size_t capacity, uint64_t base) {
    void* memory = std::malloc(sizeof(Segment) + capacity * sizeof(T));
    if (memory == nullptr) throw std::bad_alloc();
    capacity_ += capacity;
    return new (memory) Segment{nullptr, capacity, base};
  }

  static void FreeChain(Segment* segment) {
    while (segment != nullptr) std::free(std::exchange(segment, segment->next));
  }

  // The tail segment is full.
  ABSL_ATTRIBUTE_NOINLINE void AddSegment() {
    const uint64_t position = Position(tail_segment_, tail_);
    if (head_ == tail_) {
      // Empty: start over at the beginning of a segment. A small one that
      // fills up (an actor that has received more than a few messages, one
      // at a time) gives way to one of kRestartCapacity, so that this comes
      // round less often; it becomes a spare (the element just popped from
      // its last slot stays readable).
      if (ABSL_PREDICT_FALSE(tail_segment_->capacity < kRestartCapacity) &&
          head_segment_ == tail_segment_) {
        Segment* bigger = NewSegment(kRestartCapacity, position);
        tail_segment_->next = spares_;
        spares_ = tail_segment_;
        head_segment_ = tail_segment_ = bigger;
      }
      tail_segment_->base = position;
      head_ = tail_ = tail_segment_->slots();
      head_end_ = tail_end_ = head_ + tail_segment_->capacity;
      return;
    }
    Segment* segment = spares_;
    if (segment != nullptr) {
      spares_ = segment->next;
      segment->next = nullptr;
      segment->base = position;
    } else {
      // (At least kRestartCapacity: a queue that outgrows a small first
      // segment does not creep up through tiny ones.)
      segment = NewSegment(
          std::min(std::max(2 * tail_segment_->capacity, kRestartCapacity),
                   kMaxSegmentCapacity),
          position);
    }
    tail_segment_->next = segment;
    tail_segment_ = segment;
    tail_ = segment->slots();
    tail_end_ = tail_ + segment->capacity;
  }

  // The front has left the head segment and a later segment exists.
  ABSL_ATTRIBUTE_NOINLINE void RetireHeadSegment() {
    Segment* retired = head_segment_;
    head_segment_ = retired->next;
    head_ = head_segment_->slots();
    head_end_ = head_ + head_segment_->capacity;
    // Spares are reused last-retired-first; the retired segment's slots are
    // only overwritten from its start, so the element just popped from its
    // last slot stays readable until its owner has taken it.
    retired->next = spares_;
    spares_ = retired;
  }

  T* head_;
  T* head_end_;
  T* tail_;
  T* tail_end_;
  Segment* head_segment_;
  Segment* tail_segment_;
  Segment* spares_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_SEGMENT_QUEUE_H_
