// MetricsWatch turns a series of metrics snapshots (metrics.h) into
// warnings a program can show or log, as tokio-console flags tasks: an
// actor whose longest turn exceeded a threshold (a handler that never
// yields holds its worker, or the whole deque scheduler, that long), and a
// mailbox that kept growing for longer than a window (its actor falls
// behind its senders).
//
//   absl::StatusOr<coactor::MetricsWatch> watch =
//   coactor::MetricsWatch::Create(
//       {.long_turn = absl::Milliseconds(10), .growth_window =
//       absl::Seconds(5)});
//   for (const coactor::MetricsWarning& w :
//        watch->Check(sched.Metrics(), absl::Now())) {
//     std::cerr << w.text << "\n";
//   }
//
// A mailbox counts as growing while every Check() finds its depth higher
// than the one before; it is reported once it has been growing for at
// least `growth_window`. Check() at an interval well below the window
// (say a tenth of it). On DequeScheduler turns are sampled (one in 256),
// so a long turn is reported only if a timed one was long.
//
// Thread-safety: a MetricsWatch is not thread-safe; use it from one
// thread (or under a lock). Check() takes a snapshot, not a scheduler.
#ifndef COACTOR_RUNTIME_METRICS_WARNINGS_H_
#define COACTOR_RUNTIME_METRICS_WARNINGS_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/metrics/metrics.h"

namespace coactor {

// When MetricsWatch warns. Both must be positive.
struct WarningThresholds {
  absl::Duration long_turn = absl::Milliseconds(10);
  absl::Duration growth_window = absl::Seconds(5);
};

struct MetricsWarning {
  enum class Kind { kLongTurn, kGrowingMailbox };
  Kind kind;
  uint64_t actor_id;
  std::string actor_name;
  // For a long turn, the longest turn; for a growing mailbox, how long it
  // has been growing.
  absl::Duration duration;
  uint64_t depth;    // The mailbox depth in the snapshot.
  std::string text;  // One line for a person, naming the actor.
};

class MetricsWatch {
 public:
  // InvalidArgument if a threshold is zero or negative.
  static absl::StatusOr<MetricsWatch> Create(
      const WarningThresholds& thresholds);

  // From now on warns by `thresholds`; InvalidArgument (and keeps the old
  // ones) if one is zero or negative.
  absl::Status SetThresholds(const WarningThresholds& thresholds);
  const WarningThresholds& thresholds() const { return thresholds_; }

  // The warnings `metrics`, taken at `now`, gives (long turns first, then
  // growing mailboxes, each in the snapshot's order of actors).
  std::vector<MetricsWarning> Check(const SchedulerMetrics& metrics,
                                    absl::Time now);

 private:
  explicit MetricsWatch(const WarningThresholds& thresholds)
      : thresholds_(thresholds) {}

  struct Growth {
    uint64_t depth = 0;  // At the last Check().
    absl::Time since;    // When the current growth began (that Check()).
  };

  WarningThresholds thresholds_;
  absl::flat_hash_map<uint64_t, Growth> growth_;  // By actor id.
};

}  // namespace coactor

#endif  // COACTOR_RUNTIME_METRICS_WARNINGS_H_
