// Bounded mailboxes (runtime/spawn_options.h) on every scheduler kind: bad
// capacities, each policy when full (reject, drop oldest, drop newest,
// backpressure), the messages never limited, the metrics, senders waiting
// on an actor that finishes, a blocking send from a plain thread, and a
// cycle of waiting senders that Run() reports (bounded by a timeout).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <string>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/clock.h"
#include "actors/down.h"
#include "actors/receive.h"
#include "actors/send_when_room.h"
#include "actors/sleep.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/spawn_options.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

using ::testing::ElementsAre;

Actor<int> Collect(std::vector<int>* got) {
  for (;;) got->push_back(co_await Receive<int>());
}

// The dead letters' int messages, in order, with each reason's text.
template <typename Sched>
std::vector<int> DeadInts(Sched& sched, std::vector<std::string>* reasons) {
  std::vector<int> values;
  for (const DeadLetter& letter : sched.dead_letters()) {
    const int* n = letter.message.template get_if<int>();
    values.push_back(n != nullptr ? *n : -1);
    if (reasons != nullptr) reasons->push_back(letter.reason.ToString());
  }
  return values;
}

// (Not for a temporary: the pointer points into `metrics`.)
const ActorMetrics* FindMetrics(const SchedulerMetrics&&,
                                const std::string&) = delete;
const ActorMetrics* FindMetrics(const SchedulerMetrics& metrics,
                                const std::string& name) {
  for (const ActorMetrics& actor : metrics.actors) {
    if (actor.name == name) return &actor;
  }
  return nullptr;
}

class BoundedMailboxTest
    : public ::testing::TestWithParam<testing::SchedulerKind> {
 protected:
  template <typename Program>
  void OnScheduler(Program program) {
    testing::RunOnScheduler(GetParam(), program, clock_);
  }
  ManualClock clock_{absl::UnixEpoch()};
};

TEST_P(BoundedMailboxTest, CapacityOfZeroOrLessIsInvalidArgument) {
  OnScheduler([](auto& sched) {
    std::vector<int> got;
    for (int64_t capacity : {int64_t{0}, int64_t{-1}, int64_t{-1024}}) {
      auto named =
          sched.Spawn("sink", Collect(&got), {.mailbox_capacity = capacity});
      EXPECT_EQ(named.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_TRUE(absl::StrContains(named.status().message(), "'sink'"));
      auto anonymous =
          sched.Spawn(Collect(&got), {.mailbox_capacity = capacity});
      EXPECT_EQ(anonymous.status().code(), absl::StatusCode::kInvalidArgument);
    }
    EXPECT_EQ(sched.live_actors(), 0);
    // The name is still free.
    EXPECT_TRUE(
        sched.Spawn("sink", Collect(&got), {.mailbox_capacity = 1}).ok());
  });
}

TEST_P(BoundedMailboxTest,
       RejectRefusesWithResourceExhaustedAndKeepsTheMessage) {
  OnScheduler([](auto& sched) {
    std::vector<int> got;
    auto sink =
        sched.Spawn("sink", Collect(&got),
                    {.mailbox_capacity = 3, .when_full = WhenFull::kReject});
    ASSERT_TRUE(sink.ok());
    for (int i = 1; i <= 3; ++i) EXPECT_TRUE(sched.Send(*sink, i).ok());
    absl::Status fourth = sched.Send(*sink, 4);
    EXPECT_EQ(fourth.code(), absl::StatusCode::kResourceExhausted);
    EXPECT_TRUE(absl::StrContains(fourth.message(), "'sink'")) << fourth;
    EXPECT_TRUE(absl::StrContains(fourth.message(), "capacity 3")) << fourth;
    EXPECT_EQ(sched.Send("sink", 5).code(),
              absl::StatusCode::kResourceExhausted);
    std::vector<std::string> reasons;
    EXPECT_THAT(DeadInts(sched, &reasons), ElementsAre(4, 5));
    EXPECT_EQ(reasons[0], fourth.ToString());
    EXPECT_EQ(sched.dead_letters()[0].recipient, "sink");
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(got, ElementsAre(1, 2, 3));
    // Re-sendable: the dead letters hold the messages.
    for (DeadLetter& letter : sched.TakeDeadLetters()) {
      EXPECT_TRUE(
          sched.Send(*sink, *letter.message.template get_if<int>()).ok());
    }
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(got, ElementsAre(1, 2, 3, 4, 5));
    const SchedulerMetrics snapshot = sched.Metrics();
    const ActorMetrics* metrics = FindMetrics(snapshot, "sink");
    ASSERT_NE(metrics, nullptr);
    EXPECT_EQ(metrics->capacity, 3);
    EXPECT_EQ(metrics->rejected, 2);
    EXPECT_EQ(metrics->dropped, 0);
    EXPECT_EQ(metrics->depth, 0);
    EXPECT_EQ(metrics->peak_depth, 3);
  });
}

TEST_P(BoundedMailboxTest, DropNewestKeepsTheOldAndDeadLettersTheNew) {
  OnScheduler([](auto& sched) {
    std::vector<int> got;
    auto sink = sched.Spawn(
        "sink", Collect(&got),
        {.mailbox_capacity = 2, .when_full = WhenFull::kDropNewest});
    ASSERT_TRUE(sink.ok());
    for (int i = 1; i <= 5; ++i) EXPECT_TRUE(sched.Send(*sink, i).ok());
    std::vector<std::string> reasons;
    EXPECT_THAT(DeadInts(sched, &reasons), ElementsAre(3, 4, 5));
    EXPECT_TRUE(absl::StrContains(reasons[0], "dropped the newest"));
    EXPECT_TRUE(absl::StrContains(reasons[0], "RESOURCE_EXHAUSTED"));
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(got, ElementsAre(1, 2));
    const SchedulerMetrics snapshot = sched.Metrics();
    EXPECT_EQ(FindMetrics(snapshot, "sink")->dropped, 3);
    EXPECT_EQ(FindMetrics(snapshot, "sink")->peak_depth, 2);
  });
}

TEST_P(BoundedMailboxTest, DropOldestKeepsTheNewAndDeadLettersTheOld) {
  OnScheduler([](auto& sched) {
    std::vector<int> got;
    auto sink = sched.Spawn(
        "sink", Collect(&got),
        {.mailbox_capacity = 2, .when_full = WhenFull::kDropOldest});
    ASSERT_TRUE(sink.ok());
    for (int i = 1; i <= 5; ++i) EXPECT_TRUE(sched.Send(*sink, i).ok());
    std::vector<std::string> reasons;
    EXPECT_THAT(DeadInts(sched, &reasons), ElementsAre(1, 2, 3));
    EXPECT_TRUE(absl::StrContains(reasons[0], "dropped the oldest"));
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(got, ElementsAre(4, 5));
    const SchedulerMetrics snapshot = sched.Metrics();
    const ActorMetrics* metrics = FindMetrics(snapshot, "sink");
    EXPECT_EQ(metrics->dropped, 3);
    EXPECT_EQ(metrics->depth, 0);
    // One in, one out: never more queued than the capacity, at any moment
    // (the deque reported 3, counting the new message before the drop).
    EXPECT_EQ(metrics->peak_depth, 2);
  });
}

// A send converted to a variant's alternative is limited too.
TEST_P(BoundedMailboxTest, ConvertedSendsAreLimited) {
  OnScheduler([](auto& sched) {
    using Either = std::variant<int, std::string>;
    std::vector<Either> got;
    auto either =
        sched.Spawn("either",
                    [](std::vector<Either>* got) -> Actor<Either> {
                      for (;;) got->push_back(co_await Receive<Either>());
                    }(&got),
                    {.mailbox_capacity = 1, .when_full = WhenFull::kReject});
    ASSERT_TRUE(either.ok());
    ASSERT_TRUE(sched.Send("either", 1).ok());
    const std::string text(40, 'x');  // Longer than the inline buffer.
    EXPECT_EQ(sched.Send("either", text).code(),
              absl::StatusCode::kResourceExhausted);
    ASSERT_EQ(sched.dead_letters().size(), 1);
    // Kept as sent (work stealing) or as converted (the deque converts
    // before it looks at the mailbox): either re-sends.
    const ErasedMessage& kept = sched.dead_letters()[0].message;
    if (const Either* converted = kept.template get_if<Either>()) {
      EXPECT_EQ(std::get<std::string>(*converted), text);
    } else {
      ASSERT_NE(kept.template get_if<std::string>(), nullptr);
      EXPECT_EQ(*kept.template get_if<std::string>(), text);
    }
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_EQ(got.size(), 1);
    EXPECT_EQ(std::get<int>(got[0]), 1);
  });
}

// Down notices and errors are never limited.
TEST_P(BoundedMailboxTest, DownAndErrorsAreNeverLimited) {
  OnScheduler([](auto& sched) {
    std::vector<std::string> seen;
    auto watcher =
        sched.Spawn("watcher",
                    [](std::vector<std::string>* seen) -> Actor<Down> {
                      for (;;) {
                        try {
                          Down down = co_await Receive<Down>();
                          seen->push_back("down");
                        } catch (const std::exception& e) {
                          seen->push_back(e.what());
                        }
                      }
                    }(&seen),
                    {.mailbox_capacity = 1, .when_full = WhenFull::kReject});
    ASSERT_TRUE(watcher.ok());
    std::vector<int> got;
    auto watched =
        sched.Spawn("watched", [](std::vector<int>* got) -> Actor<int> {
          got->push_back(co_await Receive<int>());
        }(&got));
    ASSERT_TRUE(watched.ok());
    ASSERT_TRUE(sched.Monitor(*watched, *watcher).ok());
    // Fill the watcher's mailbox, then an error and a Down on top.
    ASSERT_TRUE(sched.Send(*watcher, Down{}).ok());
    EXPECT_EQ(sched.Send(*watcher, Down{}).code(),
              absl::StatusCode::kResourceExhausted);
    ASSERT_TRUE(sched
                    .SendError(*watcher, std::make_exception_ptr(
                                             std::runtime_error("boom")))
                    .ok());
    ASSERT_TRUE(sched.Send(*watched, 7).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(got, ElementsAre(7));
    ASSERT_EQ(seen.size(), 3);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), "down"), 2);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), "boom"), 1);
    EXPECT_EQ(sched.dead_letters().size(), 1);  // The refused Down only.
  });
}

// Senders that await room, each sending kEach numbers tagged with its
// index, to a consumer with room for 2, by reference or by name (`To`: an
// ActorRef<int> or a std::string): all arrive, once, in each sender's
// order.
template <typename To>
Actor<int> Producer(To to, int index, int each, int* failures) {
  co_await Receive<int>();
  for (int i = 0; i < each; ++i) {
    absl::Status sent = co_await SendWhenRoom(to, index * 1'000'000 + i);
    if (!sent.ok()) ++*failures;
  }
}

template <Scheduler Sched>
void SendersWaitForRoomAndLoseNothing(Sched& sched, bool by_name) {
  constexpr int kSenders = 4;
  constexpr int kEach = 500;
  std::vector<int> got;
  auto sink = sched.Spawn(
      "sink", Collect(&got),
      {.mailbox_capacity = 2, .when_full = WhenFull::kBackpressure});
  ASSERT_TRUE(sink.ok());
  int failures = 0;
  for (int s = 0; s < kSenders; ++s) {
    auto producer =
        by_name
            ? sched.Spawn(Producer(std::string("sink"), s, kEach, &failures))
            : sched.Spawn(Producer(*sink, s, kEach, &failures));
    ASSERT_TRUE(sched.Send(producer, 0).ok());
  }
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(failures, 0);
  ASSERT_EQ(got.size(), kSenders * kEach);
  std::vector<int> next(kSenders, 0);
  for (int value : got) {
    const int sender = value / 1'000'000;
    ASSERT_EQ(value % 1'000'000, next[sender]) << "sender " << sender;
    ++next[sender];
  }
  const SchedulerMetrics snapshot = sched.Metrics();
  const ActorMetrics* metrics = FindMetrics(snapshot, "sink");
  ASSERT_NE(metrics, nullptr);
  EXPECT_LE(metrics->peak_depth, 2);
  EXPECT_GT(metrics->waited, 0);
  EXPECT_EQ(metrics->rejected, 0);
  EXPECT_TRUE(sched.dead_letters().empty());
}

TEST_P(BoundedMailboxTest, BackpressureSuspendsSendersAndLosesNothing) {
  OnScheduler([](auto& sched) {
    SendersWaitForRoomAndLoseNothing(sched, /*by_name=*/false);
  });
}

TEST_P(BoundedMailboxTest, BackpressureByNameSuspendsSendersAndLosesNothing) {
  OnScheduler([](auto& sched) {
    SendersWaitForRoomAndLoseNothing(sched, /*by_name=*/true);
  });
}

// Two actors pass a ball back and forth with SendWhenRoom(), each bounded
// to 1: the mailbox is never full (each waits for the reply), so every
// send is queued at once (the fast path) and none waits.
struct Ball {
  ActorRef<Ball> back;
  int hits_left;
};

Actor<Ball> Player(std::vector<int>* hits) {
  ActorRef<Ball> self = co_await Self();
  for (;;) {
    Ball ball = co_await Receive<Ball>();
    hits->push_back(ball.hits_left);
    if (ball.hits_left == 0) continue;  // Alive: its metrics are read.
    if (!(co_await SendWhenRoom(ball.back, Ball{self, ball.hits_left - 1}))
             .ok()) {
      co_return;
    }
  }
}

TEST_P(BoundedMailboxTest, PingPongWithRoomNeverWaitsAndLosesNothing) {
  constexpr int kHits = 1000;
  OnScheduler([](auto& sched) {
    std::vector<int> hits_a, hits_b;
    const SpawnOptions one{.mailbox_capacity = 1,
                           .when_full = WhenFull::kBackpressure};
    auto a = sched.Spawn("a", Player(&hits_a), one);
    auto b = sched.Spawn("b", Player(&hits_b), one);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE(sched.Send(*a, Ball{*b, kHits - 1}).ok());
    ASSERT_TRUE(sched.Run().ok());
    // a got kHits-1, kHits-3, ..., 1; b got kHits-2, ..., 0.
    ASSERT_EQ(hits_a.size(), kHits / 2);
    ASSERT_EQ(hits_b.size(), kHits / 2);
    for (int i = 0; i < kHits / 2; ++i) {
      ASSERT_EQ(hits_a[i], kHits - 1 - 2 * i);
      ASSERT_EQ(hits_b[i], kHits - 2 - 2 * i);
    }
    const SchedulerMetrics snapshot = sched.Metrics();
    for (const char* name : {"a", "b"}) {
      const ActorMetrics* metrics = FindMetrics(snapshot, name);
      ASSERT_NE(metrics, nullptr);
      EXPECT_EQ(metrics->peak_depth, 1) << name;
      EXPECT_EQ(metrics->waited, 0) << name;
      EXPECT_EQ(metrics->rejected, 0) << name;
    }
    EXPECT_TRUE(sched.dead_letters().empty());
  });
}

// By name, a message of one of the actor's variant's alternatives is
// converted, as Send(name) does: a string longer than the small-string
// buffer and ints, in order, through a mailbox of 1.
using Line = std::variant<int, std::string>;

Actor<Line> CollectLines(std::vector<Line>* got) {
  for (;;) got->push_back(co_await Receive<Line>());
}

TEST_P(BoundedMailboxTest, BackpressureByNameConvertsToAnAlternative) {
  const std::string kLong(100, 'x');
  OnScheduler([&](auto& sched) {
    std::vector<Line> got;
    auto sink = sched.Spawn(
        "lines", CollectLines(&got),
        {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(sink.ok());
    std::vector<absl::Status> results;
    auto sender = sched.Spawn(
        [](std::string text, std::vector<absl::Status>* results) -> Actor<int> {
          for (int i = 0; i < 3; ++i) {
            results->push_back(co_await SendWhenRoom("lines", i));
            results->push_back(co_await SendWhenRoom("lines", text));
          }
        }(kLong, &results));
    ASSERT_TRUE(sender.valid());
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_EQ(results.size(), 6);
    for (const absl::Status& result : results) EXPECT_TRUE(result.ok());
    EXPECT_THAT(got, ElementsAre(Line(0), Line(kLong), Line(1), Line(kLong),
                                 Line(2), Line(kLong)));
    EXPECT_TRUE(sched.dead_letters().empty());
  });
}

// By name, every refusal Send(name) makes: the same error, and the message
// kept as a dead letter for that name.
TEST_P(BoundedMailboxTest, BackpressureByNameRefusalsAreDeadLetters) {
  OnScheduler([](auto& sched) {
    std::vector<int> got;
    auto ints = sched.Spawn(
        "ints", Collect(&got),
        {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
    auto gone = sched.Spawn(
        "gone", []() -> Actor<int> { co_return; }(),
        {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(ints.ok() && gone.ok());
    ASSERT_TRUE(sched.Run().ok());  // "gone" finishes.
    std::vector<absl::Status> results;
    auto sender =
        sched.Spawn([](std::vector<absl::Status>* results) -> Actor<int> {
          results->push_back(co_await SendWhenRoom("nobody", 1));
          results->push_back(co_await SendWhenRoom("gone", 2));
          results->push_back(
              co_await SendWhenRoom("ints", std::string("three")));
          results->push_back(co_await SendWhenRoom("ints", 4));
        }(&results));
    ASSERT_TRUE(sender.valid());
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_EQ(results.size(), 4);
    EXPECT_EQ(results[0].code(), absl::StatusCode::kNotFound) << results[0];
    EXPECT_TRUE(absl::StrContains(results[0].message(), "'nobody'"));
    EXPECT_EQ(results[1].code(), absl::StatusCode::kFailedPrecondition)
        << results[1];
    EXPECT_TRUE(absl::StrContains(results[1].message(), "'gone'"));
    EXPECT_EQ(results[2].code(), absl::StatusCode::kInvalidArgument)
        << results[2];
    EXPECT_TRUE(absl::StrContains(results[2].message(), "'ints'"));
    EXPECT_TRUE(results[3].ok()) << results[3];
    EXPECT_THAT(got, ElementsAre(4));
    const auto& dead = sched.dead_letters();
    ASSERT_EQ(dead.size(), 3);
    EXPECT_EQ(dead[0].recipient, "nobody");
    EXPECT_EQ(dead[0].reason, results[0]);
    EXPECT_EQ(*dead[0].message.template get_if<int>(), 1);
    EXPECT_EQ(dead[1].recipient, "gone");
    EXPECT_EQ(dead[1].reason, results[1]);
    EXPECT_EQ(*dead[1].message.template get_if<int>(), 2);
    EXPECT_EQ(dead[2].recipient, "ints");
    EXPECT_EQ(dead[2].reason, results[2]);
    ASSERT_NE(dead[2].message.template get_if<std::string>(), nullptr);
    EXPECT_EQ(*dead[2].message.template get_if<std::string>(), "three");
  });
}

TEST_P(BoundedMailboxTest, PlainSendToAFullBackpressureMailboxIsRefused) {
  OnScheduler([](auto& sched) {
    std::vector<int> got;
    auto sink = sched.Spawn(
        "sink", Collect(&got),
        {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE(sched.Send(*sink, 1).ok());
    absl::Status refused = sched.Send(*sink, 2);
    EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
    EXPECT_TRUE(absl::StrContains(refused.message(), "SendWhenRoom"));
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(got, ElementsAre(1));
  });
}

TEST_P(BoundedMailboxTest, BackpressureSendToAFinishedActorFails) {
  OnScheduler([](auto& sched) {
    auto gone = sched.Spawn(
        "gone", []() -> Actor<int> { co_return; }(),
        {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(gone.ok());
    ASSERT_TRUE(sched.Run().ok());
    absl::Status result;
    auto sender =
        sched.Spawn([](ActorRef<int> to, absl::Status* result) -> Actor<int> {
          *result = co_await SendWhenRoom(to, 42);
        }(*gone, &result));
    ASSERT_TRUE(sender.valid());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(result.code(), absl::StatusCode::kFailedPrecondition) << result;
    EXPECT_THAT(DeadInts(sched, nullptr), ElementsAre(42));
  });
}

// The receiver ends without taking its messages while a sender waits for
// room: the sender is resumed with FailedPrecondition.
TEST_P(BoundedMailboxTest, WaiterOnAnActorThatFinishesIsResumedWithAnError) {
  OnScheduler([this](auto& sched) {
    auto sleeper = sched.Spawn(
        "sleeper", []() -> Actor<int> { co_await Sleep(absl::Seconds(1)); }(),
        {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(sleeper.ok());
    std::vector<absl::Status> results;
    auto sender = sched.Spawn(
        [](ActorRef<int> to, std::vector<absl::Status>* results) -> Actor<int> {
          results->push_back(co_await SendWhenRoom(to, 1));
          results->push_back(co_await SendWhenRoom(to, 2));
        }(*sleeper, &results));
    ASSERT_TRUE(sender.valid());
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_EQ(results.size(), 2);
    EXPECT_TRUE(results[0].ok());
    EXPECT_EQ(results[1].code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_TRUE(absl::StrContains(results[1].message(), "'sleeper'"));
    std::vector<std::string> reasons;
    std::vector<int> dead = DeadInts(sched, &reasons);
    std::sort(dead.begin(), dead.end());
    EXPECT_THAT(dead, ElementsAre(1, 2));
    EXPECT_FALSE(sched.IsAlive(sender));
  });
}

// Two actors, each sending the other more than its room before receiving:
// Run() reports the cycle instead of hanging or returning OK.
template <Scheduler Sched>
Actor<int> Peer(Sched& sched, std::string other) {
  co_await Receive<int>();
  auto to = Find<int>(sched, other);
  if (!to.ok()) co_return;
  for (int i = 0; i < 3; ++i) {
    if (!(co_await SendWhenRoom(*to, i)).ok()) co_return;
  }
  for (;;) co_await Receive<int>();
}

TEST_P(BoundedMailboxTest, ACycleOfWaitingSendersMakesRunReturnAnError) {
  testing::RunOnScheduler(GetParam(), [](auto& sched) {
    const SpawnOptions options{.mailbox_capacity = 1,
                               .when_full = WhenFull::kBackpressure};
    auto a = sched.Spawn("a", Peer(sched, "b"), options);
    auto b = sched.Spawn("b", Peer(sched, "a"), options);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE(sched.Send(*a, 0).ok());
    ASSERT_TRUE(sched.Send(*b, 0).ok());
    std::promise<absl::Status> ran;
    std::future<absl::Status> result = ran.get_future();
    std::thread runner([&] { ran.set_value(sched.Run()); });
    if (result.wait_for(std::chrono::seconds(20)) !=
        std::future_status::ready) {
      sched.Stop();
      runner.join();
      FAIL() << "Run() hung on a cycle of waiting senders";
    }
    runner.join();
    absl::Status status = result.get();
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
    EXPECT_TRUE(absl::StrContains(status.message(), "deadlock")) << status;
    EXPECT_TRUE(
        absl::StrContains(status.message(), "'a' waits for room in 'b'"))
        << status;
    EXPECT_TRUE(
        absl::StrContains(status.message(), "'b' waits for room in 'a'"))
        << status;
    // Each side's count and state, in the same words on every kind (work
    // stealing said "(capacity 1)").
    EXPECT_TRUE(
        absl::StrContains(
            status.message(),
            "'a' waits for room in 'b' (1 of 1 queued, itself waiting); 'b' "
            "waits for room in 'a' (1 of 1 queued, itself waiting)") ||
        absl::StrContains(
            status.message(),
            "'b' waits for room in 'a' (1 of 1 queued, itself waiting); 'a' "
            "waits for room in 'b' (1 of 1 queued, itself waiting)"))
        << status;
  });
}

// From a plain thread: work stealing waits up to the timeout; the deque
// scheduler cannot wait at all and says so.
TEST_P(BoundedMailboxTest, BlockingSendFromAThreadTimesOutWithTheMessageKept) {
  OnScheduler([](auto& sched) {
    std::vector<int> got;
    auto sink = sched.Spawn(
        "sink", Collect(&got),
        {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE(sched.SendBlocking(*sink, 1, absl::Milliseconds(20)).ok());
    absl::Status second = sched.SendBlocking(*sink, 2, absl::Milliseconds(20));
    const bool deque = GetParam().threads == 0;
    EXPECT_EQ(second.code(), deque ? absl::StatusCode::kFailedPrecondition
                                   : absl::StatusCode::kDeadlineExceeded)
        << second;
    EXPECT_TRUE(absl::StrContains(second.message(), "'sink'")) << second;
    EXPECT_THAT(DeadInts(sched, nullptr), ElementsAre(2));
    EXPECT_EQ(sched.SendBlocking(*sink, 3, absl::InfiniteDuration()).code(),
              deque ? absl::StatusCode::kFailedPrecondition
                    : absl::StatusCode::kInvalidArgument);
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(got, ElementsAre(1));
  });
}

// A payload whose move throws (boxed, since it may throw) and one that
// owns memory: a full mailbox's refusal, a drop and a wait lose nothing and
// leak nothing (ASan).
struct Throwing {
  std::string text;
  bool throw_on_move = false;
  explicit Throwing(std::string t) : text(std::move(t)) {}
  Throwing(Throwing&& other) : text(std::move(other.text)) {
    if (other.throw_on_move) throw std::runtime_error("move");
  }
  Throwing& operator=(Throwing&&) = default;
};

TEST_P(BoundedMailboxTest, PayloadsThatOwnMemoryOrThrowAreKeptOrFreed) {
  OnScheduler([](auto& sched) {
    std::vector<std::string> got;
    auto sink = sched.Spawn(
        "sink",
        [](std::vector<std::string>* got) -> Actor<Throwing> {
          for (;;) got->push_back((co_await Receive<Throwing>()).text);
        }(&got),
        {.mailbox_capacity = 2, .when_full = WhenFull::kDropOldest});
    ASSERT_TRUE(sink.ok());
    const std::string long_text(100, 'y');
    for (int i = 0; i < 5; ++i) {
      EXPECT_TRUE(
          sched.Send(*sink, Throwing(long_text + std::to_string(i))).ok());
    }
    Throwing bad("thrown");
    bad.throw_on_move = true;
    EXPECT_THROW(sched.Send(*sink, std::move(bad)).IgnoreError(),
                 std::runtime_error);
    EXPECT_EQ(sched.dead_letters().size(), 3);
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_EQ(got.size(), 2);
    EXPECT_EQ(got[0], long_text + "3");
    EXPECT_EQ(got[1], long_text + "4");
  });
}

// Actors waiting for room when the scheduler is destroyed: their frames go,
// their messages with them, and nothing touches them afterwards (ASan).
TEST_P(BoundedMailboxTest,
       DestroyingTheSchedulerWithWaitingSendersLeaksNothing) {
  OnScheduler([](auto& sched) {
    auto stuck = sched.Spawn(
        "stuck",
        []() -> Actor<std::string> {
          co_await Sleep(absl::InfiniteDuration());
        }(),
        {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(stuck.ok());
    for (int i = 0; i < 3; ++i) {
      auto sender = sched.Spawn([](ActorRef<std::string> to) -> Actor<int> {
        for (int j = 0; j < 3; ++j) {
          (co_await SendWhenRoom(to, std::string(64, 'z'))).IgnoreError();
        }
      }(*stuck));
      ASSERT_TRUE(sender.valid());
    }
    // Run() returns at once on the deque (out of work, the senders wait on
    // an actor that sleeps for ever): the deadlock is reported.
    absl::Status ran = sched.Run();
    if constexpr (std::is_same_v<std::decay_t<decltype(sched)>,
                                 DequeScheduler>) {
      ASSERT_FALSE(ran.ok());  // Exact on the deque.
    }
    if (!ran.ok()) {
      EXPECT_TRUE(absl::StrContains(ran.message(), "waits for room in 'stuck'"))
          << ran;
    }
  });
}

INSTANTIATE_TEST_SUITE_P(AllSchedulers, BoundedMailboxTest,
                         ::testing::ValuesIn(testing::SchedulerKinds(4)),
                         testing::SchedulerKindName);

// A plain thread blocked on a full mailbox gets room when the actor takes
// a message: exactly once, in order.
TEST(WorkStealingBoundedMailboxTest, BlockingSendResumesWhenThereIsRoom) {
  WorkStealingScheduler sched(2);
  std::vector<int> got;
  std::atomic<int> count{0};
  auto sink = sched.Spawn(
      "sink",
      [](std::vector<int>* got, std::atomic<int>* count) -> Actor<int> {
        for (;;) {
          got->push_back(co_await Receive<int>());
          count->fetch_add(1);
        }
      }(&got, &count),
      {.mailbox_capacity = 4, .when_full = WhenFull::kBackpressure});
  ASSERT_TRUE(sink.ok());
  constexpr int kN = 2000;
  std::atomic<int> failed{-1};
  std::thread sender([&] {
    for (int i = 0; i < kN; ++i) {
      if (!sched.SendBlocking(*sink, i, absl::Seconds(30)).ok()) {
        failed.store(i);
        return;
      }
    }
  });
  // Runs until everything was received (the sender waits for room meanwhile).
  while (count.load() < kN && failed.load() < 0) {
    ASSERT_TRUE(sched.Run().ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  sender.join();
  ASSERT_TRUE(sched.Run().ok());  // `got` is read after a run, not during.
  EXPECT_EQ(failed.load(), -1);
  ASSERT_EQ(got.size(), kN);
  for (int i = 0; i < kN; ++i) ASSERT_EQ(got[i], i);
}

// Plain threads blocked on a full mailbox while the scheduler shuts down:
// each returns (the shutdown error, its message a dead letter) instead of
// waiting out its timeout on a cell about to go away.
TEST(WorkStealingBoundedMailboxTest, ShutdownEndsBlockedThreads) {
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(4);
  {
    WorkStealingScheduler sched(2);
    auto stuck = sched.Spawn(
        "stuck",
        []() -> Actor<int> { co_await Sleep(absl::InfiniteDuration()); }(),
        {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(stuck.ok());
    ASSERT_TRUE(sched.Send(*stuck, 0).ok());
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&, i] {
        results[i] = sched.SendBlocking(*stuck, i, absl::Seconds(60));
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(sched.Shutdown().ok());
    for (std::thread& thread : threads) thread.join();
    EXPECT_LT(std::chrono::steady_clock::now() - start,
              std::chrono::seconds(10));
    for (const absl::Status& result : results) {
      EXPECT_FALSE(result.ok());
      EXPECT_NE(result.code(), absl::StatusCode::kDeadlineExceeded) << result;
    }
  }
}

}  // namespace
}  // namespace coactor
