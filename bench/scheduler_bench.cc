// The same actor workloads on DequeScheduler and on WorkStealingScheduler,
// with the worker count swept (1, 2 and the machine's hardware threads), so
// that what multi-threading buys and costs is measured in one run.
//
//   bazel run --config=opt //bench:scheduler_bench -- \
//       --benchmark_enable_random_interleaving=true \
//       --benchmark_repetitions=9 --benchmark_report_aggregates_only=true
//
// Interleave the repetitions on a shared machine: run back to back, the 1-
// and 2-worker figures of counter/printer differed by up to 14% here while
// the second worker ran no actor at all (the host's speed drifts from one
// minute to the next); in random order, a slow minute hits both alike.
//
// Benchmarks are named BM_<Workload><Scheduler>/threads:<n> (the deque
// scheduler always has 1). items_per_second counts messages, or actors for
// fork-join creation, or computations for the compute ceiling. Every
// workload checks its own result and fails the run if a message was lost.
// BM_LineTransfer shows what moving a cache line between two threads costs
// on the machine at that moment, beside the figures that depend on it.
//
// Counter/printer is the comparison's workload (bench/savina/workloads.h).
// The others are this file's own on purpose, not copies: ping-pong and big
// end without the comparison's stop messages (ping-pong's final ball, big's
// sink and exits: callgrind counts +0.2% and +0.7% for the comparison's
// versions at 1 worker), which keeps the per-message instruction counts
// that the runtime's changes are checked against; the fork-join workloads
// compute eight sines per message where the comparison's compute one, to
// pair with BM_ComputeCeiling; fan-in has no twin there.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "bench/savina/workloads.h"
#include "benchmark/benchmark.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

template <Scheduler Sched>
std::unique_ptr<Sched> MakeScheduler(int threads) {
  if constexpr (std::is_same_v<Sched, DequeScheduler>) {
    (void)threads;
    return std::make_unique<DequeScheduler>();
  } else {
    return std::make_unique<Sched>(threads);
  }
}

void Check(benchmark::State& state, bool ok, const char* what) {
  if (!ok) state.SkipWithError(what);
}

// Savina's fork-join workloads give each message a small fixed computation
// (a few sines), so that there is work to spread over the workers.
ABSL_ATTRIBUTE_NOINLINE double Compute(double theta) {
  double value = theta;
  for (int i = 0; i < 8; ++i) value = std::sin(value) * 1.1 + 0.5;
  return value;
}

// ---- Counter/printer: one pair talking by name ------------------------------

// Runs a workload of bench/savina/workloads.h (which verifies its own
// result: a lost or extra message fails the run) once per iteration on a
// fresh scheduler; items are what it reports it processed.
template <Scheduler Sched, typename Workload>
void RunSavina(benchmark::State& state, Workload workload, int64_t size) {
  int64_t items = 0;
  for (auto _ : state) {
    auto sched = MakeScheduler<Sched>(state.range(0));
    savina::Outcome outcome = workload(*sched, size);
    Check(state, outcome.ok, outcome.error.c_str());
    items += outcome.items;
  }
  state.SetItemsProcessed(items);
}

// Savina's counter_printer: 2 x 500,000 messages.
template <Scheduler Sched>
void BM_CounterPrinter(benchmark::State& state) {
  RunSavina<Sched>(
      state,
      [](Sched& sched, int64_t n) { return savina::CounterPrinter(sched, n); },
      500'000);
}

// ---- Ping-pong: one pair talking by reference -------------------------------

struct Ball {
  ActorRef<Ball> reply_to;
  int hits_left;
};

template <Scheduler Sched>
Actor<Ball> Player(Sched& sched, int64_t& hits) {
  ActorRef<Ball> self = co_await Self();
  for (;;) {
    Ball ball = co_await Receive<Ball>();
    ++hits;
    if (ball.hits_left == 0) co_return;
    sched.Send(ball.reply_to, Ball{self, ball.hits_left - 1}).IgnoreError();
  }
}

template <Scheduler Sched>
void BM_PingPong(benchmark::State& state) {
  constexpr int kHits = 1'000'000;
  for (auto _ : state) {
    auto sched = MakeScheduler<Sched>(state.range(0));
    int64_t ping_hits = 0, pong_hits = 0;
    ActorRef<Ball> ping = sched->Spawn(Player(*sched, ping_hits));
    ActorRef<Ball> pong = sched->Spawn(Player(*sched, pong_hits));
    sched->Send(ping, Ball{pong, kHits - 1}).IgnoreError();
    sched->Run().IgnoreError();
    Check(state, ping_hits + pong_hits == kHits, "lost messages");
  }
  state.SetItemsProcessed(state.iterations() * kHits);
}

// ---- Fork-join throughput (Savina): 64 actors x many messages ---------------

Actor<int> ThroughputWorker(int64_t& handled, double& sink) {
  for (;;) {
    int n = co_await Receive<int>();
    sink += Compute(37.2 + n % 7);
    ++handled;
  }
}

template <Scheduler Sched>
Actor<int> ThroughputDriver(Sched& sched, std::vector<ActorRef<int>>& workers) {
  int per_worker = co_await Receive<int>();
  for (int i = 0; i < per_worker; ++i) {
    for (ActorRef<int>& worker : workers) sched.Send(worker, i).IgnoreError();
  }
}

template <Scheduler Sched>
void BM_ForkJoinThroughput(benchmark::State& state) {
  constexpr int kWorkers = 64;
  constexpr int kPerWorker = 4'000;
  for (auto _ : state) {
    auto sched = MakeScheduler<Sched>(state.range(0));
    std::vector<int64_t> handled(kWorkers * 8, 0);  // Padded per worker.
    std::vector<double> sinks(kWorkers * 8, 0.0);
    std::vector<ActorRef<int>> workers;
    for (int w = 0; w < kWorkers; ++w) {
      workers.push_back(
          sched->Spawn(ThroughputWorker(handled[w * 8], sinks[w * 8])));
    }
    ActorRef<int> driver = sched->Spawn(ThroughputDriver(*sched, workers));
    sched->Send(driver, kPerWorker).IgnoreError();
    sched->Run().IgnoreError();
    int64_t total = 0;
    for (int w = 0; w < kWorkers; ++w) total += handled[w * 8];
    Check(state, total == int64_t{kWorkers} * kPerWorker, "lost messages");
    benchmark::DoNotOptimize(sinks.data());
  }
  state.SetItemsProcessed(state.iterations() * kWorkers * kPerWorker);
}

// The machine's own ceiling for the same computation on 1 and 2 threads.
void BM_ComputeCeiling(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  constexpr int kPerThread = 256'000 / 2;
  for (auto _ : state) {
    std::vector<std::thread> pool;
    std::vector<double> sinks(threads * 8, 0.0);
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&sinks, t] {
        double sink = 0;
        for (int i = 0; i < kPerThread; ++i) sink += Compute(37.2 + i % 7);
        sinks[t * 8] = sink;
      });
    }
    for (std::thread& thread : pool) thread.join();
    benchmark::DoNotOptimize(sinks.data());
  }
  state.SetItemsProcessed(state.iterations() * threads * kPerThread);
}

// The machine's own price of communication: two threads hand one cache
// line back and forth; time_per_transfer is one hand-over. On this shared
// VM it swings between ~45 and ~260 ns from one process to the next (the
// host moves the virtual CPUs), and the 2-worker figures of workloads that
// talk across workers (big, ping-pong) swing with it: read them beside it.
void BM_LineTransfer(benchmark::State& state) {
  constexpr int kRounds = 200'000;
  alignas(64) std::atomic<int> turn{0};
  for (auto _ : state) {
    turn.store(0);
    std::thread other([&turn] {
      for (int i = 0; i < kRounds; ++i) {
        while (turn.load(std::memory_order_acquire) != 2 * i + 1) {
        }
        turn.store(2 * i + 2, std::memory_order_release);
      }
    });
    for (int i = 0; i < kRounds; ++i) {
      turn.store(2 * i + 1, std::memory_order_release);
      while (turn.load(std::memory_order_acquire) != 2 * i + 2) {
      }
    }
    other.join();
  }
  state.SetItemsProcessed(state.iterations() * 2 * kRounds);
  state.counters["time_per_transfer"] = benchmark::Counter(
      2.0 * kRounds, benchmark::Counter::kIsIterationInvariantRate |
                         benchmark::Counter::kInvert);
}

// ---- Big (Savina): many actors pinging random others, answering pongs -------

struct BigMessage {
  ActorRef<BigMessage> from;  // Empty for a pong.
};

template <Scheduler Sched>
Actor<BigMessage> BigActor(Sched& sched,
                           const std::vector<ActorRef<BigMessage>>& everyone,
                           int pings, uint64_t seed, int64_t& received) {
  ActorRef<BigMessage> self = co_await Self();
  uint64_t random = seed;
  auto next_peer = [&] {
    random ^= random << 13;
    random ^= random >> 7;
    random ^= random << 17;
    return everyone[random % everyone.size()];
  };
  int sent = 0;
  for (;;) {
    BigMessage message = co_await Receive<BigMessage>();
    ++received;
    if (message.from.valid()) {  // A ping: answer it.
      sched.Send(message.from, BigMessage{}).IgnoreError();
    } else if (sent < pings) {  // A pong (or the start): ping someone.
      ++sent;
      sched.Send(next_peer(), BigMessage{self}).IgnoreError();
    }
  }
}

template <Scheduler Sched>
void BM_Big(benchmark::State& state) {
  constexpr int kActors = 256;
  constexpr int kPings = 2'000;
  for (auto _ : state) {
    auto sched = MakeScheduler<Sched>(state.range(0));
    std::vector<ActorRef<BigMessage>> everyone;
    std::vector<int64_t> received(kActors * 8, 0);
    for (int a = 0; a < kActors; ++a) {
      everyone.push_back(sched->Spawn(BigActor(*sched, everyone, kPings,
                                               0x9E3779B97F4A7C15ull * (a + 1),
                                               received[a * 8])));
    }
    for (auto& actor : everyone) sched->Send(actor, BigMessage{}).IgnoreError();
    sched->Run().IgnoreError();
    int64_t total = 0;
    for (int a = 0; a < kActors; ++a) total += received[a * 8];
    // Each actor gets its start, its pongs and the others' pings.
    Check(state, total == int64_t{kActors} * (1 + 2 * kPings), "lost messages");
  }
  state.SetItemsProcessed(state.iterations() * kActors * (1 + 2 * kPings));
}

// ---- Fork-join creation: spawn many actors, one message each, all finish ----

template <Scheduler Sched>
Actor<int> OneShot(Sched& sched, ActorRef<int> done) {
  int n = co_await Receive<int>();
  sched.Send(done, static_cast<int>(Compute(n) > 0)).IgnoreError();
}

Actor<int> DoneCounter(int64_t& count) {
  for (;;) {
    co_await Receive<int>();
    ++count;
  }
}

template <Scheduler Sched>
Actor<int> Creator(Sched& sched, ActorRef<int> done) {
  int count = co_await Receive<int>();
  for (int i = 0; i < count; ++i) {
    sched.Send(sched.Spawn(OneShot(sched, done)), i).IgnoreError();
  }
}

template <Scheduler Sched>
void BM_ForkJoinCreation(benchmark::State& state) {
  constexpr int kActors = 100'000;
  for (auto _ : state) {
    auto sched = MakeScheduler<Sched>(state.range(0));
    int64_t count = 0;
    ActorRef<int> done = sched->Spawn(DoneCounter(count));
    ActorRef<int> creator = sched->Spawn(Creator(*sched, done));
    sched->Send(creator, kActors).IgnoreError();
    sched->Run().IgnoreError();
    Check(state, count == kActors && sched->live_actors() == 1, "lost actors");
  }
  state.SetItemsProcessed(state.iterations() * kActors);
}

// ---- Fan-in: many senders, one receiver -------------------------------------

Actor<int> FanInSink(int64_t& received) {
  for (;;) {
    co_await Receive<int>();
    ++received;
  }
}

template <Scheduler Sched>
Actor<int> FanInSource(Sched& sched, ActorRef<int> sink) {
  int count = co_await Receive<int>();
  for (int i = 0; i < count; ++i) sched.Send(sink, i).IgnoreError();
}

template <Scheduler Sched>
void BM_FanIn(benchmark::State& state) {
  constexpr int kSenders = 16;
  constexpr int kPerSender = 62'500;  // 1 million messages.
  for (auto _ : state) {
    auto sched = MakeScheduler<Sched>(state.range(0));
    int64_t received = 0;
    ActorRef<int> sink = sched->Spawn(FanInSink(received));
    for (int s = 0; s < kSenders; ++s) {
      sched->Send(sched->Spawn(FanInSource(*sched, sink)), kPerSender)
          .IgnoreError();
    }
    sched->Run().IgnoreError();
    Check(state, received == int64_t{kSenders} * kPerSender, "lost messages");
  }
  state.SetItemsProcessed(state.iterations() * kSenders * kPerSender);
}

// ---- Registration -----------------------------------------------------------

void Threads(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgName("threads")->Arg(1)->Arg(2);
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  if (hardware > 2) benchmark->Arg(hardware);
  benchmark->Unit(benchmark::kMillisecond)->UseRealTime();
}

void OneThread(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgName("threads")
      ->Arg(1)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

using Stealing = WorkStealingScheduler;

#define COACTOR_BENCH_BOTH(Workload)                                   \
  BENCHMARK_TEMPLATE(BM_##Workload, DequeScheduler)->Apply(OneThread); \
  BENCHMARK_TEMPLATE(BM_##Workload, Stealing)->Apply(Threads)

COACTOR_BENCH_BOTH(CounterPrinter);
COACTOR_BENCH_BOTH(PingPong);
COACTOR_BENCH_BOTH(ForkJoinThroughput);
COACTOR_BENCH_BOTH(Big);
COACTOR_BENCH_BOTH(ForkJoinCreation);
COACTOR_BENCH_BOTH(FanIn);
BENCHMARK(BM_ComputeCeiling)->Apply(Threads);
BENCHMARK(BM_LineTransfer)->UseRealTime();

}  // namespace
}  // namespace coactor

BENCHMARK_MAIN();
