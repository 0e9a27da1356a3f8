// What tracing costs per message: Savina's ping-pong and thread ring
// (bench/savina/workloads.h) on the deque scheduler and on work stealing at
// 2 workers: untraced (trace:0), traced to a file (trace:1), and traced
// bounded (trace:2: the last 65,536 events of each thread, written at the
// end), of 10^6 messages and, untraced and bounded, 10^7 (millions:10). ns per
// message added = 1e9 / traced rate - 1e9 / untraced rate. Besides the
// benchmark's time, two counters: CPU ns per message of the benchmark's
// thread (`thread_ns`: on the deque, the actors' thread) and of the whole
// process (`process_ns`: with a streamed trace's writer thread, and on
// work stealing the workers).
//
//   ./bazelw run --config=opt //bench:trace_bench
//
// The trace goes to $TMPDIR (or /tmp)/coactor_trace_bench.json, rewritten
// by every run.
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "bench/savina/workloads.h"
#include "benchmark/benchmark.h"
#include "runtime/deque_scheduler.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

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

double CpuNanos(clockid_t clock) {
  timespec t;
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

// Runs `workload(sched, size)` on a fresh scheduler per iteration, traced
// as the benchmark's argument says. The trace file is removed between
// iterations, untimed: rewriting the same path would have StartTrace()'s
// truncation free (and on ext4 first flush) the last iteration's file.
template <typename Kind, typename Workload>
void Measure(benchmark::State& state, int64_t size, Workload workload) {
  TraceOptions options;
  if (state.range(0) == 2) options.ring_events = 1 << 16;
  int64_t items = 0;
  double thread_ns = 0;
  double process_ns = 0;
  for (auto _ : state) {
    const double thread_start = CpuNanos(CLOCK_THREAD_CPUTIME_ID);
    const double process_start = CpuNanos(CLOCK_PROCESS_CPUTIME_ID);
    auto sched = Kind::Make();
    if (state.range(0) != 0 && !sched->StartTrace(TracePath(), options).ok()) {
      state.SkipWithError("cannot write the trace");
      return;
    }
    const savina::Outcome outcome = workload(*sched, size);
    if (!sched->StopTrace().ok() || !outcome.ok) {
      state.SkipWithError("a wrong result, or the trace failed");
      return;
    }
    items += outcome.items;
    sched.reset();
    thread_ns += CpuNanos(CLOCK_THREAD_CPUTIME_ID) - thread_start;
    process_ns += CpuNanos(CLOCK_PROCESS_CPUTIME_ID) - process_start;
    state.PauseTiming();
    std::remove(TracePath().c_str());
    state.ResumeTiming();
  }
  state.SetItemsProcessed(items);
  const double messages = static_cast<double>(items);
  state.counters["thread_ns"] = thread_ns / messages;
  state.counters["process_ns"] = process_ns / messages;
}

template <typename Kind>
void BM_PingPong(benchmark::State& state) {
  Measure<Kind>(state, state.range(1) * 1'000'000, [](auto& sched, int64_t n) {
    return savina::PingPong(sched, n);
  });
}

template <typename Kind>
void BM_ThreadRing(benchmark::State& state) {
  Measure<Kind>(state, state.range(1) * 1'000'000, [](auto& sched, int64_t n) {
    return savina::ThreadRing(sched, n);
  });
}

// trace: 0 untraced, 1 streamed, 2 bounded (ring); millions of messages:
// 1, and 10 untraced and bounded, where the ring's fixed cost (its last
// 65,536 events a thread, written at StopTrace()) is a tenth as much a
// message (a streamed trace of 10^7 would write some 3 GB).
void Sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"trace", "millions"})
      ->Args({0, 1})
      ->Args({1, 1})
      ->Args({2, 1})
      ->Args({0, 10})
      ->Args({2, 10})
      ->UseRealTime();
}

BENCHMARK_TEMPLATE(BM_PingPong, Deque)->Apply(Sizes);
BENCHMARK_TEMPLATE(BM_PingPong, Stealing2)->Apply(Sizes);
BENCHMARK_TEMPLATE(BM_ThreadRing, Deque)->Apply(Sizes);
BENCHMARK_TEMPLATE(BM_ThreadRing, Stealing2)->Apply(Sizes);

}  // namespace
}  // namespace coactor

BENCHMARK_MAIN();
