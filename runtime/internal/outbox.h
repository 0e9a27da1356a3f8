// Outbox holds the messages an actor sends while it runs on a worker of the
// work-stealing scheduler, grouped by receiver, so that each receiver's
// mailbox lock is taken (and its cache line moved between CPUs) once per
// batch instead of once per message. A sender that fans out over many
// receivers in turn (fork-join: one driver, 64 workers round-robin) is
// batched as well as one that floods a single receiver: receivers are
// found through a small open-addressing table, and the messages of all
// receivers share one buffer, each receiver's chained in send order.
//
// The scheduler appends with Reserve() / Commit() (which says when to flush
// early) and hands everything over with Flush(): receivers in the order of
// their first message, each receiver's messages in the order sent. A full
// outbox (too many messages, or too many receivers near one table slot) makes
// Reserve() return nullptr: flush, then reserve again. An empty one may
// decline a message (the scheduler sends a turn's first message directly).
//
// A bounded receiver's batch holds only credited messages: Grant() opens it
// with the room its mailbox set aside (MailboxLimit::SetAside()), and
// ReserveCredited() gives a slot while a credit is left. Once one is
// granted, credited() is true until the next flush, which the scheduler
// makes with Flush<true>(): it also hands over a batch that holds credits
// and no message, so that the ones not used go back.
//
// Thread-safety: none; each worker thread has its own.
#ifndef COACTOR_RUNTIME_INTERNAL_OUTBOX_H_
#define COACTOR_RUNTIME_INTERNAL_OUTBOX_H_

#include <cstdint>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "actors/internal/message_type.h"

namespace coactor::internal {

template <typename Target>
class Outbox {
 public:
  // One receiver's messages; the actor of `generation` in `target`.
  struct Batch {
    Target* target = nullptr;
    uint32_t generation = 0;
    uint32_t count = 0;
    // Nonzero: a bounded receiver's, which may hold that many messages.
    uint32_t credits = 0;
    const MessageType* type = nullptr;
    uint16_t first = 0;  // Index of its first message.
    uint16_t last = 0;   // Index of its last message.
  };

  // Receivers the table has slots for (a power of two) and messages the
  // buffer holds (16 KiB of payloads). Flushes come at the end of each
  // actor's turn, or in a long one when the buffer is full or a single
  // receiver's batch reaches kSoleBatch.
  static constexpr int kSlots = 128;
  static constexpr int kMessages = 512;
  static constexpr uint32_t kSoleBatch = 128;
  // Slots looked at from a receiver's home slot before giving up.
  static constexpr int kProbes = 8;

  bool empty() const { return used_batches_ == 0; }

  // A slot for the next message to the actor of `generation` in `target`,
  // whose messages are of `type`; construct the message in it, then
  // Commit(). nullptr if the outbox is full, or if it is empty and
  // `decline_if_empty` (the caller sends that message some other way);
  // nothing is changed then. (`decline_if_empty` is read only when the
  // outbox is empty: the sends that follow pay nothing for it.)
  template <typename Flag>
  ABSL_ATTRIBUTE_ALWAYS_INLINE Payload* Reserve(Target* target,
                                                uint32_t generation,
                                                const MessageType* type,
                                                const Flag& decline_if_empty) {
    if (ABSL_PREDICT_FALSE(used_messages_ == kMessages)) return nullptr;
    // The receiver of the previous message, most often (a reply, a flood).
    if (reserved_ != nullptr && reserved_->target == target &&
        reserved_->generation == generation) {
      return &payloads_[used_messages_];
    }
    // The first message of an actor's turn: every slot is free.
    if (used_batches_ == 0) {
      if (decline_if_empty != 0) return nullptr;
      Claim(Home(target), target, generation, type);
      return &payloads_[0];
    }
    return ReserveOther(target, generation, type);
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE Payload* Reserve(Target* target,
                                                uint32_t generation,
                                                const MessageType* type) {
    static constexpr bool kNever = false;
    return Reserve(target, generation, type, kNever);
  }

  // A slot for the next message to the bounded actor of `generation` in
  // `target`, if its batch has a credit left (Grant()); construct the
  // message in it, then Commit(). nullptr (nothing changed) if not, or if
  // the outbox is full.
  ABSL_ATTRIBUTE_ALWAYS_INLINE Payload* ReserveCredited(Target* target,
                                                        uint32_t generation) {
    // Empty (no batch reserved): the usual case of a turn's first send.
    Batch* batch = reserved_;
    if (batch == nullptr || used_messages_ == kMessages) return nullptr;
    if (batch->target != target || batch->generation != generation) {
      batch = Find(target, generation);
      if (batch == nullptr) return nullptr;
    }
    if (batch->count >= batch->credits) return nullptr;
    reserved_ = batch;
    return &payloads_[used_messages_];
  }
  // Gives the batch of the bounded actor of `generation` in `target` (whose
  // messages are of `type`) `credits` more; false, nothing changed, if the
  // outbox has no place for it (flush, then give the credits back).
  bool Grant(Target* target, uint32_t generation, const MessageType* type,
             uint32_t credits) {
    if (Reserve(target, generation, type) == nullptr) return false;
    if (reserved_->credits == 0) ++credited_;
    reserved_->credits += credits;
    return true;
  }
  // Some batch holds credits: flush with Flush<true>().
  bool credited() const { return credited_ != 0; }

  // Appends the message constructed in the slot Reserve() returned.
  // Returns true when the outbox should be flushed now: a flood to a
  // single receiver goes out every kSoleBatch messages, so that the
  // receiver's worker starts early and the buffer stays in L1.
  bool Commit() {
    Link();
    return reserved_->count == kSoleBatch && used_batches_ == 1;
  }
  // Commit() for the slot ReserveCredited() returned: the credits its
  // batch has left (none: flush it now, its receiver may be waiting).
  uint32_t CommitCredited() {
    Link();
    return reserved_->credits - reserved_->count;
  }

  // Calls `deliver(batch, for_each_message)` for every receiver, in the
  // order of its first message, and leaves the outbox empty;
  // `for_each_message(f)` calls `f(Payload*)` for each of the batch's
  // messages in the order sent. `deliver` must take (move or destroy) every
  // message and must not append to this outbox. `kCredited`: the outbox is
  // credited(); every batch with credits is delivered, message or not.
  template <bool kCredited = false, typename Deliver>
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Flush(Deliver&& deliver) {
    if (used_batches_ == 1) {
      // The usual case (a reply, a flood): the buffer holds one receiver's
      // messages and nothing else, in order.
      Batch& batch = slots_[order_[0]];
      if (batch.count > 0 || (kCredited && batch.credits > 0)) {
        deliver(batch, [this](auto&& f) {
          for (uint32_t i = 0; i < used_messages_; ++i) f(&payloads_[i]);
        });
      }
      batch.target = nullptr;
      if constexpr (kCredited) batch.credits = 0;
      Clear();
      return;
    }
    for (uint32_t i = 0; i < used_batches_; ++i) {
      Batch& batch = slots_[order_[i]];
      // Empty if the message meant for it was never committed (its
      // construction threw), unless credits are to be given back.
      if (batch.count > 0 || (kCredited && batch.credits > 0)) {
        deliver(batch, [this, &batch](auto&& f) {
          uint16_t message = batch.first;
          for (uint32_t n = 0; n < batch.count; ++n) {
            f(&payloads_[message]);
            message = next_[message];
          }
        });
      }
      batch.target = nullptr;
      if constexpr (kCredited) batch.credits = 0;
    }
    Clear();
  }

 private:
  // Appends the message in the reserved slot to its batch.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Link() {
    const uint16_t message = static_cast<uint16_t>(used_messages_++);
    if (reserved_->count++ == 0) {
      reserved_->first = message;
    } else {
      next_[reserved_->last] = message;
    }
    reserved_->last = message;
  }

  // Empties the outbox once every used slot has been freed.
  void Clear() {
    used_batches_ = 0;
    used_messages_ = 0;
    credited_ = 0;
    reserved_ = nullptr;
  }

  // The batch of the actor of `generation` in `target`, if it has one.
  Batch* Find(Target* target, uint32_t generation) {
    const uint32_t home = Home(target);
    for (uint32_t probe = 0; probe < kProbes; ++probe) {
      Batch& batch = slots_[(home + probe) & (kSlots - 1)];
      if (batch.target == target && batch.generation == generation) {
        return &batch;
      }
      if (batch.target == nullptr) return nullptr;
    }
    return nullptr;
  }

  // Reserve() for a receiver other than the previous one's.
  ABSL_ATTRIBUTE_NOINLINE Payload* ReserveOther(Target* target,
                                                uint32_t generation,
                                                const MessageType* type) {
    const uint32_t home = Home(target);
    for (uint32_t probe = 0; probe < kProbes; ++probe) {
      const uint32_t index = (home + probe) & (kSlots - 1);
      Batch& batch = slots_[index];
      if (batch.target == target && batch.generation == generation) {
        reserved_ = &batch;
        return &payloads_[used_messages_];
      }
      if (batch.target == nullptr) {
        Claim(index, target, generation, type);
        return &payloads_[used_messages_];
      }
    }
    return nullptr;
  }

  void Claim(uint32_t index, Target* target, uint32_t generation,
             const MessageType* type) {
    Batch& batch = slots_[index];
    batch.target = target;
    batch.generation = generation;
    batch.type = type;
    batch.count = 0;
    order_[used_batches_++] = static_cast<uint16_t>(index);
    reserved_ = &batch;
  }

  static uint32_t Home(const Target* target) {
    // Cells are a few hundred bytes apart: mix the address, take top bits.
    const uint64_t bits = reinterpret_cast<uintptr_t>(target);
    return static_cast<uint32_t>((bits * 0x9E3779B97F4A7C15ull) >> 57);
  }
  static_assert(kSlots == 128, "Home() yields 7 bits");
  static_assert(kMessages <= 65536, "message indices are 16 bits");

  uint32_t used_batches_ = 0;
  uint32_t used_messages_ = 0;
  // Batches holding credits (their `credits` are zeroed by Flush<true>()).
  uint32_t credited_ = 0;
  Batch* reserved_ = nullptr;
  uint16_t order_[kSlots];    // Used slots, in order of first use.
  uint16_t next_[kMessages];  // The next message of the same batch.
  Batch slots_[kSlots];
  Payload payloads_[kMessages];
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_OUTBOX_H_
