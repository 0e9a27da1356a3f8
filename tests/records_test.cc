// What a scheduler keeps of what went wrong stays bounded in a long-lived
// process: dead letters and failures up to a limit each (oldest dropped,
// every one counted), names of finished actors forgotten past a limit, long
// names cut in what is recorded. On every scheduler; on work stealing the
// records are also read and taken while Run() runs (under TSan in CI).
#include <atomic>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/ask.h"
#include "actors/receive.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/dead_letter.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

class RecordsTest : public ::testing::TestWithParam<int> {
 protected:
  // Calls `program(sched)` on a fresh scheduler: deque for 0 threads.
  template <typename Program>
  void OnScheduler(Program program) {
    testing::RunOnScheduler(testing::SchedulerKind{"", GetParam()}, program);
  }
};

TEST_P(RecordsTest, KeepsTheNewestDeadLettersAndCountsThemAll) {
  OnScheduler([](auto& sched) {
    EXPECT_EQ(sched.record_limits().dead_letters, 10'000u);  // The default.
    sched.SetRecordLimits(RecordLimits{.dead_letters = 3});
    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(sched.Send("nobody", i).code(), absl::StatusCode::kNotFound);
    }
    ASSERT_THAT(sched.dead_letters(), SizeIs(3));
    EXPECT_EQ(*sched.dead_letters()[0].message.template get_if<int>(), 7);
    EXPECT_EQ(*sched.dead_letters()[2].message.template get_if<int>(), 9);
    EXPECT_EQ(sched.dead_letters_recorded(), 10u);
    // Lowering a limit drops the oldest at once.
    sched.SetRecordLimits(RecordLimits{.dead_letters = 1});
    std::vector<DeadLetter> letters = sched.TakeDeadLetters();
    ASSERT_THAT(letters, SizeIs(1));
    EXPECT_EQ(*letters[0].message.template get_if<int>(), 9);
    EXPECT_EQ(sched.dead_letters_recorded(), 10u);
  });
}

Actor<int> Thrower() {
  int n = co_await Receive<int>();
  throw std::runtime_error("failure " + std::to_string(n));
}

TEST_P(RecordsTest, KeepsTheNewestFailuresAndHandsThemOver) {
  OnScheduler([](auto& sched) {
    sched.SetRecordLimits(RecordLimits{.failures = 2});
    for (int i = 0; i < 5; ++i) {
      ActorRef<int> thrower = sched.Spawn(Thrower());
      ASSERT_TRUE(sched.Send(thrower, i).ok());
      ASSERT_TRUE(sched.Run().ok());  // One at a time: a known order.
    }
    ASSERT_THAT(sched.failures(), SizeIs(2));
    EXPECT_EQ(sched.failures()[0].what, "failure 3");
    EXPECT_EQ(sched.failures_recorded(), 5u);
    std::vector<ActorFailure> taken = sched.TakeFailures();
    ASSERT_THAT(taken, SizeIs(2));
    EXPECT_EQ(taken[1].what, "failure 4");
    EXPECT_THAT(sched.failures(), SizeIs(0));
    EXPECT_EQ(sched.failures_recorded(), 5u);
  });
}

// A request; without a ReplyTo it tells the receiver to finish.
struct Request {
  std::optional<ReplyTo<int>> reply;
};

// Finishes at its first message, leaving any others unread.
Actor<Request> FinishAtOnce() { co_await Receive<Request>(); }

// Tells `to` to finish, then asks it something: the request waits behind
// the first message and becomes a dead letter when `to` finishes.
template <coactor::Scheduler Sched>
Actor<int> Asker(Sched& sched, ActorRef<Request> to, absl::Status& result) {
  co_await Receive<int>();
  sched.Send(to, Request{}).IgnoreError();
  absl::StatusOr<int> answer = co_await Ask<int>(
      sched, to, [](ReplyTo<int> reply) { return Request{std::move(reply)}; },
      absl::InfiniteDuration());
  result = answer.status();
}

// A dropped dead letter destroys its message; a request's ReplyTo then
// answers its ask at once, where a kept one leaves it waiting.
TEST_P(RecordsTest, ADroppedRequestAnswersItsAsk) {
  OnScheduler([](auto& sched) {
    sched.SetRecordLimits(RecordLimits{.dead_letters = 0});
    absl::Status result = absl::UnknownError("not answered");
    ActorRef<Request> receiver = sched.Spawn(FinishAtOnce());
    ActorRef<int> asker = sched.Spawn(Asker(sched, receiver, result));
    ASSERT_TRUE(sched.Send(asker, 1).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(result.code(), absl::StatusCode::kFailedPrecondition) << result;
    EXPECT_THAT(std::string(result.message()), HasSubstr("dropped"));
    EXPECT_THAT(sched.dead_letters(), SizeIs(0));
    EXPECT_EQ(sched.dead_letters_recorded(), 1u);
    EXPECT_FALSE(sched.IsAlive(asker));
  });
}

TEST_P(RecordsTest, LongNamesAreCutInRecords) {
  OnScheduler([](auto& sched) {
    const std::string huge(1 << 20, 'n');
    absl::Status sent = sched.Send(huge, 1);
    EXPECT_EQ(sent.code(), absl::StatusCode::kNotFound);
    EXPECT_LT(sent.message().size(), 400u);
    EXPECT_THAT(std::string(sent.message()), HasSubstr("...(1048576 bytes)"));
    ASSERT_THAT(sched.dead_letters(), SizeIs(1));
    const std::string& recipient = sched.dead_letters()[0].recipient;
    EXPECT_EQ(recipient, std::string(256, 'n') + "...(1048576 bytes)");
  });
}

Actor<int> OneShot() { co_await Receive<int>(); }

TEST_P(RecordsTest, NamesOfFinishedActorsAreForgottenPastTheLimit) {
  OnScheduler([](auto& sched) {
    sched.SetRecordLimits(RecordLimits{.finished_names = 2});
    for (int i = 0; i < 5; ++i) {
      const std::string name = "a" + std::to_string(i);
      ASSERT_TRUE(sched.Spawn(name, OneShot()).ok());
      ASSERT_TRUE(sched.Send(name, i).ok());
      ASSERT_TRUE(sched.Run().ok());
    }
    // The two newest are remembered as finished; older ones are unknown.
    EXPECT_EQ(sched.Send("a4", 0).code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(sched.Send("a3", 0).code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(sched.Send("a2", 0).code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(sched.Send("a0", 0).code(), absl::StatusCode::kNotFound);
    // A name taken again is not forgotten when its old owner's turn comes.
    ASSERT_TRUE(sched.Spawn("a3", OneShot()).ok());
    for (int i = 5; i < 8; ++i) {
      const std::string name = "a" + std::to_string(i);
      ASSERT_TRUE(sched.Spawn(name, OneShot()).ok());
      ASSERT_TRUE(sched.Send(name, i).ok());
      ASSERT_TRUE(sched.Run().ok());
    }
    EXPECT_TRUE(sched.Send("a3", 3).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(sched.Send("a3", 0).code(),
              absl::StatusCode::kFailedPrecondition);
  });
}

INSTANTIATE_TEST_SUITE_P(Schedulers, RecordsTest, ::testing::Values(0, 1, 2, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == 0
                                      ? std::string("Deque")
                                      : "WorkStealing" +
                                            std::to_string(info.param);
                         });

// ---- Work stealing: records read while Run() runs ---------------------------

template <coactor::Scheduler Sched>
Actor<int> FailLoudly(Sched& sched) {
  int n = co_await Receive<int>();
  sched.Send("nobody", n).IgnoreError();  // A dead letter.
  throw std::runtime_error("failed");
}

TEST(RecordsWhileRunningTest, FailuresAndDeadLettersAreReadAndTakenSafely) {
  constexpr int kActors = 400;
  WorkStealingScheduler sched(4);
  sched.SetRecordLimits(RecordLimits{.dead_letters = 50, .failures = 50});
  std::vector<ActorRef<int>> actors;
  for (int i = 0; i < kActors; ++i)
    actors.push_back(sched.Spawn(FailLoudly(sched)));
  for (int i = 0; i < kActors; ++i) ASSERT_TRUE(sched.Send(actors[i], i).ok());
  std::atomic<bool> done{false};
  uint64_t failures_taken = 0, letters_taken = 0;
  std::thread reader([&] {
    while (!done.load()) {
      EXPECT_LE(sched.failures().size(), 50u);
      failures_taken += sched.TakeFailures().size();
      letters_taken += sched.TakeDeadLetters().size();
      EXPECT_LE(sched.failures_recorded(), static_cast<uint64_t>(kActors));
      EXPECT_LE(sched.dead_letters_recorded(), static_cast<uint64_t>(kActors));
      sched.SetRecordLimits(RecordLimits{.dead_letters = 50, .failures = 50});
    }
  });
  ASSERT_TRUE(sched.Run().ok());
  done.store(true);
  reader.join();
  EXPECT_EQ(sched.failures_recorded(), static_cast<uint64_t>(kActors));
  EXPECT_EQ(sched.dead_letters_recorded(), static_cast<uint64_t>(kActors));
  failures_taken += sched.TakeFailures().size();
  letters_taken += sched.TakeDeadLetters().size();
  EXPECT_LE(failures_taken, static_cast<uint64_t>(kActors));
  EXPECT_GE(failures_taken, 50u);
  EXPECT_LE(letters_taken, static_cast<uint64_t>(kActors));
  EXPECT_GE(letters_taken, 50u);
}

}  // namespace
}  // namespace coactor
