// The same actor programs, written once against a template parameter
// `Sched`, run on DequeScheduler and on WorkStealingScheduler with 1, 2, 4
// and 8 workers (more workers than cores on purpose), and must give the
// same results: every message exactly once, per-sender order kept, every
// error reported the same way.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/ask.h"
#include "actors/bounded_queue.h"
#include "actors/clock.h"
#include "actors/down.h"
#include "actors/join_handle.h"
#include "actors/receive.h"
#include "actors/sleep.h"
#include "actors/task.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/timer_id.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/sanitizer.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Fewer messages under sanitizers, which slow every access down 5-20x.
#if defined(COACTOR_TEST_SANITIZED)
constexpr int kScale = 10;
#else
constexpr int kScale = 1;
#endif

using testing::SchedulerKind;

class ConformanceTest : public ::testing::TestWithParam<SchedulerKind> {
 protected:
  // Calls `program(sched)` on a fresh scheduler of the parameter's kind.
  template <typename Program>
  void OnScheduler(Program program) {
    testing::RunOnScheduler(GetParam(), program, clock_);
  }

  // Virtual time: Run() jumps it to each next timer; nothing really waits.
  absl::Duration Elapsed() { return clock_.Now() - absl::UnixEpoch(); }
  ManualClock clock_{absl::UnixEpoch()};
};

// ---- Counter/printer -------------------------------------------------------

template <coactor::Scheduler Sched>
Actor<int> Counter(Sched& sched) {
  for (;;) {
    int n = co_await Receive<int>();
    if (n == 0) co_return;
    sched.Send("printer", n).IgnoreError();
    sched.Send("counter", n - 1).IgnoreError();
  }
}

Actor<int> Recorder(std::vector<int>& got) {
  for (;;) got.push_back(co_await Receive<int>());
}

TEST_P(ConformanceTest, CounterPrinterPrintsEveryCountInOrder) {
  const int n = 200'000 / kScale;
  OnScheduler([&](auto& sched) {
    std::vector<int> got;
    ASSERT_TRUE(sched.Spawn("printer", Recorder(got)).ok());
    ASSERT_TRUE(sched.Spawn("counter", Counter(sched)).ok());
    ASSERT_TRUE(sched.Send("counter", n).ok());
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_EQ(got.size(), static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) ASSERT_EQ(got[i], n - i);
    EXPECT_EQ(sched.messages_delivered(), 2u * n + 1);
    EXPECT_EQ(sched.live_actors(), 1u);
    EXPECT_TRUE(sched.dead_letters().empty());
  });
}

// ---- Ping-pong --------------------------------------------------------------

struct Ball {
  ActorRef<Ball> reply_to;
  int hits_left;
};

template <coactor::Scheduler Sched>
Actor<Ball> Player(Sched& sched, int& hits) {
  ActorRef<Ball> self = co_await Self();
  for (;;) {
    Ball ball = co_await Receive<Ball>();
    ++hits;
    if (ball.hits_left == 0) co_return;
    sched.Send(ball.reply_to, Ball{self, ball.hits_left - 1}).IgnoreError();
  }
}

TEST_P(ConformanceTest, PingPongHitsEveryBall) {
  const int rallies = 100'000 / kScale;
  OnScheduler([&](auto& sched) {
    int ping_hits = 0, pong_hits = 0;
    ActorRef<Ball> ping = sched.Spawn(Player(sched, ping_hits));
    ActorRef<Ball> pong = sched.Spawn(Player(sched, pong_hits));
    ASSERT_TRUE(sched.Send(ping, Ball{pong, 2 * rallies}).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(ping_hits, rallies + 1);
    EXPECT_EQ(pong_hits, rallies);
    // The pong player is left waiting for a ball that never comes.
    EXPECT_EQ(sched.live_actors(), 1u);
  });
}

// ---- Ring -------------------------------------------------------------------

struct RingMember {
  ActorRef<int> next;
  int64_t passes = 0;
};

template <coactor::Scheduler Sched>
Actor<int> RingNode(Sched& sched, RingMember& me) {
  for (;;) {
    int token = co_await Receive<int>();
    ++me.passes;
    if (token == 0) co_return;
    sched.Send(me.next, token - 1).IgnoreError();
  }
}

TEST_P(ConformanceTest, RingPassesTheTokenAroundExactly) {
  constexpr int kNodes = 100;
  const int hops = 100'000 / kScale;
  OnScheduler([&](auto& sched) {
    std::vector<RingMember> members(kNodes);
    std::vector<ActorRef<int>> nodes;
    for (int i = 0; i < kNodes; ++i) {
      nodes.push_back(sched.Spawn(RingNode(sched, members[i])));
    }
    for (int i = 0; i < kNodes; ++i) {
      members[i].next = nodes[(i + 1) % kNodes];
    }
    ASSERT_TRUE(sched.Send(nodes[0], hops).ok());
    ASSERT_TRUE(sched.Run().ok());
    int64_t total = 0;
    for (int i = 0; i < kNodes; ++i) {
      // hops+1 deliveries, spread round the ring starting at node 0.
      const int64_t expected =
          (hops + 1) / kNodes + (i < (hops + 1) % kNodes ? 1 : 0);
      EXPECT_EQ(members[i].passes, expected) << "node " << i;
      total += members[i].passes;
    }
    EXPECT_EQ(total, hops + 1);
    EXPECT_EQ(sched.live_actors(), static_cast<size_t>(kNodes - 1));
  });
}

// ---- Fan-in -----------------------------------------------------------------

struct Tagged {
  int sender;
  int sequence;
};

struct FanInResult {
  std::vector<int> next_expected;  // Per sender.
  int64_t received = 0;
  int64_t out_of_order = 0;
};

// Counts `message` and checks it follows its sender's previous one.
void Record(const Tagged& message, FanInResult& result) {
  int& expected = result.next_expected[message.sender];
  if (message.sequence != expected) ++result.out_of_order;
  expected = message.sequence + 1;
  ++result.received;
}

Actor<Tagged> Sink(FanInResult& result) {
  for (;;) Record(co_await Receive<Tagged>(), result);
}

template <coactor::Scheduler Sched>
Actor<int> Source(Sched& sched, ActorRef<Tagged> sink, int id) {
  int count = co_await Receive<int>();
  for (int i = 0; i < count; ++i) {
    sched.Send(sink, Tagged{id, i}).IgnoreError();
  }
}

TEST_P(ConformanceTest, FanInDeliversEveryMessageOnceInSenderOrder) {
  constexpr int kSenders = 16;
  const int per_sender = 125'000 / kScale;  // 2 million messages in all.
  OnScheduler([&](auto& sched) {
    FanInResult result;
    result.next_expected.assign(kSenders, 0);
    ActorRef<Tagged> sink = sched.Spawn(Sink(result));
    for (int s = 0; s < kSenders; ++s) {
      ActorRef<int> source = sched.Spawn(Source(sched, sink, s));
      ASSERT_TRUE(sched.Send(source, per_sender).ok());
    }
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(result.received, int64_t{kSenders} * per_sender);
    EXPECT_EQ(result.out_of_order, 0);
    for (int s = 0; s < kSenders; ++s) {
      EXPECT_EQ(result.next_expected[s], per_sender) << "sender " << s;
    }
    EXPECT_EQ(sched.live_actors(), 1u);
  });
}

// Records like Sink; answers each message from another sender with two
// messages to itself (on workers those skip the outbox and the lock).
template <coactor::Scheduler Sched>
Actor<Tagged> SelfFeedingSink(Sched& sched, FanInResult& result, int self_id) {
  ActorRef<Tagged> self = co_await Self();
  int sent_to_self = 0;
  for (;;) {
    Tagged message = co_await Receive<Tagged>();
    Record(message, result);
    if (message.sender != self_id) {
      for (int k = 0; k < 2; ++k) {
        sched.Send(self, Tagged{self_id, sent_to_self++}).IgnoreError();
      }
    }
  }
}

TEST_P(ConformanceTest, SendsToSelfKeepTheirOrderAmongOtherSenders) {
  constexpr int kSenders = 8;
  const int per_sender = 20'000 / kScale;
  OnScheduler([&](auto& sched) {
    FanInResult result;
    result.next_expected.assign(kSenders + 1, 0);
    ActorRef<Tagged> sink =
        sched.Spawn(SelfFeedingSink(sched, result, /*self_id=*/kSenders));
    for (int s = 0; s < kSenders; ++s) {
      ActorRef<int> source = sched.Spawn(Source(sched, sink, s));
      ASSERT_TRUE(sched.Send(source, per_sender).ok());
    }
    ASSERT_TRUE(sched.Run().ok());
    const int64_t from_others = int64_t{kSenders} * per_sender;
    EXPECT_EQ(result.received, 3 * from_others);
    EXPECT_EQ(result.out_of_order, 0);
    for (int s = 0; s < kSenders; ++s) {
      EXPECT_EQ(result.next_expected[s], per_sender) << "sender " << s;
    }
    EXPECT_EQ(result.next_expected[kSenders], 2 * from_others);
    EXPECT_TRUE(sched.dead_letters().empty());
  });
}

// Sends itself the next tick forever, until a negative number or an error
// arrives from someone else. Its first tick starts the "stopper"'s
// countdown, so the stop comes while it is ticking (on the work-stealing
// scheduler an error overtakes queued messages: sent any earlier, it could
// arrive before the first tick).
template <coactor::Scheduler Sched>
Actor<int> Ticker(Sched& sched, int64_t& ticks, std::string& stopped_by) {
  ActorRef<int> self = co_await Self();
  for (;;) {
    try {
      int n = co_await Receive<int>();
      if (n < 0) {
        stopped_by = "message";
        co_return;
      }
      if (++ticks == 1) sched.Send("stopper", 1000).IgnoreError();
      sched.Send(self, n + 1).IgnoreError();
    } catch (const std::runtime_error&) {
      stopped_by = "error";
      co_return;
    }
  }
}

// Counts down by sending itself messages, then stops the ticker with a
// message or an error.
template <coactor::Scheduler Sched>
Actor<int> Stopper(Sched& sched, ActorRef<int> ticker, bool with_error) {
  ActorRef<int> self = co_await Self();
  for (;;) {
    int left = co_await Receive<int>();
    if (left > 0) {
      sched.Send(self, left - 1).IgnoreError();
    } else if (with_error) {
      sched.SendError(ticker, std::make_exception_ptr(std::runtime_error("x")))
          .IgnoreError();
      co_return;
    } else {
      sched.Send(ticker, -1).IgnoreError();
      co_return;
    }
  }
}

// An actor that keeps sending itself messages never runs out of mail; the
// messages and errors others send it must still get through.
TEST_P(ConformanceTest, SendsToSelfNeverHoldBackOthersMessagesOrErrors) {
  for (bool with_error : {false, true}) {
    OnScheduler([&](auto& sched) {
      int64_t ticks = 0;
      std::string stopped_by;
      ActorRef<int> ticker = sched.Spawn(Ticker(sched, ticks, stopped_by));
      ASSERT_TRUE(
          sched.Spawn("stopper", Stopper(sched, ticker, with_error)).ok());
      ASSERT_TRUE(sched.Send(ticker, 0).ok());
      ASSERT_TRUE(sched.Run().ok());  // Hangs if the stop never arrives.
      EXPECT_EQ(stopped_by, with_error ? "error" : "message");
      EXPECT_GT(ticks, 1);  // Ticked on while the stopper counted down.
      EXPECT_EQ(sched.live_actors(), 0u);
    });
  }
}

// As Ticker, but sleeps (for zero time) twice after each tick: its turns
// then mix wake-ups and messages.
template <coactor::Scheduler Sched>
Actor<int> SleepyTicker(Sched& sched, int64_t& ticks) {
  ActorRef<int> self = co_await Self();
  for (;;) {
    int n = co_await Receive<int>();
    if (n < 0) co_return;
    ++ticks;
    sched.Send(self, n + 1).IgnoreError();
    // Two wake-ups per message: a turn's count of passes then reaches its
    // end on a wake-up, not on a delivery.
    co_await Sleep(absl::ZeroDuration());
    co_await Sleep(absl::ZeroDuration());
  }
}

TEST_P(ConformanceTest, AnActorThatSleepsBetweenSendsToSelfStillGetsItsMail) {
  OnScheduler([&](auto& sched) {
    int64_t ticks = 0;
    ActorRef<int> ticker = sched.Spawn(SleepyTicker(sched, ticks));
    ActorRef<int> stopper = sched.Spawn(Stopper(sched, ticker, false));
    ASSERT_TRUE(sched.Send(ticker, 0).ok());
    ASSERT_TRUE(sched.Send(stopper, 1000).ok());
    ASSERT_TRUE(sched.Run().ok());  // Hangs if the stop never arrives.
    EXPECT_GT(ticks, 0);
    EXPECT_EQ(sched.live_actors(), 0u);
  });
}

// ---- Spawn storm ------------------------------------------------------------

template <coactor::Scheduler Sched>
Actor<int> ShortLived(Sched& sched, ActorRef<int> collector) {
  int id = co_await Receive<int>();
  sched.Send(collector, id).IgnoreError();
}

Actor<int> Collector(std::vector<int>& seen) {
  for (;;) ++seen[co_await Receive<int>()];
}

template <coactor::Scheduler Sched>
Actor<int> Spawner(Sched& sched, ActorRef<int> collector) {
  int count = co_await Receive<int>();
  for (int id = 0; id < count; ++id) {
    ActorRef<int> child = sched.Spawn(ShortLived(sched, collector));
    sched.Send(child, id).IgnoreError();
  }
}

TEST_P(ConformanceTest, SpawnStormRunsEveryShortLivedActorOnce) {
  const int actors = 100'000 / kScale;
  OnScheduler([&](auto& sched) {
    std::vector<int> seen(actors, 0);
    ActorRef<int> collector = sched.Spawn(Collector(seen));
    ActorRef<int> spawner = sched.Spawn(Spawner(sched, collector));
    ASSERT_TRUE(sched.Send(spawner, actors).ok());
    ASSERT_TRUE(sched.Run().ok());
    for (int id = 0; id < actors; ++id) ASSERT_EQ(seen[id], 1) << id;
    EXPECT_EQ(sched.live_actors(), 1u);  // Only the collector is left.
    EXPECT_TRUE(sched.dead_letters().empty());
  });
}

// ---- Run() and quiescence ---------------------------------------------------

TEST_P(ConformanceTest, RunReturnsAtOnceWithNothingToDo) {
  OnScheduler([&](auto& sched) {
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(sched.messages_delivered(), 0u);
  });
}

TEST_P(ConformanceTest, NothingRunsBeforeRunAndEachRunFinishesItsWork) {
  OnScheduler([&](auto& sched) {
    std::vector<int> got;
    ActorRef<int> recorder = sched.Spawn(Recorder(got));
    // Many short rounds: a false quiescence (Run() returning while a worker
    // still runs) shows up here as a data race or a wrong count.
    for (int round = 1; round <= 300; ++round) {
      ASSERT_TRUE(sched.Send(recorder, round).ok());
      EXPECT_EQ(got.size(), static_cast<size_t>(round - 1));
      ASSERT_TRUE(sched.Run().ok());
      ASSERT_EQ(got.size(), static_cast<size_t>(round));
      EXPECT_EQ(got.back(), round);
    }
  });
}

// ---- Variants, move-only messages -------------------------------------------

using Command = std::variant<int, std::string>;

Actor<Command> Multi(std::vector<std::string>& log) {
  for (;;) {
    Command command = co_await Receive<Command>();
    log.push_back(std::holds_alternative<int>(command)
                      ? "int " + std::to_string(std::get<int>(command))
                      : "string " + std::get<std::string>(command));
  }
}

Actor<std::unique_ptr<int>> Owner(std::vector<int>& got) {
  for (;;) got.push_back(*co_await Receive<std::unique_ptr<int>>());
}

TEST_P(ConformanceTest, VariantAndMoveOnlyMessagesArrive) {
  OnScheduler([&](auto& sched) {
    std::vector<std::string> log;
    std::vector<int> owned;
    ASSERT_TRUE(sched.Spawn("multi", Multi(log)).ok());
    ActorRef<std::unique_ptr<int>> owner = sched.Spawn(Owner(owned));
    ASSERT_TRUE(sched.Send("multi", 1).ok());
    ASSERT_TRUE(sched.Send("multi", std::string("two")).ok());
    ASSERT_TRUE(sched.Send(owner, std::make_unique<int>(3)).ok());
    EXPECT_EQ(sched.Send("multi", 4.0).code(),
              absl::StatusCode::kInvalidArgument);
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(log, ElementsAre("int 1", "string two"));
    EXPECT_THAT(owned, ElementsAre(3));
    ASSERT_EQ(sched.dead_letters().size(), 1u);
  });
}

// ---- Bad input --------------------------------------------------------------

Actor<int> OneShot(std::vector<int>& got) { got.push_back(co_await Receive()); }

Actor<int> Fragile(std::vector<int>& got) {
  for (;;) {
    int n = co_await Receive<int>();
    if (n < 0) throw std::runtime_error("negative: " + std::to_string(n));
    got.push_back(n);
  }
}

TEST_P(ConformanceTest, BadInputGivesTheSameErrorsAndLosesNothing) {
  OnScheduler([&](auto& sched) {
    std::vector<int> once_got, fragile_got, other;
    absl::StatusOr<ActorRef<int>> once = sched.Spawn("once", OneShot(once_got));
    ASSERT_TRUE(once.ok());
    ASSERT_TRUE(sched.Spawn("fragile", Fragile(fragile_got)).ok());

    EXPECT_EQ(sched.Spawn("once", Recorder(other)).status().code(),
              absl::StatusCode::kAlreadyExists);
    absl::Status unknown = sched.Send("nobody", 1);
    EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
    EXPECT_THAT(unknown.message(), HasSubstr("'nobody'"));
    absl::Status wrong = sched.Send("once", std::string("x"));
    EXPECT_EQ(wrong.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(wrong.message(), HasSubstr("receives int, not std::string"));
    // A string literal by name compiles, and is a const char*, not an int.
    absl::Status literal = sched.Send("once", "a literal");
    EXPECT_EQ(literal.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(literal.message(), HasSubstr("receives int"));

    ASSERT_TRUE(sched.Send("once", 1).ok());
    ASSERT_TRUE(sched.Send("fragile", 5).ok());
    ASSERT_TRUE(sched.Send("fragile", -1).ok());
    ASSERT_TRUE(sched.Run().ok());

    EXPECT_THAT(once_got, ElementsAre(1));
    EXPECT_THAT(fragile_got, ElementsAre(5));
    EXPECT_EQ(sched.Send("once", 2).code(),
              absl::StatusCode::kFailedPrecondition);
    absl::Status by_ref = sched.Send(*once, 3);
    EXPECT_EQ(by_ref.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(by_ref.message(), HasSubstr("'once' has finished"));
    EXPECT_EQ(sched.Send("fragile", 6).code(),
              absl::StatusCode::kFailedPrecondition);
    ASSERT_EQ(sched.failures().size(), 1u);
    EXPECT_EQ(sched.failures()[0].actor, "'fragile'");
    EXPECT_EQ(sched.failures()[0].what, "negative: -1");

    // Not found, two of the wrong type, two to the finished 'once', one
    // to 'fragile'.
    std::vector<DeadLetter> letters = sched.TakeDeadLetters();
    ASSERT_EQ(letters.size(), 6u);
    EXPECT_EQ(*letters[0].message.template get_if<int>(), 1);
    EXPECT_EQ(*letters[1].message.template get_if<std::string>(), "x");
    ASSERT_NE(letters[2].message.template get_if<const char*>(), nullptr);
    EXPECT_EQ(std::string(*letters[2].message.template get_if<const char*>()),
              "a literal");
    letters.erase(letters.begin() + 2);
    EXPECT_EQ(*letters[2].message.template get_if<int>(), 2);
    EXPECT_EQ(*letters[3].message.template get_if<int>(), 3);
    EXPECT_EQ(*letters[4].message.template get_if<int>(), 6);
    // Recipients unquoted, as sent by name, on every scheduler (a send by
    // reference to a finished actor may not know its name any more).
    EXPECT_EQ(letters[0].recipient, "nobody");
    EXPECT_EQ(letters[1].recipient, "once");
    EXPECT_EQ(letters[2].recipient, "once");
    EXPECT_EQ(letters[4].recipient, "fragile");
    EXPECT_EQ(sched.live_actors(), 0u);
  });
}

struct ProbeResults {
  absl::Status by_name;
  absl::Status by_ref;
  absl::Status unknown;
};

template <coactor::Scheduler Sched>
Actor<ActorRef<int>> Prober(Sched& sched, ProbeResults& results) {
  ActorRef<int> finished = co_await Receive<ActorRef<int>>();
  results.by_name = sched.Send("once", 7);
  results.by_ref = sched.Send(finished, 8);
  results.unknown = sched.Send("nobody", 9);
}

TEST_P(ConformanceTest, SendsFromInsideActorsReportTheSameErrors) {
  OnScheduler([&](auto& sched) {
    std::vector<int> got;
    absl::StatusOr<ActorRef<int>> once = sched.Spawn("once", OneShot(got));
    ASSERT_TRUE(once.ok());
    ASSERT_TRUE(sched.Send(*once, 1).ok());
    ASSERT_TRUE(sched.Run().ok());  // 'once' has finished now.
    ProbeResults results;
    ActorRef<ActorRef<int>> prober = sched.Spawn(Prober(sched, results));
    ASSERT_TRUE(sched.Send(prober, *once).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(results.by_name.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(results.by_ref.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(results.unknown.code(), absl::StatusCode::kNotFound);
    std::vector<DeadLetter> letters = sched.TakeDeadLetters();
    ASSERT_EQ(letters.size(), 3u);
    EXPECT_EQ(*letters[0].message.template get_if<int>(), 7);
    EXPECT_EQ(*letters[1].message.template get_if<int>(), 8);
    EXPECT_EQ(*letters[2].message.template get_if<int>(), 9);
    EXPECT_THAT(got, ElementsAre(1));
  });
}

// Sends to itself, then returns: the messages it sent itself must become
// dead letters, not vanish (on workers they wait in an outbox first).
template <coactor::Scheduler Sched>
Actor<int> QuitsWithMailToSelf(Sched& sched) {
  ActorRef<int> self = co_await Self();
  int n = co_await Receive<int>();
  for (int i = 0; i < n; ++i) sched.Send(self, i).IgnoreError();
}

// Sends 0, 1, ... count - 1 by name, round-robin over `names`, for each
// count it receives.
template <coactor::Scheduler Sched>
Actor<int> RoundRobinByName(Sched& sched, std::vector<std::string> names) {
  for (;;) {
    const int count = co_await Receive<int>();
    for (int i = 0; i < count; ++i) {
      sched.Send(names[i % names.size()], i).IgnoreError();
    }
  }
}

// Sends by name from inside an actor (on the work-stealing scheduler,
// through its worker's look-up cache) reach exactly the actor of that name:
// short names, names of exactly 16 bytes, longer names that differ only in
// the middle or at the end; and once a name is taken over by a new actor,
// the new one.
TEST_P(ConformanceTest, SendsByNameFromActorsReachTheActorOfThatName) {
  OnScheduler([&](auto& sched) {
    std::vector<std::string> names = {
        "a",
        "ab",
        "abcd",
        "printer",
        "sixteen-bytes-ab",
        "sixteen-bytes-ba",
        "a-name-0000-longer-than-sixteen",
        "a-name-1000-longer-than-sixteen",
    };
    // More short and more long names than a worker's cache has slots, so
    // that names share slots (the short ones share their first 8 bytes).
    for (int i = 0; i < 80; ++i) {
      names.push_back("worker-" + std::to_string(1000 + i));
      names.push_back("a-name-longer-than-sixteen-" + std::to_string(i));
    }
    const int n = static_cast<int>(names.size());
    std::vector<std::vector<int>> got(n);
    for (int k = 0; k < n; ++k) {
      ASSERT_TRUE(sched.Spawn(names[k], Recorder(got[k])).ok());
    }
    ASSERT_TRUE(sched.Spawn("sender", RoundRobinByName(sched, names)).ok());
    ASSERT_TRUE(sched.Send("sender", 20 * n).ok());
    ASSERT_TRUE(sched.Run().ok());
    for (int k = 0; k < n; ++k) {
      std::vector<int> expected;
      for (int i = k; i < 20 * n; i += n) expected.push_back(i);
      EXPECT_EQ(got[k], expected) << names[k];
    }

    // A short and a long name, each held by an actor that takes one
    // message and ends; then by a new actor.
    const std::vector<std::string> reused = {"short-once",
                                             "a-long-name-used-twice-over"};
    std::vector<std::vector<int>> first(2), second(2);
    for (int k = 0; k < 2; ++k) {
      ASSERT_TRUE(sched.Spawn(reused[k], OneShot(first[k])).ok());
    }
    ASSERT_TRUE(sched.Spawn("reuser", RoundRobinByName(sched, reused)).ok());
    ASSERT_TRUE(sched.Send("reuser", 2).ok());
    ASSERT_TRUE(sched.Run().ok());
    for (int k = 0; k < 2; ++k) {
      ASSERT_TRUE(sched.Spawn(reused[k], Recorder(second[k])).ok());
    }
    ASSERT_TRUE(sched.Send("reuser", 4).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(first[0], ElementsAre(0));
    EXPECT_THAT(first[1], ElementsAre(1));
    EXPECT_THAT(second[0], ElementsAre(0, 2));
    EXPECT_THAT(second[1], ElementsAre(1, 3));
    EXPECT_TRUE(sched.dead_letters().empty());
  });
}

TEST_P(ConformanceTest, MessagesLeftWhenAnActorEndsBecomeDeadLetters) {
  OnScheduler([&](auto& sched) {
    constexpr int kLeft = 300;  // More than one outbox batch.
    ActorRef<int> quitter = sched.Spawn(QuitsWithMailToSelf(sched));
    ASSERT_TRUE(sched.Send(quitter, kLeft).ok());
    ASSERT_TRUE(sched.Run().ok());
    std::vector<DeadLetter> letters = sched.TakeDeadLetters();
    ASSERT_EQ(letters.size(), static_cast<size_t>(kLeft));
    for (int i = 0; i < kLeft; ++i) {
      EXPECT_EQ(*letters[i].message.template get_if<int>(), i);
      EXPECT_EQ(letters[i].reason.code(),
                absl::StatusCode::kFailedPrecondition);
      // An anonymous actor's letters name it by its id, alike on each.
      EXPECT_THAT(letters[i].recipient, StartsWith("#"));
      EXPECT_EQ(letters[i].recipient, letters[0].recipient);
    }
    EXPECT_EQ(sched.live_actors(), 0u);
  });
}

// ---- What dead references are called ---------------------------------------

std::vector<std::string> Recipients(const std::vector<DeadLetter>& letters) {
  std::vector<std::string> recipients;
  for (const DeadLetter& letter : letters) {
    recipients.push_back(letter.recipient);
  }
  return recipients;
}

// A reference that reaches no live actor is named for what it is, in the
// same words on every scheduler, for messages and errors alike: its actor
// (name or id) while the cell holds no other actor, "(finished actor)"
// once the cell is reused, "(another scheduler's actor)", "(empty
// reference)".
TEST_P(ConformanceTest, DeadReferencesSayWhatHappenedOnEveryScheduler) {
  OnScheduler([&](auto& sched) {
    DequeScheduler elsewhere;
    std::vector<int> once_got, anonymous_got, idle, elsewhere_got;
    ActorRef<int> foreign = elsewhere.Spawn(Recorder(elsewhere_got));
    absl::StatusOr<ActorRef<int>> once = sched.Spawn("once", OneShot(once_got));
    ASSERT_TRUE(once.ok());
    ActorRef<int> anonymous = sched.Spawn(OneShot(anonymous_got));  // #2
    ASSERT_TRUE(sched.Send(*once, 1).ok());
    ASSERT_TRUE(sched.Send(anonymous, 2).ok());
    ASSERT_TRUE(sched.Run().ok());  // Both finished; their cells are free.
    const std::exception_ptr error =
        std::make_exception_ptr(std::runtime_error("late"));
    const absl::Status foreign_error =
        absl::InvalidArgumentError("the ActorRef belongs to another scheduler");
    const absl::Status empty_error =
        absl::InvalidArgumentError("send through an empty ActorRef");

    EXPECT_EQ(sched.Send(foreign, 10), foreign_error);
    EXPECT_EQ(sched.SendError(foreign, error), foreign_error);
    EXPECT_EQ(sched.Send(*once, 11),
              absl::FailedPreconditionError("actor 'once' has finished"));
    EXPECT_EQ(sched.SendError(*once, error),
              absl::FailedPreconditionError("actor 'once' has finished"));
    EXPECT_EQ(sched.Send(anonymous, 12),
              absl::FailedPreconditionError("actor #2 has finished"));
    EXPECT_EQ(sched.Send(ActorRef<int>(), 13), empty_error);
    EXPECT_EQ(sched.SendError(ActorRef<int>(), error), empty_error);
    // New actors take both cells back: the old references name no one now.
    sched.Spawn(Recorder(idle));
    sched.Spawn(Recorder(idle));
    const absl::Status reused =
        absl::FailedPreconditionError("the referenced actor has finished");
    EXPECT_EQ(sched.Send(*once, 14), reused);
    EXPECT_EQ(sched.SendError(anonymous, error), reused);

    std::vector<DeadLetter> letters = sched.TakeDeadLetters();
    EXPECT_THAT(Recipients(letters),
                ElementsAre("(another scheduler's actor)",
                            "(another scheduler's actor)", "once", "once", "#2",
                            "(empty reference)", "(empty reference)",
                            "(finished actor)", "(finished actor)"));
    ASSERT_EQ(letters.size(), 9u);
    EXPECT_EQ(*coactor::get_if<int>(&letters[0].message), 10);
    EXPECT_EQ(*coactor::get_if<std::exception_ptr>(&letters[3].message), error);
    EXPECT_EQ(letters[4].reason,
              absl::FailedPreconditionError("actor #2 has finished"));
    EXPECT_EQ(letters[7].reason, reused);
    EXPECT_THAT(once_got, ElementsAre(1));
    EXPECT_THAT(anonymous_got, ElementsAre(2));
  });
}

// Waits (a bounded spin: a test that fails must not hang) until `done()`.
template <typename Done>
void SpinUntil(const Done& done) {
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::yield();
  }
}

// Sends the number 7 to the actor it is given. With `sent`, it then says so
// and waits, in the same turn, until that actor has ended: on the
// work-stealing scheduler the 7 is then still held back in its worker's
// outbox.
template <coactor::Scheduler Sched>
Actor<ActorRef<int>> SendsSevenAndWaits(Sched& sched, std::atomic<bool>* sent) {
  ActorRef<int> to = co_await Receive();
  sched.Send(to, 7).IgnoreError();
  if (sent != nullptr) {
    sent->store(true);
    SpinUntil([&] { return !sched.IsAlive(to); });
  }
}

// Receives one number and ends; with `sent`, only once it is set.
Actor<int> EndsAfterOne(std::vector<int>& got, std::atomic<bool>* sent) {
  got.push_back(co_await Receive());
  if (sent != nullptr) SpinUntil([&] { return sent->load(); });
}

// A message sent to an actor that ends before it arrives is recorded the
// same way everywhere: for the actor by name, "finished before this was
// delivered". (With two or more workers, the actors run side by side and
// the receiver ends while the message waits in the sender's outbox.)
TEST_P(ConformanceTest, AMessageForAnActorThatEndsFirstNamesTheActor) {
  OnScheduler([&](auto& sched) {
    std::atomic<bool> sent{false};
    std::atomic<bool>* side_by_side = GetParam().threads >= 2 ? &sent : nullptr;
    std::vector<int> got;
    ActorRef<ActorRef<int>> sender =
        sched.Spawn(SendsSevenAndWaits(sched, side_by_side));
    absl::StatusOr<ActorRef<int>> receiver =
        sched.Spawn("receiver", EndsAfterOne(got, side_by_side));
    ASSERT_TRUE(receiver.ok());
    ASSERT_TRUE(sched.Send(sender, *receiver).ok());
    ASSERT_TRUE(sched.Send(*receiver, 1).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(got, ElementsAre(1));
    std::vector<DeadLetter> letters = sched.TakeDeadLetters();
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].recipient, "receiver");
    EXPECT_EQ(letters[0].reason,
              absl::FailedPreconditionError(
                  "actor 'receiver' finished before this was delivered"));
    EXPECT_EQ(*coactor::get_if<int>(&letters[0].message), 7);
  });
}

template <coactor::Scheduler Sched>
Actor<int> Nested(Sched& sched, absl::Status& run_status) {
  co_await Receive();
  run_status = sched.Run();
}

TEST_P(ConformanceTest, RunFromInsideAnActorIsRefused) {
  OnScheduler([&](auto& sched) {
    absl::Status run_status;
    ActorRef<int> nested = sched.Spawn(Nested(sched, run_status));
    ASSERT_TRUE(sched.Send(nested, 1).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(run_status.code(), absl::StatusCode::kFailedPrecondition);
  });
}

// ---- The toolkit: sleeps, tasks, asks, monitors, thrown errors --------------

// Sleeps for the time it is sent, then reports to the recorder.
template <coactor::Scheduler Sched>
Actor<int> Napper(Sched& sched, ActorRef<int> recorder) {
  for (;;) {
    int seconds = co_await Receive<int>();
    co_await Sleep(absl::Seconds(seconds));
    sched.Send(recorder, seconds).IgnoreError();
  }
}

TEST_P(ConformanceTest, SleepersWakeInDeadlineOrderInVirtualTime) {
  OnScheduler([&](auto& sched) {
    std::vector<int> woke;
    ActorRef<int> recorder = sched.Spawn(Recorder(woke));
    for (int seconds : {4, 1, 3, 2}) {
      ASSERT_TRUE(
          sched.Send(sched.Spawn(Napper(sched, recorder)), seconds).ok());
    }
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(woke, ElementsAre(1, 2, 3, 4));
    EXPECT_EQ(Elapsed(), absl::Seconds(4));
  });
}

template <typename Sched>
Actor<int> SleepyRecorder(std::vector<int>& got) {
  int first = co_await Receive<int>();
  got.push_back(first);
  co_await Sleep(absl::Seconds(5));  // Messages arrive meanwhile.
  for (;;) got.push_back(co_await Receive<int>());
}

TEST_P(ConformanceTest, MessagesWaitInOrderWhileAnActorSleeps) {
  OnScheduler([&](auto& sched) {
    std::vector<int> got;
    ActorRef<int> sleepy = sched.Spawn(SleepyRecorder<decltype(sched)>(got));
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(sched.Send(sleepy, i).ok());
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_EQ(got.size(), 100u);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], i);
    EXPECT_EQ(Elapsed(), absl::Seconds(5));
  });
}

Task<int> SlowFactorial(int number) {
  int f = 1;
  for (int i = 2; i <= number; ++i) {
    co_await Sleep(absl::Seconds(1));
    f *= i;
  }
  co_return f;
}

TEST_P(ConformanceTest, GatheredTasksRunConcurrently) {
  OnScheduler([&](auto& sched) {
    absl::StatusOr<std::vector<int>> results = sched.RunUntilComplete(
        Gather(SlowFactorial(2), SlowFactorial(3), SlowFactorial(4)));
    ASSERT_TRUE(results.ok()) << results.status();
    EXPECT_THAT(*results, ElementsAre(2, 6, 24));
    EXPECT_EQ(Elapsed(), absl::Seconds(3));  // Not 1 + 2 + 3.
  });
}

struct Question {
  int n;
  ReplyTo<int> reply;
};

template <coactor::Scheduler Sched>
Actor<Question> Answerer(Sched& sched, int delay_seconds) {
  for (;;) {
    Question question = co_await Receive<Question>();
    co_await Sleep(absl::Seconds(delay_seconds));
    question.reply.Send(question.n * 2);
    (void)sched;
  }
}

template <coactor::Scheduler Sched>
Task<std::vector<absl::StatusOr<int>>> AskTwice(Sched& sched,
                                                ActorRef<Question> quick,
                                                ActorRef<Question> slow) {
  auto question = [](int n) {
    return [n](ReplyTo<int> reply) { return Question{n, std::move(reply)}; };
  };
  std::vector<absl::StatusOr<int>> answers;
  answers.push_back(
      co_await Ask<int>(sched, quick, question(21), absl::Seconds(5)));
  answers.push_back(
      co_await Ask<int>(sched, slow, question(1), absl::Seconds(5)));
  co_return answers;
}

TEST_P(ConformanceTest, AsksGetTheReplyOrTimeOut) {
  OnScheduler([&](auto& sched) {
    ActorRef<Question> quick = sched.Spawn(Answerer(sched, 1));
    ActorRef<Question> slow = sched.Spawn(Answerer(sched, 60));
    auto answers = sched.RunUntilComplete(AskTwice(sched, quick, slow));
    ASSERT_TRUE(answers.ok()) << answers.status();
    ASSERT_EQ(answers->size(), 2u);
    EXPECT_EQ(*(*answers)[0], 42);
    EXPECT_EQ((*answers)[1].status().code(),
              absl::StatusCode::kDeadlineExceeded);
  });
}

template <coactor::Scheduler Sched>
Task<std::vector<absl::StatusOr<int>>> AskAgainAfterATimeout(
    Sched& sched, ActorRef<Question> slow) {
  auto question = [](int n) {
    return [n](ReplyTo<int> reply) { return Question{n, std::move(reply)}; };
  };
  std::vector<absl::StatusOr<int>> answers;
  answers.push_back(
      co_await Ask<int>(sched, slow, question(1), absl::Seconds(5)));
  // The late answer to the first ask (2, at 10 s) comes while this one
  // waits; it must not be taken for this one's (14, at 20 s).
  answers.push_back(
      co_await Ask<int>(sched, slow, question(7), absl::Seconds(60)));
  co_return answers;
}

TEST_P(ConformanceTest, ALateReplyNeverAnswersTheNextAsk) {
  OnScheduler([&](auto& sched) {
    ActorRef<Question> slow = sched.Spawn(Answerer(sched, 10));
    auto answers = sched.RunUntilComplete(AskAgainAfterATimeout(sched, slow));
    ASSERT_TRUE(answers.ok()) << answers.status();
    ASSERT_EQ(answers->size(), 2u);
    EXPECT_EQ((*answers)[0].status().code(),
              absl::StatusCode::kDeadlineExceeded);
    ASSERT_TRUE((*answers)[1].ok()) << (*answers)[1].status();
    EXPECT_EQ(*(*answers)[1], 14);
    EXPECT_EQ(Elapsed(), absl::Seconds(20));
  });
}

Actor<Question> Echo() {
  for (;;) {
    Question question = co_await Receive<Question>();
    question.reply.Send(question.n);
  }
}

template <coactor::Scheduler Sched>
Task<int64_t> AskManyTimes(Sched& sched, ActorRef<Question> echo, int count) {
  int64_t sum = 0;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<int> answer = co_await Ask<int>(
        sched, echo,
        [i](ReplyTo<int> reply) {
          return Question{i, std::move(reply)};
        },
        absl::Hours(1));
    sum += answer.ok() ? *answer : -1'000'000;
  }
  co_return sum;
}

Actor<Question> Finished() { co_return; }

// Asks `gone` (finished) when told 1, then records what else it is told.
template <coactor::Scheduler Sched>
Actor<int> AsksTheGone(Sched& sched, ActorRef<Question> gone,
                       std::vector<std::string>& log) {
  for (;;) {
    int n = co_await Receive<int>();
    if (n != 1) {
      log.push_back("got " + std::to_string(n));
      continue;
    }
    absl::StatusOr<int> answer = co_await Ask<int>(
        sched, gone,
        [](ReplyTo<int> reply) {
          return Question{1, std::move(reply)};
        },
        absl::Seconds(1));
    log.push_back(answer.ok() ? "answered" : answer.status().ToString());
  }
}

TEST_P(ConformanceTest, AnActorWhoseAskIsRefusedKeepsReceiving) {
  OnScheduler([&](auto& sched) {
    ActorRef<Question> gone = sched.Spawn(Finished());
    ASSERT_TRUE(sched.Run().ok());
    std::vector<std::string> log;
    ActorRef<int> asker = sched.Spawn(AsksTheGone(sched, gone, log));
    ASSERT_TRUE(sched.Send(asker, 1).ok());
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_TRUE(sched.Send(asker, 2).ok());
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_EQ(log.size(), 2u);
    EXPECT_THAT(log[0], HasSubstr("FAILED_PRECONDITION"));
    EXPECT_EQ(log[1], "got 2");
    EXPECT_EQ(sched.live_actors(), 1u);
  });
}

TEST_P(ConformanceTest, AnsweredAsksLeaveNoTimerBehind) {
  OnScheduler([&](auto& sched) {
    constexpr int kAsks = 5'000;
    ActorRef<Question> echo = sched.Spawn(Echo());
    auto sum = sched.RunUntilComplete(AskManyTimes(sched, echo, kAsks));
    ASSERT_TRUE(sum.ok()) << sum.status();
    EXPECT_EQ(*sum, int64_t{kAsks} * (kAsks - 1) / 2);
    // Their timeout timers are disarmed: Run() has nothing to wait for, so
    // the manual clock does not jump an hour ahead.
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(Elapsed(), absl::ZeroDuration());
  });
}

TEST_P(ConformanceTest, DelayedSendsArriveInTimeOrderAndCanBeCancelled) {
  OnScheduler([&](auto& sched) {
    std::vector<int> got;
    ActorRef<int> recorder = sched.Spawn(Recorder(got));
    sched.SendAfter(absl::Seconds(3), recorder, 3);
    const TimerId cancelled = sched.SendAfter(absl::Seconds(2), recorder, -2);
    const TimerId other = sched.SendAfter(absl::Seconds(1), recorder, 1);
    EXPECT_NE(cancelled, other);
    EXPECT_FALSE(sched.CancelTimer(TimerId()));  // Names no timer.
    EXPECT_TRUE(sched.CancelTimer(cancelled));
    EXPECT_FALSE(sched.CancelTimer(cancelled));
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(got, ElementsAre(1, 3));
    EXPECT_EQ(Elapsed(), absl::Seconds(3));
  });
}

Task<int> Produce(BoundedQueue<int>& queue, int producer, int count) {
  for (int i = 0; i < count; ++i) co_await queue.Put(producer * 1'000'000 + i);
  co_return count;
}

Task<int> Consume(BoundedQueue<int>& queue, int count,
                  std::vector<int>& taken) {
  for (int i = 0; i < count; ++i) taken.push_back(co_await queue.Get());
  co_return count;
}

TEST_P(ConformanceTest, ABoundedQueueHandsEveryItemOverOnceInOrder) {
  OnScheduler([&](auto& sched) {
    constexpr int kPerProducer = 2'000;
    BoundedQueue<int> queue(/*capacity=*/2);
    std::vector<int> taken_a, taken_b;
    std::vector<Task<int>> tasks;
    for (int p = 0; p < 3; ++p)
      tasks.push_back(Produce(queue, p, kPerProducer));
    tasks.push_back(Consume(queue, 2 * kPerProducer, taken_a));
    tasks.push_back(Consume(queue, kPerProducer, taken_b));
    auto counts = sched.RunUntilComplete(Gather(std::move(tasks)));
    ASSERT_TRUE(counts.ok()) << counts.status();
    EXPECT_EQ(queue.size(), 0u);
    // Every item exactly once, and each consumer sees each producer's
    // items in the order they were put.
    std::vector<int> next(3, 0);
    std::vector<int> seen(3, 0);
    for (const std::vector<int>* taken : {&taken_a, &taken_b}) {
      std::vector<int> last(3, -1);
      for (int item : *taken) {
        const int producer = item / 1'000'000, i = item % 1'000'000;
        EXPECT_GT(i, last[producer]);
        last[producer] = i;
        ++seen[producer];
      }
    }
    EXPECT_THAT(seen, ElementsAre(kPerProducer, kPerProducer, kPerProducer));
  });
}

TEST_P(ConformanceTest, IsAliveTellsRunningFromFinished) {
  OnScheduler([&](auto& sched) {
    std::vector<int> got;
    ActorRef<int> once = sched.Spawn(OneShot(got));
    EXPECT_TRUE(sched.IsAlive(once));
    ASSERT_TRUE(sched.Send(once, 1).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_FALSE(sched.IsAlive(once));
    EXPECT_FALSE(sched.IsAlive(ActorRef<int>()));
  });
}

// In code templated on the scheduler (here a generic lambda),
// sched.Find<int>(...) and letter.message.get_if<int>() need the
// `template` keyword; the free spellings do not.
TEST_P(ConformanceTest, FreeFindAndGetIfNeedNoTemplateKeyword) {
  OnScheduler([&](auto& sched) {
    std::vector<int> got;
    absl::StatusOr<ActorRef<int>> spawned =
        sched.Spawn("printer", Recorder(got));
    ASSERT_TRUE(spawned.ok());
    absl::StatusOr<ActorRef<int>> printer =
        coactor::Find<int>(sched, "printer");
    ASSERT_TRUE(printer.ok());
    EXPECT_TRUE(*printer == *spawned);
    EXPECT_EQ(coactor::Find<int>(sched, "nobody").status(),
              absl::NotFoundError("no actor named 'nobody'"));
    EXPECT_EQ(coactor::Find<std::string>(sched, "printer").status(),
              absl::InvalidArgumentError(
                  "actor 'printer' receives int, not std::string"));
    ASSERT_TRUE(sched.Send(*printer, 5).ok());
    EXPECT_FALSE(sched.Send("nobody", 6).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(got, ElementsAre(5));
    ASSERT_EQ(sched.dead_letters().size(), 1u);
    const int* six = coactor::get_if<int>(&sched.dead_letters()[0].message);
    ASSERT_NE(six, nullptr);
    EXPECT_EQ(*six, 6);
    EXPECT_EQ(coactor::get_if<std::string>(&sched.dead_letters()[0].message),
              nullptr);
    EXPECT_EQ(coactor::get_if<int>(static_cast<ErasedMessage*>(nullptr)),
              nullptr);
  });
}

using Supervised = std::variant<int, Down>;

Actor<Supervised> Supervisor(std::vector<std::string>& log) {
  for (;;) {
    Supervised message = co_await Receive<Supervised>();
    if (Down* down = std::get_if<Down>(&message)) {
      log.push_back(down->actor + " " + down->reason.ToString());
    }
  }
}

TEST_P(ConformanceTest, MonitorsHearHowActorsEnded) {
  OnScheduler([&](auto& sched) {
    std::vector<std::string> log;
    std::vector<int> got;
    ActorRef<Supervised> supervisor = sched.Spawn(Supervisor(log));
    absl::StatusOr<ActorRef<int>> fragile =
        sched.Spawn("fragile", Fragile(got));
    ASSERT_TRUE(fragile.ok());
    ASSERT_TRUE(sched.Monitor(*fragile, supervisor).ok());
    ASSERT_TRUE(sched.Send(*fragile, -7).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(log, ElementsAre("'fragile' ABORTED: actor 'fragile' "
                                 "failed: negative: -7"));
    EXPECT_EQ(sched.Monitor(*fragile, supervisor).code(),
              absl::StatusCode::kFailedPrecondition);
    // Empty references name no actor at all: a different error.
    EXPECT_EQ(sched.Monitor(ActorRef<int>(), supervisor).message(),
              "Monitor: the watched reference is empty");
    EXPECT_EQ(sched.Monitor(supervisor, ActorRef<Supervised>()).message(),
              "Monitor: the watcher reference is empty");
  });
}

// Records each Down it gets and spawns a fresh Fragile under the name of
// each named actor that ended, and sends it 100: a pool's supervisor.
template <coactor::Scheduler Sched>
Actor<Supervised> Respawner(Sched& sched, std::vector<Down>& downs,
                            std::vector<int>& got) {
  for (;;) {
    Supervised message = co_await Receive();
    Down* down = std::get_if<Down>(&message);
    if (down == nullptr) continue;
    downs.push_back(*down);
    if (down->name.empty()) continue;
    absl::StatusOr<ActorRef<int>> successor =
        sched.Spawn(down->name, Fragile(got));
    if (successor.ok()) sched.Send(*successor, 100).IgnoreError();
  }
}

// A Down names the actor that ended by its reference and by its plain
// name, so that a watcher can tell which of its actors it was and spawn
// another under the same name without parsing "'acct-7'".
TEST_P(ConformanceTest, ADownCarriesTheReferenceAndThePlainName) {
  OnScheduler([&](auto& sched) {
    std::vector<Down> downs;
    std::vector<int> got, anonymous_got;
    ActorRef<Supervised> respawner =
        sched.Spawn(Respawner(sched, downs, got));  // #1
    absl::StatusOr<ActorRef<int>> account =
        sched.Spawn("acct-7", Fragile(got));  // #2
    ASSERT_TRUE(account.ok());
    ActorRef<int> anonymous = sched.Spawn(OneShot(anonymous_got));  // #3
    ASSERT_TRUE(sched.Monitor(*account, respawner).ok());
    ASSERT_TRUE(sched.Monitor(anonymous, respawner).ok());
    ASSERT_TRUE(sched.Send(*account, -1).ok());  // Throws: ends it.
    ASSERT_TRUE(sched.Send(anonymous, 5).ok());  // Returns: ends it.
    ASSERT_TRUE(sched.Run().ok());

    // The two ends race on workers: find each Down by its reference.
    ASSERT_EQ(downs.size(), 2u);
    const bool account_first = downs[0].ref == *account;
    const Down& account_down = downs[account_first ? 0 : 1];
    const Down& anonymous_down = downs[account_first ? 1 : 0];
    EXPECT_TRUE(account_down.ref == *account);
    EXPECT_TRUE(account_down.ref.template As<int>() == *account);
    EXPECT_FALSE(account_down.ref.template As<std::string>().valid());
    EXPECT_EQ(account_down.name, "acct-7");
    EXPECT_EQ(account_down.actor, "'acct-7'");
    EXPECT_EQ(account_down.reason,
              absl::AbortedError("actor 'acct-7' failed: negative: -1"));
    EXPECT_TRUE(anonymous_down.ref == anonymous);
    EXPECT_FALSE(anonymous_down.ref == *account);
    EXPECT_EQ(anonymous_down.name, "");
    EXPECT_EQ(anonymous_down.actor, "#3");
    EXPECT_EQ(anonymous_down.reason, absl::OkStatus());

    // A successor runs under the same name; the Down's reference is the
    // old actor's, which has finished.
    EXPECT_THAT(got, ElementsAre(100));
    absl::StatusOr<ActorRef<int>> successor =
        coactor::Find<int>(sched, "acct-7");
    ASSERT_TRUE(successor.ok());
    EXPECT_TRUE(sched.IsAlive(*successor));
    EXPECT_FALSE(account_down.ref == *successor);
    EXPECT_FALSE(sched.IsAlive(account_down.ref.template As<int>()));
    EXPECT_THAT(anonymous_got, ElementsAre(5));
  });
}

// An ActorRef converts to an AnyActorRef and back, checked by type.
TEST(AnyActorRefTest, ConvertsFromAndBackToTheTypedReference) {
  DequeScheduler sched;
  std::vector<int> got;
  ActorRef<int> recorder = sched.Spawn(Recorder(got));
  AnyActorRef any = recorder;
  EXPECT_TRUE(any.valid());
  EXPECT_TRUE(any == recorder);
  EXPECT_TRUE(any.As<int>() == recorder);
  EXPECT_FALSE(any.As<std::string>().valid());
  EXPECT_FALSE(AnyActorRef().valid());
  EXPECT_FALSE(AnyActorRef(ActorRef<int>()).As<int>().valid());
  EXPECT_TRUE(AnyActorRef() == ActorRef<int>());
  EXPECT_FALSE(AnyActorRef() == recorder);
}

// A reference from another scheduler is refused as such, whichever side
// it is on, and the same way on every scheduler; only a finished actor is
// "finished".
TEST_P(ConformanceTest, MonitorTellsAForeignReferenceFromAFinishedActor) {
  OnScheduler([&](auto& sched) {
    DequeScheduler elsewhere;
    std::vector<std::string> log, elsewhere_log;
    std::vector<int> got;
    ActorRef<Supervised> supervisor = sched.Spawn(Supervisor(log));
    ActorRef<int> worker = sched.Spawn(OneShot(got));
    ActorRef<Supervised> foreign_supervisor =
        elsewhere.Spawn(Supervisor(elsewhere_log));
    ActorRef<int> foreign_worker = elsewhere.Spawn(Recorder(got));
    EXPECT_EQ(sched.Monitor(foreign_worker, supervisor),
              absl::InvalidArgumentError("Monitor: the watched ActorRef "
                                         "belongs to another scheduler"));
    EXPECT_EQ(sched.Monitor(worker, foreign_supervisor),
              absl::InvalidArgumentError("Monitor: the watcher ActorRef "
                                         "belongs to another scheduler"));
    ASSERT_TRUE(sched.Send(worker, 1).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(sched.Monitor(worker, supervisor),
              absl::FailedPreconditionError(
                  "cannot monitor an actor that has finished"));
    EXPECT_TRUE(log.empty());
    EXPECT_TRUE(sched.dead_letters().empty());  // No Down went anywhere.
  });
}

// Sends itself, by name, an int (converted to the variant) and then a
// Command (no conversion), in a burst; both must arrive in that order.
template <coactor::Scheduler Sched>
Actor<Command> SelfSender(Sched& sched, std::vector<std::string>& log) {
  for (;;) {
    Command command = co_await Receive<Command>();
    if (std::holds_alternative<std::string>(command)) {
      log.push_back(std::get<std::string>(command));
      continue;
    }
    const int n = std::get<int>(command);
    log.push_back(std::to_string(n));
    if (n == 0) {
      sched.Send("me", 1).IgnoreError();
      sched.Send("me", Command{std::string("2")}).IgnoreError();
      sched.Send("me", 3).IgnoreError();
    }
  }
}

TEST_P(ConformanceTest, ConvertedAndExactSendsToSelfKeepTheirOrder) {
  OnScheduler([&](auto& sched) {
    std::vector<std::string> log;
    ASSERT_TRUE(sched.Spawn("me", SelfSender(sched, log)).ok());
    ASSERT_TRUE(sched.Send("me", 0).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(log, ElementsAre("0", "1", "2", "3"));
  });
}

Actor<int> Catcher(std::vector<std::string>& log) {
  for (;;) {
    try {
      log.push_back("got " + std::to_string(co_await Receive<int>()));
    } catch (const std::invalid_argument& e) {
      log.push_back(std::string("caught ") + e.what());
    }
  }
}

TEST_P(ConformanceTest, ErrorsThrownIntoAnActorAreCaughtAtReceive) {
  OnScheduler([&](auto& sched) {
    std::vector<std::string> log;
    ActorRef<int> catcher = sched.Spawn(Catcher(log));
    ASSERT_TRUE(sched
                    .SendError(catcher, std::make_exception_ptr(
                                            std::invalid_argument("foobar")))
                    .ok());
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_TRUE(sched.Send(catcher, 2).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(log, ElementsAre("caught foobar", "got 2"));
  });
}

// Sends `to` the numbers 0 to n - 1 for the n it receives, then an error.
template <coactor::Scheduler Sched>
Actor<int> SendThenThrowIn(Sched& sched, ActorRef<int> to) {
  const int n = co_await Receive<int>();
  for (int i = 0; i < n; ++i) sched.Send(to, i).IgnoreError();
  sched.SendError(to, std::make_exception_ptr(std::invalid_argument("late")))
      .IgnoreError();
}

// On the deque scheduler an error queues behind the messages sent before
// it. On the work-stealing scheduler it overtakes the messages still queued
// when it comes and is rethrown when the receiver's next turn starts; the
// receiver may have taken some of them already (another worker runs it
// while the sender goes on sending, when one is idle), so where the error
// lands among them depends on timing. Either way each message arrives
// once, in order, and the error once.
TEST_P(ConformanceTest, AnErrorTakesItsDocumentedPlaceAmongMessages) {
  OnScheduler([&](auto& sched) {
    std::vector<std::string> log;
    ActorRef<int> catcher = sched.Spawn(Catcher(log));
    ActorRef<int> sender = sched.Spawn(SendThenThrowIn(sched, catcher));
    ASSERT_TRUE(sched.Send(sender, 200).ok());
    ASSERT_TRUE(sched.Run().ok());
    std::vector<std::string> expected;
    for (int i = 0; i < 200; ++i)
      expected.push_back("got " + std::to_string(i));
    if (GetParam().threads == 0) {
      expected.push_back("caught late");
      EXPECT_EQ(log, expected);
    } else {
      auto error = std::find(log.begin(), log.end(), "caught late");
      ASSERT_NE(error, log.end());
      log.erase(error);
      EXPECT_EQ(log, expected);
    }
  });
}

// Running the scheduler from one of its own actors is refused, and the
// refused call has no effect: its task never runs.
template <coactor::Scheduler Sched>
Actor<int> RunsTheSchedulerFromInside(Sched& sched, int& task_runs,
                                      std::vector<std::string>& errors) {
  co_await Receive<int>();
  absl::StatusOr<int> result =
      sched.RunUntilComplete([](int& runs) -> Task<int> {
        ++runs;
        co_return 1;
      }(task_runs));
  errors.push_back(std::string(result.status().message()));
  errors.push_back(std::string(sched.Run().message()));
}

TEST_P(ConformanceTest, RunningTheSchedulerFromAnActorIsRefusedAndRunsNothing) {
  OnScheduler([&](auto& sched) {
    int task_runs = 0;
    std::vector<std::string> errors;
    ActorRef<int> actor =
        sched.Spawn(RunsTheSchedulerFromInside(sched, task_runs, errors));
    ASSERT_TRUE(sched.Send(actor, 1).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(task_runs, 0);
    EXPECT_THAT(errors,
                ElementsAre("RunUntilComplete() called from inside one of the "
                            "scheduler's actors",
                            "Run() called from inside one of the scheduler's "
                            "actors"));
  });
}

INSTANTIATE_TEST_SUITE_P(AllSchedulers, ConformanceTest,
                         ::testing::ValuesIn(testing::SchedulerKinds()),
                         testing::SchedulerKindName);

}  // namespace
}  // namespace coactor
