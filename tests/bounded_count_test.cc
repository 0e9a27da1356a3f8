// The count a bounded mailbox's limit decides on must be the messages
// really queued, on every scheduler kind, even where work stealing learns
// it late (its running worker takes messages from the inbox without the
// lock, so during a turn the count still holds what the turn received):
//   - an actor sending to itself sees its own count exactly: bursts within
//     its capacity are never refused, dropped or made to wait, under any
//     policy (plain Send() and SendWhenRoom());
//   - an actor that blocks (here: waiting for room elsewhere) offers the
//     room its turn made, so that an actor sending to it is not held, and
//     two such actors are not reported as a deadlock cycle that is not.
// Every Run() is bounded by a timeout.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/ask.h"
#include "actors/receive.h"
#include "actors/send_when_room.h"
#include "actors/sleep.h"
#include "gtest/gtest.h"
#include "runtime/metrics/metrics.h"
#include "runtime/spawn_options.h"
#include "tests/run_bounded.h"
#include "tests/scheduler_kinds.h"
#include "tests/trace_files.h"

namespace coactor {
namespace {

using testing::RunBounded;

// Longer than any small-string buffer: each message is boxed.
std::string Big(int i) { return absl::StrCat(i, ":", std::string(80, 'x')); }

class BoundedCountTest
    : public ::testing::TestWithParam<testing::SchedulerKind> {};

// Bursts of 1 to kCapacity plain Send()s to itself, each burst received
// before the next: never more than kCapacity queued, so no policy may
// refuse or drop one.
TEST_P(BoundedCountTest, SelfSendBurstsWithinCapacityAreNeverRefused) {
  for (WhenFull when_full : {WhenFull::kReject, WhenFull::kDropNewest,
                             WhenFull::kDropOldest, WhenFull::kBackpressure}) {
    SCOPED_TRACE(static_cast<int>(when_full));
    testing::RunOnScheduler(GetParam(), [&](auto& sched) {
      using Sched = std::decay_t<decltype(sched)>;
      constexpr int kCapacity = 8;
      constexpr int kRounds = 100;
      std::vector<std::string> got;
      std::vector<absl::Status> errors;
      auto self = sched.Spawn(
          "self",
          [](Sched* sched, std::vector<std::string>* got,
             std::vector<absl::Status>* errors) -> Actor<std::string> {
            ActorRef<std::string> me = co_await Self();
            int n = 0;
            for (int round = 0; round < kRounds; ++round) {
              const int burst = 1 + round % kCapacity;
              for (int k = 0; k < burst; ++k) {
                absl::Status status = sched->Send(me, Big(n + k));
                if (!status.ok()) errors->push_back(status);
              }
              for (int k = 0; k < burst; ++k) {
                got->push_back(co_await Receive<std::string>());
              }
              n += burst;
            }
          }(&sched, &got, &errors),
          {.mailbox_capacity = kCapacity, .when_full = when_full});
      ASSERT_TRUE(self.ok());
      const absl::Status ran = RunBounded(sched);
      ASSERT_TRUE(ran.ok()) << ran;
      for (const absl::Status& error : errors) ADD_FAILURE() << error;
      int total = 0;
      for (int round = 0; round < kRounds; ++round) {
        total += 1 + round % kCapacity;
      }
      ASSERT_EQ(got.size(), total);
      for (int i = 0; i < total; ++i) ASSERT_EQ(got[i], Big(i));
      EXPECT_TRUE(sched.dead_letters().empty());
    });
  }
}

// Backpressure, SendWhenRoom() to itself: the same bursts never wait (a
// wait for room in its own mailbox would never end).
TEST_P(BoundedCountTest, SelfSendWhenRoomBurstsWithinCapacityNeverWait) {
  testing::RunOnScheduler(GetParam(), [&](auto& sched) {
    constexpr int kCapacity = 8;
    constexpr int kRounds = 200;
    std::vector<int> got;
    std::vector<absl::Status> errors;
    auto self = sched.Spawn(
        "self",
        [](std::vector<int>* got,
           std::vector<absl::Status>* errors) -> Actor<int> {
          ActorRef<int> me = co_await Self();
          int n = 0;
          for (int round = 0; round < kRounds; ++round) {
            const int burst = 1 + round % kCapacity;
            for (int k = 0; k < burst; ++k) {
              absl::Status status = co_await SendWhenRoom(me, n + k);
              if (!status.ok()) errors->push_back(status);
            }
            for (int k = 0; k < burst; ++k) {
              got->push_back(co_await Receive<int>());
            }
            n += burst;
          }
        }(&got, &errors),
        {.mailbox_capacity = kCapacity, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(self.ok());
    const absl::Status ran = RunBounded(sched);
    ASSERT_TRUE(ran.ok()) << ran << " after " << got.size() << " received";
    for (const absl::Status& error : errors) ADD_FAILURE() << error;
    int total = 0;
    for (int round = 0; round < kRounds; ++round)
      total += 1 + round % kCapacity;
    ASSERT_EQ(got.size(), total);
    for (int i = 0; i < total; ++i) ASSERT_EQ(got[i], i);
    EXPECT_TRUE(sched.dead_letters().empty());
  });
}

// "a" (capacity 2) holds two messages from outside; handling the first it
// sends two to "b" (capacity 1) and waits for room for the second. "b",
// given the first, answers "a" once. Really queued, "a" holds one message
// (its second) when "b" answers, so the answer fits; and "b" has received
// the message "a" waits to put in. No cycle: both finish. (On work
// stealing both counts kept the message their turn had received: "a" full
// at 2, "b" full at 1, and Run() reported the two waiting for each other.)
TEST_P(BoundedCountTest, BlockedActorsOfferTheRoomTheirTurnsMade) {
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    testing::RunOnScheduler(GetParam(), [&](auto& sched) {
      std::vector<std::string> a_got, b_got;
      std::vector<absl::Status> errors;
      auto a = sched.Spawn(
          "a",
          [](std::vector<std::string>* got,
             std::vector<absl::Status>* errors) -> Actor<std::string> {
            for (int i = 0; i < 3; ++i) {
              got->push_back(co_await Receive<std::string>());
              if (i == 0) {
                for (int k = 0; k < 2; ++k) {
                  absl::Status status =
                      co_await SendWhenRoom("b", Big(100 + k));
                  if (!status.ok()) errors->push_back(status);
                }
              }
            }
          }(&a_got, &errors),
          {.mailbox_capacity = 2, .when_full = WhenFull::kBackpressure});
      auto b = sched.Spawn(
          "b",
          [](std::vector<std::string>* got,
             std::vector<absl::Status>* errors) -> Actor<std::string> {
            for (int i = 0; i < 2; ++i) {
              got->push_back(co_await Receive<std::string>());
              if (i == 0) {
                absl::Status status = co_await SendWhenRoom("a", Big(200));
                if (!status.ok()) errors->push_back(status);
              }
            }
          }(&b_got, &errors),
          {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
      ASSERT_TRUE(a.ok() && b.ok());
      ASSERT_TRUE(sched.Send(*a, Big(0)).ok());
      ASSERT_TRUE(sched.Send(*a, Big(1)).ok());
      const absl::Status ran = RunBounded(sched);
      ASSERT_TRUE(ran.ok()) << ran;
      for (const absl::Status& error : errors) ADD_FAILURE() << error;
      // "a": its two, then the answer (sent after "a" took its first, so
      // behind its second).
      EXPECT_EQ(a_got, (std::vector<std::string>{Big(0), Big(1), Big(200)}));
      EXPECT_EQ(b_got, (std::vector<std::string>{Big(100), Big(101)}));
      EXPECT_TRUE(sched.dead_letters().empty());
    });
  }
}

// ---- Attacks on the settled count ------------------------------------------

template <typename Sched>
const ActorMetrics* FindMetrics(const SchedulerMetrics& metrics,
                                const std::string& name) {
  for (const ActorMetrics& actor : metrics.actors) {
    if (actor.name == name) return &actor;
  }
  return nullptr;
}

// "self" (capacity 2) holds two messages from outside; it takes the first,
// sends itself one (room: really one queued) and then waits for room for
// another while really full (its second and its own): nothing can make
// room, so Run() reports it as a deadlock (not a hang, not an admission).
TEST_P(BoundedCountTest, SelfWaitWhenReallyFullIsReportedAsDeadlock) {
  testing::RunOnScheduler(GetParam(), [&](auto& sched) {
    std::vector<int> got;
    std::vector<absl::Status> statuses;
    auto self = sched.Spawn(
        "self",
        [](std::vector<int>* got,
           std::vector<absl::Status>* statuses) -> Actor<int> {
          ActorRef<int> me = co_await Self();
          got->push_back(co_await Receive<int>());
          statuses->push_back(co_await SendWhenRoom(me, 10));
          statuses->push_back(co_await SendWhenRoom(me, 11));  // Never.
          for (;;) got->push_back(co_await Receive<int>());
        }(&got, &statuses),
        {.mailbox_capacity = 2, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(self.ok());
    ASSERT_TRUE(sched.Send(*self, 0).ok());
    ASSERT_TRUE(sched.Send(*self, 1).ok());
    const absl::Status ran = RunBounded(sched);
    EXPECT_EQ(ran.code(), absl::StatusCode::kFailedPrecondition) << ran;
    EXPECT_NE(
        std::string(ran.message()).find("'self' waits for room in 'self'"),
        std::string::npos)
        << ran;
    EXPECT_EQ(got, std::vector<int>{0});
    ASSERT_EQ(statuses.size(), 1u);
    EXPECT_TRUE(statuses[0].ok()) << statuses[0];
    using Sched = std::decay_t<decltype(sched)>;
    const SchedulerMetrics metrics = sched.Metrics();
    const ActorMetrics* m = FindMetrics<Sched>(metrics, "self");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->depth, 2u);
    EXPECT_LE(m->peak_depth, 2u);
  });
}

struct Question {
  int n;
  ReplyTo<int> reply;
};

// Senders stream SendWhenRoom()s to a bounded receiver that blocks after
// most messages (Sleep(), Yield(), an Ask()): every block admits waiting
// senders where the count is settled. Each message once, in its sender's
// order; the depth (read by a thread on work stealing) never above the
// capacity; afterwards exactly `capacity` sends from outside find room.
template <typename Sched>
void BlockingReceiver(Sched& sched, const std::string& trace_path) {
  constexpr int kCapacity = 4;
  constexpr int kSenders = 3;
  constexpr int kEach = 300;
  if (!trace_path.empty()) {
    ASSERT_TRUE(sched.StartTrace(trace_path, {.buffer_events = 16}).ok());
  }
  ActorRef<Question> helper = sched.Spawn([]() -> Actor<Question> {
    for (;;) {
      Question q = co_await Receive<Question>();
      q.reply.Send(q.n + 1);
    }
  }());
  std::vector<std::string> got;
  std::vector<std::string> problems;
  auto sink = sched.Spawn(
      "sink",
      [](Sched* sched, ActorRef<Question> helper, std::vector<std::string>* got,
         std::vector<std::string>* problems) -> Actor<std::string> {
        for (int i = 0; i < kSenders * kEach; ++i) {
          got->push_back(co_await Receive<std::string>());
          switch (i % 4) {
            case 0:
              co_await Sleep(absl::Microseconds(20));
              break;
            case 1:
              co_await Yield();
              break;
            case 2: {
              absl::StatusOr<int> r = co_await Ask<int>(
                  *sched, helper,
                  [i](ReplyTo<int> reply) {
                    return Question{i, std::move(reply)};
                  },
                  absl::Seconds(20));
              if (!r.ok() || *r != i + 1) {
                problems->push_back(
                    absl::StrCat("ask ", i, ": ", r.status().ToString()));
              }
              break;
            }
            default:
              break;
          }
        }
        co_await Receive<std::string>();  // Stays live.
      }(&sched, helper, &got, &problems),
      {.mailbox_capacity = kCapacity, .when_full = WhenFull::kBackpressure});
  ASSERT_TRUE(sink.ok());
  for (int s = 0; s < kSenders; ++s) {
    sched.Spawn([](ActorRef<std::string> to, int s) -> Actor<int> {
      for (int i = 0; i < kEach; ++i) {
        if (!(co_await SendWhenRoom(
                  to, absl::StrCat(s, ":", i, ":", std::string(80, 'x'))))
                 .ok()) {
          co_return;
        }
      }
    }(*sink, s));
  }
  std::atomic<bool> done{false};
  uint64_t worst_depth = 0, worst_peak = 0;
  std::thread reader;
  if constexpr (std::is_same_v<Sched, WorkStealingScheduler>) {
    reader = std::thread([&] {
      while (!done.load()) {
        const SchedulerMetrics metrics = sched.Metrics();
        if (const ActorMetrics* m = FindMetrics<Sched>(metrics, "sink")) {
          worst_depth = std::max(worst_depth, m->depth);
          worst_peak = std::max(worst_peak, m->peak_depth);
        }
      }
    });
  }
  const absl::Status ran = RunBounded(sched);
  done.store(true);
  if (reader.joinable()) reader.join();
  ASSERT_TRUE(ran.ok()) << ran << " after " << got.size();
  if (!trace_path.empty()) ASSERT_TRUE(sched.StopTrace().ok());
  for (const std::string& problem : problems) ADD_FAILURE() << problem;
  EXPECT_LE(worst_depth, kCapacity);
  EXPECT_LE(worst_peak, kCapacity);
  ASSERT_EQ(got.size(), kSenders * kEach);
  std::vector<int> next(kSenders, 0);
  for (const std::string& message : got) {
    const int s = std::stoi(message);
    ASSERT_EQ(message,
              absl::StrCat(s, ":", next[s], ":", std::string(80, 'x')));
    ++next[s];
  }
  EXPECT_TRUE(sched.dead_letters().empty());
  const SchedulerMetrics metrics = sched.Metrics();
  const ActorMetrics* m = FindMetrics<Sched>(metrics, "sink");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->depth, 0u);
  EXPECT_LE(m->peak_depth, kCapacity);
  for (int i = 0; i < kCapacity; ++i) {
    ASSERT_TRUE(sched.Send(*sink, std::string(40, 'y')).ok())
        << "room for only " << i;
  }
  EXPECT_EQ(sched.Send(*sink, std::string(40, 'z')).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_P(BoundedCountTest, BlockingReceiverAdmitsStreamingSendersWithinCapacity) {
  testing::RunOnScheduler(GetParam(),
                          [&](auto& sched) { BlockingReceiver(sched, ""); });
}

int CheckTrace(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return -1;
  const std::string python = std::system("test -x /usr/bin/python3") == 0
                                 ? "/usr/bin/python3"
                                 : "python3";
  return std::system(absl::StrCat(python, " ", srcdir, "/", workspace,
                                  "/tests/trace_check.py ", path, " >&2")
                         .c_str());
}

// Traced: the messages admitted where the receiver blocks start their
// flows there; every flow paired (trace_check.py).
TEST(BoundedCountTrace, BlockingReceiverTracedPaired) {
  for (int workers : {1, 2, 4}) {
    SCOPED_TRACE(workers);
    WorkStealingScheduler sched(workers);
    const std::string path = testing::TempPath(
        absl::StrCat("bounded_count_blocking_", workers, ".json"));
    BlockingReceiver(sched, path);
    EXPECT_EQ(CheckTrace(path), 0) << path;
  }
}

// Other actors and the receiver itself send to a bounded mailbox of each
// dropping/refusing policy; the receiver sends itself a message for every
// third it takes. Every message is received or a dead letter, exactly
// once; each sender's received messages in order; the depth never above
// the capacity.
TEST_P(BoundedCountTest, SelfSendsBesideOtherSendersLoseNothing) {
  for (WhenFull when_full :
       {WhenFull::kReject, WhenFull::kDropNewest, WhenFull::kDropOldest}) {
    SCOPED_TRACE(static_cast<int>(when_full));
    testing::RunOnScheduler(GetParam(), [&](auto& sched) {
      using Sched = std::decay_t<decltype(sched)>;
      constexpr int kCapacity = 3;
      constexpr int kSenders = 2;
      constexpr int kEach = 400;
      std::vector<std::string> got;
      std::atomic<int> self_sent{0};
      auto sink = sched.Spawn(
          "sink",
          [](Sched* sched, std::vector<std::string>* got,
             std::atomic<int>* self_sent) -> Actor<std::string> {
            ActorRef<std::string> me = co_await Self();
            int n = 0;
            for (int i = 0;; ++i) {
              got->push_back(co_await Receive<std::string>());
              if (i % 3 == 0) {
                sched
                    ->Send(me,
                           absl::StrCat(9, ":", n++, ":", std::string(80, 's')))
                    .IgnoreError();
                self_sent->store(n);
              }
            }
          }(&sched, &got, &self_sent),
          {.mailbox_capacity = kCapacity, .when_full = when_full});
      ASSERT_TRUE(sink.ok());
      for (int s = 0; s < kSenders; ++s) {
        sched.Spawn([](Sched* sched, ActorRef<std::string> to,
                       int s) -> Actor<int> {
          for (int i = 0; i < kEach; ++i) {
            sched->Send(to, absl::StrCat(s, ":", i, ":", std::string(80, 'x')))
                .IgnoreError();
            if (i % 5 == 4) co_await Yield();
          }
        }(&sched, *sink, s));
      }
      std::atomic<bool> done{false};
      uint64_t worst_depth = 0;
      std::thread reader;
      if constexpr (std::is_same_v<Sched, WorkStealingScheduler>) {
        reader = std::thread([&] {
          while (!done.load()) {
            const SchedulerMetrics metrics = sched.Metrics();
            if (const ActorMetrics* m = FindMetrics<Sched>(metrics, "sink")) {
              worst_depth = std::max(worst_depth, m->depth);
            }
          }
        });
      }
      const absl::Status ran = RunBounded(sched);
      done.store(true);
      if (reader.joinable()) reader.join();
      ASSERT_TRUE(ran.ok()) << ran;
      EXPECT_LE(worst_depth, kCapacity);
      std::map<std::string, int> seen;
      std::map<int, int> last;
      for (const std::string& message : got) {
        ++seen[message];
        const size_t colon = message.find(':');
        const int s = std::stoi(message.substr(0, colon));
        const int i = std::stoi(message.substr(colon + 1));
        auto it = last.find(s);
        if (it != last.end()) {
          EXPECT_LT(it->second, i) << "sender " << s << " out of order";
        }
        last[s] = i;
      }
      for (const DeadLetter& letter : sched.dead_letters()) {
        const std::string* message = get_if<std::string>(&letter.message);
        ASSERT_NE(message, nullptr) << letter.reason;
        ++seen[*message];
      }
      const int total = kSenders * kEach + self_sent.load();
      EXPECT_EQ(seen.size(), static_cast<size_t>(total));
      for (const auto& [message, count] : seen) {
        EXPECT_EQ(count, 1) << message.substr(0, 12);
      }
      const SchedulerMetrics metrics = sched.Metrics();
      const ActorMetrics* m = FindMetrics<Sched>(metrics, "sink");
      ASSERT_NE(m, nullptr);
      EXPECT_EQ(m->depth, 0u);
      EXPECT_LE(m->peak_depth, kCapacity);
    });
  }
}

// A drop-oldest mailbox at its capacity takes one message and drops one:
// never more queued than the capacity, so its peak depth is the capacity.
// (The deque counted the new message before it dropped the oldest, and its
// Metrics() said peak_depth 3 of capacity 2.)
TEST_P(BoundedCountTest, DropOldestPeakDepthIsTheCapacity) {
  testing::RunOnScheduler(GetParam(), [&](auto& sched) {
    using Sched = std::decay_t<decltype(sched)>;
    std::vector<std::string> got;
    auto sink = sched.Spawn(
        "sink",
        [](std::vector<std::string>* got) -> Actor<std::string> {
          for (;;) got->push_back(co_await Receive<std::string>());
        }(&got),
        {.mailbox_capacity = 2, .when_full = WhenFull::kDropOldest});
    ASSERT_TRUE(sink.ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(sched.Send(*sink, Big(i)).ok());
    {
      const SchedulerMetrics metrics = sched.Metrics();
      const ActorMetrics* m = FindMetrics<Sched>(metrics, "sink");
      ASSERT_NE(m, nullptr);
      EXPECT_EQ(m->depth, 2u);
      EXPECT_EQ(m->peak_depth, 2u);
      EXPECT_EQ(m->dropped, 3u);
    }
    const absl::Status ran = RunBounded(sched);
    ASSERT_TRUE(ran.ok()) << ran;
    EXPECT_EQ(got, (std::vector<std::string>{Big(3), Big(4)}));
    EXPECT_EQ(sched.dead_letters().size(), 3u);
    const SchedulerMetrics metrics = sched.Metrics();
    const ActorMetrics* m = FindMetrics<Sched>(metrics, "sink");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->depth, 0u);
    EXPECT_EQ(m->peak_depth, 2u);
  });
}

// By name and to a variant's alternatives (PushConverted(), FindForSend()),
// and unique_ptr payloads: bursts within the capacity sent to itself are
// never refused nor made to wait, under reject and backpressure.
TEST_P(BoundedCountTest, SelfSendsByNameAndAlternativesWithinCapacity) {
  using Msg = std::variant<std::string, std::unique_ptr<int>>;
  for (WhenFull when_full : {WhenFull::kReject, WhenFull::kBackpressure}) {
    SCOPED_TRACE(static_cast<int>(when_full));
    testing::RunOnScheduler(GetParam(), [&](auto& sched) {
      using Sched = std::decay_t<decltype(sched)>;
      constexpr int kCapacity = 6;
      constexpr int kRounds = 120;
      std::vector<std::string> got;
      std::vector<absl::Status> errors;
      auto self = sched.Spawn(
          "self",
          [](Sched* sched, std::vector<std::string>* got,
             std::vector<absl::Status>* errors) -> Actor<Msg> {
            int n = 0;
            for (int round = 0; round < kRounds; ++round) {
              const int burst = 1 + round % kCapacity;
              for (int k = 0; k < burst; ++k) {
                absl::Status status;
                if ((n + k) % 3 == 0) {
                  status = sched->Send("self", Big(n + k));
                } else if ((n + k) % 3 == 1) {
                  status = co_await SendWhenRoom("self",
                                                 std::make_unique<int>(n + k));
                } else {
                  status = co_await SendWhenRoom("self", Big(n + k));
                }
                if (!status.ok()) errors->push_back(status);
              }
              for (int k = 0; k < burst; ++k) {
                Msg m = co_await Receive<Msg>();
                if (auto* text = std::get_if<std::string>(&m)) {
                  got->push_back(*text);
                } else {
                  got->push_back(
                      absl::StrCat("p", *std::get<std::unique_ptr<int>>(m)));
                }
              }
              n += burst;
            }
          }(&sched, &got, &errors),
          {.mailbox_capacity = kCapacity, .when_full = when_full});
      ASSERT_TRUE(self.ok());
      const absl::Status ran = RunBounded(sched);
      ASSERT_TRUE(ran.ok()) << ran << " after " << got.size();
      for (const absl::Status& error : errors) ADD_FAILURE() << error;
      int total = 0;
      for (int round = 0; round < kRounds; ++round) {
        total += 1 + round % kCapacity;
      }
      ASSERT_EQ(got.size(), total);
      for (int i = 0; i < total; ++i) {
        ASSERT_EQ(got[i], i % 3 == 1 ? absl::StrCat("p", i) : Big(i));
      }
      EXPECT_TRUE(sched.dead_letters().empty());
    });
  }
}

INSTANTIATE_TEST_SUITE_P(AllSchedulers, BoundedCountTest,
                         ::testing::ValuesIn(testing::SchedulerKinds(4)),
                         testing::SchedulerKindName);

}  // namespace
}  // namespace coactor
