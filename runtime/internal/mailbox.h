// Mailbox is one actor's FIFO of message payloads in the work-stealing
// scheduler. It is a SegmentQueue held by pointer: an actor that has never
// been sent anything costs one null pointer (idle actors stay small), and a
// flood of messages links segments instead of doubling a buffer, so the
// payloads already queued are never copied and memory grows by what is
// queued, not twice that. The queue is allocated by the first push; one
// that a burst made large is released by Shrink() (when the actor ends),
// a small one is kept for the cell's next actor.
//
// The payloads are raw slots: the owner constructs a message in the slot
// ReserveBack() returns, and takes it from the slot PopFront() returns
// before it pushes again (SegmentQueue keeps a popped slot intact until
// then).
//
// Thread-safety: none; the scheduler guards each mailbox (a cell's lock for
// what senders append to, the running worker for what it delivers).
#ifndef COACTOR_RUNTIME_INTERNAL_MAILBOX_H_
#define COACTOR_RUNTIME_INTERNAL_MAILBOX_H_

#include <cstddef>
#include <memory>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "actors/internal/message_type.h"
#include "runtime/internal/segment_queue.h"

namespace coactor::internal {

class Mailbox {
 public:
  bool empty() const { return queue_ == nullptr || queue_->empty(); }
  size_t size() const { return queue_ == nullptr ? 0 : queue_->size(); }

  // The slot behind the last message; construct into it, then CommitBack().
  Payload* ReserveBack() {
    if (ABSL_PREDICT_FALSE(queue_ == nullptr)) Allocate();
    return queue_->ReserveBack();
  }
  void CommitBack() { queue_->CommitBack(); }

  // Removes the first message and returns its slot. Precondition: !empty().
  Payload* PopFront() { return queue_->PopFront(); }

  void swap(Mailbox& other) noexcept { queue_.swap(other.queue_); }

  // Messages ever pushed (0 before the first push), and a visit of each
  // slot from that position to the back (see SegmentQueue): for a trace,
  // what was appended meanwhile.
  uint64_t back_position() const {
    return queue_ == nullptr ? 0 : queue_->back_position();
  }
  template <typename F>
  void ForEachFrom(uint64_t position, F&& f) {
    if (queue_ != nullptr) queue_->ForEachFrom(position, f);
  }

  // Payload slots allocated; 0 before the first push.
  size_t capacity() const { return queue_ == nullptr ? 0 : queue_->capacity(); }

  // Frees the queue's memory if it grew beyond its first segment.
  // Precondition: empty().
  void Shrink() {
    if (queue_ != nullptr && queue_->capacity() > kFirstSegmentCapacity) {
      queue_.reset();
    }
  }

 private:
  // Small: most actors never have more than a few messages waiting, and a
  // spawn storm keeps a million of these alive with one message each (2
  // slots: 112 bytes with malloc's header, 4 took 176). One that keeps
  // receiving grows it when it starts over (SegmentQueue::AddSegment()).
  static constexpr size_t kFirstSegmentCapacity = 2;

  ABSL_ATTRIBUTE_NOINLINE void Allocate() {
    queue_ = std::make_unique<SegmentQueue<Payload>>(kFirstSegmentCapacity);
  }

  std::unique_ptr<SegmentQueue<Payload>> queue_;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_MAILBOX_H_
