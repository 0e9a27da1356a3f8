// Peak memory of a long-lived process's bookkeeping (issue 16): one
// scenario per run, so that each reports its own peak RSS.
//
//   ./bazelw run --config=opt //bench:records_memory -- SCENARIO SCHEDULER
//
// SCENARIO:
//   unknown       10^6 sends to a name no actor has (each a dead letter)
//   unknown_huge  1,000 sends to an unknown name of 1 MiB
//   named         10^6 named actors, each spawned, sent one message and
//                 finished, in batches of 1,000
// SCHEDULER: deque or ws (work stealing, 2 workers).
//
// Prints the scenario, the scheduler, what the scheduler kept, and the
// peak resident set size in MiB. Uses only what every version of the
// schedulers offers, so that it measures before and after a change alike.
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "actors/actor.h"
#include "actors/receive.h"
#include "runtime/deque_scheduler.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

double PeakRssMiB() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // ru_maxrss is in KiB on Linux.
}

Actor<int> OneShot() { co_await Receive<int>(); }

template <typename Sched>
int RunScenario(const std::string& scenario, Sched& sched) {
  if (scenario == "unknown") {
    for (int i = 0; i < 1'000'000; ++i) {
      sched.Send("nobody-at-this-name", i).IgnoreError();
    }
  } else if (scenario == "unknown_huge") {
    const std::string huge(1 << 20, 'n');
    for (int i = 0; i < 1'000; ++i) sched.Send(huge, i).IgnoreError();
  } else if (scenario == "named") {
    constexpr int kBatch = 1'000;
    for (int batch = 0; batch < 1'000'000 / kBatch; ++batch) {
      for (int i = 0; i < kBatch; ++i) {
        const std::string name = "actor-" + std::to_string(batch * kBatch + i);
        if (!sched.Spawn(name, OneShot()).ok()) return 1;
        sched.Send(name, i).IgnoreError();
      }
      if (!sched.Run().ok()) return 1;
    }
  } else {
    std::fprintf(stderr, "unknown scenario %s\n", scenario.c_str());
    return 2;
  }
  std::printf("%s kept %zu dead letters, %zu live actors; peak RSS %.1f MiB\n",
              scenario.c_str(), sched.dead_letters().size(),
              sched.live_actors(), PeakRssMiB());
  return 0;
}

}  // namespace
}  // namespace coactor

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s unknown|unknown_huge|named deque|ws\n",
                 argv[0]);
    return 2;
  }
  std::printf("%s: ", argv[2]);
  if (std::strcmp(argv[2], "deque") == 0) {
    coactor::DequeScheduler sched;
    return coactor::RunScenario(argv[1], sched);
  }
  coactor::WorkStealingScheduler sched(2);
  return coactor::RunScenario(argv[1], sched);
}
