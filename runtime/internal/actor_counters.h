// ActorCounters are one actor's metrics on WorkStealingScheduler, kept in
// its mailbox (ActorMailbox) and read by WorkStealingScheduler::Metrics()
// while the actor runs: messages appended by senders and known to be
// received (so the depth is their difference), the peak depth, messages
// it sent itself, and its sampled turns' times (TickClock).
//
//   counters.AppendedLocked(n);            // Under the mailbox's lock.
//   counters.IdleLocked();                 // Both queues empty, under it.
//   counters.SentToSelf();                 // The worker running it.
//   counters.AddTurn(ticks);               // A sampled turn; any worker.
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
// Thread-safety: the *Locked() methods need the mailbox's lock (readers
// take it too). SentToSelf() is for the worker running the actor (a
// relaxed atomic with one writer at a time: the activation protocol hands
// the actor between workers with a happens-before). AddTurn() is for any
// worker (read-modify-writes: a worker may record a turn after it handed
// the actor on). Reset() is for a new actor, under the lock. ReadLocked()
// also updates the readers' WaitWatch (under the lock: readers take it).
#ifndef COACTOR_RUNTIME_INTERNAL_ACTOR_COUNTERS_H_
#define COACTOR_RUNTIME_INTERNAL_ACTOR_COUNTERS_H_

#include <atomic>
#include <cstdint>

#include "absl/base/optimization.h"
#include "runtime/internal/wait_watch.h"

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
  void AddTurn(uint64_t ticks) {
    // Relaxed (here and in ReadLocked()): statistics; nothing is
    // published through them.
    turns_.fetch_add(1, std::memory_order_relaxed);
    turn_ticks_total_.fetch_add(ticks, std::memory_order_relaxed);
    uint64_t max = turn_ticks_max_.load(std::memory_order_relaxed);
    while (ticks > max && !turn_ticks_max_.compare_exchange_weak(
                              max, ticks, std::memory_order_relaxed)) {
    }
  }

  // At `now` (TickClock ticks).
  Reading ReadLocked(uint64_t now) const {
    const uint64_t received =
        taken_ + sent_to_self_.load(std::memory_order_relaxed);
    const uint64_t depth = appended_ - taken_;
    return Reading{received,
                   depth,
                   peak_depth_,
                   turns_.load(std::memory_order_relaxed),
                   turn_ticks_total_.load(std::memory_order_relaxed),
                   turn_ticks_max_.load(std::memory_order_relaxed),
                   wait_watch_.Observe(received, depth, now)};
  }

  // For a new actor in the cell.
  void ResetLocked() {
    appended_ = taken_ = peak_depth_ = 0;
    wait_watch_.Reset();
    for (std::atomic<uint64_t>* field :
         {&sent_to_self_, &turns_, &turn_ticks_total_, &turn_ticks_max_}) {
      field->store(0, std::memory_order_relaxed);
    }
  }

 private:
  uint64_t appended_ = 0;    // Guarded by the mailbox's lock.
  uint64_t taken_ = 0;       // Guarded by the mailbox's lock.
  uint64_t peak_depth_ = 0;  // Guarded by the mailbox's lock.
  // The readers' (Metrics()), under the mailbox's lock.
  mutable WaitWatch wait_watch_;
  std::atomic<uint64_t> sent_to_self_{0};
  std::atomic<uint64_t> turns_{0};
  std::atomic<uint64_t> turn_ticks_total_{0};
  std::atomic<uint64_t> turn_ticks_max_{0};
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_ACTOR_COUNTERS_H_
