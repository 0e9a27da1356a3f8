// Fork-join on the work-stealing scheduler, for looking at work being
// stolen in a trace: a driver sends `--messages` messages to each of
// `--actors` workers, round-robin, in one long turn; each worker does
// `--work` steps of arithmetic per message and, at its last, tells the
// joiner. The driver's turn keeps its worker busy while the workers it
// wakes wait in that worker's deque, so another worker steals them, and a
// worker actor that used up its turn's budget may go on elsewhere: its
// turns then show on several lanes.
//
//   bazel run //examples:fork_join -- --workers=2 --trace=/tmp/fj.json
//   bazel run //tools:trace_view -- /tmp/fj.json /tmp/fj.png
//
// Prints what it delivered ("fork-join: N messages, J workers joined").
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "runtime/work_stealing_scheduler.h"

ABSL_FLAG(int, workers, 2, "worker threads");
ABSL_FLAG(int, actors, 16, "worker actors the driver fans out to");
ABSL_FLAG(int, messages, 400, "messages to each worker actor");
ABSL_FLAG(int, work, 2000, "arithmetic steps per message");
ABSL_FLAG(std::string, trace, "",
          "write a trace of the run to this file (Chrome Trace Event JSON: "
          "open it at ui.perfetto.dev, or draw it with //tools:trace_view)");

namespace {

using coactor::ActorRef;
using coactor::WorkStealingScheduler;

// What a worker computes per message: a loop the compiler cannot skip.
uint64_t Work(uint64_t seed, int steps) {
  uint64_t x = seed | 1;
  for (int i = 0; i < steps; ++i)
    x = x * 6364136223846793005u + 1442695040888963407u;
  return x;
}

struct Join {
  int64_t received;
};

coactor::Actor<Join> Joiner(int actors, int64_t& joined, int64_t& received) {
  for (int i = 0; i < actors; ++i) {
    const Join join = co_await coactor::Receive<Join>();
    ++joined;
    received += join.received;
  }
}

coactor::Actor<int> Worker(WorkStealingScheduler& sched, ActorRef<Join> joiner,
                           int messages, int work, uint64_t& sink) {
  for (int64_t n = 1;; ++n) {
    const int message = co_await coactor::Receive<int>();
    sink += Work(static_cast<uint64_t>(message), work);
    if (n == messages) sched.Send(joiner, Join{n}).IgnoreError();
  }
}

coactor::Actor<int> Driver(WorkStealingScheduler& sched,
                           const std::vector<ActorRef<int>>& workers) {
  const int messages = co_await coactor::Receive<int>();
  for (int i = 0; i < messages; ++i) {
    for (const ActorRef<int>& worker : workers) {
      sched.Send(worker, i).IgnoreError();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int actors = absl::GetFlag(FLAGS_actors);
  const int messages = absl::GetFlag(FLAGS_messages);
  const int work = absl::GetFlag(FLAGS_work);
  if (absl::GetFlag(FLAGS_workers) < 1 || actors < 1 || messages < 1 ||
      work < 0) {
    std::cerr << "--workers, --actors and --messages must be positive, "
                 "--work not negative\n";
    return 2;
  }
  WorkStealingScheduler sched(absl::GetFlag(FLAGS_workers));
  if (const std::string trace = absl::GetFlag(FLAGS_trace); !trace.empty()) {
    if (absl::Status s = sched.StartTrace(trace); !s.ok()) {
      std::cerr << s << "\n";  // Runs untraced.
    }
  }
  int64_t joined = 0, received = 0;
  absl::StatusOr<ActorRef<Join>> joiner =
      sched.Spawn("joiner", Joiner(actors, joined, received));
  std::vector<uint64_t> sinks(actors * 8, 0);  // Each its actor's, padded.
  std::vector<ActorRef<int>> workers;
  for (int i = 0; i < actors && joiner.ok(); ++i) {
    absl::StatusOr<ActorRef<int>> worker =
        sched.Spawn(absl::StrCat("worker ", i),
                    Worker(sched, *joiner, messages, work, sinks[i * 8]));
    if (!worker.ok()) {
      std::cerr << worker.status() << "\n";
      return 1;
    }
    workers.push_back(*worker);
  }
  absl::StatusOr<ActorRef<int>> driver =
      sched.Spawn("driver", Driver(sched, workers));
  if (!joiner.ok() || !driver.ok()) {
    std::cerr << "spawning failed\n";
    return 1;
  }
  sched.Send(*driver, messages).IgnoreError();
  if (absl::Status s = sched.Run(); !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  if (absl::Status s = sched.StopTrace(); !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  std::cout << "fork-join: " << received << " messages, " << joined
            << " workers joined\n";
  return received == int64_t{actors} * messages && joined == actors ? 0 : 1;
}
