// What tracing costs per message: ping-pong (2 actors trading a ball) and
// thread ring (a token round 64 actors), on the deque scheduler and on work
// stealing at 2 workers: untraced (/0), traced to a file (/1), and traced
// bounded (/2: the last 65,536 events of each thread, written at the end).
// ns per message added = 1e9 / traced rate - 1e9 / untraced rate.
//
//   ./bazelw run --config=opt //bench:trace_bench
//
// The trace goes to $TMPDIR (or /tmp)/coactor_trace_bench.json, streamed
// (one buffer per thread), rewritten by every run.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "benchmark/benchmark.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

struct Ball {
  ActorRef<Ball> back;
  int remaining;
};

template <Scheduler Sched>
Actor<Ball> Player(Sched& sched, int64_t& hits) {
  ActorRef<Ball> self = co_await Self();
  for (;;) {
    Ball ball = co_await Receive<Ball>();
    ++hits;
    if (ball.remaining > 0) {
      sched.Send(ball.back, Ball{self, ball.remaining - 1}).IgnoreError();
    }
  }
}

template <Scheduler Sched>
Actor<int> Member(Sched& sched, ActorRef<int>& next, int64_t& hits) {
  for (;;) {
    const int token = co_await Receive<int>();
    ++hits;
    if (token > 0) sched.Send(next, token - 1).IgnoreError();
  }
}

std::string TracePath() {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") +
         "/coactor_trace_bench.json";
}

struct Deque {
  static std::unique_ptr<DequeScheduler> Make() {
    return std::make_unique<DequeScheduler>();
  }
};
struct Stealing2 {
  static std::unique_ptr<WorkStealingScheduler> Make() {
    return std::make_unique<WorkStealingScheduler>(2);
  }
};

// Runs `program(sched)`, which returns the messages it handled, traced if
// the benchmark's argument is 1.
template <typename Kind, typename Program>
void Measure(benchmark::State& state, int64_t messages, Program program) {
  const bool traced = state.range(0) != 0;
  TraceOptions options;
  if (state.range(0) == 2) options.ring_events = 1 << 16;
  for (auto _ : state) {
    auto sched = Kind::Make();
    if (traced && !sched->StartTrace(TracePath(), options).ok()) {
      state.SkipWithError("cannot write the trace");
      return;
    }
    const int64_t handled = program(*sched);
    if (!sched->StopTrace().ok() || handled != messages) {
      state.SkipWithError("lost messages, or the trace failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * messages);
}

template <typename Kind>
void BM_PingPong(benchmark::State& state) {
  static constexpr int kHits = 200'000;
  Measure<Kind>(state, kHits, [](auto& sched) {
    int64_t ping_hits = 0, pong_hits = 0;  // Each its actor's.
    auto ping = sched.Spawn(Player(sched, ping_hits));
    auto pong = sched.Spawn(Player(sched, pong_hits));
    sched.Send(ping, Ball{pong, kHits - 1}).IgnoreError();
    sched.Run().IgnoreError();
    return ping_hits + pong_hits;
  });
}

template <typename Kind>
void BM_ThreadRing(benchmark::State& state) {
  static constexpr int kActors = 64;
  static constexpr int kHops = 200'000;
  Measure<Kind>(state, kHops + 1, [](auto& sched) {
    std::vector<int64_t> hits(kActors * 8, 0);  // Each its actor's, padded.
    std::vector<ActorRef<int>> refs(kActors);
    for (int i = 0; i < kActors; ++i) {
      refs[i] = sched.Spawn(Member(sched, refs[(i + 1) % kActors], hits[i * 8]));
    }
    sched.Send(refs[0], kHops).IgnoreError();
    sched.Run().IgnoreError();
    int64_t total = 0;
    for (int64_t h : hits) total += h;
    return total;
  });
}

BENCHMARK_TEMPLATE(BM_PingPong, Deque)->Arg(0)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_TEMPLATE(BM_PingPong, Stealing2)->Arg(0)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_TEMPLATE(BM_ThreadRing, Deque)->Arg(0)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_TEMPLATE(BM_ThreadRing, Stealing2)->Arg(0)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
}  // namespace coactor

BENCHMARK_MAIN();
