// WorkStealingScheduler::Metrics(): a snapshot of the scheduler's and its
// live actors' metrics taken from any thread while the workers run. It
// reads each actor's counts and name under the actor's lock (they are
// written under it), and the workers' counters and the turn times as
// relaxed atomics (Worker, internal::ActorCounters).

#include <cstdint>

#include "actors/internal/mutex.h"
#include "runtime/internal/tick_clock.h"
#include "runtime/metrics/metrics.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {

SchedulerMetrics WorkStealingScheduler::Metrics() const {
  SchedulerMetrics metrics;
  for (const auto& worker : workers_) {
    // Relaxed (all below): statistics; nothing is read through them.
    metrics.messages += worker->delivered.load(std::memory_order_relaxed);
    metrics.steals += worker->steals.load(std::memory_order_relaxed);
    metrics.parks += worker->parks.load(std::memory_order_relaxed);
  }
  metrics.spawns = next_actor_id_.load(std::memory_order_relaxed) - 1;
  metrics.ends = actors_ended_.load(std::memory_order_relaxed);
  metrics.dead_letters = dead_letters_recorded();
  metrics.failures = failures_recorded();
  metrics.timers_fired = timers_.fired();
  const uint64_t now = internal::TickClock::Now();
  internal::MutexLock pool_hold(pool_mutex_);
  for (const Cell& cell : cells_) {
    ActorMetrics actor;
    internal::ActorCounters::Reading reading;
    {
      internal::MutexLock cell_hold(cell.mailbox_lock());
      if (cell.IsClosedLocked()) continue;
      actor.id = cell.id;
      if (cell.name != nullptr) actor.name = *cell.name;
      reading = cell.ReadCountersLocked(now);
      if (const internal::MailboxLimit* limit =
              internal::LimitedMailbox::LimitLocked(cell)) {
        actor.capacity = limit->capacity();
        actor.rejected = limit->rejected();
        actor.dropped = limit->dropped();
        actor.waited = limit->waited();
      }
    }
    actor.received = reading.received;
    actor.depth = reading.depth;
    actor.peak_depth = reading.peak_depth;
    actor.turns = reading.turns;
    actor.turn_nanos_total =
        internal::TickClock::ToNanos(reading.turn_ticks_total);
    actor.turn_nanos_max = internal::TickClock::ToNanos(reading.turn_ticks_max);
    actor.oldest_wait_nanos = internal::TickClock::ToNanos(reading.wait_ticks);
    metrics.actors.push_back(std::move(actor));
  }
  return metrics;
}

}  // namespace coactor
