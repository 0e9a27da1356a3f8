// Differential test: the same random actor programs run on the deque
// scheduler and on work stealing at 1, 2, 4 and 8 workers, and must agree
// with each other and with a model of the program: every actor receives
// exactly the messages the model says (none lost, none twice, none after
// it finished), each sender's messages to each receiver arrive in the
// order sent, every actor's end reaches its monitor, and nothing becomes a
// dead letter or a failure.
//
// A program is a few actors and a few initial messages. An actor's
// reaction to a message is a pure function of the message (its id and
// hops left): up to three children, each sent by reference, by name, to
// itself, or after a delay (SendAfter), some after a Yield() (the actor
// blocks and its mailbox fills meanwhile). What each actor receives is
// then the same on every scheduler, whatever the interleaving; the model
// computes it, and each actor ends after its last message. Half the
// programs use a message stored inline in queue entries, half one with a
// heap string (boxed). Virtual time (ManualClock) for the delays.
//
// CI runs a few dozen seeds. For a long hunt:
//   bazel test //tests:differential_test \
//     --test_env=COACTOR_DIFFERENTIAL_SEEDS=5000 \
//     --test_env=COACTOR_DIFFERENTIAL_FIRST_SEED=1000
// A failure names its seed; rerun one with SEEDS=1 and FIRST_SEED=<seed>.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/clock.h"
#include "actors/down.h"
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

// Smaller programs and fewer seeds under sanitizers (5-20x slower).
#if defined(COACTOR_TEST_SANITIZED)
constexpr int kDefaultSeeds = 10;
constexpr int kMaxMessages = 500;
#else
constexpr int kDefaultSeeds = 40;
constexpr int kMaxMessages = 2000;
#endif

// ---- The program and its model ----------------------------------------------

enum class Route { kByRef, kByName, kToSelf, kDelayed };

struct Child {
  uint64_t id;
  uint32_t hops;  // Left after this one.
  int to;
  Route route;
  bool yield_first;  // The sender yields before sending it.
  int delay_ms;      // kDelayed only.
};

struct Program {
  uint64_t seed;
  int actors;
  bool boxed;  // Which message type.
  std::vector<Start> starts;

  // What an actor does with message `id`: a pure function of the message.
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
              static_cast<Route>((child >> 8) % 4),
              ((child >> 12) % 5) == 0,
              static_cast<int>((child >> 16) % 3)};
      if (c.route == Route::kToSelf) c.to = self;
      children.push_back(c);
    }
    // Now and then a flood of childless messages to one actor (or itself):
    // more than a work-stealing outbox sends in one batch.
    if ((h >> 40) % 12 == 0) {
      const int flood = 129 + static_cast<int>((h >> 48) % 100);
      const bool to_self = (h >> 20) % 3 == 0;
      const int to = to_self ? self : static_cast<int>((h >> 24) % actors);
      for (int k = 0; k < flood; ++k) {
        children.push_back(Child{Mix(id * 31 + 100 + k), 0, to,
                                 to_self ? Route::kToSelf : Route::kByRef,
                                 false, 0});
      }
    }
    return children;
  }
};

Program MakeProgram(uint64_t seed) {
  uint64_t state = Mix(seed);
  auto next = [&state] { return state = Mix(state); };
  Program program;
  program.seed = seed;
  program.actors = 2 + static_cast<int>(next() % 11);  // 2-12
  program.boxed = next() % 2 == 0;
  const int starts = 1 + static_cast<int>(next() % 10);
  for (int i = 0; i < starts; ++i) {
    program.starts.push_back(Start{next(),
                                   3 + static_cast<uint32_t>(next() % 8),
                                   static_cast<int>(next() % program.actors)});
  }
  testing::Bound(program, static_cast<size_t>(kMaxMessages));
  return program;
}

// ---- Messages and actors ----------------------------------------------------

struct Small {
  uint64_t id;
  uint32_t hops;
  int32_t from;
};

std::string NoteFor(uint64_t id) {
  return "a note longer than the small-string buffer, for " +
         std::to_string(id);
}

struct Big {
  uint64_t id;
  uint32_t hops;
  int32_t from;
  std::string note;  // NoteFor(id): checked on receipt.
};
static_assert(!internal::kStoredInline<Big>, "boxed");
static_assert(internal::kStoredInline<Small>, "inline");

template <typename M>
M Make(uint64_t id, uint32_t hops, int from) {
  if constexpr (std::is_same_v<M, Big>) {
    return Big{id, hops, from, NoteFor(id)};
  } else {
    return Small{id, hops, from};
  }
}

// One actor's record; written only by that actor, read after Run().
struct Log {
  std::vector<std::pair<int, uint64_t>> received;  // (from, id), in order
  std::vector<std::pair<int, uint64_t>> sent;      // (to, id) sent directly
  int corrupted = 0;  // Big messages whose note did not survive.
};

template <typename M>
struct World {
  const Program* program;
  std::vector<ActorRef<M>> refs;
  std::vector<std::string> names;
  std::vector<Log> logs;
};

template <coactor::Scheduler Sched, typename M>
Actor<M> Node(Sched& sched, World<M>& world, int self, size_t expected) {
  Log& log = world.logs[self];
  for (size_t got = 0; got < expected; ++got) {
    M m = co_await Receive<M>();
    log.received.emplace_back(m.from, m.id);
    if constexpr (std::is_same_v<M, Big>)
      log.corrupted += m.note != NoteFor(m.id);
    for (const Child& c : world.program->ChildrenOf(m.id, m.hops, self)) {
      if (c.yield_first) co_await Yield();
      absl::Status sent;
      switch (c.route) {
        case Route::kByRef:
        case Route::kToSelf:
          sent = sched.Send(world.refs[c.to], Make<M>(c.id, c.hops, self));
          break;
        case Route::kByName:
          sent = sched.Send(world.names[c.to], Make<M>(c.id, c.hops, self));
          break;
        case Route::kDelayed:
          sched.SendAfter(absl::Milliseconds(c.delay_ms), world.refs[c.to],
                          Make<M>(c.id, c.hops, kTimer));
          continue;
      }
      if (sent.ok()) log.sent.emplace_back(c.to, c.id);
    }
  }
}

Actor<Down> Supervisor(std::vector<std::string>& ended, int& failed) {
  for (;;) {
    Down down = co_await Receive<Down>();
    ended.push_back(down.actor);
    failed += !down.reason.ok();
  }
}

// What one scheduler did with one program.
struct Outcome {
  std::vector<std::multiset<uint64_t>> received;
  uint64_t delivered = 0;
};

template <typename M, coactor::Scheduler Sched>
Outcome RunProgram(Sched& sched, const Program& program,
                   const std::vector<std::multiset<uint64_t>>& expected) {
  World<M> world{&program, {}, {}, std::vector<Log>(program.actors)};
  std::vector<std::string> ended;
  int failed_downs = 0;
  const ActorRef<Down> supervisor =
      sched.Spawn(Supervisor(ended, failed_downs));
  for (int i = 0; i < program.actors; ++i) {
    world.names.push_back("n" + std::to_string(i));
    auto ref =
        sched.Spawn(world.names[i], Node(sched, world, i, expected[i].size()));
    EXPECT_TRUE(ref.ok()) << ref.status();
    if (!ref.ok()) return {};
    world.refs.push_back(*ref);
    EXPECT_TRUE(sched.Monitor(*ref, supervisor).ok());
  }
  // The test's own sends: one sender, in order.
  std::vector<std::vector<uint64_t>> external(program.actors);
  for (const Start& start : program.starts) {
    EXPECT_TRUE(sched
                    .Send(world.refs[start.to],
                          Make<M>(start.id, start.hops, kExternal))
                    .ok());
    external[start.to].push_back(start.id);
  }
  EXPECT_TRUE(sched.Run().ok());

  Outcome outcome;
  outcome.delivered = sched.messages_delivered();
  for (int to = 0; to < program.actors; ++to) {
    const Log& log = world.logs[to];
    EXPECT_EQ(log.corrupted, 0) << "actor " << to;
    outcome.received.emplace_back();
    testing::CheckReceived(world.logs, external, to, outcome.received.back());
  }
  std::sort(ended.begin(), ended.end());
  std::vector<std::string> all;
  for (const std::string& name : world.names) all.push_back("'" + name + "'");
  std::sort(all.begin(), all.end());
  EXPECT_EQ(ended, all) << "every actor's Down";
  EXPECT_EQ(failed_downs, 0);
  EXPECT_EQ(sched.live_actors(), 1u);  // The supervisor.
  EXPECT_TRUE(sched.dead_letters().empty())
      << sched.dead_letters().size() << " dead letters, the first for "
      << sched.dead_letters()[0].recipient << ": "
      << sched.dead_letters()[0].reason;
  EXPECT_TRUE(sched.failures().empty());
  return outcome;
}

template <typename M>
Outcome RunOn(int threads, const Program& program,
              const std::vector<std::multiset<uint64_t>>& expected) {
  ManualClock clock;
  if (threads == 0) {
    DequeScheduler sched(clock);
    return RunProgram<M>(sched, program, expected);
  }
  WorkStealingScheduler sched(threads, clock);
  return RunProgram<M>(sched, program, expected);
}

std::string Describe(const Program& program, size_t total) {
  return "seed " + std::to_string(program.seed) + ": " +
         std::to_string(program.actors) + " actors, " +
         std::to_string(program.starts.size()) + " initial messages, " +
         std::to_string(total) + " deliveries, " +
         (program.boxed ? "boxed" : "inline") + " messages";
}

int EnvInt(const char* name, int otherwise) {
  const char* value = std::getenv(name);
  return value == nullptr ? otherwise : std::atoi(value);
}

class DifferentialTest : public ::testing::TestWithParam<int> {};

TEST_P(DifferentialTest, EverySchedulerAgreesWithTheModel) {
  const Program program = MakeProgram(static_cast<uint64_t>(GetParam()));
  const std::vector<std::multiset<uint64_t>> expected = Expected(program);
  const size_t total = Total(expected);
  SCOPED_TRACE(Describe(program, total));

  std::vector<Outcome> outcomes;
  for (int threads : {0, 1, 2, 4, 8}) {
    SCOPED_TRACE(threads == 0 ? std::string("deque scheduler")
                              : "work stealing, " + std::to_string(threads) +
                                    " workers");
    outcomes.push_back(program.boxed
                           ? RunOn<Big>(threads, program, expected)
                           : RunOn<Small>(threads, program, expected));
    const Outcome& outcome = outcomes.back();
    // Each actor got exactly what the model says, and so what the deque
    // scheduler's actor got.
    EXPECT_EQ(outcome.received, expected);
    EXPECT_EQ(outcome.received, outcomes.front().received);
    // Messages and Downs.
    EXPECT_EQ(outcome.delivered, total + program.actors);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Seeds, DifferentialTest,
    ::testing::Range(EnvInt("COACTOR_DIFFERENTIAL_FIRST_SEED", 0),
                     EnvInt("COACTOR_DIFFERENTIAL_FIRST_SEED", 0) +
                         EnvInt("COACTOR_DIFFERENTIAL_SEEDS", kDefaultSeeds)));

}  // namespace
}  // namespace coactor
