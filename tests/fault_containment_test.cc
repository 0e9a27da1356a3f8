// User code that a scheduler runs outside any actor's body cannot bring the
// scheduler down: an exception from it is recorded as a failure, the
// message is kept as a dead letter, and the run goes on. On every
// scheduler: before, on work stealing such an exception left a worker
// thread (std::terminate); on the deque scheduler it escaped Run(), and the
// message was neither delivered nor kept.
//
// The paths: a SendAfter timer's send (the message's move constructor
// throws); a monitor's Down to its watcher (the watcher's message type
// throws when built from a Down); an ask's reply handed to the asker (its
// move throws: the asker gets an error instead of waiting for ever); a
// BoundedQueue handing a value between a putter and a getter (its move
// throws: the value stays where it was, and no waiter is left unwoken). Those
// where user code runs in the caller's own context throw to it and leave
// the scheduler as it was: a Send whose message throws, a task whose result
// throws when handed over (rethrown at the join).
#include <atomic>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/ask.h"
#include "actors/bounded_queue.h"
#include "actors/clock.h"
#include "actors/down.h"
#include "actors/join_handle.h"
#include "actors/receive.h"
#include "actors/task.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

using ::testing::HasSubstr;

// A message with a user-declared copy constructor and no move constructor:
// it moves by copying, and copying throws while `fail` is set (as a copy
// can throw std::bad_alloc).
struct Touchy {
  static inline std::atomic<bool> fail{false};

  explicit Touchy(std::string text) : text(std::move(text)) {}
  Touchy(const Touchy& other) : text(other.text) {
    if (fail.load()) throw std::runtime_error("copy failed");
  }
  Touchy& operator=(const Touchy&) = delete;

  std::string text;
};

// Sets Touchy::fail for a scope.
class FailingCopies {
 public:
  FailingCopies() { Touchy::fail = true; }
  ~FailingCopies() { Touchy::fail = false; }
};

// A watcher's message type that cannot be built from a Down.
struct Picky {
  explicit Picky(int) {}
  explicit Picky(const Down&) { throw std::runtime_error("no Downs today"); }
};

using testing::SchedulerKind;

class FaultContainmentTest : public ::testing::TestWithParam<SchedulerKind> {
 protected:
  template <typename Program>
  void OnScheduler(Program program) {
    testing::RunOnScheduler(GetParam(), program, clock_);
  }

  absl::Duration Elapsed() { return clock_.Now() - absl::UnixEpoch(); }
  ManualClock clock_{absl::UnixEpoch()};
};

template <typename Msg>
Actor<Msg> Recorder(std::vector<Msg>& got) {
  for (;;) got.push_back(co_await Receive<Msg>());
}

Actor<Touchy> TouchyRecorder(std::vector<std::string>& got) {
  for (;;) got.push_back((co_await Receive<Touchy>()).text);
}

// Ends at its first message.
Actor<int> EndsAtFirstMessage() { co_await Receive<int>(); }

// Ends as soon as it starts.
template <typename Msg>
Actor<Msg> EndsAtOnce() {
  co_return;
}

// ---- Timers -----------------------------------------------------------------

TEST_P(FaultContainmentTest,
       ASendAfterWhoseMessageThrowsIsKeptAndTheRunGoesOn) {
  OnScheduler([this](auto& sched) {
    std::vector<std::string> touchy_got;
    std::vector<int> ints_got;
    auto target = sched.Spawn("target", TouchyRecorder(touchy_got));
    auto other = sched.Spawn("other", Recorder<int>(ints_got));
    ASSERT_TRUE(target.ok() && other.ok());
    sched.SendAfter(absl::Seconds(1), *target, Touchy("first"));
    sched.SendAfter(absl::Seconds(2), *other, 2);
    {
      FailingCopies failing;
      ASSERT_TRUE(sched.Run().ok());
    }
    EXPECT_EQ(Elapsed(), absl::Seconds(2));
    EXPECT_TRUE(touchy_got.empty());
    EXPECT_EQ(ints_got, std::vector<int>{2});  // The run went on.

    ASSERT_EQ(sched.failures().size(), 1u);
    EXPECT_EQ(sched.failures()[0].what, "copy failed");
    EXPECT_EQ(sched.failures()[0].actor, "SendAfter to target");
    ASSERT_EQ(sched.dead_letters().size(), 1u);
    const DeadLetter& letter = sched.dead_letters()[0];
    EXPECT_EQ(letter.recipient, "target");
    EXPECT_EQ(letter.reason.code(), absl::StatusCode::kAborted);
    EXPECT_THAT(letter.reason.message(), HasSubstr("copy failed"));
    const Touchy* kept = letter.message.template get_if<Touchy>();
    ASSERT_NE(kept, nullptr);
    EXPECT_EQ(kept->text, "first");

    // The receiver is untouched.
    ASSERT_TRUE(sched.IsAlive(*target));
    ASSERT_TRUE(sched.Send(*target, Touchy("later")).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(touchy_got, std::vector<std::string>{"later"});
  });
}

TEST_P(FaultContainmentTest,
       ASendAfterToAFinishedActorWhoseMessageThrowsIsKept) {
  OnScheduler([](auto& sched) {
    const ActorRef<Touchy> gone = sched.Spawn(EndsAtOnce<Touchy>());
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_FALSE(sched.IsAlive(gone));
    // Sent to a finished actor, the message is copied into a dead letter:
    // that copy throws.
    sched.SendAfter(absl::Seconds(1), gone, Touchy("too late"));
    {
      FailingCopies failing;
      ASSERT_TRUE(sched.Run().ok());
    }
    ASSERT_EQ(sched.failures().size(), 1u);
    EXPECT_EQ(sched.failures()[0].what, "copy failed");
    ASSERT_EQ(sched.dead_letters().size(), 1u);
    const Touchy* kept =
        sched.dead_letters()[0].message.template get_if<Touchy>();
    ASSERT_NE(kept, nullptr);
    EXPECT_EQ(kept->text, "too late");
  });
}

// ---- Monitors ---------------------------------------------------------------

TEST_P(FaultContainmentTest,
       AWatcherThatCannotTakeItsDownDoesNotStopTheOthers) {
  OnScheduler([](auto& sched) {
    std::vector<Picky> picky_got;
    std::vector<Down> downs;
    auto worker = sched.Spawn("worker", EndsAtFirstMessage());
    auto picky = sched.Spawn("picky", Recorder<Picky>(picky_got));
    auto calm = sched.Spawn("calm", Recorder<Down>(downs));
    ASSERT_TRUE(worker.ok() && picky.ok() && calm.ok());
    // The picky watcher is told first.
    ASSERT_TRUE(sched.Monitor(*worker, *picky).ok());
    ASSERT_TRUE(sched.Monitor(*worker, *calm).ok());
    ASSERT_TRUE(sched.Send(*worker, 0).ok());
    ASSERT_TRUE(sched.Run().ok());

    ASSERT_EQ(downs.size(), 1u);
    EXPECT_EQ(downs[0].actor, "'worker'");
    EXPECT_TRUE(picky_got.empty());
    ASSERT_EQ(sched.failures().size(), 1u);
    EXPECT_EQ(sched.failures()[0].what, "no Downs today");
    EXPECT_EQ(sched.failures()[0].actor, "Down to picky");
    ASSERT_EQ(sched.dead_letters().size(), 1u);
    const DeadLetter& letter = sched.dead_letters()[0];
    EXPECT_EQ(letter.recipient, "picky");
    EXPECT_EQ(letter.reason.code(), absl::StatusCode::kAborted);
    const Down* kept = letter.message.template get_if<Down>();
    ASSERT_NE(kept, nullptr);
    EXPECT_EQ(kept->actor, "'worker'");
    EXPECT_TRUE(kept->reason.ok());

    // Everyone else is as before, and the worker's cell is free for reuse.
    EXPECT_TRUE(sched.IsAlive(*picky));
    EXPECT_TRUE(sched.IsAlive(*calm));
    ASSERT_TRUE(sched.Send(*picky, Picky(1)).ok());
    ASSERT_TRUE(sched.Spawn("worker", EndsAtFirstMessage()).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(picky_got.size(), 1u);
    EXPECT_EQ(sched.live_actors(), 3u);
  });
}

// ---- Asks -------------------------------------------------------------------

struct TouchyRequest {
  ReplyTo<Touchy> reply;
};

// Answers each request with a reply whose move (a copy) throws; the
// exception reaches the replier, which goes on.
Actor<TouchyRequest> ClumsyReplier(std::vector<std::string>& caught) {
  for (;;) {
    TouchyRequest request = co_await Receive<TouchyRequest>();
    try {
      FailingCopies failing;
      request.reply.Send(Touchy("answer"));
    } catch (const std::runtime_error& e) {
      caught.push_back(e.what());
    }
  }
}

// How an ask ended (a Task<absl::Status> would give a StatusOr<Status>,
// which holds any Status as a value).
struct Asked {
  absl::StatusCode code;
  std::string message;
};

template <coactor::Scheduler Sched>
Task<Asked> AskTouchy(Sched& sched, ActorRef<TouchyRequest> to) {
  absl::StatusOr<Touchy> reply = co_await Ask<Touchy>(
      sched, to,
      [](ReplyTo<Touchy> reply) { return TouchyRequest{std::move(reply)}; },
      absl::Seconds(10));
  co_return Asked{reply.status().code(), std::string(reply.status().message())};
}

TEST_P(FaultContainmentTest,
       AReplyThatThrowsWhenHandedOverEndsTheAskWithAnError) {
  OnScheduler([this](auto& sched) {
    std::vector<std::string> caught;
    const ActorRef<TouchyRequest> replier = sched.Spawn(ClumsyReplier(caught));
    absl::StatusOr<Asked> asked =
        sched.RunUntilComplete(AskTouchy(sched, replier));
    ASSERT_TRUE(asked.ok()) << asked.status();  // Not left waiting.
    EXPECT_EQ(asked->code, absl::StatusCode::kAborted) << asked->message;
    EXPECT_THAT(asked->message, HasSubstr("copy failed"));
    EXPECT_EQ(Elapsed(), absl::ZeroDuration());  // Not by its timeout.
    EXPECT_EQ(caught, std::vector<std::string>{"copy failed"});
    EXPECT_TRUE(sched.failures().empty());
  });
}

// ---- Bounded queues ---------------------------------------------------------

// A value whose copies throw while Brittle::fail is set, if it is marked.
struct Brittle {
  static inline std::atomic<bool> fail{false};

  Brittle(std::string text, bool marked)
      : text(std::move(text)), marked(marked) {}
  Brittle(const Brittle& other) : text(other.text), marked(other.marked) {
    if (marked && fail.load()) throw std::runtime_error("copy failed");
  }
  Brittle& operator=(const Brittle&) = delete;

  std::string text;
  bool marked;
};

class FailingBrittleCopies {
 public:
  FailingBrittleCopies() { Brittle::fail = true; }
  ~FailingBrittleCopies() { Brittle::fail = false; }
};

Task<std::string> GetOne(BoundedQueue<Brittle>& queue) {
  Brittle value = co_await queue.Get();
  co_return value.text;
}

// A Get() while copies of marked values fail; "threw" if it threw.
Task<std::string> GetOneWhileFailing(BoundedQueue<Brittle>& queue) {
  std::string got;
  {
    FailingBrittleCopies failing;
    try {
      got = (co_await queue.Get()).text;
    } catch (const std::runtime_error&) {
      got = "threw";
    }
  }
  co_return got;
}

Task<std::string> PutOne(BoundedQueue<Brittle>& queue, std::string text,
                         bool marked) {
  co_await queue.Put(Brittle(std::move(text), marked));
  co_return "put";
}

// Puts a marked value while its copies fail; "threw" if the Put threw.
Task<std::string> PutMarkedWhileFailing(BoundedQueue<Brittle>& queue) {
  auto put = queue.Put(Brittle("marked", true));  // Copied before failing.
  FailingBrittleCopies failing;
  try {
    co_await put;
  } catch (const std::runtime_error&) {
    co_return "threw";
  }
  co_return "put";
}

TEST_P(FaultContainmentTest,
       APutWhoseValueThrowsLeavesTheWaitingGetterWaiting) {
  OnScheduler([](auto& sched) {
    BoundedQueue<Brittle> queue(1);
    JoinHandle<std::string> getter = sched.CreateTask(GetOne(queue));
    ASSERT_TRUE(sched.Run().ok());
    JoinHandle<std::string> putter =
        sched.CreateTask(PutMarkedWhileFailing(queue));
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_TRUE(putter.done());
    EXPECT_EQ(putter.TakeResult(), "threw");
    ASSERT_FALSE(getter.done());
    // The getter still waits, and takes the next value.
    JoinHandle<std::string> next =
        sched.CreateTask(PutOne(queue, "next", false));
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_TRUE(getter.done());
    EXPECT_EQ(getter.TakeResult(), "next");
    EXPECT_EQ(queue.size(), 0u);
  });
}

TEST_P(FaultContainmentTest, AWaitingPutterWhoseValueThrowsKeepsItAndWaitsOn) {
  OnScheduler([](auto& sched) {
    BoundedQueue<Brittle> queue(1);
    JoinHandle<std::string> first =
        sched.CreateTask(PutOne(queue, "first", false));
    ASSERT_TRUE(sched.Run().ok());
    JoinHandle<std::string> second =
        sched.CreateTask(PutOne(queue, "second", true));
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_FALSE(second.done());  // The queue is full.
    // Takes "first"; "second" cannot follow it into the buffer.
    JoinHandle<std::string> getter =
        sched.CreateTask(GetOneWhileFailing(queue));
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_TRUE(getter.done());
    EXPECT_EQ(getter.TakeResult(), "first");
    EXPECT_FALSE(second.done());
    // A later Get() takes it and wakes its putter.
    JoinHandle<std::string> later = sched.CreateTask(GetOne(queue));
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_TRUE(later.done() && second.done());
    EXPECT_EQ(later.TakeResult(), "second");
    EXPECT_EQ(second.TakeResult(), "put");
  });
}

TEST_P(FaultContainmentTest,
       AGetFromAWaitingPutterThatThrowsLeavesThePutterWaiting) {
  OnScheduler([](auto& sched) {
    BoundedQueue<Brittle> queue(0);  // Every value is handed over.
    JoinHandle<std::string> putter =
        sched.CreateTask(PutOne(queue, "only", true));
    ASSERT_TRUE(sched.Run().ok());
    JoinHandle<std::string> getter =
        sched.CreateTask(GetOneWhileFailing(queue));
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_TRUE(getter.done());
    EXPECT_EQ(getter.TakeResult(), "threw");
    ASSERT_FALSE(putter.done());
    JoinHandle<std::string> later = sched.CreateTask(GetOne(queue));
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_TRUE(later.done() && putter.done());
    EXPECT_EQ(later.TakeResult(), "only");
    EXPECT_EQ(putter.TakeResult(), "put");
  });
}

// ---- User code in the caller's own context ----------------------------------

TEST_P(FaultContainmentTest, ASendWhoseMessageThrowsThrowsToTheSenderOnly) {
  OnScheduler([](auto& sched) {
    std::vector<std::string> got;
    auto target = sched.Spawn("target", TouchyRecorder(got));
    ASSERT_TRUE(target.ok());
    const Touchy message("dropped");
    {
      FailingCopies failing;
      EXPECT_THROW(sched.Send(*target, message).IgnoreError(),
                   std::runtime_error);
      EXPECT_THROW(sched.Send("target", message).IgnoreError(),
                   std::runtime_error);
    }
    ASSERT_TRUE(sched.Send(*target, Touchy("kept")).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(got, std::vector<std::string>{"kept"});
    EXPECT_TRUE(sched.dead_letters().empty());
    EXPECT_TRUE(sched.failures().empty());
  });
}

Task<Touchy> MakeTouchy() { co_return Touchy("result"); }

TEST_P(FaultContainmentTest,
       ATaskWhoseResultThrowsWhenHandedOverRethrowsAtTheJoin) {
  OnScheduler([](auto& sched) {
    JoinHandle<Touchy> handle = sched.CreateTask(MakeTouchy());
    {
      FailingCopies failing;
      ASSERT_TRUE(sched.Run().ok());
    }
    ASSERT_TRUE(handle.done());
    EXPECT_THROW(handle.TakeResult(), std::runtime_error);
    EXPECT_TRUE(sched.failures().empty());
    EXPECT_EQ(sched.live_actors(), 0u);
  });
}

INSTANTIATE_TEST_SUITE_P(Schedulers, FaultContainmentTest,
                         ::testing::ValuesIn(testing::SchedulerKinds()),
                         testing::SchedulerKindName);

}  // namespace
}  // namespace coactor
