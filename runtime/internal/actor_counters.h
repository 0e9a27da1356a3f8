// ActorCounters are one actor's metrics on WorkStealingScheduler, kept in
// its mailbox (ActorMailbox) and read by WorkStealingScheduler::Metrics()
// while the actor runs: messages appended by senders and known to be
// received (so the depth is their difference), the peak depth, messages
// it sent itself, and its sampled turns' times (TickClock).
//
//   counters.AppendedLocked(n);            // Under the mailbox's lock.
//   counters.IdleLocked();                 // Both queues empty, under it.
//   counters.SentToSelf();                 // The worker running it.
//   counters.AddTurnLocked(ticks);         // A sampled turn; any worker.
//   ActorCounters::Reading r = counters.ReadLocked(TickClock::Now());
//
// Why so: a message is appended under the mailbox's lock anyway, so
// counting there is a plain add on a line the lock holds, where a counter
// the running worker bumps per delivery would cost three instructions a
// message (the budget for all metrics is about ten, runtime/README.md
// "Metrics"). What was received is learnt where the turn takes the lock
// anyway: when it finds both queues empty (everything appended was
// received) and when it refills an empty inbox from `incoming` (and, for
// a bounded mailbox, where the actor blocks or sends to itself: see
// ActorMailbox::SettleCountLocked()). So during
// a turn `received` lags by the messages of the turn's batch (and `depth`
// counts them); between turns both are exact, and after a run `received`
// is the messages delivered (but for those an ending actor never got).
//
// The sampled turns' times and the readers' WaitWatch are kept out of
// line, made by the first sampled turn (one in 64) or the first reading
// that finds messages waiting: an idle actor's cell is 40 bytes smaller
// (a spawn storm holds millions), and a sampled turn takes the lock it
// would otherwise skip, once in 64 turns.
//
// Thread-safety: the *Locked() methods need the mailbox's lock (readers
// take it too; AddTurnLocked() is for any worker, which may record a turn
// after it handed the actor on). SentToSelf() is for the worker running
// the actor (a relaxed atomic with one writer at a time: the activation
// protocol hands the actor between workers with a happens-before).
// ResetLocked() is for a new actor. ReadLocked() also updates the
// readers' WaitWatch.
#ifndef COACTOR_RUNTIME_INTERNAL_ACTOR_COUNTERS_H_
#define COACTOR_RUNTIME_INTERNAL_ACTOR_COUNTERS_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/base/optimization.h"
#include "runtime/internal/sampled_turns.h"

namespace coactor::internal {

class ActorCounters {
 public:
  struct Reading {
    uint64_t received;
    uint64_t depth;
    uint64_t peak_depth;
    uint64_t turns;
    uint64_t turn_ticks_total;
    uint64_t turn_ticks_max;
    uint64_t wait_ticks;  // See WaitWatch.
  };

  // `n` messages appended (to `incoming`, or to the inbox of an actor
  // its sender wakes or of the running actor itself).
  void AppendedLocked(uint64_t n) {
    appended_ += n;
    const uint64_t depth = appended_ - taken_;
    if (ABSL_PREDICT_FALSE(depth > peak_depth_)) peak_depth_ = depth;
  }
  // Bounded mailboxes: the messages appended and not known to be received
  // (what the turn in hand handled of its batch counts, so the depth errs
  // high).
  uint64_t DepthLocked() const { return appended_ - taken_; }
  // Both queues are empty: everything appended was received.
  void IdleLocked() { taken_ = appended_; }
  // `waiting` messages are all that is queued (the inbox was empty and
  // they moved into it from `incoming`, or a bounded mailbox's running
  // worker counted its queues): all before them were received.
  void RefilledLocked(uint64_t waiting) { taken_ = appended_ - waiting; }
  // The worker running the actor: a message it sent itself, into its
  // inbox without the lock.
  void SentToSelf() {
    // Relaxed: a statistic with one writer at a time (see above).
    sent_to_self_.store(sent_to_self_.load(std::memory_order_relaxed) + 1,
                        std::memory_order_relaxed);
  }
  // Any worker: a sampled turn took `ticks`.
  void AddTurnLocked(uint64_t ticks) { GetSampled().AddTurn(ticks); }

  // At `now` (TickClock ticks).
  Reading ReadLocked(uint64_t now) const {
    const uint64_t received =
        taken_ + sent_to_self_.load(std::memory_order_relaxed);
    const uint64_t depth = appended_ - taken_;
    // A watch on the oldest message starts with the first reading that
    // finds one waiting.
    SampledTurns* sampled = depth > 0 ? &GetSampled() : sampled_.get();
    if (sampled == nullptr) {
      return Reading{received, depth, peak_depth_, 0, 0, 0, 0};
    }
    return Reading{received,
                   depth,
                   peak_depth_,
                   sampled->turns,
                   sampled->turn_ticks_total,
                   sampled->turn_ticks_max,
                   sampled->wait_watch.Observe(received, depth, now)};
  }

  // For a new actor in the cell.
  void ResetLocked() {
    appended_ = taken_ = peak_depth_ = 0;
    // Relaxed: as in SentToSelf().
    sent_to_self_.store(0, std::memory_order_relaxed);
    sampled_.reset();
  }

 private:
  SampledTurns& GetSampled() const {
    if (sampled_ == nullptr) sampled_ = std::make_unique<SampledTurns>();
    return *sampled_;
  }

  uint64_t appended_ = 0;    // Guarded by the mailbox's lock.
  uint64_t taken_ = 0;       // Guarded by the mailbox's lock.
  uint64_t peak_depth_ = 0;  // Guarded by the mailbox's lock.
  std::atomic<uint64_t> sent_to_self_{0};
  // Guarded by the mailbox's lock; made by a writer or a reader (hence
  // mutable).
  mutable std::unique_ptr<SampledTurns> sampled_;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_ACTOR_COUNTERS_H_
