// DequeScheduler's metrics: the timed step (one in kTimerCheckInterval),
// messages_delivered() and Metrics(), which add up what each cell counts
// (its entries in the queue, the messages delivered to it, its timed
// turns; see deque/cell.h).

#include <cstdint>

#include "actors/internal/actor_cell.h"
#include "runtime/deque_scheduler.h"
#include "runtime/internal/tick_clock.h"
#include "runtime/metrics/metrics.h"

namespace coactor {

void DequeScheduler::TimedStep() {
  auto* cell = reinterpret_cast<Cell*>(queue_.front().target & ~kTagMask);
  const uint32_t generation = cell->Generation();
  const uint64_t start = internal::TickClock::Now();
  Step();
  const uint64_t ticks = internal::TickClock::Now() - start;
  // Unless the actor ended in this step (its cell may be free, or hold
  // another by now: its generation moved on when it ended), or had ended
  // before it (a message to it, undelivered): counts made here would stay
  // with a retired cell.
  if (cell->Generation() != generation ||
      cell->State() == internal::ActorState::kFinished) {
    return;
  }
  cell->GetExtras().sampled.AddTurn(ticks);
}

uint64_t DequeScheduler::messages_delivered() const {
  uint64_t total = messages_delivered_;
  for (const Cell& cell : cells_) total += cell.received;
  return total;
}

SchedulerMetrics DequeScheduler::Metrics() const {
  SchedulerMetrics metrics;
  metrics.messages = messages_delivered();
  metrics.spawns = next_actor_id_ - 1;
  metrics.ends = metrics.spawns - live_actors_;
  metrics.dead_letters = records_.dead_letters_recorded();
  metrics.failures = records_.failures_recorded();
  metrics.timers_fired = timers_fired_;
  const uint64_t now = internal::TickClock::Now();
  for (const Cell& cell : cells_) {
    if (cell.State() == internal::ActorState::kFinished ||
        cell.handle == nullptr) {
      continue;
    }
    ActorMetrics actor;
    actor.id = cell.id;
    if (cell.name != nullptr) actor.name = *cell.name;
    actor.received = cell.received;
    // Not started yet: its start entry is one of the count (and of the
    // peak, which the count is until then), not a message.
    const uint32_t start =
        cell.State() == internal::ActorState::kStarting ? 1 : 0;
    if (cell.limit != nullptr) {  // Its messages only (deque/limit.cc).
      actor.depth = cell.limit->queued;
      actor.peak_depth = cell.limit->peak();
      actor.capacity = cell.limit->capacity();
      actor.rejected = cell.limit->rejected();
      actor.dropped = cell.limit->dropped();
      actor.waited = cell.limit->waited();
    } else {
      actor.depth = cell.pending.count() - start;
      actor.peak_depth = cell.pending.peak() - start;
    }
    // Counts in its extras, if it has them (deque/cell.h); a watch on its
    // oldest message starts with the first call that finds one waiting.
    // (Const only to callers: the cells are the scheduler's, not const.)
    Cell::Extras* extras = actor.depth > 0
                               ? &const_cast<Cell&>(cell).GetExtras()
                               : cell.extras.get();
    if (extras != nullptr) {
      internal::SampledTurns& sampled = extras->sampled;
      actor.turns = sampled.turns;
      actor.turn_nanos_total =
          internal::TickClock::ToNanos(sampled.turn_ticks_total);
      actor.turn_nanos_max =
          internal::TickClock::ToNanos(sampled.turn_ticks_max);
      actor.oldest_wait_nanos = internal::TickClock::ToNanos(
          sampled.wait_watch.Observe(actor.received, actor.depth, now));
    }
    metrics.actors.push_back(std::move(actor));
  }
  return metrics;
}

}  // namespace coactor
