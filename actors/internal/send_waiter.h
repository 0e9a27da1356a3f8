// SendWaiter is one sender waiting for room in a full mailbox (a receiver
// spawned with WhenFull::kBackpressure): the message it holds, built in
// place, and how to wake it once the message was queued or refused. The
// awaitable of SendWhenRoom() (actors/send_when_room.h) keeps one in the
// waiting actor's frame; a scheduler's blocking send from a plain thread
// keeps one on that thread's stack. The receiver's mailbox links waiters in
// FIFO order (SendWaiterList) and takes each message out when it has room.
//
// Protocol (the scheduler owns it; the waiter's owner only reads `result`
// after it was woken): the scheduler moves `message` out (queued, or a dead
// letter) and sets `result`, unlinks the waiter, then calls wake(this)
// exactly once. The owner that gives up first (a timeout, its frame
// destroyed) unlinks it itself under the same lock, and then nothing wakes
// it.
//
// Thread-safety: linked and unlinked under the receiver's mailbox lock (on
// DequeScheduler, the loop's thread).
#ifndef COACTOR_ACTORS_INTERNAL_SEND_WAITER_H_
#define COACTOR_ACTORS_INTERNAL_SEND_WAITER_H_

#include <cstdint>

#include "absl/status/status.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/message_type.h"

namespace coactor::internal {

struct SendWaiter {
  // The message to queue, of `type`, built in place; the scheduler moves it
  // out (or destroys it) and clears `holds_message`.
  Payload message;
  const MessageType* type = nullptr;
  bool holds_message = false;
  // The sending actor (null for a plain thread): a cycle of such waiters
  // is reported by Run().
  ActorCell* sender = nullptr;
  // Set before wake(this).
  absl::Status result;
  void (*wake)(SendWaiter* self) = nullptr;
  void* wake_argument = nullptr;
  SendWaiter* next = nullptr;
  SendWaiter* prev = nullptr;
  bool linked = false;  // In a SendWaiterList.
};

// The actor a SendWhenRoom() by name found (Runtime::FindForSend()): its
// cell and generation, and the type it receives.
struct SendTarget {
  ActorCell* cell = nullptr;
  uint32_t generation = 0;
  const MessageType* type = nullptr;
};

// A FIFO of waiters, linked through their own fields: no allocation.
class SendWaiterList {
 public:
  bool empty() const { return first_ == nullptr; }
  SendWaiter* front() const { return first_; }
  void PushBack(SendWaiter* waiter) {
    waiter->linked = true;
    waiter->next = nullptr;
    waiter->prev = last_;
    if (last_ != nullptr) {
      last_->next = waiter;
    } else {
      first_ = waiter;
    }
    last_ = waiter;
  }
  void Remove(SendWaiter* waiter) {
    (waiter->prev != nullptr ? waiter->prev->next : first_) = waiter->next;
    (waiter->next != nullptr ? waiter->next->prev : last_) = waiter->prev;
    waiter->next = waiter->prev = nullptr;
    waiter->linked = false;
  }
  SendWaiter* PopFront() {
    SendWaiter* waiter = first_;
    if (waiter != nullptr) Remove(waiter);
    return waiter;
  }

 private:
  SendWaiter* first_ = nullptr;
  SendWaiter* last_ = nullptr;
};

}  // namespace coactor::internal

#endif  // COACTOR_ACTORS_INTERNAL_SEND_WAITER_H_
