// Metrics (runtime/metrics/metrics.h) on both schedulers: counts equal the
// messages sent, a snapshot taken from another thread while a
// work-stealing Run() goes on, the exact peak depth of a deterministic
// deque program, a handler that spins for 20 ms seen as a long turn, and
// the oldest message's wait, growing between snapshots while it waits.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/metrics/metrics.h"
#include "runtime/metrics/prometheus.h"
#include "runtime/metrics/warnings.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

Actor<int> Printer(int64_t* sum) {
  for (;;) *sum += co_await Receive<int>();
}

// Sends `printer` n, then itself n - 1 (by name), until 0.
template <Scheduler Sched>
Actor<int> Counter(Sched& sched, ActorRef<int> printer) {
  for (;;) {
    const int n = co_await Receive<int>();
    if (n == 0) co_return;
    sched.Send(printer, n).IgnoreError();
    sched.Send("counter", n - 1).IgnoreError();
  }
}

// Spawns "printer" (summing into `*sum`) and "counter", and sends the
// counter `n`: n messages to the printer, n + 1 to the counter.
template <Scheduler Sched>
void StartCounterPrinter(Sched& sched, int64_t* sum, int n) {
  auto printer = sched.Spawn("printer", Printer(sum));
  ASSERT_TRUE(printer.ok());
  auto counter = sched.Spawn("counter", Counter(sched, *printer));
  ASSERT_TRUE(counter.ok());
  ASSERT_TRUE(sched.Send(*counter, n).ok());
}

const ActorMetrics* Find(const SchedulerMetrics& metrics,
                         const std::string& name) {
  for (const ActorMetrics& actor : metrics.actors) {
    if (actor.name == name) return &actor;
  }
  return nullptr;
}

class MetricsTest : public ::testing::TestWithParam<testing::SchedulerKind> {};

TEST_P(MetricsTest, CountsEqualTheMessagesSent) {
  static constexpr int kN = 1000;
  testing::RunOnScheduler(GetParam(), [](auto& sched) {
    int64_t sum = 0;
    StartCounterPrinter(sched, &sum, kN);
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_EQ(sum, int64_t{kN} * (kN + 1) / 2);

    const SchedulerMetrics metrics = sched.Metrics();
    EXPECT_EQ(metrics.messages, 2 * kN + 1);  // N to printer, N + 1 to counter.
    EXPECT_EQ(metrics.messages, sched.messages_delivered());
    EXPECT_EQ(metrics.spawns, 2);
    EXPECT_EQ(metrics.ends, 1);  // The counter.
    EXPECT_EQ(metrics.dead_letters, 0);
    EXPECT_EQ(metrics.failures, 0);
    EXPECT_EQ(metrics.timers_fired, 0);
    ASSERT_EQ(metrics.actors.size(), 1);  // Live actors only.
    const ActorMetrics& actor = metrics.actors[0];
    EXPECT_EQ(actor.name, "printer");
    EXPECT_EQ(actor.received, kN);
    EXPECT_EQ(actor.depth, 0);
    EXPECT_GE(actor.peak_depth, 1);
    EXPECT_LE(actor.peak_depth, kN);
    EXPECT_GE(actor.turns, 0);
    EXPECT_LE(actor.turn_nanos_max, actor.turn_nanos_total);
  });
}

TEST_P(MetricsTest, DeadLettersAndFailuresAreCounted) {
  testing::RunOnScheduler(GetParam(), [](auto& sched) {
    EXPECT_FALSE(sched.Send("nobody", 1).ok());
    EXPECT_FALSE(sched.Send("nobody", 2).ok());
    auto thrower = sched.Spawn("thrower", []() -> Actor<int> {
      co_await Receive<int>();
      throw std::runtime_error("boom");
    }());
    ASSERT_TRUE(thrower.ok());
    ASSERT_TRUE(sched.Send(*thrower, 1).ok());
    ASSERT_TRUE(sched.Run().ok());
    const SchedulerMetrics metrics = sched.Metrics();
    EXPECT_EQ(metrics.dead_letters, 2);
    EXPECT_EQ(metrics.failures, 1);
    EXPECT_EQ(metrics.spawns, 1);
    EXPECT_EQ(metrics.ends, 1);
    EXPECT_EQ(metrics.messages, 1);
    EXPECT_TRUE(metrics.actors.empty());
  });
}

// Messages that wait while the actor receives none: the first snapshot
// that sees them says 0, the next ones how long since (a lower bound);
// once received, 0 again.
TEST_P(MetricsTest, OldestWaitGrowsWhileMessagesWaitUnreceived) {
  testing::RunOnScheduler(GetParam(), [](auto& sched) {
    int64_t sum = 0;
    auto printer = sched.Spawn("printer", Printer(&sum));
    ASSERT_TRUE(printer.ok());
    ASSERT_TRUE(sched.Run().ok());  // Started: it waits at its Receive().
    auto wait_of = [&] {
      return Find(sched.Metrics(), "printer")->oldest_wait_nanos;
    };
    EXPECT_EQ(wait_of(), 0);  // Nothing waits.
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(sched.Send(*printer, i).ok());
    const auto start = std::chrono::steady_clock::now();
    const SchedulerMetrics first = sched.Metrics();
    EXPECT_EQ(Find(first, "printer")->depth, 3);
    EXPECT_EQ(Find(first, "printer")->oldest_wait_nanos, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const uint64_t waited = wait_of();
    const auto slept = std::chrono::steady_clock::now() - start;
    // The tick rate is measured against the steady clock: within 5%.
    EXPECT_GE(waited, 19'000'000);
    EXPECT_LE(
        waited,
        std::chrono::duration_cast<std::chrono::nanoseconds>(slept).count() *
            105 / 100);
    EXPECT_GE(wait_of(), waited);  // Still waiting: it only grows.
    ASSERT_TRUE(sched.Run().ok());
    const SchedulerMetrics after = sched.Metrics();
    EXPECT_EQ(Find(after, "printer")->depth, 0);
    EXPECT_EQ(Find(after, "printer")->received, 3);
    EXPECT_EQ(Find(after, "printer")->oldest_wait_nanos, 0);
    EXPECT_EQ(sum, 6);
    // A new message after a receipt starts the watch again.
    ASSERT_TRUE(sched.Send(*printer, 4).ok());
    EXPECT_EQ(wait_of(), 0);
    ASSERT_TRUE(sched.Run().ok());
  });
}

INSTANTIATE_TEST_SUITE_P(AllSchedulers, MetricsTest,
                         ::testing::ValuesIn(testing::SchedulerKinds(4)),
                         testing::SchedulerKindName);

// A snapshot taken from another thread while the workers run (under TSan
// in CI: tagged "concurrency").
TEST(WorkStealingMetricsTest, SnapshotWhileRunIsGoingOn) {
  constexpr int kN = 20'000;
  WorkStealingScheduler sched(2);
  int64_t sum = 0;
  StartCounterPrinter(sched, &sum, kN);
  std::atomic<bool> done{false};
  std::thread runner([&] {
    sched.Run().IgnoreError();
    done.store(true);
  });
  uint64_t last_messages = 0;
  int snapshots = 0;
  while (!done.load()) {
    const SchedulerMetrics metrics = sched.Metrics();
    EXPECT_GE(metrics.messages, last_messages);
    EXPECT_LE(metrics.messages, 2 * kN + 1);
    last_messages = metrics.messages;
    if (const ActorMetrics* p = Find(metrics, "printer")) {
      EXPECT_LE(p->received, kN);
    }
    RenderPrometheus(metrics);  // Reads nothing but the snapshot.
    ++snapshots;
  }
  runner.join();
  EXPECT_GE(snapshots, 1);
  const SchedulerMetrics metrics = sched.Metrics();
  EXPECT_EQ(metrics.messages, 2 * kN + 1);
  const ActorMetrics* p = Find(metrics, "printer");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->received, kN);
  EXPECT_EQ(p->depth, 0);
  EXPECT_EQ(sum, int64_t{kN} * (kN + 1) / 2);
}

Actor<int> Sink() {
  for (;;) co_await Receive<int>();
}

// Sends `sink` k messages for a message k.
Actor<int> Source(DequeScheduler& sched, ActorRef<int> sink) {
  for (;;) {
    const int k = co_await Receive<int>();
    for (int i = 0; i < k; ++i) sched.Send(sink, i).IgnoreError();
  }
}

TEST(DequeMetricsTest, PeakDepthIsExact) {
  DequeScheduler sched;
  auto sink = sched.Spawn("sink", Sink());
  ASSERT_TRUE(sink.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sched.Send(*sink, i).ok());
  auto source = sched.Spawn("source", Source(sched, *sink));
  ASSERT_TRUE(source.ok());
  ASSERT_TRUE(sched.Send(*source, 7).ok());

  // Not started yet: its three messages wait (its start is not one).
  SchedulerMetrics before = sched.Metrics();
  ASSERT_EQ(before.actors.size(), 2);
  EXPECT_EQ(Find(before, "sink")->depth, 3);
  EXPECT_EQ(Find(before, "sink")->peak_depth, 3);
  EXPECT_EQ(Find(before, "sink")->received, 0);
  EXPECT_EQ(Find(before, "source")->depth, 1);

  // The sink takes its three, then the source's turn queues seven at once.
  ASSERT_TRUE(sched.Run().ok());
  const SchedulerMetrics after = sched.Metrics();
  const ActorMetrics* s = Find(after, "sink");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->received, 10);
  EXPECT_EQ(s->depth, 0);
  EXPECT_EQ(s->peak_depth, 7);
  const ActorMetrics* src = Find(after, "source");
  ASSERT_NE(src, nullptr);
  EXPECT_EQ(src->received, 1);
  EXPECT_EQ(src->peak_depth, 1);
  EXPECT_EQ(after.messages, 11);
}

// One turn in 256 is timed on the deque scheduler: the step after the
// loop's periodic look at timers and posts.
TEST(DequeMetricsTest, TimesOneStepIn256) {
  DequeScheduler sched;
  auto sink = sched.Spawn("sink", Sink());
  ASSERT_TRUE(sink.ok());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(sched.Send(*sink, i).ok());
  ASSERT_TRUE(sched.Run().ok());
  const SchedulerMetrics metrics = sched.Metrics();
  ASSERT_EQ(metrics.actors.size(), 1);
  // 1001 steps (its start and 1000 messages): the 257th, 514th and 771st.
  EXPECT_EQ(metrics.actors[0].turns, 3);
  EXPECT_EQ(metrics.actors[0].received, 1000);
}

Actor<int> Spinner() {
  for (;;) {
    co_await Receive<int>();
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
    while (std::chrono::steady_clock::now() < until) {
    }
  }
}

class LongTurnTest : public ::testing::TestWithParam<int> {};

// Each worker times its first turn (then one in 64): the spinner's start
// and its message are that turn.
TEST_P(LongTurnTest, HandlerThatSpinsFor20msIsALongTurn) {
  WorkStealingScheduler sched(GetParam());
  auto spinner = sched.Spawn("spinner", Spinner());
  ASSERT_TRUE(spinner.ok());
  ASSERT_TRUE(sched.Send(*spinner, 1).ok());
  ASSERT_TRUE(sched.Run().ok());
  const SchedulerMetrics metrics = sched.Metrics();
  const ActorMetrics* s = Find(metrics, "spinner");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->turns, 1);
  // The tick rate is measured against the steady clock: within 5%.
  EXPECT_GE(s->turn_nanos_max, 19'000'000);
  EXPECT_EQ(s->turn_nanos_total, s->turn_nanos_max);

  absl::StatusOr<MetricsWatch> watch = MetricsWatch::Create(
      {.long_turn = absl::Milliseconds(10), .growth_window = absl::Seconds(1)});
  ASSERT_TRUE(watch.ok());
  const std::vector<MetricsWarning> warnings =
      watch->Check(metrics, absl::UnixEpoch());
  ASSERT_EQ(warnings.size(), 1);
  EXPECT_EQ(warnings[0].kind, MetricsWarning::Kind::kLongTurn);
  EXPECT_EQ(warnings[0].actor_name, "spinner");
  EXPECT_EQ(warnings[0].actor_id, s->id);
  EXPECT_GE(warnings[0].duration, absl::Milliseconds(19));
  EXPECT_NE(warnings[0].text.find("actor spinner (#"), std::string::npos)
      << warnings[0].text;

  // Under a threshold above the turn measured it is not one. (Not a fixed
  // 50 ms: on a loaded machine, under ASan, the 20 ms spin was preempted
  // and measured over 50 ms.)
  ASSERT_TRUE(
      watch
          ->SetThresholds({.long_turn = absl::Nanoseconds(s->turn_nanos_max) +
                                        absl::Milliseconds(1),
                           .growth_window = absl::Seconds(1)})
          .ok());
  EXPECT_TRUE(watch->Check(metrics, absl::UnixEpoch()).empty());
}

INSTANTIATE_TEST_SUITE_P(Workers, LongTurnTest, ::testing::Values(1, 2));

// An actor stuck in a handler while messages queue for it, seen from
// another thread during Run(): its oldest wait grows between snapshots.
TEST(WorkStealingMetricsTest, StuckActorsOldestWaitGrowsDuringRun) {
  WorkStealingScheduler sched(2);
  std::atomic<bool> entered{false}, release{false};
  std::atomic<int> handled{0};
  auto stuck =
      sched.Spawn("stuck",
                  [](std::atomic<bool>& entered, std::atomic<bool>& release,
                     std::atomic<int>& handled) -> Actor<int> {
                    for (;;) {
                      const int n = co_await Receive<int>();
                      if (n == 0) {
                        entered.store(true);
                        while (!release.load()) std::this_thread::yield();
                      }
                      handled.fetch_add(1);
                    }
                  }(entered, release, handled));
  ASSERT_TRUE(stuck.ok());
  ASSERT_TRUE(sched.Send(*stuck, 0).ok());
  std::thread runner([&] { sched.Run().IgnoreError(); });
  // Once it is in its handler, five more wait.
  while (!entered.load()) std::this_thread::yield();
  for (int i = 1; i <= 5; ++i) EXPECT_TRUE(sched.Send(*stuck, i).ok());
  EXPECT_EQ(Find(sched.Metrics(), "stuck")->oldest_wait_nanos, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const ActorMetrics later = *Find(sched.Metrics(), "stuck");
  release.store(true);
  runner.join();
  // The message in its hand counts until its turn refills (metrics.h).
  EXPECT_EQ(later.depth, 6);
  EXPECT_EQ(later.received, 0);
  EXPECT_GE(later.oldest_wait_nanos, 19'000'000);
  EXPECT_EQ(handled.load(), 6);
  const ActorMetrics after = *Find(sched.Metrics(), "stuck");
  EXPECT_EQ(after.depth, 0);
  EXPECT_EQ(after.received, 6);
  EXPECT_EQ(after.oldest_wait_nanos, 0);
}

}  // namespace
}  // namespace coactor
