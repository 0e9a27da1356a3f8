// Metrics: what a scheduler and each of its actors have done so far, as a
// value a program reads at any time (as Erlang's observer and
// tokio-console show): per actor, messages received, mailbox depth now and
// at its peak, turns and their total and longest time; per scheduler,
// messages, spawns, ends, dead letters, failures, steals, parks and timers
// fired. Always on: the counters are kept as the scheduler runs, at a cost
// measured in runtime/README.md ("Metrics"), and the figures are those
// that fit that cost (see below).
//
//   coactor::SchedulerMetrics m = sched.Metrics();
//   for (const coactor::ActorMetrics& actor : m.actors) {
//     if (actor.depth > 1000) std::cerr << actor.name << " lags\n";
//   }
//   std::string text = coactor::RenderPrometheus(m);  // metrics/prometheus.h
//
// What the figures mean:
//   - `received`: messages handed to the actor (errors sent with
//     SendError() are not messages). On WorkStealingScheduler it is
//     brought up to date when the actor's turn finds its queues empty or
//     refills an empty inbox (where the turn takes the mailbox lock
//     anyway); until then it lags by what the turn handled of the batch in
//     its hand, which `depth` still counts. Once the actor is idle (and
//     after a run) both are exact.
//   - `depth`: messages queued for it and not yet received; `peak_depth`:
//     the most that ever were (on work stealing, as seen at each append).
//     On DequeScheduler an error sent with SendError() or a wake-up queued
//     for it counts too, and messages that come while it is blocked (a
//     sleep, task or ask) leave the count when they are stashed.
//   - `turns`, `turn_nanos_total`, `turn_nanos_max`: the *timed* turns,
//     a sample, since reading a clock per turn costs more than the
//     message it handles. On WorkStealingScheduler a turn is one
//     activation on a worker (up to 128 messages); each worker times its
//     first turn and then one in 64. On DequeScheduler every message is a
//     turn of its own; one in 256 is timed (the one right after the
//     loop's periodic look at timers and posts). A handler slow every
//     time shows within that many turns; a single slow turn may be missed.
//     Times come from the processor's time-stamp counter, converted with
//     a rate measured once against the steady clock.
//   - `oldest_wait_nanos`: how long messages have waited for the actor
//     while it received none, as successive Metrics() calls see it (no
//     clock is read on a send or delivery for it): the first call that
//     finds messages waiting after the actor received one says 0, and the
//     next ones, while the actor still has received nothing more, the time
//     since that call. So it is a lower bound on its oldest message's
//     wait, to within the interval between calls; take snapshots at the
//     resolution wanted (MetricsWatch does so anyway). On
//     WorkStealingScheduler `received` lags during a turn (above), so the
//     batch a long turn holds counts as waiting until the turn refills.
//
// Thread-safety: a SchedulerMetrics is a plain value. How to take one:
// WorkStealingScheduler::Metrics() from any thread, also while Run() is
// going on; DequeScheduler::Metrics() on the loop's thread (from an actor,
// or between runs).
#ifndef COACTOR_RUNTIME_METRICS_METRICS_H_
#define COACTOR_RUNTIME_METRICS_METRICS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

namespace coactor {

// One live actor's figures.
struct ActorMetrics {
  uint64_t id = 0;   // The scheduler's id of the actor (spawn order).
  std::string name;  // Empty for an actor spawned without a name.
  uint64_t received = 0;
  uint64_t depth = 0;
  uint64_t peak_depth = 0;
  uint64_t turns = 0;  // Timed turns (see the header comment).
  uint64_t turn_nanos_total = 0;
  uint64_t turn_nanos_max = 0;
  // How long its oldest message has waited: a lower bound, from successive
  // Metrics() calls (see the header comment).
  uint64_t oldest_wait_nanos = 0;
  // Bounded mailboxes (SpawnOptions): the capacity (0: unbounded), and the
  // sends refused (ResourceExhausted), dropped (either end) and made to
  // wait for room. For a bounded actor `depth` counts its messages only.
  uint64_t capacity = 0;
  uint64_t rejected = 0;
  uint64_t dropped = 0;
  uint64_t waited = 0;
};

// A scheduler's figures since it was made, and its live actors' (by id).
struct SchedulerMetrics {
  uint64_t messages = 0;  // Delivered to actors (messages_delivered()).
  uint64_t spawns = 0;
  uint64_t ends = 0;  // Actors that finished, normally or by an exception.
  uint64_t dead_letters = 0;  // dead_letters_recorded().
  uint64_t failures = 0;      // failures_recorded().
  uint64_t steals = 0;        // Actors a worker took from another's deque.
  uint64_t parks = 0;         // Times a worker went to sleep for lack of work.
  uint64_t timers_fired = 0;
  std::vector<ActorMetrics> actors;
};

}  // namespace coactor

#endif  // COACTOR_RUNTIME_METRICS_METRICS_H_
