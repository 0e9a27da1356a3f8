// MailboxLimit is the bounded part of one actor's mailbox, on either
// scheduler: its capacity, what a send does when it is full (WhenFull,
// runtime/spawn_options.h), the senders waiting for room in FIFO order
// (SendWaiterList, actors/internal/send_waiter.h) and the counts of refused,
// dropped and waited sends (SchedulerMetrics). An unbounded actor has none
// (a null pointer), so what it costs is where the schedulers test for it.
//
// Room set aside: on work stealing, a sender that keeps sending to one
// bounded actor takes credits (SetAside()): room counted as used until its
// outbox hands the credited messages over and gives back what it did not
// use (GiveBack()), so that it takes the mailbox lock once per batch, not
// once per message. The depth plus the room set aside never exceeds the
// capacity.
//
//   switch (limit.Decide(depth, /*may_wait=*/false)) {
//     case MailboxLimit::kAdmit: ...          // Queue it.
//     case MailboxLimit::kReject: ...         // FullError(), a dead letter.
//     case MailboxLimit::kDropNewest: ...     // The new one: a dead letter.
//     case MailboxLimit::kDropOldest: ...     // The oldest: a dead letter.
//     case MailboxLimit::kWait: ...           // Link a SendWaiter.
//   }
//
// Which messages are never limited (Down notices: a send made inside an
// UnlimitedSends scope), and every error's wording, are here too, so that
// both schedulers say the same.
//
// Thread-safety: none; the scheduler guards it (the mailbox lock on work
// stealing, the loop's thread on DequeScheduler). UnlimitedSends is per
// thread.
#ifndef COACTOR_RUNTIME_INTERNAL_MAILBOX_LIMIT_H_
#define COACTOR_RUNTIME_INTERNAL_MAILBOX_LIMIT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/message_type.h"
#include "actors/internal/send_waiter.h"
#include "runtime/erased_message.h"
#include "runtime/internal/payload_relocator.h"
#include "runtime/internal/send_errors.h"
#include "runtime/spawn_options.h"

namespace coactor::internal {

class MailboxLimit {
 public:
  enum Action { kAdmit, kReject, kDropNewest, kDropOldest, kWait };

  MailboxLimit(uint64_t capacity, WhenFull when_full)
      : capacity_(capacity), when_full_(when_full) {}

  // The limit SpawnOptions ask for; null for an unbounded mailbox.
  static std::unique_ptr<MailboxLimit> For(const SpawnOptions* options) {
    if (options == nullptr || !options->mailbox_capacity.has_value()) {
      return nullptr;
    }
    return std::make_unique<MailboxLimit>(
        static_cast<uint64_t>(*options->mailbox_capacity), options->when_full);
  }

  uint64_t capacity() const { return capacity_; }
  WhenFull when_full() const { return when_full_; }

  // What a send does to a mailbox holding `depth` queued messages; counts
  // it. `may_wait`: the sender can wait for room (SendWhenRoom()). Sends
  // that are never limited (UnlimitedSends) are admitted; so is a send
  // with room, unless senders wait (FIFO: it would overtake them).
  Action Decide(uint64_t depth, bool may_wait);
  // Decide()'s common case, inline where a send checks it first: room, and
  // no sender waits that the new message would overtake.
  bool HasRoom(uint64_t depth) const {
    return depth + set_aside_ < capacity_ && waiters.empty();
  }
  // Free places for messages in a mailbox holding `depth`: neither queued
  // nor set aside.
  uint64_t Room(uint64_t depth) const {
    const uint64_t used = depth + set_aside_;
    return used < capacity_ ? capacity_ - used : 0;
  }
  // Sets aside up to `wanted` places for a sender's coming messages;
  // returns how many. Only a backpressure mailbox's, with no sender waiting
  // (they come first), and at most half the capacity, so that another
  // sender still finds room.
  uint64_t SetAside(uint64_t depth, uint64_t wanted) {
    if (when_full_ != WhenFull::kBackpressure || !waiters.empty()) return 0;
    uint64_t credits = Room(depth);
    if (credits > wanted) credits = wanted;
    if (credits > capacity_ / 2) credits = capacity_ / 2;
    set_aside_ += credits;
    return credits;
  }
  // Places SetAside() gave, back: used (their messages queued, counted in
  // the depth now) or not.
  void GiveBack(uint64_t credits) { set_aside_ -= credits; }
  // Places set aside and not yet given back (a deadlock's report).
  uint64_t set_aside() const { return set_aside_; }
  // Notes the depth after an admission (the peak).
  void Admitted(uint64_t depth) {
    if (depth > peak_) peak_ = depth;
  }
  // A dropped message the scheduler could not drop as asked (the oldest was
  // out of reach) or a waiter given up: corrects the counts.
  void CountDropped() { ++dropped_; }
  void UncountDropped() { --dropped_; }  // The drop did not happen.
  void UncountWaited() { --waited_; }    // Asked, but did not wait.

  uint64_t peak() const { return peak_; }
  uint64_t rejected() const { return rejected_; }
  uint64_t dropped() const { return dropped_; }
  uint64_t waited() const { return waited_; }

  // Senders waiting for room, oldest first.
  SendWaiterList waiters;
  // DequeScheduler: the actor's messages queued (in the FIFO or its stash),
  // kept here so that an unbounded actor's cell does not carry the count.
  // (Work stealing counts them in its ActorCounters.)
  uint64_t queued = 0;
  // Work stealing: the waiters a turn's start admitted under the mailbox
  // lock, to wake once it let go of it (the worker running the actor's).
  std::vector<SendWaiter*> admitted;

 private:
  Action DecideFull(bool may_wait);

  uint64_t capacity_;
  WhenFull when_full_;
  uint64_t set_aside_ = 0;
  uint64_t peak_ = 0;
  uint64_t rejected_ = 0;
  uint64_t dropped_ = 0;
  uint64_t waited_ = 0;
};

// A scheduler's own state for its bounded mailboxes.
struct LimitState {
  // Why the last send a limit did not take as it came (refused, or one
  // dropped), until asked for: `pending` while it waits.
  absl::Status status;
  bool pending = false;
  // DequeScheduler: senders waiting for room (Run() reports a cycle).
  uint64_t waiting_senders = 0;
};

// While one lives, the sends its thread makes are never limited (the Down
// a monitor sends).
class UnlimitedSends {
 public:
  UnlimitedSends() : outer_(std::exchange(active_, true)) {}
  ~UnlimitedSends() { active_ = outer_; }
  UnlimitedSends(const UnlimitedSends&) = delete;
  UnlimitedSends& operator=(const UnlimitedSends&) = delete;
  static bool Active() { return active_; }

 private:
  static inline thread_local constinit bool active_ = false;
  const bool outer_;
};

// The SpawnOptions of the spawn under way on this thread, for the
// scheduler's Admit() (null: none given).
class SpawnOptionsScope {
 public:
  explicit SpawnOptionsScope(const SpawnOptions* options)
      : outer_(std::exchange(current_, options)) {}
  ~SpawnOptionsScope() { current_ = outer_; }
  SpawnOptionsScope(const SpawnOptionsScope&) = delete;
  SpawnOptionsScope& operator=(const SpawnOptionsScope&) = delete;
  static const SpawnOptions* Current() { return current_; }

 private:
  static inline thread_local constinit const SpawnOptions* current_ = nullptr;
  const SpawnOptions* const outer_;
};

inline MailboxLimit::Action MailboxLimit::Decide(uint64_t depth,
                                                 bool may_wait) {
  if (ABSL_PREDICT_TRUE(HasRoom(depth)) || UnlimitedSends::Active()) {
    return kAdmit;
  }
  return DecideFull(may_wait);
}

inline MailboxLimit::Action MailboxLimit::DecideFull(bool may_wait) {
  switch (when_full_) {
    case WhenFull::kDropNewest:
      ++dropped_;
      return kDropNewest;
    case WhenFull::kDropOldest:
      ++dropped_;
      return kDropOldest;
    case WhenFull::kBackpressure:
      if (may_wait) {
        ++waited_;
        return kWait;
      }
      break;
    case WhenFull::kReject:
      break;
  }
  ++rejected_;
  return kReject;
}

// The errors, named after the actor (`who`: ActorCell::DisplayName()).
inline absl::Status MailboxFull(const std::string& who, uint64_t capacity,
                                WhenFull when_full) {
  std::string text = "the mailbox of " + who + " is full (capacity " +
                     std::to_string(capacity) + ")";
  if (when_full == WhenFull::kBackpressure) {
    text +=
        "; inside an actor, co_await coactor::SendWhenRoom() waits for room";
  }
  return absl::ResourceExhaustedError(text);
}
inline absl::Status DroppedOldest(const std::string& who, uint64_t capacity) {
  return absl::ResourceExhaustedError(
      "dropped the oldest message: the mailbox of " + who +
      " was full (capacity " + std::to_string(capacity) + ", drop oldest)");
}
inline absl::Status DroppedNewest(const std::string& who, uint64_t capacity) {
  return absl::ResourceExhaustedError(
      "dropped the newest message: the mailbox of " + who +
      " was full (capacity " + std::to_string(capacity) + ", drop newest)");
}
inline absl::Status FinishedWhileWaiting(const std::string& who) {
  return absl::FailedPreconditionError(
      "actor " + who + " finished while the sender waited for room");
}

// SendWhenRoom() by name (each scheduler's Limits::FindForSend()): the
// error if the actor called `name`, which receives `receives`, cannot take
// a message of `sent` (neither its type nor an alternative of its variant).
inline absl::Status CheckSentType(std::string_view name,
                                  const MessageType* receives,
                                  const MessageType* sent) {
  if (receives == sent || FindAlternative(*receives, sent) != nullptr) {
    return absl::OkStatus();
  }
  return WrongType(name, receives->name, sent->name);
}

// The message `waiter` holds, moved into `slot` (queued).
inline void MoveWaiterMessage(SendWaiter* waiter, Payload* slot) {
  PayloadRelocator{waiter->type}(slot, &waiter->message);
  waiter->holds_message = false;
}

// The message `waiter` holds, taken out of it (to become a dead letter).
inline ErasedMessage TakeWaiterMessage(SendWaiter* waiter) {
  waiter->holds_message = false;
  return ErasedMessage::Adopt(waiter->type, &waiter->message);
}

// Ends every waiter of `waiters` (unlinked) with `reason`: its message
// becomes a dead letter (`record(std::move(erased), reason)`), then it is
// woken.
template <typename Record>
void FailWaiters(const std::vector<SendWaiter*>& waiters,
                 const absl::Status& reason, Record&& record) {
  for (SendWaiter* waiter : waiters) {
    if (waiter->holds_message) {
      waiter->holds_message = false;
      record(ErasedMessage::Adopt(waiter->type, &waiter->message), reason);
    }
    waiter->result = reason;
    waiter->wake(waiter);
  }
}

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_MAILBOX_LIMIT_H_
