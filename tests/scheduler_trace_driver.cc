// Runs thread ring (or ping-pong, a ring of 2) traced, on the deque
// scheduler (WORKERS 0) or work stealing with WORKERS workers, for
// scheduler_trace_test.sh, which checks the trace.
//
// usage: scheduler_trace_driver PATH WORKERS ACTORS HOPS
//
// ACTORS actors in a ring; one token goes round, each actor passing it on
// decremented until it reaches 0: HOPS + 1 messages in all (the first from
// outside any actor). Prints "messages N" (counted by the actors).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

std::atomic<int> received{0};

template <Scheduler Sched>
Actor<int> Member(Sched& sched, int index, int actors) {
  const std::string next = "member " + std::to_string((index + 1) % actors);
  for (;;) {
    const int token = co_await Receive<int>();
    received.fetch_add(1, std::memory_order_relaxed);  // Relaxed: a count.
    if (token > 0) sched.Send(next, token - 1).IgnoreError();
  }
}

template <Scheduler Sched>
int RunRing(Sched& sched, const char* path, int actors, int hops) {
  if (absl::Status s = sched.StartTrace(path); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  for (int i = 0; i < actors; ++i) {
    sched.Spawn("member " + std::to_string(i), Member(sched, i, actors))
        .IgnoreError();
  }
  sched.Send("member 0", hops).IgnoreError();
  sched.Run().IgnoreError();
  if (absl::Status s = sched.StopTrace(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("messages %d\n", received.load());
  return 0;
}

}  // namespace
}  // namespace coactor

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s PATH WORKERS ACTORS HOPS\n", argv[0]);
    return 2;
  }
  const int workers = std::atoi(argv[2]);
  const int actors = std::atoi(argv[3]);
  const int hops = std::atoi(argv[4]);
  if (workers == 0) {
    coactor::DequeScheduler sched;
    return coactor::RunRing(sched, argv[1], actors, hops);
  }
  coactor::WorkStealingScheduler sched(workers);
  return coactor::RunRing(sched, argv[1], actors, hops);
}
