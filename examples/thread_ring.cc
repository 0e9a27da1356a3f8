// Thread ring (a Savina workload) on the work-stealing scheduler, for
// looking at a trace: `--actors` actors in a ring pass `--tokens` tokens
// round, each hop decrementing a token until it reaches 0 (`--hops` hops
// per token). With several tokens the workers have work to steal.
//
//   bazel run //examples:thread_ring -- --workers=2 --trace=/tmp/ring.json
//   bazel run //tools:trace_view -- /tmp/ring.json /tmp/ring.png
//
// Prints the messages each run delivered ("thread ring: N messages").
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "runtime/work_stealing_scheduler.h"

ABSL_FLAG(int, workers, 2, "worker threads");
ABSL_FLAG(int, actors, 8, "actors in the ring");
ABSL_FLAG(int, tokens, 3, "tokens going round at once");
ABSL_FLAG(int, hops, 200, "hops of each token");
ABSL_FLAG(std::string, trace, "",
          "write a trace of the run to this file (Chrome Trace Event JSON: "
          "open it at ui.perfetto.dev, or draw it with //tools:trace_view)");

coactor::Actor<int> Member(coactor::WorkStealingScheduler& sched,
                           coactor::ActorRef<int>& next, int64_t& received) {
  for (;;) {
    const int token = co_await coactor::Receive<int>();
    ++received;
    if (token > 0) sched.Send(next, token - 1).IgnoreError();
  }
}

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int actors = absl::GetFlag(FLAGS_actors);
  const int tokens = absl::GetFlag(FLAGS_tokens);
  const int hops = absl::GetFlag(FLAGS_hops);
  if (absl::GetFlag(FLAGS_workers) < 1 || actors < 1 || tokens < 0 ||
      hops < 0) {
    std::cerr << "--workers and --actors must be positive, --tokens and "
                 "--hops not negative\n";
    return 2;
  }
  coactor::WorkStealingScheduler sched(absl::GetFlag(FLAGS_workers));
  if (const std::string trace = absl::GetFlag(FLAGS_trace); !trace.empty()) {
    if (absl::Status s = sched.StartTrace(trace); !s.ok()) {
      std::cerr << s << "\n";  // Runs untraced.
    }
  }
  std::vector<coactor::ActorRef<int>> ring(actors);
  std::vector<int64_t> received(actors * 8, 0);  // Each its actor's, padded.
  for (int i = 0; i < actors; ++i) {
    ring[i] =
        sched.Spawn(Member(sched, ring[(i + 1) % actors], received[i * 8]));
  }
  // The tokens start spread round the ring.
  for (int t = 0; t < tokens; ++t) {
    sched.Send(ring[t * actors / std::max(tokens, 1)], hops).IgnoreError();
  }
  if (absl::Status s = sched.Run(); !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  if (absl::Status s = sched.StopTrace(); !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  int64_t total = 0;
  for (int64_t n : received) total += n;
  std::cout << "thread ring: " << total << " messages\n";
  return total == int64_t{tokens} * (hops + 1) ? 0 : 1;
}
