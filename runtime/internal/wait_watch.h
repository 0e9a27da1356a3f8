// WaitWatch is what a scheduler keeps per actor so that its metrics can
// tell how long the actor's messages have waited (ActorMetrics::
// oldest_wait_nanos) without a clock read on any send or delivery: each
// Metrics() call shows it what the actor has received so far and how many
// messages wait, and it remembers when it first saw messages waiting with
// that received count. While the count stays and messages wait, the oldest
// of them has waited at least since then.
//
//   uint64_t ticks = watch.Observe(received, depth, TickClock::Now());
//
// So the figure is a lower bound, to within the interval between two
// Metrics() calls: the first call that sees messages waiting says 0, and a
// stuck actor's figure grows with each call after. (On the work-stealing
// scheduler `received` is learnt when a turn refills its inbox or finds
// it empty: the messages of the batch a long turn holds count as waiting
// until then.)
//
// Thread-safety: none; the scheduler's Metrics() calls Observe() under
// the lock that guards the actor's counts (the mailbox lock on work
// stealing; the loop's thread on the deque scheduler).
#ifndef COACTOR_RUNTIME_INTERNAL_WAIT_WATCH_H_
#define COACTOR_RUNTIME_INTERNAL_WAIT_WATCH_H_

#include <cstdint>

namespace coactor::internal {

class WaitWatch {
 public:
  // At `now` (TickClock ticks) the actor has received `received` messages
  // and `depth` wait for it: the ticks the oldest has waited, as far as
  // the calls so far tell.
  uint64_t Observe(uint64_t received, uint64_t depth, uint64_t now) {
    if (depth == 0 || since_ == 0 || received != received_) {
      received_ = received;
      since_ = depth == 0 ? 0 : (now | 1);  // Never 0 while waiting.
      return 0;
    }
    return now > since_ ? now - since_ : 0;
  }
  // For a new actor in the cell.
  void Reset() { since_ = 0; }

 private:
  // (Two words: a third made the work-stealing cell 200 bytes, and the
  // outbox's table, which hashes cell addresses, collided more: fork-join
  // cost 7% more instructions.)
  uint64_t received_ = 0;  // The received count at the last call,
  uint64_t since_ = 0;     // when it was first seen with some waiting; 0:
                           // none waited then.
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_WAIT_WATCH_H_
