// Differential test with long handlers, on the real clock: the same random
// actor programs as tests/differential_test.cc (which runs on a ManualClock,
// where work stealing never takes over from a busy worker), but each
// message makes its handler compute for a while (mostly nothing, sometimes
// 1-20 us, now and then 20-300 us, rarely 1-3 ms), and senders compute
// 1-20 us between sends, so that idle workers take runnext actors and hand
// over outboxes while the senders still run. Routes: by reference, by
// name, to itself, after a delay (SendAfter, real time), after a Sleep()
// or an Ask() (the actor may resume on another worker before it sends).
//
// Checks, on the deque scheduler and on work stealing at 2, 4 and 8
// workers: every actor receives exactly the messages the model says, each
// sender's messages to each receiver arrive in the order sent, no Sleep()
// ends early, and nothing becomes a dead letter or a failure.
//
//   bazel test -c opt //tests:takeover_differential_test \
//     --test_env=COACTOR_DIFFERENTIAL_SEEDS=200
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
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
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/differential_model.h"
#include "tests/sanitizer.h"

namespace coactor {
namespace {

using testing::Expected;
using testing::kExternal;
using testing::kTimer;
using testing::Mix;
using testing::Start;
using testing::Total;

#if defined(COACTOR_TEST_SANITIZED)
constexpr int kDefaultSeeds = 6;
constexpr int kMaxMessages = 300;
constexpr int kComputeScale = 4;  // Divide compute times (slow builds).
#else
constexpr int kDefaultSeeds = 30;
constexpr int kMaxMessages = 1500;
constexpr int kComputeScale = 1;
#endif

void ComputeFor(int64_t nanos) {
  if (nanos <= 0) return;
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::nanoseconds(nanos);
  while (std::chrono::steady_clock::now() < until) {
  }
}

enum class Route { kByRef, kByName, kToSelf, kDelayed, kAfterSleep, kAfterAsk };

struct Child {
  uint64_t id;
  uint32_t hops;
  int to;
  Route route;
  int64_t compute_before_nanos;  // The sender computes this long first.
  int delay_us;                  // kDelayed, kAfterSleep.
};

struct Program {
  uint64_t seed;
  int actors;
  std::vector<Start> starts;

  // How long handling message `id` computes before sending anything.
  int64_t HandlerNanos(uint64_t id) const {
    const uint64_t h = Mix(id ^ (seed * 7));
    const int pick = static_cast<int>(h % 100);
    int64_t nanos = 0;
    if (pick < 70) {
      nanos = 0;
    } else if (pick < 90) {
      nanos = 1'000 + static_cast<int64_t>((h >> 8) % 19'000);
    } else if (pick < 98) {
      nanos = 20'000 + static_cast<int64_t>((h >> 8) % 280'000);
    } else {
      nanos = 1'000'000 + static_cast<int64_t>((h >> 8) % 2'000'000);
    }
    return nanos / kComputeScale;
  }

  std::vector<Child> ChildrenOf(uint64_t id, uint32_t hops, int self) const {
    std::vector<Child> children;
    if (hops == 0) return children;
    const uint64_t h = Mix(id ^ seed);
    const int count = static_cast<int>(h % 4);  // 0-3
    for (int k = 0; k < count; ++k) {
      const uint64_t child = Mix(id * 31 + k + 1);
      Child c{child,
              hops - 1,
              static_cast<int>(child % actors),
              static_cast<Route>((child >> 8) % 6),
              ((child >> 12) % 3) == 0
                  ? (1'000 + static_cast<int64_t>((child >> 20) % 19'000)) /
                        kComputeScale
                  : 0,
              static_cast<int>((child >> 40) % 1500)};
      if (c.route == Route::kToSelf) c.to = self;
      children.push_back(c);
    }
    // Now and then a flood to one actor (or itself), with pauses.
    if ((h >> 40) % 12 == 0) {
      const int flood = 129 + static_cast<int>((h >> 48) % 400);
      const bool to_self = (h >> 20) % 3 == 0;
      const int to = to_self ? self : static_cast<int>((h >> 24) % actors);
      for (int k = 0; k < flood; ++k) {
        children.push_back(Child{Mix(id * 31 + 100 + k), 0, to,
                                 to_self ? Route::kToSelf : Route::kByRef,
                                 k % 50 == 49 ? 30'000 / kComputeScale : 0, 0});
      }
    }
    return children;
  }
};

Program MakeProgram(uint64_t seed) {
  uint64_t state = Mix(seed + 12345);
  auto next = [&state] { return state = Mix(state); };
  Program program;
  program.seed = seed;
  program.actors = 2 + static_cast<int>(next() % 9);  // 2-10
  const int starts = 1 + static_cast<int>(next() % 10);
  for (int i = 0; i < starts; ++i) {
    program.starts.push_back(Start{next(),
                                   3 + static_cast<uint32_t>(next() % 8),
                                   static_cast<int>(next() % program.actors)});
  }
  testing::Bound(program, static_cast<size_t>(kMaxMessages));
  return program;
}

struct Msg {
  uint64_t id;
  uint32_t hops;
  int32_t from;
};

struct Question {
  ReplyTo<int> reply;
};

Actor<Question> Echo() {
  for (;;) {
    Question q = co_await Receive<Question>();
    q.reply.Send(1);
  }
}

struct Log {
  std::vector<std::pair<int, uint64_t>> received;
  std::vector<std::pair<int, uint64_t>> sent;
  int early_sleeps = 0;
  int failed_asks = 0;
};

struct World {
  const Program* program;
  std::vector<ActorRef<Msg>> refs;
  std::vector<std::string> names;
  std::vector<Log> logs;
  ActorRef<Question> echo;
};

template <coactor::Scheduler Sched>
Actor<Msg> Node(Sched& sched, World& world, int self, size_t expected) {
  Log& log = world.logs[self];
  for (size_t got = 0; got < expected; ++got) {
    Msg m = co_await Receive<Msg>();
    log.received.emplace_back(m.from, m.id);
    ComputeFor(world.program->HandlerNanos(m.id));
    for (const Child& c : world.program->ChildrenOf(m.id, m.hops, self)) {
      ComputeFor(c.compute_before_nanos);
      absl::Status sent;
      switch (c.route) {
        case Route::kByRef:
        case Route::kToSelf:
          sent = sched.Send(world.refs[c.to], Msg{c.id, c.hops, self});
          break;
        case Route::kByName:
          sent = sched.Send(world.names[c.to], Msg{c.id, c.hops, self});
          break;
        case Route::kDelayed:
          sched.SendAfter(absl::Microseconds(c.delay_us), world.refs[c.to],
                          Msg{c.id, c.hops, kTimer});
          continue;
        case Route::kAfterSleep: {
          const absl::Time before = sched.Now();
          co_await Sleep(absl::Microseconds(c.delay_us));
          if (sched.Now() - before < absl::Microseconds(c.delay_us)) {
            ++log.early_sleeps;
          }
          sent = sched.Send(world.refs[c.to], Msg{c.id, c.hops, self});
          break;
        }
        case Route::kAfterAsk: {
          absl::StatusOr<int> answer = co_await Ask<int>(
              sched, world.echo,
              [](ReplyTo<int> reply) { return Question{std::move(reply)}; },
              absl::Seconds(30));
          if (!answer.ok()) ++log.failed_asks;
          sent = sched.Send(world.names[c.to], Msg{c.id, c.hops, self});
          break;
        }
      }
      if (sent.ok()) log.sent.emplace_back(c.to, c.id);
    }
  }
}

struct Outcome {
  std::vector<std::multiset<uint64_t>> received;
};

template <coactor::Scheduler Sched>
Outcome RunProgram(Sched& sched, const Program& program,
                   const std::vector<std::multiset<uint64_t>>& expected) {
  World world{&program, {}, {}, std::vector<Log>(program.actors), {}};
  world.echo = sched.Spawn(Echo());
  for (int i = 0; i < program.actors; ++i) {
    world.names.push_back("n" + std::to_string(i));
    auto ref =
        sched.Spawn(world.names[i], Node(sched, world, i, expected[i].size()));
    EXPECT_TRUE(ref.ok()) << ref.status();
    if (!ref.ok()) return {};
    world.refs.push_back(*ref);
  }
  std::vector<std::vector<uint64_t>> external(program.actors);
  for (const Start& start : program.starts) {
    EXPECT_TRUE(
        sched.Send(world.refs[start.to], Msg{start.id, start.hops, kExternal})
            .ok());
    external[start.to].push_back(start.id);
  }
  EXPECT_TRUE(sched.Run().ok());

  Outcome outcome;
  for (int to = 0; to < program.actors; ++to) {
    const Log& log = world.logs[to];
    EXPECT_EQ(log.early_sleeps, 0) << "actor " << to;
    EXPECT_EQ(log.failed_asks, 0) << "actor " << to;
    outcome.received.emplace_back();
    testing::CheckReceived(world.logs, external, to, outcome.received.back());
  }
  EXPECT_EQ(sched.live_actors(), 1u);  // The echo.
  EXPECT_TRUE(sched.dead_letters().empty())
      << sched.dead_letters().size() << " dead letters, the first for "
      << sched.dead_letters()[0].recipient << ": "
      << sched.dead_letters()[0].reason;
  EXPECT_TRUE(sched.failures().empty());
  return outcome;
}

Outcome RunOn(int threads, const Program& program,
              const std::vector<std::multiset<uint64_t>>& expected) {
  if (threads == 0) {
    DequeScheduler sched;
    return RunProgram(sched, program, expected);
  }
  WorkStealingScheduler sched(threads);
  return RunProgram(sched, program, expected);
}

int EnvInt(const char* name, int otherwise) {
  const char* value = std::getenv(name);
  return value == nullptr ? otherwise : std::atoi(value);
}

class TakeoverDifferentialTest : public ::testing::TestWithParam<int> {};

TEST_P(TakeoverDifferentialTest, EverySchedulerAgreesWithTheModel) {
  const Program program = MakeProgram(static_cast<uint64_t>(GetParam()));
  const std::vector<std::multiset<uint64_t>> expected = Expected(program);
  SCOPED_TRACE("seed " + std::to_string(program.seed) + ", " +
               std::to_string(program.actors) + " actors, " +
               std::to_string(Total(expected)) + " deliveries");
  for (int threads : {0, 2, 4, 8}) {
    SCOPED_TRACE(threads == 0 ? std::string("deque scheduler")
                              : "work stealing, " + std::to_string(threads) +
                                    " workers");
    const Outcome outcome = RunOn(threads, program, expected);
    EXPECT_EQ(outcome.received, expected);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Seeds, TakeoverDifferentialTest,
    ::testing::Range(EnvInt("COACTOR_DIFFERENTIAL_FIRST_SEED", 0),
                     EnvInt("COACTOR_DIFFERENTIAL_FIRST_SEED", 0) +
                         EnvInt("COACTOR_DIFFERENTIAL_SEEDS", kDefaultSeeds)));

}  // namespace
}  // namespace coactor
