// Attacks on bounded mailboxes' fast paths (SendWhenRoom() queuing at once
// through Runtime::SendIfRoom(), and its by-name form) on every scheduler
// kind: payloads bigger than the inline room, a flood of 8 by-name senders
// into a capacity-1 mailbox (exactly once, each sender's order), a
// receiver that ends while by-name senders wait with boxed payloads, the
// drop policies never suspending, a conversion that throws on the by-name
// path, and a receiver re-spawned under its name while a sender waits.
// Every Run() is bounded by a timeout.
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "actors/send_when_room.h"
#include "actors/sleep.h"
#include "gtest/gtest.h"
#include "runtime/metrics/metrics.h"
#include "runtime/spawn_options.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/run_bounded.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

using testing::RunBounded;

// Longer than any small-string buffer: each message is boxed.
std::string Big(int sender, int i) {
  return absl::StrCat(sender, ":", i, ":", std::string(100, 'x'));
}

class BoundedAttackTest
    : public ::testing::TestWithParam<testing::SchedulerKind> {};

Actor<std::string> CollectStrings(std::vector<std::string>* got, int take) {
  for (int i = 0; i < take; ++i) {
    got->push_back(co_await Receive<std::string>());
  }
}

TEST_P(BoundedAttackTest, EightByNameSendersFloodCapacityOneExactlyOnce) {
  constexpr int kSenders = 8;
  constexpr int kEach = 200;
  testing::RunOnScheduler(GetParam(), [](auto& sched) {
    std::vector<std::string> got;
    auto sink = sched.Spawn(
        "sink", CollectStrings(&got, kSenders * kEach),
        {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(sink.ok());
    std::vector<int> failures(kSenders, 0);
    for (int s = 0; s < kSenders; ++s) {
      auto sender = sched.Spawn([](int s, int* failures) -> Actor<int> {
        co_await Receive<int>();
        for (int i = 0; i < kEach; ++i) {
          if (!(co_await SendWhenRoom("sink", Big(s, i))).ok()) ++*failures;
        }
      }(s, &failures[s]));
      ASSERT_TRUE(sched.Send(sender, 0).ok());
    }
    ASSERT_TRUE(RunBounded(sched).ok());
    ASSERT_EQ(got.size(), kSenders * kEach);
    std::vector<int> next(kSenders, 0);
    for (const std::string& m : got) {
      const int s = m[0] - '0';
      ASSERT_EQ(m, Big(s, next[s])) << "sender " << s;
      ++next[s];
    }
    for (int s = 0; s < kSenders; ++s) EXPECT_EQ(failures[s], 0);
    EXPECT_TRUE(sched.dead_letters().empty());
  });
}

TEST_P(BoundedAttackTest, ReceiverEndsWhileByNameSendersWaitWithBoxedPayloads) {
  testing::RunOnScheduler(GetParam(), [](auto& sched) {
    std::vector<std::string> got;
    // Takes 3, then ends: the rest wait, then are refused.
    auto sink = sched.Spawn(
        "sink", CollectStrings(&got, 3),
        {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(sink.ok());
    // One list per sender: they run on different workers.
    std::vector<std::vector<absl::Status>> each(4);
    for (int s = 0; s < 4; ++s) {
      sched.Spawn([](int s, std::vector<absl::Status>* results) -> Actor<int> {
        for (int i = 0; i < 3; ++i) {
          results->push_back(co_await SendWhenRoom("sink", Big(s, i)));
        }
      }(s, &each[s]));
    }
    ASSERT_TRUE(RunBounded(sched).ok());
    EXPECT_EQ(got.size(), 3);
    std::vector<absl::Status> results;
    for (const auto& list : each) {
      results.insert(results.end(), list.begin(), list.end());
    }
    ASSERT_EQ(results.size(), 12);
    // Each message was received or is a dead letter (refused, or left in
    // the mailbox at the end): none lost, none twice.
    EXPECT_EQ(got.size() + sched.dead_letters().size(), results.size());
    for (const absl::Status& r : results) {
      if (!r.ok()) {
        EXPECT_EQ(r.code(), absl::StatusCode::kFailedPrecondition) << r;
      }
    }
  });
}

TEST_P(BoundedAttackTest, DropPoliciesNeverSuspendTheSender) {
  for (WhenFull policy :
       {WhenFull::kDropOldest, WhenFull::kDropNewest, WhenFull::kReject}) {
    testing::RunOnScheduler(GetParam(), [policy](auto& sched) {
      // Takes nothing while the sender sends (so that what is refused or
      // dropped does not depend on timing).
      auto sink = sched.Spawn("sink",
                              []() -> Actor<std::string> {
                                co_await Sleep(absl::InfiniteDuration());
                              }(),
                              {.mailbox_capacity = 2, .when_full = policy});
      ASSERT_TRUE(sink.ok());
      std::vector<absl::Status> results;
      auto sender =
          sched.Spawn([](ActorRef<std::string> to,
                         std::vector<absl::Status>* results) -> Actor<int> {
            for (int i = 0; i < 5; ++i) {
              results->push_back(co_await SendWhenRoom(to, Big(0, i)));
            }
          }(*sink, &results));
      ASSERT_TRUE(sender.valid());
      ASSERT_TRUE(RunBounded(sched).ok());
      ASSERT_EQ(results.size(), 5);
      for (int i = 0; i < 5; ++i) {
        if (policy == WhenFull::kReject && i >= 2) {
          EXPECT_EQ(results[i].code(), absl::StatusCode::kResourceExhausted);
        } else {
          EXPECT_TRUE(results[i].ok()) << results[i];
        }
      }
      EXPECT_EQ(sched.dead_letters().size(), 3);
    });
  }
}

// A message type whose conversion from int throws for 13.
struct Picky {
  explicit Picky(int n) : text(std::string(64, 'p')) {
    if (n == 13) throw std::runtime_error("13");
  }
  std::string text;
};

TEST_P(BoundedAttackTest, ByNameConversionThatThrowsLosesNothingAndLeaksNot) {
  testing::RunOnScheduler(GetParam(), [](auto& sched) {
    int received = 0;
    auto sink = sched.Spawn(
        "picky",
        [](int* received) -> Actor<std::variant<Picky, std::string>> {
          for (;;) {
            co_await Receive<std::variant<Picky, std::string>>();
            ++*received;
          }
        }(&received),
        {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(sink.ok());
    int threw = 0;
    sched.Spawn([](int* threw) -> Actor<int> {
      (co_await SendWhenRoom("picky", std::string(64, 's'))).IgnoreError();
      try {
        (co_await SendWhenRoom("picky", Picky(13))).IgnoreError();
      } catch (const std::runtime_error&) {
        ++*threw;
      }
      (co_await SendWhenRoom("picky", std::string(64, 't'))).IgnoreError();
    }(&threw));
    ASSERT_TRUE(RunBounded(sched).ok());
    EXPECT_EQ(threw, 1);
    EXPECT_EQ(received, 2);
  });
}

TEST_P(BoundedAttackTest, ReSpawnedUnderTheSameNameAfterItsFirstEnded) {
  testing::RunOnScheduler(GetParam(), [](auto& sched) {
    std::vector<std::string> first, second;
    auto old = sched.Spawn(
        "sink", CollectStrings(&first, 1),
        {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(old.ok());
    std::vector<absl::Status> results;
    sched.Spawn([](std::vector<absl::Status>* results) -> Actor<int> {
      for (int i = 0; i < 3; ++i) {
        results->push_back(co_await SendWhenRoom("sink", Big(0, i)));
      }
    }(&results));
    ASSERT_TRUE(RunBounded(sched).ok());
    ASSERT_EQ(results.size(), 3);
    // The first actor took one and ended; the rest were refused or queued.
    EXPECT_EQ(first.size(), 1);
    auto again = sched.Spawn(
        "sink", CollectStrings(&second, 1),
        {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(again.ok()) << again.status();
    sched.Spawn([](std::vector<absl::Status>* results) -> Actor<int> {
      results->push_back(co_await SendWhenRoom("sink", Big(1, 0)));
    }(&results));
    ASSERT_TRUE(RunBounded(sched).ok());
    ASSERT_EQ(second.size(), 1);
    EXPECT_EQ(second[0], Big(1, 0));
  });
}

// Two actors each waiting, by name, for room in the other's full mailbox:
// Run() reports the cycle instead of hanging.
Actor<std::string> ByNamePeer(std::string other) {
  co_await Receive<std::string>();
  for (int i = 0; i < 3; ++i) {
    if (!(co_await SendWhenRoom(other, Big(0, i))).ok()) co_return;
  }
  for (;;) co_await Receive<std::string>();
}

TEST_P(BoundedAttackTest, ACycleOfByNameWaitersIsAnErrorNotAHang) {
  testing::RunOnScheduler(GetParam(), [](auto& sched) {
    const SpawnOptions options{.mailbox_capacity = 1,
                               .when_full = WhenFull::kBackpressure};
    auto a = sched.Spawn("a", ByNamePeer("b"), options);
    auto b = sched.Spawn("b", ByNamePeer("a"), options);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE(sched.Send(*a, std::string("go")).ok());
    ASSERT_TRUE(sched.Send(*b, std::string("go")).ok());
    const absl::Status status = RunBounded(sched);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
    EXPECT_NE(status.message().find("'a' waits for room in 'b'"),
              std::string::npos)
        << status;
  });
}

// Senders waiting by name with boxed payloads (unique_ptr, long strings)
// when the scheduler is destroyed: nothing leaks (LSan), nothing is
// touched afterwards (ASan).
TEST_P(BoundedAttackTest, DestroyedWithByNameWaitersHoldingBoxedPayloads) {
  testing::RunOnScheduler(GetParam(), [](auto& sched) {
    struct Heavy {
      std::unique_ptr<std::string> text;
      std::vector<std::string> more;
    };
    auto stuck = sched.Spawn(
        "stuck",
        []() -> Actor<Heavy> { co_await Sleep(absl::InfiniteDuration()); }(),
        {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
    ASSERT_TRUE(stuck.ok());
    for (int s = 0; s < 3; ++s) {
      sched.Spawn([]() -> Actor<int> {
        for (int i = 0; i < 3; ++i) {
          Heavy heavy{std::make_unique<std::string>(Big(0, i)),
                      {Big(1, i), Big(2, i)}};
          (co_await SendWhenRoom("stuck", std::move(heavy))).IgnoreError();
        }
      }());
    }
    // Every sender waits: the deque reports it; work stealing may too.
    const absl::Status ran = RunBounded(sched);
    EXPECT_NE(ran.code(), absl::StatusCode::kDeadlineExceeded) << ran;
    if constexpr (std::is_same_v<std::decay_t<decltype(sched)>,
                                 DequeScheduler>) {
      EXPECT_EQ(ran.code(), absl::StatusCode::kFailedPrecondition) << ran;
    }
  });
}

INSTANTIATE_TEST_SUITE_P(AllSchedulers, BoundedAttackTest,
                         ::testing::ValuesIn(testing::SchedulerKinds(4)),
                         testing::SchedulerKindName);

// Shutdown() from another thread while actors wait for room (by name and
// by reference, with boxed payloads) and a plain thread blocks in
// SendBlocking(): Run() returns FailedPrecondition, the blocked thread
// gets an error at once (not at its 30 s timeout), nothing leaks (LSan).
TEST(WorkStealingBoundedAttackTest, ShutdownWithWaitersSuspended) {
  WorkStealingScheduler sched(4);
  auto sink = sched.Spawn(
      "sink",
      []() -> Actor<std::unique_ptr<std::string>> {
        co_await Sleep(absl::Hours(1));
      }(),
      {.mailbox_capacity = 1, .when_full = WhenFull::kBackpressure});
  ASSERT_TRUE(sink.ok());
  for (int s = 0; s < 8; ++s) {
    sched.Spawn(
        [](ActorRef<std::unique_ptr<std::string>> to, int s) -> Actor<int> {
          for (int i = 0; i < 3; ++i) {
            auto message = std::make_unique<std::string>(Big(s, i));
            absl::Status sent =
                s % 2 == 0 ? co_await SendWhenRoom(to, std::move(message))
                           : co_await SendWhenRoom("sink", std::move(message));
            if (!sent.ok()) co_return;
          }
        }(*sink, s));
  }
  std::promise<absl::Status> ran;
  std::future<absl::Status> result = ran.get_future();
  std::thread runner([&] { ran.set_value(sched.Run()); });
  // Until every sender waits (one message fits).
  uint64_t waited = 0;
  for (int i = 0; i < 5000 && waited < 7; ++i) {
    const SchedulerMetrics metrics = sched.Metrics();
    waited = 0;
    for (const ActorMetrics& actor : metrics.actors) waited += actor.waited;
    if (waited < 7) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_GE(waited, 7u);  // Else the shutdown below would test less.
  std::promise<absl::Status> blocked;
  std::future<absl::Status> blocked_result = blocked.get_future();
  std::thread plain([&] {
    blocked.set_value(sched.SendBlocking(
        *sink, std::make_unique<std::string>(Big(9, 9)), absl::Seconds(30)));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(sched.Shutdown().ok());
  ASSERT_EQ(result.wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  runner.join();
  EXPECT_EQ(result.get().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(blocked_result.wait_for(std::chrono::seconds(10)),
            std::future_status::ready)
      << "SendBlocking() still blocked after Shutdown()";
  plain.join();
  EXPECT_FALSE(blocked_result.get().ok());
}

}  // namespace
}  // namespace coactor
