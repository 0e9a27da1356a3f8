// Attacks on the smaller cells (a free-cell stack in CellPool; the deque's
// timed-turn counts and oldest-wait watch in its extras and `queued` in
// MailboxLimit; work stealing's sampled turn stats in ActorCounters::
// Sampled, its admitted waiters in MailboxLimit). What must hold: an actor
// in a reused cell starts from zero (no turns, no wait, no counts of the
// actor before it), also when the cell is reused inside the very step or
// turn that was timed as the last of the actor before; bounded counts
// start afresh; Metrics() taken from another thread while actors spawn,
// end, throw, block and wait for room reads nothing torn (TSan) and the
// program's outcome is exact.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/ask.h"
#include "actors/internal/actor_cell.h"
#include "actors/receive.h"
#include "actors/send_when_room.h"
#include "actors/sleep.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/metrics/metrics.h"
#include "runtime/spawn_options.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/run_bounded.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

using testing::RunBounded;

template <typename Msg>
const internal::ActorCell* CellOf(const ActorRef<Msg>& ref) {
  return internal::ActorRefAccess::Cell(ref);
}

const ActorMetrics* Find(const SchedulerMetrics& metrics,
                         const std::string& name) {
  for (const ActorMetrics& actor : metrics.actors) {
    if (actor.name == name) return &actor;
  }
  return nullptr;
}

// Sums what it receives until a negative number, then ends.
Actor<int> Summer(int64_t* sum) {
  for (;;) {
    const int n = co_await Receive<int>();
    if (n < 0) co_return;
    *sum += n;
  }
}

Actor<int> Idle() {
  for (;;) co_await Receive<int>();
}

void ExpectFresh(const ActorMetrics& m, uint64_t depth) {
  EXPECT_EQ(m.received, 0);
  EXPECT_EQ(m.depth, depth);
  EXPECT_EQ(m.peak_depth, depth);
  EXPECT_EQ(m.turns, 0);
  EXPECT_EQ(m.turn_nanos_total, 0);
  EXPECT_EQ(m.turn_nanos_max, 0);
  EXPECT_EQ(m.oldest_wait_nanos, 0);
}

class CellReuseTest : public ::testing::TestWithParam<testing::SchedulerKind> {
};

// The actor before had timed turns and a watch that saw its messages wait
// (with 0 received, as the new one has): none of it shows in the new actor,
// spawned under the same name into the same cell.
TEST_P(CellReuseTest, NewActorInReusedCellStartsFromZero) {
  testing::RunOnScheduler(GetParam(), [](auto& sched) {
    int64_t sum = 0;
    auto a = sched.Spawn("a", Summer(&sum));
    ASSERT_TRUE(a.ok());
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(sched.Send(*a, i).ok());
    ExpectFresh(*Find(sched.Metrics(), "a"), 3);  // The watch starts.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_GE(Find(sched.Metrics(), "a")->oldest_wait_nanos, 19'000'000);
    // 300 more (the deque times its 257th step, work stealing its first
    // turn), then the end: no snapshot in between, the watch stays as it was.
    for (int i = 4; i <= 303; ++i) ASSERT_TRUE(sched.Send(*a, i).ok());
    ASSERT_TRUE(sched.Send(*a, -1).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(sum, 303 * 304 / 2);
    EXPECT_EQ(Find(sched.Metrics(), "a"), nullptr);

    int64_t b_sum = 0;
    auto b = sched.Spawn("a", Summer(&b_sum));
    ASSERT_TRUE(b.ok());
    ASSERT_EQ(CellOf(*b), CellOf(*a));     // The cell is reused.
    EXPECT_FALSE(sched.Send(*a, 1).ok());  // The old reference is stale.
    ExpectFresh(*Find(sched.Metrics(), "a"), 0);
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(sched.Send(*b, i).ok());
    const auto first = std::chrono::steady_clock::now();
    ExpectFresh(*Find(sched.Metrics(), "a"), 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const uint64_t waited = Find(sched.Metrics(), "a")->oldest_wait_nanos;
    const auto since_first = std::chrono::steady_clock::now() - first;
    EXPECT_GE(waited, 4'000'000);
    // Its own watch: not the 20 ms and more of the actor before.
    EXPECT_LE(waited,
              std::chrono::duration_cast<std::chrono::nanoseconds>(since_first)
                      .count() *
                  105 / 100);
    ASSERT_TRUE(sched.Send(*b, -1).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(b_sum, 6);
  });
}

// Bounded, then bounded again in the same cell: the counts (queued, peak,
// refused, dropped, waited) are the new limit's. Then an unbounded actor in
// the same cell: its depth is its own messages.
TEST_P(CellReuseTest, BoundedCountsStartAfreshInAReusedCell) {
  for (WhenFull when_full : {WhenFull::kReject, WhenFull::kDropNewest,
                             WhenFull::kDropOldest, WhenFull::kBackpressure}) {
    SCOPED_TRACE(static_cast<int>(when_full));
    testing::RunOnScheduler(GetParam(), [when_full](auto& sched) {
      int64_t sum = 0;
      auto a = sched.Spawn("a", Summer(&sum),
                           {.mailbox_capacity = 2, .when_full = when_full});
      ASSERT_TRUE(a.ok());
      for (int i = 1; i <= 5; ++i) sched.Send(*a, i).IgnoreError();
      const ActorMetrics full = *Find(sched.Metrics(), "a");
      EXPECT_EQ(full.depth, 2);
      EXPECT_EQ(full.peak_depth, 2);
      EXPECT_EQ(full.capacity, 2);
      // From outside a plain send never waits: backpressure refuses.
      const bool refuses = when_full == WhenFull::kReject ||
                           when_full == WhenFull::kBackpressure;
      EXPECT_EQ(full.rejected, refuses ? 3 : 0);
      EXPECT_EQ(full.dropped, refuses ? 0 : 3);
      EXPECT_EQ(full.waited, 0);
      ASSERT_TRUE(sched.Run().ok());
      EXPECT_EQ(sum, when_full == WhenFull::kDropOldest ? 4 + 5 : 1 + 2);
      ASSERT_TRUE(sched.Send(*a, -1).ok());
      ASSERT_TRUE(sched.Run().ok());
      sched.TakeDeadLetters();

      auto b = sched.Spawn("b", Summer(&sum),
                           {.mailbox_capacity = 3, .when_full = when_full});
      ASSERT_TRUE(b.ok());
      ASSERT_EQ(CellOf(*b), CellOf(*a));
      ActorMetrics fresh = *Find(sched.Metrics(), "b");
      ExpectFresh(fresh, 0);
      EXPECT_EQ(fresh.capacity, 3);
      EXPECT_EQ(fresh.rejected + fresh.dropped + fresh.waited, 0);
      for (int i = 1; i <= 3; ++i) ASSERT_TRUE(sched.Send(*b, i).ok());
      fresh = *Find(sched.Metrics(), "b");
      EXPECT_EQ(fresh.depth, 3);
      EXPECT_EQ(fresh.peak_depth, 3);
      EXPECT_EQ(fresh.rejected + fresh.dropped + fresh.waited, 0);
      // One more: the new limit decides on its own count (3 of 3).
      EXPECT_EQ(sched.Send(*b, 4).ok(), !refuses);
      fresh = *Find(sched.Metrics(), "b");
      EXPECT_EQ(fresh.depth, 3);
      EXPECT_EQ(fresh.rejected, refuses ? 1 : 0);
      EXPECT_EQ(fresh.dropped, refuses ? 0 : 1);
      ASSERT_TRUE(sched.Run().ok());
      ASSERT_TRUE(sched.Send(*b, -1).ok());
      ASSERT_TRUE(sched.Run().ok());
      sched.TakeDeadLetters();

      auto c = sched.Spawn("c", Summer(&sum));
      ASSERT_TRUE(c.ok());
      ASSERT_EQ(CellOf(*c), CellOf(*a));
      for (int i = 1; i <= 7; ++i) ASSERT_TRUE(sched.Send(*c, i).ok());
      const ActorMetrics unbounded = *Find(sched.Metrics(), "c");
      ExpectFresh(unbounded, 7);
      EXPECT_EQ(unbounded.capacity, 0);
      ASSERT_TRUE(sched.Run().ok());
      EXPECT_EQ(Find(sched.Metrics(), "c")->received, 7);
      EXPECT_EQ(Find(sched.Metrics(), "c")->depth, 0);
    });
  }
}

INSTANTIATE_TEST_SUITE_P(AllSchedulers, CellReuseTest,
                         ::testing::ValuesIn(testing::SchedulerKinds(4)),
                         testing::SchedulerKindName);

// An exception whose last copy's destruction spawns "b": it goes when the
// actor that threw it is all gone, after its cell was freed (EndActor()'s
// last step), so "b" takes that cell, inside the same step or turn.
template <typename Sched>
struct SpawnAtLastCopy {
  Sched* sched;
  explicit SpawnAtLastCopy(Sched* s) : sched(s) {}
  SpawnAtLastCopy(const SpawnAtLastCopy&) = delete;
  ~SpawnAtLastCopy() { sched->Spawn("b", Idle()).IgnoreError(); }
};
template <typename Sched>
struct Boom : std::runtime_error {
  explicit Boom(Sched* sched)
      : std::runtime_error("boom"),
        token(std::make_shared<SpawnAtLastCopy<Sched>>(sched)) {}
  std::shared_ptr<SpawnAtLastCopy<Sched>> token;
};

template <typename Sched>
Actor<int> ThrowAt(Sched* sched, int last) {
  for (int i = 0;; ++i) {
    co_await Receive<int>();
    if (i == last) throw Boom<Sched>(sched);
  }
}

// The deque times the 257th step of a Run(): here the one in which "a"
// throws, and "b" is spawned into its cell. "b" has had no turn: 0 (the
// step's time must not go to the actor the cell holds by then).
TEST(DequeTimedStepTest, EndingStepsTimeDoesNotGoToTheCellsNextActor) {
  DequeScheduler sched;
  sched.SetRecordLimits({.failures = 0});  // No copy of the exception kept.
  auto a = sched.Spawn("a", ThrowAt(&sched, 255));
  ASSERT_TRUE(a.ok());
  // Step 1 starts it, steps 2-256 deliver 0-254, step 257 (timed) 255.
  for (int i = 0; i < 256; ++i) ASSERT_TRUE(sched.Send(*a, i).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(sched.failures_recorded(), 1);
  auto b = sched.Find<int>("b");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(CellOf(*b), CellOf(*a));
  const SchedulerMetrics metrics = sched.Metrics();
  ASSERT_EQ(metrics.actors.size(), 1);
  EXPECT_EQ(metrics.actors[0].name, "b");
  EXPECT_EQ(metrics.actors[0].turns, 0);
  EXPECT_EQ(metrics.actors[0].turn_nanos_total, 0);

  // Control: the same with the throw in step 256 (untimed), and the timed
  // 257th step "b"'s start: its own turn, counted.
  DequeScheduler control;
  control.SetRecordLimits({.failures = 0});
  auto c = control.Spawn("a", ThrowAt(&control, 254));
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 255; ++i) ASSERT_TRUE(control.Send(*c, i).ok());
  ASSERT_TRUE(control.Run().ok());
  const SchedulerMetrics control_metrics = control.Metrics();
  ASSERT_EQ(control_metrics.actors.size(), 1);
  EXPECT_EQ(control_metrics.actors[0].name, "b");
  EXPECT_EQ(control_metrics.actors[0].turns, 1);
}

// Work stealing times a worker's first turn: here the one in which "a"
// throws and "b" is spawned into its cell.
TEST(StealingTimedTurnTest, EndingTurnsTimeDoesNotGoToTheCellsNextActor) {
  WorkStealingScheduler sched(1);
  sched.SetRecordLimits({.failures = 0});
  auto a = sched.Spawn("a", ThrowAt(&sched, 0));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(sched.Send(*a, 0).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(sched.failures_recorded(), 1);
  auto b = sched.Find<int>("b");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(CellOf(*b), CellOf(*a));
  const SchedulerMetrics metrics = sched.Metrics();
  ASSERT_EQ(metrics.actors.size(), 1);
  EXPECT_EQ(metrics.actors[0].name, "b");
  EXPECT_EQ(metrics.actors[0].turns, 0);
  EXPECT_EQ(metrics.actors[0].received, 0);
}

// ---- Work stealing under a Metrics() loop
// ------------------------------------

struct Request {
  int n;
  ReplyTo<int> reply;
};

Actor<Request> Echo() {
  for (;;) {
    Request r = co_await Receive<Request>();
    r.reply.Send(r.n);
  }
}

// Bounded (backpressure) and slow: every few messages it blocks (an ask, a
// sleep) while its senders wait for room, so that its blocked turns admit
// them (TakeWakeOrIdle()) as well as its refills (BeginTurn()).
Actor<std::string> SlowSink(WorkStealingScheduler* sched,
                            ActorRef<Request> echo,
                            std::vector<std::string>* got, int take) {
  for (int i = 0; i < take; ++i) {
    got->push_back(co_await Receive<std::string>());
    if (i % 7 == 0) {
      absl::StatusOr<int> r = co_await Ask<int>(
          *sched, echo,
          [i](ReplyTo<int> reply) {
            return Request{i, std::move(reply)};
          },
          absl::Seconds(30));
      if (!r.ok() || *r != i) ADD_FAILURE() << "ask " << i;
    } else if (i % 11 == 0) {
      co_await Sleep(absl::Microseconds(50));
    }
  }
  co_await Receive<std::string>();  // Stays live: its metrics readable.
}

std::pair<int, int> Parse(const std::string& message) {
  const size_t colon = message.find(':');
  return {std::stoi(message.substr(0, colon)),
          std::stoi(message.substr(colon + 1))};
}

// A short-lived actor: one message, then the end (one in five throws).
Actor<int> OneShot(std::atomic<int>* handled) {
  const int n = co_await Receive<int>();
  handled->fetch_add(1);
  if (n % 5 == 0) throw std::runtime_error("one-shot fails");
}

class StealingMetricsStormTest : public ::testing::TestWithParam<int> {};

// Senders (re-spawned in waves, their cells reused) stream SendWhenRoom()s
// (and a thread SendBlocking()s) into a capacity-3 sink that blocks now and
// then; a spawner makes thousands of one-shot actors (some throw); another
// thread takes Metrics() all along. Every message arrives once in its sender's
// order, the counts are exact, and no snapshot reads a bounded depth above the
// capacity or a max turn above the total.
TEST_P(StealingMetricsStormTest, SpawnStormAndBackpressureUnderMetrics) {
  constexpr int kWaves = 3;
  constexpr int kSendersPerWave = 4;
  constexpr int kEach = 300;
  constexpr int kOneShots = 6000;
  constexpr int kCapacity = 3;
  constexpr int kActorSenders = kWaves * kSendersPerWave;
  // And one thread, with SendBlocking(): a waiter that is no actor.
  constexpr int kTotal = (kActorSenders + 1) * kEach;
  WorkStealingScheduler sched(GetParam());
  sched.SetRecordLimits({.dead_letters = 100, .failures = 100});
  auto echo = sched.Spawn("echo", Echo());
  ASSERT_TRUE(echo.ok());
  std::vector<std::string> got;
  auto sink = sched.Spawn(
      "sink", SlowSink(&sched, *echo, &got, kTotal),
      {.mailbox_capacity = kCapacity, .when_full = WhenFull::kBackpressure});
  ASSERT_TRUE(sink.ok());
  std::atomic<int> handled{0};
  std::atomic<int> send_failures{0};
  // The waves: each sender of a wave spawns its successor when done.
  struct Wave {
    static Actor<int> Sender(WorkStealingScheduler* sched,
                             ActorRef<std::string> to, int wave, int s,
                             std::atomic<int>* failures) {
      const int id = wave * kSendersPerWave + s;
      for (int i = 0; i < kEach; ++i) {
        if (!(co_await SendWhenRoom(to, absl::StrCat(id, ":", i))).ok()) {
          failures->fetch_add(1);
        }
      }
      if (wave + 1 < kWaves) {
        sched->Spawn(Sender(sched, to, wave + 1, s, failures));
      }
    }
  };
  for (int s = 0; s < kSendersPerWave; ++s) {
    sched.Spawn(Wave::Sender(&sched, *sink, 0, s, &send_failures));
  }
  auto spawner = sched.Spawn("spawner",
                             [](WorkStealingScheduler* sched,
                                std::atomic<int>* handled) -> Actor<int> {
                               co_await Receive<int>();
                               for (int i = 0; i < kOneShots; ++i) {
                                 ActorRef<int> one =
                                     sched->Spawn(OneShot(handled));
                                 if (!one.valid() || !sched->Send(one, i).ok())
                                   ADD_FAILURE() << i;
                                 if (i % 100 == 0) co_await Yield();
                               }
                             }(&sched, &handled));
  ASSERT_TRUE(spawner.ok());
  ASSERT_TRUE(sched.Send(*spawner, 0).ok());

  std::atomic<bool> done{false};
  std::thread reader([&] {
    int snapshots = 0;
    while (!done.load()) {
      const SchedulerMetrics metrics = sched.Metrics();
      for (const ActorMetrics& actor : metrics.actors) {
        EXPECT_LE(actor.turn_nanos_max, actor.turn_nanos_total) << actor.name;
        if (actor.turns == 0) EXPECT_EQ(actor.turn_nanos_total, 0);
        if (actor.capacity != 0) {
          EXPECT_LE(actor.peak_depth, actor.capacity) << actor.name;
        }
      }
      ++snapshots;
    }
    EXPECT_GE(snapshots, 1);
  });
  std::atomic<int> blocking_failures{0};
  std::atomic<bool> blocking_done{false};
  std::thread blocking_sender([&] {
    for (int i = 0; i < kEach; ++i) {
      if (!sched
               .SendBlocking(*sink, absl::StrCat(kActorSenders, ":", i),
                             absl::Seconds(30))
               .ok()) {
        blocking_failures.fetch_add(1);
      }
    }
    blocking_done.store(true);
  });
  // Run() may run out of work between two of the thread's sends: again
  // until it has sent all (no worker runs between two runs).
  absl::Status ran;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  do {
    ran = RunBounded(sched, 60);
  } while (ran.ok() && !(blocking_done.load() && got.size() == kTotal) &&
           std::chrono::steady_clock::now() < deadline);
  blocking_sender.join();
  done.store(true);
  reader.join();
  ASSERT_TRUE(ran.ok()) << ran;

  EXPECT_EQ(send_failures.load(), 0);
  EXPECT_EQ(blocking_failures.load(), 0);
  EXPECT_EQ(handled.load(), kOneShots);
  EXPECT_EQ(sched.failures_recorded(), kOneShots / 5);
  EXPECT_EQ(sched.dead_letters_recorded(), 0);
  ASSERT_EQ(got.size(), static_cast<size_t>(kTotal));
  std::vector<int> next(kActorSenders + 1, 0);
  // A sender's messages in its order; each wave's after the one before.
  for (const std::string& message : got) {
    const auto [id, i] = Parse(message);
    ASSERT_EQ(i, next[id]) << message;
    ++next[id];
  }
  const SchedulerMetrics metrics = sched.Metrics();
  // echo, sink, spawner, the senders and the one-shots.
  EXPECT_EQ(metrics.spawns, 3 + kActorSenders + kOneShots);
  EXPECT_EQ(metrics.ends, kActorSenders + kOneShots + 1);
  ASSERT_EQ(metrics.actors.size(), 2);
  const ActorMetrics* s = Find(metrics, "sink");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->received, kTotal);
  EXPECT_EQ(s->depth, 0);
  EXPECT_LE(s->peak_depth, kCapacity);
  EXPECT_EQ(s->oldest_wait_nanos, 0);
  EXPECT_EQ(s->rejected + s->dropped, 0);
  // Afterwards exactly `capacity` plain sends find room.
  for (int i = 0; i < kCapacity; ++i) {
    EXPECT_TRUE(sched.Send(*sink, absl::StrCat("x:", i)).ok());
  }
  EXPECT_EQ(sched.Send(*sink, std::string("x:9")).code(),
            absl::StatusCode::kResourceExhausted);
}

INSTANTIATE_TEST_SUITE_P(Workers, StealingMetricsStormTest,
                         ::testing::Values(1, 2, 4));

}  // namespace
}  // namespace coactor
