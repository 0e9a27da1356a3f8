// A comparison runner: the program //bench:compare starts once per run of a
// workload. Register workloads by name and hand the registry to RunnerMain;
// compare runs each of them on coactor's DequeScheduler and
// WorkStealingScheduler beside coactor's own workloads (README,
// "Adding your own workload to the comparison").
//
//   int main(int argc, char** argv) {
//     coactor::comparison::WorkloadRegistry workloads;
//     workloads.Add({.name = "relay", .unit = "msgs", .full_size = 1'000'000,
//                    .quick_size = 1'000, .description = "..."},
//                   [](auto& sched, int64_t n) { return Relay(sched, n); });
//     return coactor::comparison::RunnerMain(workloads, argc, argv);
//   }
//
// The run function is generic over the scheduler (a generic lambda or a
// functor with a templated call operator): it gets a fresh scheduler, spawns
// its actors, runs the scheduler to quiescence, checks the result and
// returns an Outcome (bench/runner/outcome.h).
//
// The protocol RunnerMain speaks, which any runner in any language may speak
// to be named on compare's command line (--runner=LABEL=COMMAND):
//   COMMAND --list    prints one JSON line per workload, {"workload": NAME,
//                     "unit": ..., "full_size": N, "quick_size": N,
//                     "max_size": N (optional), "description": ...}, and
//                     optionally a line {"threads": [1]}
//                     when it runs on one thread only, and a line
//                     {"min_seconds": true} when it takes --min-seconds.
//   COMMAND --workload=NAME --size=N --threads=T [--min-seconds=S]
//                     runs NAME (with --min-seconds, again and again, each
//                     time on a fresh scheduler and verified, until the
//                     measured seconds add up to S) and prints one JSON
//                     line, at least {"workload", "threads", "size",
//                     "items", "seconds", "items_per_second", "ok"}, with
//                     items and seconds the totals of all repetitions and
//                     "repetitions" their number (peak_rss_kib, the peak
//                     over all of them, and extra figures welcome); exit
//                     status 0 if it verified, 1 if not, 2 for bad flags.
//                     compare passes --min-seconds only to a runner whose
//                     --list says it takes it; a runner that does not runs
//                     once, and the report flags its short runs.
// RunnerMain also takes --scheduler=deque|stealing (default stealing; deque
// runs on one thread). Its extra figures are the first repetition's
// (bench/runner/repeat.h).
//
// Thread-safety: build the registry before RunnerMain; then read-only.
#ifndef COACTOR_BENCH_RUNNER_RUNNER_H_
#define COACTOR_BENCH_RUNNER_RUNNER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "bench/runner/outcome.h"
#include "runtime/deque_scheduler.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor::comparison {

// What compare shows about a workload.
struct WorkloadInfo {
  std::string name;         // [a-z0-9_]+, unique in the comparison.
  std::string unit;         // What `items` counts: "msgs", "actors", ...
  int64_t full_size = 0;    // The size a measured run starts from (compare
                            // grows it until a run lasts >= 0.3 s).
  int64_t quick_size = 0;   // The size of a --quick run: milliseconds.
  int64_t max_size = 0;     // The most compare may grow it to (memory);
                            // 0: compare's own cap, 100 x full_size.
  std::string description;  // One line: what moves, what is counted.
};

class WorkloadRegistry {
 public:
  struct Entry {
    WorkloadInfo info;
    std::function<Outcome(DequeScheduler&, int64_t)> on_deque;
    std::function<Outcome(WorkStealingScheduler&, int64_t)> on_stealing;
  };

  // Add() registers `run`, callable as run(sched, size) -> Outcome for both
  // schedulers, under info.name. Returns *this to chain.
  template <typename Run>
  WorkloadRegistry& Add(WorkloadInfo info, Run run) {
    entries_.push_back(Entry{
        std::move(info),
        [run](DequeScheduler& sched, int64_t size) { return run(sched, size); },
        [run](WorkStealingScheduler& sched, int64_t size) {
          return run(sched, size);
        }});
    return *this;
  }

  // Find() returns the entry named `name`, or nullptr.
  const Entry* Find(const std::string& name) const;

  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// RunnerMain() parses the flags above, runs one workload (or lists them)
// and returns main's exit status.
int RunnerMain(const WorkloadRegistry& workloads, int argc, char** argv);

}  // namespace coactor::comparison

#endif  // COACTOR_BENCH_RUNNER_RUNNER_H_
