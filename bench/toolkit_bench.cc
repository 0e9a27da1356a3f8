// Costs of the toolkit on the deque scheduler, each beside its baseline in
// the same binary:
//
//   BM_OneWaySend      ping-pong: each message is one send and one
//                      delivery with the queue short (steady state).
//   BM_AskRoundTrip    an ask and its reply, with a timeout timer armed
//                      each time (and disarmed by the reply).
//   BM_WorkStealingAsk the same on WorkStealingScheduler with 1 worker
//                      (locks, atomics and its timer queue: a price list,
//                      not part of the 3x comparison).
//   BM_PendingTimers   arm 1,000,000 timers (delayed sends), then fire them
//                      all in virtual time; reports time per timer and the
//                      memory they hold (RSS growth / timers).
//
//   bazel run --config=opt //bench:toolkit_bench
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/ask.h"
#include "actors/clock.h"
#include "actors/receive.h"
#include "actors/task.h"
#include "benchmark/benchmark.h"
#include "runtime/deque_scheduler.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

Actor<int> Sink(int64_t& received) {
  for (;;) {
    co_await Receive<int>();
    ++received;
  }
}

struct Ball {
  ActorRef<Ball> reply_to;
  int hits_left;
};

Actor<Ball> Player(DequeScheduler& sched, int64_t& hits) {
  ActorRef<Ball> self = co_await Self();
  for (;;) {
    Ball ball = co_await Receive<Ball>();
    ++hits;
    if (ball.hits_left == 0) co_return;
    sched.Send(ball.reply_to, Ball{self, ball.hits_left - 1}).IgnoreError();
  }
}

void BM_OneWaySend(benchmark::State& state) {
  constexpr int kMessages = 1'000'000;
  for (auto _ : state) {
    DequeScheduler sched;
    int64_t hits = 0;
    ActorRef<Ball> ping = sched.Spawn(Player(sched, hits));
    ActorRef<Ball> pong = sched.Spawn(Player(sched, hits));
    sched.Send(ping, Ball{pong, kMessages - 1}).IgnoreError();
    sched.Run().IgnoreError();
    if (hits != kMessages) state.SkipWithError("lost messages");
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
}

struct Echo {
  int n;
  ReplyTo<int> reply;
};

Actor<Echo> Echoer() {
  for (;;) {
    Echo echo = co_await Receive<Echo>();
    echo.reply.Send(echo.n);
  }
}

// Kept in a constant, as ask.h recommends: g++ copies a temporary
// absl::Duration inside a co_await expression right after building it,
// which stalls store-to-load forwarding (~10 ns per ask here).
constexpr absl::Duration kAskTimeout = absl::Seconds(10);

template <typename Sched>
Task<int64_t> AskMany(Sched& sched, ActorRef<Echo> echoer, int count) {
  int64_t sum = 0;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<int> reply = co_await Ask<int>(
        sched, echoer,
        [i](ReplyTo<int> reply) {
          return Echo{i, std::move(reply)};
        },
        kAskTimeout);
    sum += reply.ok() ? *reply : -1'000'000;
  }
  co_return sum;
}

// 200,000 asks to an echoing actor on a fresh scheduler per iteration,
// made by `make_scheduler`.
template <typename MakeScheduler>
void RunAsks(benchmark::State& state, MakeScheduler make_scheduler) {
  constexpr int kAsks = 200'000;
  for (auto _ : state) {
    auto sched = make_scheduler();
    ActorRef<Echo> echoer = sched->Spawn(Echoer());
    absl::StatusOr<int64_t> sum =
        sched->RunUntilComplete(AskMany(*sched, echoer, kAsks));
    if (!sum.ok() || *sum != int64_t{kAsks} * (kAsks - 1) / 2) {
      state.SkipWithError("wrong replies");
    }
  }
  state.SetItemsProcessed(state.iterations() * kAsks);
}

void BM_AskRoundTrip(benchmark::State& state) {
  RunAsks(state, [] { return std::make_unique<DequeScheduler>(); });
}

void BM_WorkStealingAsk(benchmark::State& state) {
  RunAsks(state, [] { return std::make_unique<WorkStealingScheduler>(1); });
}

int64_t RssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return 0;
}

void BM_PendingTimers(benchmark::State& state) {
  const int timers = static_cast<int>(state.range(0));
  double bytes_per_timer = 0;
  for (auto _ : state) {
    ManualClock clock;
    DequeScheduler sched(clock);
    int64_t received = 0;
    ActorRef<int> sink = sched.Spawn(Sink(received));
    const int64_t before = RssKiB();
    for (int i = 0; i < timers; ++i) {
      // Spread over 1000 s so the heap has real work to do.
      sched.SendAfter(absl::Milliseconds((i * 7919) % 1'000'000), sink, i);
    }
    bytes_per_timer = (RssKiB() - before) * 1024.0 / timers;
    sched.Run().IgnoreError();
    if (received != timers) state.SkipWithError("lost timers");
  }
  state.SetItemsProcessed(state.iterations() * timers);
  state.counters["bytes_per_timer"] = bytes_per_timer;
}

BENCHMARK(BM_OneWaySend)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AskRoundTrip)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WorkStealingAsk)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PendingTimers)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace coactor

BENCHMARK_MAIN();
