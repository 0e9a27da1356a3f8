// Runs one comparison workload (workloads.h) once on coactor and prints one
// JSON line (report.h); bench/compare.py drives it, one process per run.
//
//   bazel run --config=opt //bench/savina:savina_runner --
//       --workload=ping_pong --size=1000000 --threads=2 --scheduler=stealing
//
// Exit status 0 when the workload verified its result, 1 when not, 2 for
// bad flags.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "bench/savina/report.h"
#include "bench/savina/workloads.h"
#include "runtime/deque_scheduler.h"
#include "runtime/work_stealing_scheduler.h"

ABSL_FLAG(std::string, workload, "", "counter_printer, ping_pong, counting, "
          "thread_ring, fork_join_throughput, fork_join_creation, big, "
          "chameneos, bounded_buffer or idle_actor_memory");
ABSL_FLAG(int64_t, size, 0, "the workload's size parameter");
ABSL_FLAG(int, threads, 1, "worker threads (work stealing only)");
ABSL_FLAG(std::string, scheduler, "stealing", "deque or stealing");

namespace coactor::savina {
namespace {

template <typename Sched>
bool RunWorkload(Sched& sched, std::string_view workload, int64_t size,
                 Outcome* outcome) {
  if (workload == "counter_printer") {
    *outcome = CounterPrinter(sched, size);
  } else if (workload == "ping_pong") {
    *outcome = PingPong(sched, size);
  } else if (workload == "counting") {
    *outcome = Counting(sched, size);
  } else if (workload == "thread_ring") {
    *outcome = ThreadRing(sched, size);
  } else if (workload == "fork_join_throughput") {
    *outcome = ForkJoinThroughput(sched, size);
  } else if (workload == "fork_join_creation") {
    *outcome = ForkJoinCreation(sched, size);
  } else if (workload == "big") {
    *outcome = Big(sched, size);
  } else if (workload == "chameneos") {
    *outcome = Chameneos(sched, size);
  } else if (workload == "bounded_buffer") {
    *outcome = BoundedBuffer(sched, size);
  } else if (workload == "idle_actor_memory") {
    *outcome = IdleActorMemory(sched, size);
  } else {
    return false;
  }
  return true;
}

int Main() {
  const std::string workload = absl::GetFlag(FLAGS_workload);
  const std::string scheduler = absl::GetFlag(FLAGS_scheduler);
  const int64_t size = absl::GetFlag(FLAGS_size);
  int threads = absl::GetFlag(FLAGS_threads);
  if (size <= 0 || threads <= 0 ||
      (scheduler != "deque" && scheduler != "stealing")) {
    std::fprintf(stderr, "need --size > 0, --threads > 0, "
                         "--scheduler=deque|stealing\n");
    return 2;
  }
  Outcome outcome;
  bool known;
  if (scheduler == "deque") {
    threads = 1;
    DequeScheduler sched;
    known = RunWorkload(sched, workload, size, &outcome);
  } else {
    WorkStealingScheduler sched(threads);
    known = RunWorkload(sched, workload, size, &outcome);
  }
  if (!known) {
    std::fprintf(stderr, "unknown --workload=%s\n", workload.c_str());
    return 2;
  }
  bench::RunReport report;
  report.system = "coactor-" + scheduler;
  report.workload = workload;
  report.threads = threads;
  report.size = size;
  report.items = outcome.items;
  report.seconds = outcome.seconds;
  report.ok = outcome.ok;
  report.error = outcome.error;
  report.extra = outcome.extra;
  bench::PrintJson(report);
  return outcome.ok ? 0 : 1;
}

}  // namespace
}  // namespace coactor::savina

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return coactor::savina::Main();
}
