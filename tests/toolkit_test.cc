// The seeds' toolkit on the deque scheduler: sleeps and timers in virtual
// time (ManualClock: no real waiting), tasks and Gather, asks, monitors,
// errors thrown into actors, and stepping the loop. Misuse that must fail
// cleanly on every scheduler runs on the work-stealing one too.
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/ask.h"
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
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kStart = absl::UnixEpoch();

class ToolkitTest : public ::testing::Test {
 protected:
  absl::Duration Elapsed() { return clock_.Now() - kStart; }

  ManualClock clock_{kStart};
  DequeScheduler sched_{clock_};
};

// ---- Sleep and timers -------------------------------------------------------

using Log = std::vector<std::string>;

Actor<int> Sleeper(ManualClock& clock, Log& log) {
  for (;;) {
    int seconds = co_await Receive<int>();
    co_await Sleep(absl::Seconds(seconds));
    log.push_back("woke after " + std::to_string(seconds) + " at " +
                  absl::FormatDuration(clock.Now() - kStart));
  }
}

TEST_F(ToolkitTest, SleepWaitsOnTheClockAndMessagesWaitMeanwhile) {
  Log log;
  ASSERT_TRUE(sched_.Spawn("sleeper", Sleeper(clock_, log)).ok());
  ASSERT_TRUE(sched_.Send("sleeper", 5).ok());
  ASSERT_TRUE(sched_.Send("sleeper", 2).ok());  // Arrives while it sleeps.
  ASSERT_TRUE(sched_.Run().ok());
  // The second sleep starts only after the first, in virtual time.
  EXPECT_THAT(log, ElementsAre("woke after 5 at 5s", "woke after 2 at 7s"));
  EXPECT_EQ(Elapsed(), absl::Seconds(7));
  EXPECT_TRUE(sched_.dead_letters().empty());
}

TEST_F(ToolkitTest, RunOnceDoesNotWaitForTimers) {
  Log log;
  ASSERT_TRUE(sched_.Spawn("sleeper", Sleeper(clock_, log)).ok());
  ASSERT_TRUE(sched_.Send("sleeper", 3).ok());
  while (sched_.RunOnce() && sched_.pending() > 0) {
  }
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(sched_.pending_timers(), 1u);
  EXPECT_TRUE(sched_.has_pending());
  clock_.Advance(absl::Seconds(3));
  sched_.RunOnce();  // Fires the timer, then delivers the wake-up.
  EXPECT_THAT(log, ElementsAre("woke after 3 at 3s"));
}

Actor<std::string> Recorder(Log& log) {
  for (;;) log.push_back(co_await Receive<std::string>());
}

TEST_F(ToolkitTest, SendAfterDeliversLaterAndCanBeCancelled) {
  Log log;
  ActorRef<std::string> recorder = sched_.Spawn(Recorder(log));
  sched_.SendAfter(absl::Seconds(2), recorder, std::string("two"));
  TimerId cancelled =
      sched_.SendAfter(absl::Seconds(1), recorder, std::string("never"));
  sched_.SendAfter(absl::Seconds(3), recorder, std::string("three"));
  EXPECT_TRUE(sched_.CancelTimer(cancelled));
  EXPECT_FALSE(sched_.CancelTimer(cancelled));  // Already cancelled: no-op.
  ASSERT_TRUE(sched_.Run().ok());
  EXPECT_THAT(log, ElementsAre("two", "three"));
  EXPECT_EQ(Elapsed(), absl::Seconds(3));
  TimerId fired =
      sched_.SendAfter(absl::Seconds(1), recorder, std::string("fired"));
  ASSERT_TRUE(sched_.Run().ok());
  EXPECT_FALSE(sched_.CancelTimer(fired));  // Already fired: no-op.
  EXPECT_THAT(log, ElementsAre("two", "three", "fired"));
}

TEST_F(ToolkitTest, TimersDueTogetherFireInTheOrderTheyWereSet) {
  Log log;
  ActorRef<std::string> recorder = sched_.Spawn(Recorder(log));
  for (const char* word : {"a", "b", "c", "d"}) {
    sched_.SendAfter(absl::Seconds(1), recorder, std::string(word));
  }
  ASSERT_TRUE(sched_.Run().ok());
  EXPECT_THAT(log, ElementsAre("a", "b", "c", "d"));
}

// ---- Tasks and Gather -------------------------------------------------------

Task<int> Factorial(Log& log, std::string name, int number) {
  int f = 1;
  for (int i = 2; i <= number; ++i) {
    log.push_back(name + " i=" + std::to_string(i));
    co_await Sleep(absl::Seconds(1));
    f *= i;
  }
  log.push_back(name + " = " + std::to_string(f));
  co_return f;
}

TEST_F(ToolkitTest, GatherRunsTasksConcurrentlyAndKeepsArgumentOrder) {
  Log log;
  absl::StatusOr<std::vector<int>> results = sched_.RunUntilComplete(Gather(
      Factorial(log, "A", 2), Factorial(log, "B", 3), Factorial(log, "C", 4)));
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_THAT(*results, ElementsAre(2, 6, 24));
  // Interleaved as in the seed: three units of time, not 2+3+4-3 = 6.
  EXPECT_EQ(Elapsed(), absl::Seconds(3));
  EXPECT_THAT(log, ElementsAre("A i=2", "B i=2", "C i=2", "A = 2", "B i=3",
                               "C i=3", "B = 6", "C i=4", "C = 24"));
}

Task<int> Nested(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await Nested(depth - 1);
}

TEST_F(ToolkitTest, TasksAwaitTasksInline) {
  absl::StatusOr<int> depth = sched_.RunUntilComplete(Nested(100));
  ASSERT_TRUE(depth.ok());
  EXPECT_EQ(*depth, 100);
}

Task<int> Fails(std::string what) {
  co_await Sleep(absl::Seconds(1));
  throw std::runtime_error(what);
}

Task<int> Value(int v) {
  co_await Yield();
  co_return v;
}

TEST_F(ToolkitTest, AnExceptionInAGatheredTaskSurfacesToTheAwaiter) {
  std::vector<Task<int>> tasks;
  tasks.push_back(Value(1));
  tasks.push_back(Fails("second failed"));
  tasks.push_back(Fails("third failed"));
  EXPECT_THROW(
      {
        try {
          sched_.RunUntilComplete(Gather(std::move(tasks))).IgnoreError();
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "second failed");  // The first, in order.
          throw;
        }
      },
      std::runtime_error);
  EXPECT_TRUE(sched_.failures().empty());  // Tasks' errors go to awaiters.
}

TEST_F(ToolkitTest, GatheringNothingGivesNothing) {
  absl::StatusOr<std::vector<int>> results =
      sched_.RunUntilComplete(Gather(std::vector<Task<int>>{}));
  ASSERT_TRUE(results.ok());
  EXPECT_TRUE(results->empty());
}

Task<std::vector<int>> CreateAndJoin() {
  JoinHandle<int> a = co_await CreateTask(Value(10));
  JoinHandle<int> b = co_await CreateTask(Value(20));
  int first = co_await b;
  int second = co_await a;
  co_return std::vector<int>{first, second};
}

TEST_F(ToolkitTest, CreatedTasksAreJoinedInAnyOrder) {
  absl::StatusOr<std::vector<int>> results =
      sched_.RunUntilComplete(CreateAndJoin());
  ASSERT_TRUE(results.ok());
  EXPECT_THAT(*results, ElementsAre(20, 10));
}

Actor<int> Silent() {
  for (;;) co_await Receive<int>();
}

Task<int> WaitsForever(JoinHandle<int> never) { co_return co_await never; }

TEST_F(ToolkitTest, RunUntilCompleteReportsATaskThatCannotFinish) {
  ActorRef<int> silent = sched_.Spawn(Silent());
  (void)silent;
  // A task blocked on an ask without timeout would hang; here: a task whose
  // only wait can never end (its JoinHandle's task waits for itself).
  auto never = std::make_shared<internal::TaskState<int>>();
  absl::StatusOr<int> result =
      sched_.RunUntilComplete(WaitsForever(JoinHandle<int>(never)));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
}

Task<int> Seven() { co_return 7; }

// ---- Asks -------------------------------------------------------------------

struct Double {
  int n;
  ReplyTo<int> reply;
};

Actor<Double> Doubler(bool& drop_next) {
  for (;;) {
    Double request = co_await Receive<Double>();
    if (drop_next) {
      drop_next = false;
      continue;  // The ReplyTo is destroyed unanswered.
    }
    request.reply.Send(2 * request.n);
  }
}

Actor<Double> Slow(DequeScheduler& sched) {
  for (;;) {
    Double request = co_await Receive<Double>();
    co_await Sleep(absl::Seconds(10));
    request.reply.Send(request.n);
    (void)sched;
  }
}

Task<std::vector<absl::StatusOr<int>>> AskAll(DequeScheduler& sched,
                                              ActorRef<Double> doubler,
                                              ActorRef<Double> slow,
                                              ActorRef<Double> finished) {
  auto make = [](int n) {
    return [n](ReplyTo<int> reply) { return Double{n, std::move(reply)}; };
  };
  std::vector<absl::StatusOr<int>> results;
  results.push_back(
      co_await Ask<int>(sched, doubler, make(21), absl::Seconds(1)));
  results.push_back(co_await Ask<int>(sched, slow, make(1), absl::Seconds(1)));
  results.push_back(
      co_await Ask<int>(sched, finished, make(2), absl::Seconds(1)));
  results.push_back(co_await Ask<int>(sched, doubler, make(3),
                                      absl::Seconds(1)));  // Dropped.
  co_return results;
}

Actor<Double> Gone() { co_return; }

TEST_F(ToolkitTest, AsksGetAReplyOrAnErrorNeverAHang) {
  bool drop_next = false;
  ActorRef<Double> doubler = sched_.Spawn(Doubler(drop_next));
  ActorRef<Double> slow = sched_.Spawn(Slow(sched_));
  ActorRef<Double> gone = sched_.Spawn(Gone());
  ASSERT_TRUE(sched_.Run().ok());  // `gone` finishes.
  Task<std::vector<absl::StatusOr<int>>> asks =
      AskAll(sched_, doubler, slow, gone);
  // Drop the fourth request: arm the flag once the third ask is answered.
  JoinHandle<std::vector<absl::StatusOr<int>>> handle =
      sched_.CreateTask(std::move(asks));
  while (!handle.done()) {
    if (sched_.dead_letters().size() == 1) drop_next = true;
    if (sched_.pending() == 0) {  // Only timers left: let time pass.
      ASSERT_GT(sched_.pending_timers(), 0u);
      clock_.Advance(absl::Seconds(1));
    }
    sched_.RunOnce();
  }
  std::vector<absl::StatusOr<int>> results = handle.TakeResult();
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(*results[0], 42);
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(results[2].status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(results[3].status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(results[3].status().message(), HasSubstr("without a reply"));
}

// A request can be built first and awaited later, moved (awaiting uses it
// up): it keeps copies of what it needs, not references to the arguments
// (the timeout here is a temporary).
Task<absl::StatusOr<int>> AskBuiltAhead(DequeScheduler& sched,
                                        ActorRef<Double> doubler) {
  auto request = Ask<int>(
      sched, doubler,
      [](ReplyTo<int> reply) {
        return Double{21, std::move(reply)};
      },
      absl::Seconds(1));
  co_await Yield();
  co_return co_await std::move(request);
}

TEST_F(ToolkitTest, AnAskRequestBuiltAheadIsAwaitedLater) {
  bool drop_next = false;
  ActorRef<Double> doubler = sched_.Spawn(Doubler(drop_next));
  absl::StatusOr<absl::StatusOr<int>> reply =
      sched_.RunUntilComplete(AskBuiltAhead(sched_, doubler));
  ASSERT_TRUE(reply.ok());
  ASSERT_TRUE(reply->ok());
  EXPECT_EQ(**reply, 42);
}

Actor<Double> Hoarder(std::vector<Double>& kept) {
  for (;;) kept.push_back(co_await Receive<Double>());
}

Task<absl::StatusOr<int>> AskOnce(DequeScheduler& sched, ActorRef<Double> to,
                                  absl::Duration timeout) {
  co_return co_await Ask<int>(
      sched, to,
      [](ReplyTo<int> reply) {
        return Double{1, std::move(reply)};
      },
      timeout);
}

// The deque scheduler resolves an ask's deadline at its next look at the
// timers, not when the ask is made; stepped by hand, that is still the
// moment of the ask, so the timeout fires exactly on time, never early.
TEST_F(ToolkitTest, AnAskTimesOutExactlyOnTimeWhenStepped) {
  std::vector<Double> kept;  // Holds the request: no reply, no drop.
  ActorRef<Double> hoarder = sched_.Spawn(Hoarder(kept));
  JoinHandle<absl::StatusOr<int>> handle =
      sched_.CreateTask(AskOnce(sched_, hoarder, absl::Milliseconds(1500)));
  for (int step = 0; step < 10 && sched_.pending_timers() == 0; ++step) {
    sched_.RunOnce();
  }
  // The ask was made in the last step (its request is still queued); time
  // passes before the next one.
  ASSERT_EQ(sched_.pending_timers(), 1u);
  ASSERT_TRUE(kept.empty());
  clock_.Advance(absl::Milliseconds(1499));
  while (sched_.pending() > 0) sched_.RunOnce();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_FALSE(handle.done()) << "timed out early";
  clock_.Advance(absl::Milliseconds(1));
  for (int step = 0; step < 10 && !handle.done(); ++step) sched_.RunOnce();
  ASSERT_TRUE(handle.done()) << "not timed out on time";
  EXPECT_EQ(handle.TakeResult().status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Elapsed(), absl::Milliseconds(1500));
  kept.clear();  // A reply after the timeout would be dropped.
}

// Asks through `via` (not its own scheduler), then makes a request that
// throws, then asks properly.
Task<std::vector<std::string>> AskBadly(DequeScheduler& own,
                                        DequeScheduler& via,
                                        ActorRef<Double> doubler,
                                        ActorRef<Double> elsewhere) {
  std::vector<std::string> log;
  absl::StatusOr<int> wrong = co_await Ask<int>(
      via, elsewhere,
      [](ReplyTo<int> reply) {
        return Double{1, std::move(reply)};
      },
      absl::Seconds(1));
  log.push_back(wrong.status().ToString());
  try {
    (co_await Ask<int>(
         own, doubler,
         [](ReplyTo<int>) -> Double {
           throw std::runtime_error("no request today");
         },
         absl::Seconds(1)))
        .IgnoreError();  // It throws instead.
    log.push_back("not thrown");
  } catch (const std::runtime_error& e) {
    log.push_back(std::string("caught ") + e.what());
  }
  absl::StatusOr<int> right = co_await Ask<int>(
      own, doubler,
      [](ReplyTo<int> reply) {
        return Double{21, std::move(reply)};
      },
      absl::Seconds(1));
  log.push_back(right.ok() ? std::to_string(*right)
                           : right.status().ToString());
  co_return log;
}

TEST_F(ToolkitTest,
       AsksThroughAnotherSchedulerOrWithAThrowingRequestFailCleanly) {
  DequeScheduler other(clock_);
  bool drop_next = false;
  ActorRef<Double> doubler = sched_.Spawn(Doubler(drop_next));
  ActorRef<Double> elsewhere = other.Spawn(Doubler(drop_next));
  absl::StatusOr<std::vector<std::string>> log =
      sched_.RunUntilComplete(AskBadly(sched_, other, doubler, elsewhere));
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), 3u);
  EXPECT_THAT((*log)[0], HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT((*log)[0], HasSubstr("own scheduler"));
  EXPECT_EQ((*log)[1], "caught no request today");
  EXPECT_EQ((*log)[2], "42");
  // Nothing was sent to the other scheduler, nothing is left armed here.
  EXPECT_EQ(other.pending(), 1u);  // Only the doubler's start.
  EXPECT_TRUE(other.dead_letters().empty());
  EXPECT_TRUE(sched_.dead_letters().empty());
  EXPECT_EQ(sched_.pending_timers(), 0u);
  ASSERT_TRUE(sched_.Run().ok());
  EXPECT_EQ(Elapsed(), absl::ZeroDuration());
}

// One answered ask, then one that gets no reply.
Task<std::vector<absl::StatusOr<int>>> AskThenWaitInVain(
    DequeScheduler& sched, ActorRef<Double> doubler, ActorRef<Double> hoarder,
    int n, absl::Duration timeout) {
  auto make = [n](ReplyTo<int> reply) { return Double{n, std::move(reply)}; };
  std::vector<absl::StatusOr<int>> results;
  results.push_back(co_await Ask<int>(sched, doubler, make, timeout));
  results.push_back(co_await Ask<int>(sched, hoarder, make, timeout));
  co_return results;
}

// An actor has one ask pending at a time, so the deque scheduler reuses
// the deferred timer of an actor's answered ask for its next one; with
// several actors' asks interleaved, each unanswered one still times out on
// its own deadline, and each answered one leaves nothing behind.
TEST_F(ToolkitTest, InterleavedAsksOfSeveralActorsEachTimeOutOnTime) {
  bool drop_next = false;
  ActorRef<Double> doubler = sched_.Spawn(Doubler(drop_next));
  std::vector<Double> kept;
  ActorRef<Double> hoarder = sched_.Spawn(Hoarder(kept));
  std::vector<JoinHandle<std::vector<absl::StatusOr<int>>>> askers;
  for (int i = 1; i <= 3; ++i) {
    askers.push_back(sched_.CreateTask(
        AskThenWaitInVain(sched_, doubler, hoarder, i, absl::Seconds(4 - i))));
  }
  ASSERT_TRUE(sched_.Run().ok());
  EXPECT_EQ(Elapsed(), absl::Seconds(3));  // The last deadline, not later.
  EXPECT_EQ(kept.size(), 3u);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(askers[i - 1].done());
    std::vector<absl::StatusOr<int>> results = askers[i - 1].TakeResult();
    ASSERT_EQ(results.size(), 2u);
    ASSERT_TRUE(results[0].ok()) << results[0].status();
    EXPECT_EQ(*results[0], 2 * i);
    EXPECT_EQ(results[1].status().code(), absl::StatusCode::kDeadlineExceeded);
  }
  EXPECT_EQ(sched_.pending_timers(), 0u);
  kept.clear();  // Replies after the timeouts: dropped.
}

// ---- Misuse, on every scheduler ---------------------------------------------

template <coactor::Scheduler Sched>
std::unique_ptr<Sched> MakeScheduler(Clock& clock);
template <>
std::unique_ptr<DequeScheduler> MakeScheduler(Clock& clock) {
  return std::make_unique<DequeScheduler>(clock);
}
template <>
std::unique_ptr<WorkStealingScheduler> MakeScheduler(Clock& clock) {
  return std::make_unique<WorkStealingScheduler>(2, clock);
}

template <coactor::Scheduler Sched>
class EverySchedulerTest : public ::testing::Test {
 protected:
  ManualClock clock_{kStart};
  std::unique_ptr<Sched> sched_ = MakeScheduler<Sched>(clock_);
};
using Schedulers = ::testing::Types<DequeScheduler, WorkStealingScheduler>;
TYPED_TEST_SUITE(EverySchedulerTest, Schedulers);

// Keeps the ReplyTo of every request; a message without one answers them
// all with its `answer`.
struct HoarderMsg {
  std::optional<ReplyTo<int>> reply;
  int answer = 0;
};

Actor<HoarderMsg> Hoarder() {
  std::vector<ReplyTo<int>> kept;
  for (;;) {
    HoarderMsg message = co_await Receive<HoarderMsg>();
    if (message.reply.has_value()) {
      kept.push_back(std::move(*message.reply));
      continue;
    }
    for (ReplyTo<int>& reply : kept) reply.Send(message.answer);
    kept.clear();
  }
}

// Asks with no time limit, then sleeps for ever.
template <coactor::Scheduler Sched>
Actor<int> PatientAsker(Sched& sched, ActorRef<HoarderMsg> hoarder, Log& log) {
  co_await Receive<int>();
  absl::StatusOr<int> reply = co_await Ask<int>(
      sched, hoarder,
      [](ReplyTo<int> reply) { return HoarderMsg{std::move(reply)}; },
      absl::InfiniteDuration());
  log.push_back(reply.ok() ? "reply " + std::to_string(*reply)
                           : reply.status().ToString());
  co_await Sleep(absl::InfiniteDuration());
  log.push_back("woke from an endless sleep");
}

// An infinite timeout, sleep or delay never comes, even on a ManualClock
// that could jump to the end of time; Run() does not wait for it, and the
// clock moves only to real deadlines.
TYPED_TEST(EverySchedulerTest, InfiniteTimeoutsSleepsAndDelaysNeverFire) {
  auto& sched = *this->sched_;
  Log log, recorded;
  ActorRef<HoarderMsg> hoarder = sched.Spawn(Hoarder());
  ActorRef<int> asker = sched.Spawn(PatientAsker(sched, hoarder, log));
  ActorRef<std::string> recorder = sched.Spawn(Recorder(recorded));
  TimerId never =
      sched.SendAfter(absl::InfiniteDuration(), recorder, std::string("never"));
  sched.SendAfter(absl::Seconds(1), recorder, std::string("one second"));
  ASSERT_TRUE(sched.Send(asker, 0).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(this->clock_.Now(), kStart + absl::Seconds(1));
  EXPECT_TRUE(log.empty());  // Still waiting for its reply.
  EXPECT_THAT(recorded, ElementsAre("one second"));
  if constexpr (std::is_same_v<TypeParam, DequeScheduler>) {
    // The endless delay is kept (it can be cancelled); the ask armed none.
    EXPECT_EQ(sched.pending_timers(), 1u);
    EXPECT_FALSE(sched.has_pending());
  }

  // The reply counts however late it comes; then the endless sleep.
  ASSERT_TRUE(sched.Send(hoarder, HoarderMsg{std::nullopt, 7}).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_THAT(log, ElementsAre("reply 7"));
  EXPECT_EQ(this->clock_.Now(), kStart + absl::Seconds(1));

  // Later timers still work, and the endless one can still be cancelled.
  sched.SendAfter(absl::Seconds(2), recorder, std::string("two seconds"));
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_THAT(recorded, ElementsAre("one second", "two seconds"));
  EXPECT_EQ(this->clock_.Now(), kStart + absl::Seconds(3));
  EXPECT_TRUE(sched.CancelTimer(never));
  EXPECT_FALSE(sched.CancelTimer(never));
  EXPECT_THAT(log, ElementsAre("reply 7"));
}

// Puts every request off for ever: its ReplyTo waits in a SendAfter timer
// that never fires.
struct Postponed {
  ReplyTo<int> reply;
  std::shared_ptr<int> on_destruction;  // Counts the last copy's end.
};

template <coactor::Scheduler Sched>
Actor<Postponed> Postponer(Sched& sched, int& destroyed) {
  ActorRef<Postponed> self = co_await Self();
  for (;;) {
    Postponed request = co_await Receive<Postponed>();
    request.on_destruction =
        std::shared_ptr<int>(&destroyed, [](int* n) { ++*n; });
    sched.SendAfter(absl::InfiniteDuration(), self, std::move(request));
  }
}

template <coactor::Scheduler Sched>
Task<std::string> AsksThePostponer(Sched& sched, ActorRef<Postponed> to) {
  absl::StatusOr<int> reply = co_await Ask<int>(
      sched, to,
      [](ReplyTo<int> reply) {
        return Postponed{std::move(reply), nullptr};
      },
      absl::Seconds(1));
  co_return reply.status().ToString();
}

// A never-firing timer is destroyed by the scheduler's destructor while the
// cells its message points into still exist: the ReplyTo in it claims
// nothing and touches the asker's (still allocated) cell. Under ASan this
// was a heap-use-after-free when the timer outlived the cells.
TYPED_TEST(EverySchedulerTest, ANeverFiringTimerDiesWhileTheSchedulerIsWhole) {
  int destroyed = 0;
  {
    auto sched = MakeScheduler<TypeParam>(this->clock_);
    ActorRef<Postponed> postponer = sched->Spawn(Postponer(*sched, destroyed));
    absl::StatusOr<std::string> result =
        sched->RunUntilComplete(AsksThePostponer(*sched, postponer));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_THAT(*result, HasSubstr("DEADLINE_EXCEEDED"));
    EXPECT_EQ(this->clock_.Now(), kStart + absl::Seconds(1));
  }
  EXPECT_EQ(destroyed, 1);
}

// Asks itself, then receives a message and logs it.
template <coactor::Scheduler Sched>
Actor<HoarderMsg> AsksItself(Sched& sched, Log& log) {
  ActorRef<HoarderMsg> self = co_await Self();
  absl::StatusOr<int> reply = co_await Ask<int>(
      sched, self,
      [](ReplyTo<int> reply) { return HoarderMsg{std::move(reply)}; },
      absl::Seconds(30));
  log.push_back(reply.status().ToString());
  HoarderMsg next = co_await Receive<HoarderMsg>();
  log.push_back(next.reply.has_value()
                    ? "a request"
                    : "answer " + std::to_string(next.answer));
}

// An actor cannot read its own request while it waits: asking itself is
// refused at once (no timeout, no request left in its mailbox).
TYPED_TEST(EverySchedulerTest, AnActorAskingItselfIsRefusedAtOnce) {
  auto& sched = *this->sched_;
  Log log;
  ActorRef<HoarderMsg> actor = sched.Spawn(AsksItself(sched, log));
  ASSERT_TRUE(sched.Run().ok());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0],
              HasSubstr("FAILED_PRECONDITION: an actor cannot ask itself"));
  EXPECT_EQ(this->clock_.Now(), kStart);
  ASSERT_TRUE(sched.Send(actor, HoarderMsg{std::nullopt, 5}).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_THAT(log, ElementsAre(log[0], "answer 5"));
  EXPECT_TRUE(sched.dead_letters().empty());
}

// A request whose move constructor throws when told to: after it has moved
// the ReplyTo (the half-built copy then destroys it, inside Send()), or
// before (the ReplyTo stays in the request).
enum class ThrowOnMove { kNever, kAfterTheReplyTo, kBeforeTheReplyTo };

struct FragileRequest {
  FragileRequest(ThrowOnMove mode, ReplyTo<int> reply)
      : mode(mode), reply(std::move(reply)) {}
  FragileRequest(FragileRequest&& other) noexcept(false)
      : mode(other.mode), reply(TakeReply(other)) {
    if (mode == ThrowOnMove::kAfterTheReplyTo) {
      throw std::runtime_error("moved after the reply");
    }
  }
  static ReplyTo<int>&& TakeReply(FragileRequest& other) {
    if (other.mode == ThrowOnMove::kBeforeTheReplyTo) {
      throw std::runtime_error("moved before the reply");
    }
    return std::move(other.reply);
  }

  ThrowOnMove mode;
  ReplyTo<int> reply;
};

Actor<FragileRequest> Answerer() {
  for (;;) {
    FragileRequest request = co_await Receive<FragileRequest>();
    request.reply.Send(42);
  }
}

// Asks with a request whose move throws, then asks properly, then receives.
template <coactor::Scheduler Sched>
Actor<int> AskerWithAFragileRequest(Sched& sched, ActorRef<FragileRequest> to,
                                    ThrowOnMove mode, Log& log) {
  auto make = [](ThrowOnMove mode) {
    return [mode](ReplyTo<int> reply) {
      return FragileRequest(mode, std::move(reply));
    };
  };
  try {
    absl::StatusOr<int> reply =
        co_await Ask<int>(sched, to, make(mode), absl::Seconds(5));
    log.push_back("not thrown: " + reply.status().ToString());
  } catch (const std::runtime_error& e) {
    log.push_back(std::string("caught ") + e.what());
  }
  absl::StatusOr<int> again =
      co_await Ask<int>(sched, to, make(ThrowOnMove::kNever), absl::Seconds(5));
  log.push_back(again.ok() ? "asked again: " + std::to_string(*again)
                           : again.status().ToString());
  for (;;) {
    int n = co_await Receive<int>();
    log.push_back("got " + std::to_string(n));
    if (n == 0) co_return;
  }
}

// The send throws inside the asker's await_suspend: the exception reaches
// the asker at its co_await, and no stale wake-up resumes it later at
// another suspension point; it asks and receives normally afterwards.
TYPED_TEST(EverySchedulerTest,
           AnAskWhoseRequestThrowsWhenMovedThrowsAtItsAwait) {
  for (ThrowOnMove mode :
       {ThrowOnMove::kAfterTheReplyTo, ThrowOnMove::kBeforeTheReplyTo}) {
    auto sched = MakeScheduler<TypeParam>(this->clock_);
    Log log;
    ActorRef<FragileRequest> answerer = sched->Spawn(Answerer());
    ActorRef<int> asker =
        sched->Spawn(AskerWithAFragileRequest(*sched, answerer, mode, log));
    ASSERT_TRUE(sched->Run().ok());
    ASSERT_TRUE(sched->Send(asker, 1).ok());
    ASSERT_TRUE(sched->Send(asker, 0).ok());
    ASSERT_TRUE(sched->Run().ok());
    const std::string caught = mode == ThrowOnMove::kAfterTheReplyTo
                                   ? "caught moved after the reply"
                                   : "caught moved before the reply";
    EXPECT_THAT(log, ElementsAre(caught, "asked again: 42", "got 1", "got 0"));
    EXPECT_FALSE(sched->IsAlive(asker));
    EXPECT_TRUE(sched->failures().empty());
    EXPECT_TRUE(sched->dead_letters().empty());
    // Nothing waited for the first ask's timeout.
    EXPECT_EQ(this->clock_.Now(), kStart);
  }
}

Task<std::string> AwaitsATaskTwice() {
  Task<int> seven = Seven();
  const int first = co_await seven;
  try {
    const int second = co_await seven;
    co_return "awaited twice: " + std::to_string(second);
  } catch (const std::logic_error& e) {
    co_return std::to_string(first) + ", then " + e.what();
  }
}

TYPED_TEST(EverySchedulerTest, AwaitingATaskTwiceThrowsAtTheSecondAwait) {
  absl::StatusOr<std::string> result =
      this->sched_->RunUntilComplete(AwaitsATaskTwice());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, "7, then Task awaited twice");
}

// Joins a task through a handle and a copy of it: the result is taken once.
Task<std::string> JoinsATaskTwice() {
  JoinHandle<std::unique_ptr<int>> handle =
      co_await CreateTask([]() -> Task<std::unique_ptr<int>> {
        co_return std::make_unique<int>(7);
      }());
  JoinHandle<std::unique_ptr<int>> copy = handle;
  std::unique_ptr<int> first = co_await handle;
  try {
    std::unique_ptr<int> second = co_await copy;
    co_return "joined twice: " + std::string(second ? "a value" : "null");
  } catch (const std::logic_error& e) {
    co_return std::to_string(*first) + ", then " + e.what();
  }
}

TYPED_TEST(EverySchedulerTest, JoiningATaskTwiceThrowsAtTheSecondAwait) {
  absl::StatusOr<std::string> result =
      this->sched_->RunUntilComplete(JoinsATaskTwice());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result,
            "7, then JoinHandle: the task's result was already taken "
            "(awaited twice?)");
}

// Task<void>s gathered: all run to their end, then the first exception (in
// argument order) surfaces; with none, Gather yields nothing. The log is
// locked: on the work-stealing scheduler the ticks run in parallel.
struct LockedLog {
  void Add(std::string line) {
    std::lock_guard<std::mutex> hold(mutex);
    lines.push_back(std::move(line));
  }
  std::mutex mutex;
  std::vector<std::string> lines;
};

Task<void> Tick(LockedLog& log, std::string name, bool fail) {
  co_await Yield();
  log.Add(name);
  if (fail) throw std::runtime_error(name + " failed");
}

Task<void> GathersVoidTasks(LockedLog& log) {
  co_await Gather(Tick(log, "a", false), Tick(log, "b", false));
  log.Add("all done");
  try {
    co_await Gather(Tick(log, "c", false), Tick(log, "d", true),
                    Tick(log, "e", true));
  } catch (const std::runtime_error& e) {
    log.Add(std::string("caught ") + e.what());
  }
  co_await Gather(std::vector<Task<void>>{});
  log.Add("gathered nothing");
}

TYPED_TEST(EverySchedulerTest, GatheringVoidTasksWaitsForAllOfThem) {
  LockedLog log;
  ASSERT_TRUE(this->sched_->RunUntilComplete(GathersVoidTasks(log)).ok());
  const std::vector<std::string>& lines = log.lines;
  // Each pair or triple runs concurrently (any order within it).
  ASSERT_EQ(lines.size(), 8u);
  EXPECT_THAT(std::vector<std::string>(lines.begin(), lines.begin() + 2),
              ::testing::UnorderedElementsAre("a", "b"));
  EXPECT_EQ(lines[2], "all done");
  EXPECT_THAT(std::vector<std::string>(lines.begin() + 3, lines.begin() + 6),
              ::testing::UnorderedElementsAre("c", "d", "e"));
  EXPECT_EQ(lines[6], "caught d failed");
  EXPECT_EQ(lines[7], "gathered nothing");
}

// Awaits an empty task, then starts one and joins it.
Task<std::vector<std::string>> UsesAnEmptyTask() {
  std::vector<std::string> log;
  Task<int> seven = Seven();
  Task<int> taken = std::move(seven);
  try {
    log.push_back(std::to_string(co_await std::move(seven)));
  } catch (const std::invalid_argument& e) {
    log.push_back(std::string("awaited: ") + e.what());
  }
  JoinHandle<int> handle = co_await CreateTask(std::move(seven));
  try {
    log.push_back(std::to_string(co_await handle));
  } catch (const std::invalid_argument& e) {
    log.push_back(std::string("joined: ") + e.what());
  }
  log.push_back(std::to_string(co_await taken));
  co_return log;
}

TYPED_TEST(EverySchedulerTest, RunUntilCompleteOfAnEmptyTaskIsInvalidArgument) {
  auto& sched = *this->sched_;
  Task<int> seven = Seven();
  Task<int> taken = std::move(seven);
  absl::StatusOr<int> result = sched.RunUntilComplete(std::move(seven));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            "RunUntilComplete: the Task is empty (moved from)");
  Task<void> nothing = []() -> Task<void> { co_return; }();
  Task<void> taken_nothing = std::move(nothing);
  EXPECT_EQ(sched.RunUntilComplete(std::move(nothing)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*sched.RunUntilComplete(std::move(taken)), 7);
}

TYPED_TEST(EverySchedulerTest,
           AnEmptyTaskThrowsInvalidArgumentWhereItIsAwaited) {
  absl::StatusOr<std::vector<std::string>> log =
      this->sched_->RunUntilComplete(UsesAnEmptyTask());
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_THAT(
      *log, ElementsAre("awaited: co_await of an empty Task (moved from)",
                        "joined: co_await of an empty Task (moved from)", "7"));
  // The same from outside: the handle is done once the loop ran.
  Task<int> seven = Seven();
  Task<int> taken = std::move(seven);
  JoinHandle<int> handle = this->sched_->CreateTask(std::move(seven));
  ASSERT_TRUE(this->sched_->Run().ok());
  ASSERT_TRUE(handle.done());
  EXPECT_THROW(handle.TakeResult(), std::invalid_argument);
  EXPECT_EQ(this->sched_->live_actors(), 0u);
  EXPECT_TRUE(this->sched_->failures().empty());
}

// ---- Monitors and errors thrown into actors ---------------------------------

using Supervised = std::variant<int, Down>;

Actor<Supervised> Supervisor(Log& log) {
  for (;;) {
    Supervised message = co_await Receive<Supervised>();
    if (Down* down = std::get_if<Down>(&message)) {
      log.push_back(down->actor + ": " + down->reason.ToString());
    }
  }
}

Actor<int> Worker() {
  for (;;) {
    int n = co_await Receive<int>();
    if (n == 0) co_return;
    if (n < 0) throw std::runtime_error("bad input");
  }
}

TEST_F(ToolkitTest, MonitorsHearHowActorsEnded) {
  Log log;
  ActorRef<Supervised> supervisor = sched_.Spawn(Supervisor(log));
  absl::StatusOr<ActorRef<int>> calm = sched_.Spawn("calm", Worker());
  absl::StatusOr<ActorRef<int>> crash = sched_.Spawn("crash", Worker());
  ASSERT_TRUE(sched_.Monitor(*calm, supervisor).ok());
  ASSERT_TRUE(sched_.Monitor(*crash, supervisor).ok());
  ASSERT_TRUE(sched_.Send(*calm, 0).ok());
  ASSERT_TRUE(sched_.Send(*crash, -1).ok());
  ASSERT_TRUE(sched_.Run().ok());
  EXPECT_THAT(log, ElementsAre("'calm': OK",
                               "'crash': ABORTED: actor 'crash' failed: bad "
                               "input"));
  EXPECT_EQ(sched_.Monitor(*calm, supervisor).code(),
            absl::StatusCode::kFailedPrecondition);
}

Actor<int> Catcher(Log& log) {
  for (;;) {
    try {
      log.push_back("got " + std::to_string(co_await Receive<int>()));
    } catch (const std::invalid_argument& e) {
      log.push_back(std::string("caught ") + e.what());
    }
  }
}

TEST_F(ToolkitTest, AnErrorThrownIntoAnActorIsCaughtAtItsReceive) {
  Log log;
  ActorRef<int> catcher = sched_.Spawn(Catcher(log));
  ASSERT_TRUE(sched_.Send(catcher, 1).ok());
  ASSERT_TRUE(sched_
                  .SendError(catcher, std::make_exception_ptr(
                                          std::invalid_argument("foobar")))
                  .ok());
  ASSERT_TRUE(sched_.Send(catcher, 2).ok());
  ASSERT_TRUE(sched_.Run().ok());
  EXPECT_THAT(log, ElementsAre("got 1", "caught foobar", "got 2"));
}

// A null error would be rethrown as nothing (std::rethrow_exception of a
// null pointer is undefined): refused, and the actor is left as it was.
TYPED_TEST(EverySchedulerTest, ThrowingANullErrorIntoAnActorIsRefused) {
  auto& sched = *this->sched_;
  Log log;
  ActorRef<int> catcher = sched.Spawn(Catcher(log));
  const absl::Status refused = sched.SendError(catcher, nullptr);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message(), "SendError(nullptr): no error to deliver");
  ASSERT_TRUE(sched.Send(catcher, 1).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(sched.SendError(catcher, nullptr).code(),
            absl::StatusCode::kInvalidArgument);  // Waiting in Receive().
  ASSERT_TRUE(sched.Send(catcher, 2).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_THAT(log, ElementsAre("got 1", "got 2"));
  EXPECT_TRUE(sched.IsAlive(catcher));
  EXPECT_TRUE(sched.failures().empty());
  EXPECT_TRUE(sched.dead_letters().empty());
  // Also when the actor has finished: the argument is checked first.
  ActorRef<int> worker = sched.Spawn(Worker());
  ASSERT_TRUE(sched.Send(worker, 0).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(sched.SendError(worker, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(sched.dead_letters().empty());
}

TEST_F(ToolkitTest, AnUncaughtThrownErrorEndsTheActorOnly) {
  Log log;
  ActorRef<int> worker = sched_.Spawn(Worker());
  ActorRef<std::string> recorder = sched_.Spawn(Recorder(log));
  ASSERT_TRUE(
      sched_.SendError(worker, std::make_exception_ptr(std::logic_error("x")))
          .ok());
  ASSERT_TRUE(sched_.Send(recorder, std::string("still running")).ok());
  ASSERT_TRUE(sched_.Run().ok());
  ASSERT_EQ(sched_.failures().size(), 1u);
  EXPECT_EQ(sched_.failures()[0].what, "x");
  EXPECT_THAT(log, ElementsAre("still running"));
}

// ---- Stepping ---------------------------------------------------------------

Task<int> Steps(Log& log, std::string name, int count) {
  for (int i = 0; i < count; ++i) {
    log.push_back(name + " " + std::to_string(i));
    co_await Yield();
  }
  log.push_back(name + " done");
  co_return count;
}

TEST_F(ToolkitTest, RunReadyIsOneRoundOfTheLoopLikeAsyncio) {
  Log log;
  JoinHandle<int> a = sched_.CreateTask(Steps(log, "a", 2));
  JoinHandle<int> b = sched_.CreateTask(Steps(log, "b", 3));
  JoinHandle<std::vector<int>> all =
      sched_.CreateTask(Gather(std::move(a), std::move(b)));
  int rounds = 0;
  while (!all.done()) {
    log.push_back("round " + std::to_string(++rounds));
    sched_.RunReady();
  }
  // As asyncio: a task's end reaches its gatherer one round later.
  EXPECT_THAT(log, ElementsAre("round 1", "a 0", "b 0", "round 2", "a 1", "b 1",
                               "round 3", "a done", "b 2", "round 4", "b done",
                               "round 5"));
  EXPECT_THAT(all.TakeResult(), ElementsAre(2, 3));
}

TEST_F(ToolkitTest, RunForStopsAtItsBudget) {
  Log log;
  ActorRef<std::string> recorder = sched_.Spawn(Recorder(log));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(sched_.Send(recorder, std::to_string(i)).ok());
  }
  EXPECT_EQ(sched_.RunFor(4), 4u);  // The start and three messages.
  EXPECT_THAT(log, ElementsAre("0", "1", "2"));
  EXPECT_EQ(sched_.RunFor(100), 7u);
  EXPECT_EQ(log.size(), 10u);
}

}  // namespace
}  // namespace coactor
