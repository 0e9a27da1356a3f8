// What a long handler costs the rest of the system on WorkStealingScheduler,
// and timer-heavy programs on a virtual clock.
//
//   ./bazelw build --config=opt //bench:long_handler_bench
//   bazel-bin/bench/long_handler_bench --benchmark_repetitions=3 \
//       --benchmark_enable_random_interleaving=true
//
// Latency benchmarks report per-trial figures as counters (microseconds):
// p50_us, p90_us, max_us over the trials of one repetition; the wall time
// is not the figure of interest.
//
// - BM_SendThenCompute/threads:n/parked:p: actor A sends B a message, then
//   computes (spins) until B has started, giving up after 2 ms. Latency:
//   from A's send to the start of B's handler. With parked:1, A first
//   computes 1 ms, so that the other workers have gone to sleep (the case
//   of a worker idle for a while); with parked:0 they are still looking
//   for work (Run() just woke them).
// - BM_SleepBehindLongHandler/threads:n: actor A computes 20 ms inside one
//   handler while actor B sleeps 1 ms. Latency: how late B wakes.
// - BM_QueuedBehindLongHandler/threads:n: A wakes B (which lands in A's
//   worker's runnext slot) and then computes 2 ms; C, woken the same way
//   just before, is displaced to the deque. Latency: B's start after A's
//   send (what sits in a runnext slot behind a long turn waits for).
// - BM_VirtualTimers<Sched>: 1,000 actors each sleep 100 times for a
//   pseudo-random 1-1000 ms on a ManualClock (10^5 timers), then finish.
// - BM_VirtualAsks<Sched>: 100 askers each make 1,000 asks with a
//   pseudo-random 1-1000 ms timeout, on a ManualClock, to an actor that
//   answers every other one (10^5 asks, half of them time out).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/ask.h"
#include "actors/clock.h"
#include "actors/receive.h"
#include "actors/sleep.h"
#include "actors/task.h"
#include "benchmark/benchmark.h"
#include "runtime/deque_scheduler.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

// Busy-waits (a handler that computes) for `nanos`, or until `until` is set.
void ComputeFor(int64_t nanos, const std::atomic<bool>* until = nullptr) {
  const int64_t end = NowNanos() + nanos;
  while (NowNanos() < end) {
    if (until != nullptr && until->load(std::memory_order_relaxed)) return;
  }
}

// Sets p50_us, p90_us and max_us from `nanos` (reordered).
void ReportLatencies(benchmark::State& state, std::vector<int64_t>& nanos) {
  if (nanos.empty()) return;
  std::sort(nanos.begin(), nanos.end());
  auto at = [&](double q) {
    return nanos[std::min(nanos.size() - 1,
                          static_cast<size_t>(q * nanos.size()))] /
           1000.0;
  };
  state.counters["p50_us"] = at(0.5);
  state.counters["p90_us"] = at(0.9);
  state.counters["max_us"] = nanos.back() / 1000.0;
}

// ---- Send, then compute ----------------------------------------------------

struct Trial {
  int64_t sent_at = 0;     // A's clock when it sent.
  int64_t started_at = 0;  // B's clock when its handler began.
  std::atomic<bool> started{false};
};

Actor<int> Receiver(Trial& trial) {
  for (;;) {
    co_await Receive<int>();
    trial.started_at = NowNanos();
    trial.started.store(true, std::memory_order_release);
  }
}

template <typename Sched>
Actor<int> Sender(Sched& sched, ActorRef<int> receiver, Trial& trial,
                  int64_t compute_first_nanos) {
  for (;;) {
    co_await Receive<int>();
    ComputeFor(compute_first_nanos);
    trial.sent_at = NowNanos();
    sched.Send(receiver, 1).IgnoreError();
    ComputeFor(2'000'000, &trial.started);
  }
}

void BM_SendThenCompute(benchmark::State& state) {
  constexpr int kTrials = 100;
  const int threads = static_cast<int>(state.range(0));
  const bool parked = state.range(1) != 0;
  WorkStealingScheduler sched(threads);
  Trial trial;
  ActorRef<int> receiver = sched.Spawn(Receiver(trial));
  ActorRef<int> sender =
      sched.Spawn(Sender(sched, receiver, trial, parked ? 1'000'000 : 0));
  sched.Run().IgnoreError();
  std::vector<int64_t> latencies;
  for (auto _ : state) {
    for (int i = 0; i < kTrials; ++i) {
      trial.started.store(false);
      sched.Send(sender, i).IgnoreError();
      sched.Run().IgnoreError();
      if (!trial.started.load()) state.SkipWithError("receiver never ran");
      latencies.push_back(trial.started_at - trial.sent_at);
    }
  }
  ReportLatencies(state, latencies);
}

// ---- A sleep behind a long handler ------------------------------------------

Actor<int> LongHandler() {
  for (;;) {
    co_await Receive<int>();
    ComputeFor(20'000'000);
  }
}

Actor<int> Sleeper(int64_t& late_nanos) {
  for (;;) {
    co_await Receive<int>();
    const int64_t start = NowNanos();
    co_await Sleep(absl::Milliseconds(1));
    late_nanos = NowNanos() - start - 1'000'000;
  }
}

void BM_SleepBehindLongHandler(benchmark::State& state) {
  constexpr int kTrials = 10;
  WorkStealingScheduler sched(static_cast<int>(state.range(0)));
  int64_t late = 0;
  ActorRef<int> busy = sched.Spawn(LongHandler());
  ActorRef<int> sleeper = sched.Spawn(Sleeper(late));
  sched.Run().IgnoreError();
  std::vector<int64_t> latencies;
  for (auto _ : state) {
    for (int i = 0; i < kTrials; ++i) {
      sched.Send(busy, i).IgnoreError();
      sched.Send(sleeper, i).IgnoreError();
      sched.Run().IgnoreError();
      latencies.push_back(late);
    }
  }
  ReportLatencies(state, latencies);
}

// ---- What waits in a runnext slot behind a long turn ------------------------

Actor<int> Bystander() {
  for (;;) co_await Receive<int>();
}

template <typename Sched>
Actor<int> WakeTwoThenCompute(Sched& sched, ActorRef<int> first,
                              ActorRef<int> second, Trial& trial) {
  for (;;) {
    co_await Receive<int>();
    ComputeFor(1'000'000);  // Let the other workers go to sleep.
    sched.Send(first, 1).IgnoreError();
    trial.sent_at = NowNanos();
    sched.Send(second, 1).IgnoreError();
    ComputeFor(2'000'000, &trial.started);
  }
}

void BM_QueuedBehindLongHandler(benchmark::State& state) {
  constexpr int kTrials = 100;
  WorkStealingScheduler sched(static_cast<int>(state.range(0)));
  Trial trial;
  ActorRef<int> first = sched.Spawn(Bystander());
  ActorRef<int> second = sched.Spawn(Receiver(trial));
  ActorRef<int> waker =
      sched.Spawn(WakeTwoThenCompute(sched, first, second, trial));
  sched.Run().IgnoreError();
  std::vector<int64_t> latencies;
  for (auto _ : state) {
    for (int i = 0; i < kTrials; ++i) {
      trial.started.store(false);
      sched.Send(waker, i).IgnoreError();
      sched.Run().IgnoreError();
      latencies.push_back(trial.started_at - trial.sent_at);
    }
  }
  ReportLatencies(state, latencies);
}

// ---- Timers and asks in virtual time ----------------------------------------

uint64_t NextRandom(uint64_t& state) {  // xorshift64
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

Actor<int> RandomSleeper(int sleeps, uint64_t seed, int64_t& woken) {
  co_await Receive<int>();
  for (int i = 0; i < sleeps; ++i) {
    co_await Sleep(absl::Milliseconds(1 + NextRandom(seed) % 1000));
    ++woken;
  }
}

template <typename Sched>
std::unique_ptr<Sched> MakeScheduler(int threads, Clock& clock) {
  if constexpr (std::is_same_v<Sched, DequeScheduler>) {
    (void)threads;
    return std::make_unique<DequeScheduler>(clock);
  } else {
    return std::make_unique<Sched>(threads, clock);
  }
}

template <typename Sched>
void BM_VirtualTimers(benchmark::State& state) {
  constexpr int kActors = 1'000;
  constexpr int kSleeps = 100;
  for (auto _ : state) {
    ManualClock clock;
    auto sched = MakeScheduler<Sched>(static_cast<int>(state.range(0)), clock);
    std::vector<int64_t> woken(kActors * 8, 0);  // Padded per actor.
    for (int a = 0; a < kActors; ++a) {
      ActorRef<int> sleeper = sched->Spawn(RandomSleeper(
          kSleeps, 0x9E3779B97F4A7C15ull * (a + 1), woken[a * 8]));
      sched->Send(sleeper, 0).IgnoreError();
    }
    sched->Run().IgnoreError();
    int64_t total = 0;
    for (int a = 0; a < kActors; ++a) total += woken[a * 8];
    if (total != int64_t{kActors} * kSleeps) state.SkipWithError("lost");
  }
  state.SetItemsProcessed(state.iterations() * kActors * kSleeps);
}

struct Question {
  int n;
  ReplyTo<int> reply;
};

// Answers every other question; drops nothing (the unanswered ReplyTos are
// kept until the end, so those asks time out rather than fail).
Actor<Question> HalfAnswerer(std::vector<ReplyTo<int>>& kept) {
  for (;;) {
    Question question = co_await Receive<Question>();
    if (question.n % 2 == 0) {
      question.reply.Send(question.n);
    } else {
      kept.push_back(std::move(question.reply));
    }
  }
}

// Counts, per asker, its asks that timed out and those answered.
struct AskCounts {
  int64_t timed_out = 0;
  int64_t answered = 0;
  char padding[48];
};

template <typename Sched>
Actor<int> Asker(Sched& sched, ActorRef<Question> answerer, int asks,
                 uint64_t seed, AskCounts& counts) {
  co_await Receive<int>();
  for (int i = 0; i < asks; ++i) {
    const absl::Duration timeout =
        absl::Milliseconds(1 + NextRandom(seed) % 1000);
    absl::StatusOr<int> answer = co_await Ask<int>(
        sched, answerer,
        [i](ReplyTo<int> reply) {
          return Question{i, std::move(reply)};
        },
        timeout);
    if (absl::IsDeadlineExceeded(answer.status())) ++counts.timed_out;
    if (answer.ok()) ++counts.answered;
  }
}

template <typename Sched>
void BM_VirtualAsks(benchmark::State& state) {
  constexpr int kAskers = 100;
  constexpr int kAsks = 1'000;
  for (auto _ : state) {
    ManualClock clock;
    auto sched = MakeScheduler<Sched>(static_cast<int>(state.range(0)), clock);
    std::vector<ReplyTo<int>> kept;
    kept.reserve(kAskers * kAsks);
    ActorRef<Question> answerer = sched->Spawn(HalfAnswerer(kept));
    std::vector<AskCounts> counts(kAskers);
    for (int a = 0; a < kAskers; ++a) {
      ActorRef<int> asker = sched->Spawn(Asker(
          *sched, answerer, kAsks, 0x9E3779B97F4A7C15ull * (a + 1), counts[a]));
      sched->Send(asker, 0).IgnoreError();
    }
    sched->Run().IgnoreError();
    int64_t timed_out = 0, answered = 0;
    for (const AskCounts& count : counts) {
      timed_out += count.timed_out;
      answered += count.answered;
    }
    if (timed_out != int64_t{kAskers} * kAsks / 2 ||
        answered != int64_t{kAskers} * kAsks / 2) {
      state.SkipWithError(("timed out " + std::to_string(timed_out) +
                           ", answered " + std::to_string(answered))
                              .c_str());
    }
    kept.clear();  // Before the scheduler.
  }
  state.SetItemsProcessed(state.iterations() * kAskers * kAsks);
}

// ---- Registration -----------------------------------------------------------

void LatencyArgs(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgNames({"threads", "parked"});
  for (int threads : {2, 4}) {
    for (int parked : {0, 1}) benchmark->Args({threads, parked});
  }
  benchmark->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
}

void WorkerCounts(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgName("threads")->Arg(2)->Arg(4);
  benchmark->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
}

void VirtualArgs(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgName("threads")->Arg(1)->Arg(2)->Arg(4);
  benchmark->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
}

void OneScheduler(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgName("threads")->Arg(1);
  benchmark->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_SendThenCompute)->Apply(LatencyArgs);
BENCHMARK(BM_SleepBehindLongHandler)->Apply(WorkerCounts);
BENCHMARK(BM_QueuedBehindLongHandler)->Apply(WorkerCounts);
BENCHMARK_TEMPLATE(BM_VirtualTimers, DequeScheduler)->Apply(OneScheduler);
BENCHMARK_TEMPLATE(BM_VirtualTimers, WorkStealingScheduler)->Apply(VirtualArgs);
BENCHMARK_TEMPLATE(BM_VirtualAsks, DequeScheduler)->Apply(OneScheduler);
BENCHMARK_TEMPLATE(BM_VirtualAsks, WorkStealingScheduler)->Apply(VirtualArgs);

}  // namespace
}  // namespace coactor

BENCHMARK_MAIN();
