// Measures the CPU an idle WorkStealingScheduler uses: runs a burst of
// work (so the workers have been busy and then gone idle), then sleeps for
// --seconds and reports the process's CPU time over that interval.
//
//   bazel run --config=opt //bench:idle_cpu -- --threads=2 --seconds=5
#include <time.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "actors/actor.h"
#include "actors/receive.h"
#include "runtime/work_stealing_scheduler.h"

ABSL_FLAG(int, threads, 2, "worker threads");
ABSL_FLAG(double, seconds, 5.0, "how long to stay idle");

namespace {

double ProcessCpuSeconds() {
  timespec now;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return now.tv_sec + now.tv_nsec * 1e-9;
}

coactor::Actor<int> Echo(coactor::WorkStealingScheduler& sched) {
  coactor::ActorRef<int> self = co_await coactor::Self();
  for (;;) {
    int n = co_await coactor::Receive<int>();
    if (n > 0) sched.Send(self, n - 1).IgnoreError();
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  coactor::WorkStealingScheduler sched(absl::GetFlag(FLAGS_threads));
  for (int i = 0; i < 8; ++i) {
    sched.Send(sched.Spawn(Echo(sched)), 100'000).IgnoreError();
  }
  if (!sched.Run().ok()) return 1;

  const double seconds = absl::GetFlag(FLAGS_seconds);
  const double cpu_before = ProcessCpuSeconds();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const double cpu = ProcessCpuSeconds() - cpu_before;
  std::printf(
      "idle WorkStealingScheduler, %d workers, %.1f s: %.4f s of CPU = "
      "%.3f%% of one core\n",
      sched.threads(), seconds, cpu, 100.0 * cpu / seconds);
  return 0;
}
