// SampledTurns is what one actor's metrics learn from sampling: its timed
// turns (the count, their total and their longest, in TickClock ticks) and
// the readers' WaitWatch on its oldest message. Both schedulers make it on
// first use (a timed turn, or a Metrics() call that finds messages
// waiting), out of the actor's cell: a spawn storm holds millions of cells,
// and most of their actors are never sampled.
//
//   SampledTurns& sampled = ...;        // Made on first use.
//   sampled.AddTurn(ticks);             // A timed turn.
//   sampled.wait_watch.Observe(received, depth, now);
//
// Thread-safety: none; DequeScheduler's loop thread, or the work-stealing
// mailbox's lock (ActorCounters).
#ifndef COACTOR_RUNTIME_INTERNAL_SAMPLED_TURNS_H_
#define COACTOR_RUNTIME_INTERNAL_SAMPLED_TURNS_H_

#include <cstdint>

#include "runtime/internal/wait_watch.h"

namespace coactor::internal {

struct SampledTurns {
  void AddTurn(uint64_t ticks) {
    ++turns;
    turn_ticks_total += ticks;
    if (ticks > turn_ticks_max) turn_ticks_max = ticks;
  }

  uint64_t turns = 0;
  uint64_t turn_ticks_total = 0;
  uint64_t turn_ticks_max = 0;
  WaitWatch wait_watch;  // The readers' (Metrics()).
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_SAMPLED_TURNS_H_
