// What one run of a comparison workload measured: the value every workload
// returns, whether it is one of coactor's (bench/savina/workloads.h) or a
// user's registered with WorkloadRegistry (bench/runner/runner.h).
//
//   coactor::comparison::Outcome outcome;
//   outcome.items = 2 * n;               // What the rate counts.
//   outcome.ok = sum == n * (n + 1) / 2;  // The workload checked its result.
//   if (!outcome.ok) outcome.error = "wrong sum";
//
// Thread-safety: a plain value.
#ifndef COACTOR_BENCH_RUNNER_OUTCOME_H_
#define COACTOR_BENCH_RUNNER_OUTCOME_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace coactor::comparison {

struct Outcome {
  int64_t items = 0;   // Messages (or actors, meetings...) the run handled.
  double seconds = 0;  // Wall clock of the measured part; 0: the runner
                       // times the whole workload call.
  bool ok = false;     // The workload verified its own result.
  std::string error;   // Why not ok.
  // Extra figures for the report, e.g. {"bytes_per_actor", 312.5}.
  std::vector<std::pair<std::string, double>> extra;
};

}  // namespace coactor::comparison

#endif  // COACTOR_BENCH_RUNNER_OUTCOME_H_
