// What each scheduler puts in a trace besides turns and message arrows, on
// the deque scheduler and work stealing at 1, 2 and 4 workers, counted
// exactly in the trace's text: timers armed, fired and cancelled; spawns,
// ends (normal, by an exception), failures and dead letters; an ask's
// request, and its arrow ending in a reply, a timeout or an error; and a
// trace's bad input on a scheduler (unwritable path, starting twice,
// stopping without a trace; on work stealing, stopping during a run).
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/ask.h"
#include "actors/clock.h"
#include "actors/receive.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/scheduler_kinds.h"
#include "tests/trace_files.h"

namespace coactor {
namespace {

using testing::Count;
using testing::ReadFile;
using testing::TempPath;

Actor<int> Sink(int& received) {
  for (;;) received += co_await Receive<int>();
}

class SchedulerTraceEventsTest
    : public ::testing::TestWithParam<testing::SchedulerKind> {
 protected:
  template <typename Program>
  void OnScheduler(Program program) {
    testing::RunOnScheduler(GetParam(), program, clock_);
  }
  std::string Path(std::string_view what) {
    return TempPath(std::string(what) + "_" + GetParam().name + ".json");
  }
  ManualClock clock_{absl::UnixEpoch()};
};

TEST_P(SchedulerTraceEventsTest, TimersArmedFiredAndCancelled) {
  const std::string path = Path("timers");
  int received = 0;
  OnScheduler([&]<Scheduler Sched>(Sched& sched) {
    ASSERT_TRUE(sched.StartTrace(path).ok());
    ActorRef<int> sink = sched.Spawn(Sink(received));
    sched.SendAfter(absl::Seconds(1), sink, 1);
    sched.SendAfter(absl::Seconds(2), sink, 10);
    const TimerId cancelled = sched.SendAfter(absl::Seconds(3), sink, 100);
    EXPECT_TRUE(sched.CancelTimer(cancelled));
    EXPECT_FALSE(sched.CancelTimer(cancelled));  // Not again.
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_TRUE(sched.StopTrace().ok());
  });
  EXPECT_EQ(received, 11);
  const std::string text = ReadFile(path);
  EXPECT_EQ(Count(text, "\"name\":\"timer armed\""), 3);
  EXPECT_EQ(Count(text, "\"name\":\"timer fired\""), 2);
  EXPECT_EQ(Count(text, "\"name\":\"timer cancelled\""), 1);
  // The deadlines on the (virtual) clock: 1, 2 and 3 s after the epoch.
  EXPECT_EQ(Count(text, "\"deadline_unix_ns\":1000000000}"), 1);
  EXPECT_EQ(Count(text, "\"deadline_unix_ns\":3000000000}"), 1);
  EXPECT_EQ(text.substr(text.size() - 3), "}}\n");  // Complete.
}

Actor<int> EndsAt(int last) {
  for (;;) {
    const int n = co_await Receive<int>();
    if (n == last) co_return;
  }
}

Actor<int> ThrowsAt(int bad) {
  for (;;) {
    if (co_await Receive<int>() == bad) throw std::runtime_error("bad input");
  }
}

TEST_P(SchedulerTraceEventsTest, SpawnsEndsFailuresAndDeadLetters) {
  const std::string path = Path("lifecycle");
  OnScheduler([&]<Scheduler Sched>(Sched& sched) {
    ASSERT_TRUE(sched.StartTrace(path).ok());
    ASSERT_TRUE(sched.Spawn("ender", EndsAt(0)).ok());
    ASSERT_TRUE(sched.Spawn("thrower", ThrowsAt(0)).ok());
    int received = 0;
    ActorRef<int> sink = sched.Spawn(Sink(received));  // Anonymous.
    ASSERT_TRUE(sched.Send("ender", 0).ok());
    ASSERT_TRUE(sched.Send("thrower", 0).ok());
    EXPECT_EQ(sched.Send("nobody", 1).code(), absl::StatusCode::kNotFound);
    ASSERT_TRUE(sched.Send(sink, 2).ok());
    ASSERT_TRUE(sched.Run().ok());
    // Both have finished: dead letters.
    EXPECT_FALSE(sched.Send("ender", 3).ok());
    EXPECT_FALSE(sched.Send("thrower", 4).ok());
    ASSERT_TRUE(sched.StopTrace().ok());
    EXPECT_EQ(received, 2);
  });
  const std::string text = ReadFile(path);
  EXPECT_EQ(Count(text, "\"name\":\"spawn\""), 3);
  EXPECT_EQ(Count(text, "\"name\":\"spawn\",\"args\":{\"actor\":"), 3);
  EXPECT_EQ(Count(text, "\"name\":\"ender\"}"), 1);  // Its spawn.
  EXPECT_EQ(Count(text, "\"name\":\"end\""), 2);
  EXPECT_EQ(Count(text, "\"name\":\"ender\",\"outcome\":\"normal\""), 1);
  EXPECT_EQ(Count(text,
                  "\"name\":\"thrower\",\"outcome\":\"exception\","
                  "\"what\":\"bad input\""),
            1);
  EXPECT_EQ(Count(text, "\"name\":\"failure\""), 1);
  EXPECT_EQ(Count(text, "\"name\":\"dead letter\""), 3);
  EXPECT_EQ(Count(text, "\"recipient\":\"nobody\""), 1);
  EXPECT_EQ(Count(text, "\"recipient\":\"ender\""), 1);
  EXPECT_EQ(Count(text, "\"recipient\":\"thrower\""), 1);
}

struct Question {
  int n;
  ReplyTo<int> reply;
};

Actor<Question> Answerer() {
  for (;;) {
    Question question = co_await Receive<Question>();
    question.reply.Send(question.n * 2);
  }
}

template <Scheduler Sched>
Actor<ActorRef<Question>> Asker(Sched& sched, int& answer) {
  ActorRef<Question> answerer = co_await Receive<ActorRef<Question>>();
  absl::StatusOr<int> reply = co_await Ask<int>(
      sched, answerer,
      [](ReplyTo<int> r) {
        return Question{21, std::move(r)};
      },
      absl::Seconds(5));
  answer = reply.ok() ? *reply : -1;
}

// An ask is two arrows: the request (a message) into the answerer's turn,
// the reply (a wake-up) into the asker's turn that it resumes.
TEST_P(SchedulerTraceEventsTest, AnAskIsARequestAndAReplyArrow) {
  const std::string path = Path("ask");
  int answer = 0;
  OnScheduler([&]<Scheduler Sched>(Sched& sched) {
    ActorRef<Question> answerer = sched.Spawn(Answerer());
    ActorRef<ActorRef<Question>> asker = sched.Spawn(Asker(sched, answer));
    ASSERT_TRUE(sched.StartTrace(path).ok());
    ASSERT_TRUE(sched.Send(asker, answerer).ok());
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_TRUE(sched.StopTrace().ok());
  });
  EXPECT_EQ(answer, 42);
  const std::string text = ReadFile(path);
  EXPECT_EQ(Count(text, "\"ph\":\"s\""), Count(text, "\"ph\":\"f\""));
  EXPECT_EQ(Count(text, "\"name\":\"wake-up\""), 2);  // Its start and end.
  // The request's message arrow, and the ask's own (start and end).
  EXPECT_EQ(Count(text,
                  "\"cat\":\"msg\",\"name\":\"coactor::(anonymous "
                  "namespace)::Question\""),
            2);
  EXPECT_EQ(Count(text,
                  "\"cat\":\"ask\",\"name\":\"coactor::(anonymous "
                  "namespace)::Question\""),
            2);
  EXPECT_EQ(Count(text, "\"outcome\":\"reply\""), 1);
}

// Keeps each request (and its ReplyTo) unanswered: its asks time out.
Actor<Question> Keeper() {
  std::vector<Question> kept;
  for (;;) kept.push_back(co_await Receive<Question>());
}

// Drops each request: its asks end in an error at once.
Actor<Question> Dropper() {
  for (;;) co_await Receive<Question>();
}

// Asks the answerer, the keeper and the dropper in turn; `outcomes` gets
// what each ask came back with.
template <Scheduler Sched>
Actor<int> AskEach(Sched& sched, ActorRef<Question> answerer,
                   ActorRef<Question> keeper, ActorRef<Question> dropper,
                   std::vector<absl::StatusCode>& outcomes) {
  co_await Receive<int>();
  for (const ActorRef<Question>& to : {answerer, keeper, dropper}) {
    absl::StatusOr<int> reply = co_await Ask<int>(
        sched, to,
        [](ReplyTo<int> r) {
          return Question{1, std::move(r)};
        },
        absl::Seconds(1));
    outcomes.push_back(reply.status().code());
  }
}

// An ask's arrow, from the request to the asker's resumption, tells how
// it ended: a reply, a timeout (its own outcome), or the error.
TEST_P(SchedulerTraceEventsTest, AnAsksArrowEndsInAReplyATimeoutOrAnError) {
  const std::string path = Path("ask_outcomes");
  std::vector<absl::StatusCode> outcomes;
  OnScheduler([&]<Scheduler Sched>(Sched& sched) {
    ActorRef<Question> answerer = sched.Spawn(Answerer());
    ActorRef<Question> keeper = sched.Spawn(Keeper());
    ActorRef<Question> dropper = sched.Spawn(Dropper());
    ActorRef<int> asker =
        sched.Spawn(AskEach(sched, answerer, keeper, dropper, outcomes));
    ASSERT_TRUE(sched.StartTrace(path).ok());
    ASSERT_TRUE(sched.Send(asker, 0).ok());
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_TRUE(sched.StopTrace().ok());
  });
  EXPECT_EQ(outcomes,
            (std::vector<absl::StatusCode>{
                absl::StatusCode::kOk, absl::StatusCode::kDeadlineExceeded,
                absl::StatusCode::kFailedPrecondition}));
  const std::string text = ReadFile(path);
  EXPECT_EQ(Count(text, "\"cat\":\"ask\""), 6);
  EXPECT_EQ(Count(text, "\"ph\":\"s\",\"pid\""),
            Count(text, "\"ph\":\"f\",\"pid\""));
  EXPECT_EQ(Count(text, "\"outcome\":\"reply\""), 1);
  EXPECT_EQ(Count(text, "\"outcome\":\"timeout\""), 1);
  EXPECT_EQ(Count(text,
                  "\"outcome\":\"error: the request was dropped without a "
                  "reply\""),
            1);
}

TEST_P(SchedulerTraceEventsTest, BadInput) {
  const std::string path = Path("bad");
  OnScheduler([&]<Scheduler Sched>(Sched& sched) {
    EXPECT_TRUE(sched.StopTrace().ok());  // No trace: a no-op.
    const absl::Status unwritable = sched.StartTrace("/nonexistent-dir/t.json");
    EXPECT_EQ(unwritable.code(), absl::StatusCode::kNotFound);
    EXPECT_NE(unwritable.message().find("/nonexistent-dir/t.json"),
              std::string_view::npos);
    ASSERT_TRUE(sched.StartTrace(path).ok());
    EXPECT_EQ(sched.StartTrace(path).code(),
              absl::StatusCode::kFailedPrecondition);
    int received = 0;
    ActorRef<int> sink = sched.Spawn(Sink(received));
    ASSERT_TRUE(sched.Send(sink, 5).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(received, 5);
    ASSERT_TRUE(sched.StopTrace().ok());
    EXPECT_TRUE(sched.StopTrace().ok());  // Stopped: a no-op.
  });
  const std::string text = ReadFile(path);
  // The actor's start and its message: a turn each.
  EXPECT_EQ(Count(text, "\"cat\":\"turn\""), 2);
  EXPECT_EQ(Count(text, "\"messages\":1}"), 1);
}

Actor<int> StopsTheTrace(WorkStealingScheduler& sched, absl::Status& status) {
  co_await Receive<int>();
  status = sched.StopTrace();
}

// Work stealing's workers record without locks, so its trace stops only
// between runs.
TEST(WorkStealingTraceTest, StopTraceDuringARunIsRefused) {
  const std::string path = TempPath("stop_in_run.json");
  WorkStealingScheduler sched(2);
  ASSERT_TRUE(sched.StartTrace(path).ok());
  absl::Status status;
  ActorRef<int> actor = sched.Spawn(StopsTheTrace(sched, status));
  ASSERT_TRUE(sched.Send(actor, 1).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(sched.StopTrace().ok());
  EXPECT_EQ(Count(ReadFile(path), "\"messages\":1}"), 1);
}

INSTANTIATE_TEST_SUITE_P(AllSchedulers, SchedulerTraceEventsTest,
                         ::testing::ValuesIn(testing::SchedulerKinds(4)),
                         testing::SchedulerKindName);

}  // namespace
}  // namespace coactor
