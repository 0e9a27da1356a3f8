// Senders that stream to one bounded (backpressure) mailbox: on work
// stealing their SendWhenRoom()s take credits, places the mailbox sets
// aside (MailboxLimit::SetAside()) and the worker's outbox fills without
// the mailbox lock, handing them over in batches. What a user must not
// see of that, on every scheduler kind (the deque has no credits: the same
// outcomes): a message lost, doubled or out of its sender's order; more
// messages queued than the capacity; a plain Send() or a send by name
// overtaking the credited messages before it; credits that never come
// back (the mailbox would stay full: Run() reports senders stuck); a
// receiver that ends while a sender holds credits losing the messages
// still in the sender's outbox (each must be a dead letter). Every Run()
// is bounded by a timeout.
#include <algorithm>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "actors/send_when_room.h"
#include "gtest/gtest.h"
#include "runtime/metrics/metrics.h"
#include "runtime/spawn_options.h"
#include "tests/run_bounded.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

using testing::RunBounded;

// Longer than any small-string buffer: each message is boxed.
std::string Big(int sender, int i) {
  return absl::StrCat(sender, ":", i, ":", std::string(80, 'x'));
}

// "sender:i:..." -> sender, i.
std::pair<int, int> Parse(const std::string& message) {
  const size_t colon = message.find(':');
  const size_t second = message.find(':', colon + 1);
  return {std::stoi(message.substr(0, colon)),
          std::stoi(message.substr(colon + 1, second - colon - 1))};
}

// Takes `take` strings, then waits for one more that never comes (so that
// its metrics stay readable after Run()).
Actor<std::string> Collect(std::vector<std::string>* got, int take) {
  for (int i = 0; i < take; ++i) {
    got->push_back(co_await Receive<std::string>());
  }
  co_await Receive<std::string>();
}

// The metrics of the live actor named `name`.
template <typename Sched>
ActorMetrics MetricsOf(Sched& sched, const std::string& name) {
  for (const ActorMetrics& actor : sched.Metrics().actors) {
    if (actor.name == name) return actor;
  }
  ADD_FAILURE() << "no live actor " << name;
  return {};
}

// Every sender's messages arrived exactly once, in its order.
void ExpectEachSendersOrder(const std::vector<std::string>& got, int senders,
                            int each) {
  ASSERT_EQ(got.size(), static_cast<size_t>(senders * each));
  std::vector<int> next(senders, 0);
  for (const std::string& message : got) {
    const auto [sender, i] = Parse(message);
    ASSERT_GE(sender, 0);
    ASSERT_LT(sender, senders);
    ASSERT_EQ(i, next[sender]) << "sender " << sender;
    ASSERT_EQ(message, Big(sender, i));
    ++next[sender];
  }
}

constexpr int kSenders = 4;
constexpr int kEach = 3000;
constexpr int kCapacity = 64;
constexpr int kMixedCount = 900;
constexpr int kTurns = 500;
constexpr int kCount = 400;

// After Run(), with `sink` idle: exactly `capacity` plain sends from
// outside find room, the next is refused (no credit was left set aside).
template <typename Sched>
void ExpectRoomForExactly(Sched& sched, const ActorRef<std::string>& sink,
                          int capacity) {
  for (int i = 0; i < capacity; ++i) {
    ASSERT_TRUE(sched.Send(sink, Big(9, i)).ok()) << "room for only " << i;
  }
  EXPECT_EQ(sched.Send(sink, Big(9, capacity)).code(),
            absl::StatusCode::kResourceExhausted);
}

class BoundedCreditsTest
    : public ::testing::TestWithParam<testing::SchedulerKind> {};

TEST_P(BoundedCreditsTest, StreamingSendersKeepOrderAndNeverOverfill) {
  testing::RunOnScheduler(GetParam(), [](auto& sched) {
    std::vector<std::string> got;
    auto sink = sched.Spawn(
        "sink", Collect(&got, kSenders * kEach),
        {.mailbox_capacity = kCapacity, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(sink.ok());
    std::vector<int> failures(kSenders, 0);
    for (int s = 0; s < kSenders; ++s) {
      // Every send after a turn's first takes credits on work stealing.
      sched.Spawn(
          [](ActorRef<std::string> to, int s, int* failures) -> Actor<int> {
            for (int i = 0; i < kEach; ++i) {
              if (!(co_await SendWhenRoom(to, Big(s, i))).ok()) ++*failures;
            }
          }(*sink, s, &failures[s]));
    }
    ASSERT_TRUE(RunBounded(sched).ok());
    ExpectEachSendersOrder(got, kSenders, kEach);
    for (int s = 0; s < kSenders; ++s) EXPECT_EQ(failures[s], 0);
    EXPECT_TRUE(sched.dead_letters().empty());
    const ActorMetrics metrics = MetricsOf(sched, "sink");
    EXPECT_EQ(metrics.capacity, kCapacity);
    EXPECT_LE(metrics.peak_depth, kCapacity);
    EXPECT_GT(metrics.peak_depth, 0);
    EXPECT_EQ(metrics.depth, 0);
    ExpectRoomForExactly(sched, *sink, kCapacity);  // Every credit came back.
  });
}

TEST_P(BoundedCreditsTest, PlainAndByNameSendsDoNotOvertakeCreditedOnes) {
  // Fewer messages than the capacity: a plain Send() never finds it full
  // (it gives its sender's unused credits back first).
  testing::RunOnScheduler(GetParam(), [](auto& sched) {
    using Sched = std::decay_t<decltype(sched)>;
    std::vector<std::string> got;
    auto sink = sched.Spawn(
        "sink", Collect(&got, kMixedCount),
        {.mailbox_capacity = 1024, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(sink.ok());
    std::vector<absl::Status> statuses;
    sched.Spawn([](Sched* sched, ActorRef<std::string> to,
                   std::vector<absl::Status>* statuses) -> Actor<int> {
      for (int i = 0; i < kMixedCount; ++i) {
        // Runs of credited sends, then a plain one or one by name.
        switch (i % 7) {
          case 3:
            statuses->push_back(sched->Send(to, Big(0, i)));
            break;
          case 6:
            statuses->push_back(sched->Send("sink", Big(0, i)));
            break;
          default:
            statuses->push_back(co_await SendWhenRoom(to, Big(0, i)));
        }
      }
    }(&sched, *sink, &statuses));
    ASSERT_TRUE(RunBounded(sched).ok());
    ASSERT_EQ(statuses.size(), kMixedCount);
    for (const absl::Status& status : statuses) EXPECT_TRUE(status.ok());
    ExpectEachSendersOrder(got, 1, kMixedCount);
    EXPECT_TRUE(sched.dead_letters().empty());
  });
}

// Two senders pass a tick back and forth; each turn of each sends three
// messages to the sink, taking credits at the second and leaving most
// unused. Were those kept, the mailbox (capacity 8) would fill with places
// no one uses and the senders would wait for ever (Run() reports that).
struct Tick {
  ActorRef<Tick> other;
};

template <typename Sched>
Actor<Tick> Ticker(Sched* sched, ActorRef<std::string> to, int s, int turns) {
  ActorRef<Tick> self = co_await Self();
  for (int turn = 0; turn < turns; ++turn) {
    const Tick tick = co_await Receive<Tick>();
    for (int k = 0; k < 3; ++k) {
      if (!(co_await SendWhenRoom(to, Big(s, 3 * turn + k))).ok()) co_return;
    }
    // The last tick stops with the second sender (the first has ended).
    if (s == 0 || turn + 1 < turns) {
      if (!sched->Send(tick.other, Tick{self}).ok()) co_return;
    }
  }
}

TEST_P(BoundedCreditsTest, CreditsComeBackAtEachTurnsEnd) {
  testing::RunOnScheduler(GetParam(), [](auto& sched) {
    std::vector<std::string> got;
    auto sink = sched.Spawn(
        "sink", Collect(&got, 2 * 3 * kTurns),
        {.mailbox_capacity = 8, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(sink.ok());
    ActorRef<Tick> a = sched.Spawn(Ticker(&sched, *sink, 0, kTurns));
    ActorRef<Tick> b = sched.Spawn(Ticker(&sched, *sink, 1, kTurns));
    ASSERT_TRUE(sched.Send(a, Tick{b}).ok());
    const absl::Status ran = RunBounded(sched);
    ASSERT_TRUE(ran.ok()) << ran;
    ExpectEachSendersOrder(got, 2, 3 * kTurns);
    const ActorMetrics metrics = MetricsOf(sched, "sink");
    EXPECT_LE(metrics.peak_depth, 8);
    EXPECT_EQ(metrics.depth, 0);
    EXPECT_TRUE(sched.dead_letters().empty());
    ExpectRoomForExactly(sched, *sink, 8);
  });
}

TEST_P(BoundedCreditsTest, ReceiverThatEndsLosesNoCreditedMessage) {
  // The sink takes 50 and ends while the sender streams (with credits, its
  // outbox holds messages for the sink): every message is received or a
  // dead letter, once.
  testing::RunOnScheduler(GetParam(), [](auto& sched) {
    std::vector<std::string> got;
    auto sink = sched.Spawn(
        "sink",
        [](std::vector<std::string>* got) -> Actor<std::string> {
          for (int i = 0; i < 50; ++i) {
            got->push_back(co_await Receive<std::string>());
          }
        }(&got),
        {.mailbox_capacity = 64, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(sink.ok());
    std::vector<absl::Status> statuses;
    sched.Spawn([](ActorRef<std::string> to,
                   std::vector<absl::Status>* statuses) -> Actor<int> {
      for (int i = 0; i < kCount; ++i) {
        statuses->push_back(co_await SendWhenRoom(to, Big(0, i)));
      }
    }(*sink, &statuses));
    ASSERT_TRUE(RunBounded(sched).ok());
    ASSERT_EQ(got.size(), 50);
    ASSERT_EQ(statuses.size(), kCount);
    std::vector<std::string> seen = got;
    for (const DeadLetter& letter : sched.dead_letters()) {
      const std::string* text = get_if<std::string>(&letter.message);
      ASSERT_NE(text, nullptr);
      seen.push_back(*text);
    }
    std::sort(seen.begin(), seen.end());
    ASSERT_EQ(seen.size(), kCount) << "lost or doubled";
    std::vector<std::string> sent;
    for (int i = 0; i < kCount; ++i) sent.push_back(Big(0, i));
    std::sort(sent.begin(), sent.end());
    EXPECT_EQ(seen, sent);
    // The sends refused at once say why; the others were queued (or held
    // on a credit) before the sink ended.
    for (const absl::Status& status : statuses) {
      EXPECT_TRUE(status.ok() ||
                  status.code() == absl::StatusCode::kFailedPrecondition)
          << status;
    }
  });
}

INSTANTIATE_TEST_SUITE_P(AllSchedulers, BoundedCreditsTest,
                         ::testing::ValuesIn(testing::SchedulerKinds(4)),
                         testing::SchedulerKindName);

}  // namespace
}  // namespace coactor
