// Regressions for bugs found by attacking Stop(), Shutdown(), Post(),
// record limits and waits across schedulers with ordinary payloads.
// Each test failed before its fix. Tagged "concurrency": CI runs it under
// TSan as well as ASan.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
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
#include "runtime/dead_letter.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

// Longer than the small-string buffer, so ASan sees it if it is freed.
std::string Long(std::string_view tag) {
  return std::string(32, '.') + std::string(tag);
}

// Waits until `flag` is set or `limit` has passed; whether it was set.
bool WaitFor(const std::atomic<bool>& flag, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (!flag.load()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Waits until the deque loop running on another thread has handled
// everything queued before this call (posts are drained once the queue is
// empty), so an actor that was about to suspend has suspended.
void Settle(DequeScheduler& deque) {
  std::atomic<bool> settled{false};
  deque.Post([&settled] { settled = true; });
  ASSERT_TRUE(WaitFor(settled, absl::Seconds(10)));
}

Actor<int> CountInts(int& got) {
  for (;;) {
    co_await Receive<int>();
    ++got;
  }
}

// Runs a program on a fresh scheduler: deque for 0 threads, else work
// stealing with that many workers.
class OnEachScheduler : public ::testing::TestWithParam<int> {
 protected:
  template <typename Program>
  void OnScheduler(Program program) {
    testing::RunOnScheduler(testing::SchedulerKind{"", GetParam()}, program);
  }
};

std::string SchedulerName(const ::testing::TestParamInfo<int>& info) {
  return info.param == 0 ? std::string("Deque")
                         : "WorkStealing" + std::to_string(info.param);
}

// ---- Waking a DequeScheduler actor from another scheduler's thread ----------

Task<std::string> Exclaim(std::string text) { co_return text + "!"; }

// A deque actor that joins a task running on a work-stealing scheduler.
Actor<int> JoinAcross(WorkStealingScheduler& ws, std::atomic<bool>& waiting,
                      std::string& result, std::atomic<bool>& done) {
  co_await Receive<int>();
  JoinHandle<std::string> handle = ws.CreateTask(Exclaim(Long("joined")));
  waiting = true;
  result = co_await handle;
  done = true;
}

// The task ends on a worker thread, which used to push the joiner's
// wake-up straight into the deque scheduler's queue: a data race with the
// loop's thread, and a lost wake-up while the loop waited for posts.
TEST(CrossSchedulerTest, AWorkStealingTaskWakesTheDequeActorJoiningIt) {
  WorkStealingScheduler ws(2);
  DequeScheduler deque;
  std::atomic<bool> waiting{false}, done{false};
  std::string result;
  ActorRef<int> joiner = deque.Spawn(JoinAcross(ws, waiting, result, done));
  ASSERT_TRUE(deque.Send(joiner, 1).ok());
  std::thread loop([&] { ASSERT_TRUE(deque.RunUntilStopped().ok()); });
  ASSERT_TRUE(WaitFor(waiting, absl::Seconds(10)));
  Settle(deque);
  ASSERT_TRUE(ws.Run().ok());  // The task ends on a worker.
  const bool woke = WaitFor(done, absl::Seconds(5));
  deque.Stop();
  loop.join();
  EXPECT_TRUE(woke) << "the joining deque actor was never resumed";
  EXPECT_EQ(result, Long("joined") + "!");
}

Actor<int> GetAcross(BoundedQueue<std::string>& queue,
                     std::atomic<bool>& waiting, std::string& got,
                     std::atomic<bool>& done) {
  co_await Receive<int>();
  waiting = true;
  got = co_await queue.Get();
  done = true;
}

Actor<int> PutAcross(BoundedQueue<std::string>& queue) {
  co_await Receive<int>();
  co_await queue.Put(Long("put"));
}

// The same with a BoundedQueue: a put on a worker thread wakes the deque
// actor waiting in Get().
TEST(CrossSchedulerTest, APutOnAWorkerWakesTheDequeActorGetting) {
  BoundedQueue<std::string> queue(1);
  WorkStealingScheduler ws(2);
  DequeScheduler deque;
  std::atomic<bool> waiting{false}, done{false};
  std::string got;
  ActorRef<int> getter = deque.Spawn(GetAcross(queue, waiting, got, done));
  ASSERT_TRUE(deque.Send(getter, 1).ok());
  std::thread loop([&] { ASSERT_TRUE(deque.RunUntilStopped().ok()); });
  ASSERT_TRUE(WaitFor(waiting, absl::Seconds(10)));
  Settle(deque);
  ActorRef<int> putter = ws.Spawn(PutAcross(queue));
  ASSERT_TRUE(ws.Send(putter, 1).ok());
  ASSERT_TRUE(ws.Run().ok());
  const bool woke = WaitFor(done, absl::Seconds(5));
  deque.Stop();
  loop.join();
  EXPECT_TRUE(woke) << "the getting deque actor was never resumed";
  EXPECT_EQ(got, Long("put"));
}

// ---- A task whose runner is destroyed before it ends ------------------------

Task<std::string> SleepsLong() {
  co_await Sleep(absl::Hours(1));
  co_return Long("late");
}

Actor<int> JoinOrCatch(WorkStealingScheduler& ws, std::atomic<bool>& waiting,
                       std::string& error, std::atomic<bool>& done) {
  co_await Receive<int>();
  JoinHandle<std::string> handle = ws.CreateTask(SleepsLong());
  waiting = true;
  try {
    co_await handle;
  } catch (const std::exception& e) {
    error = e.what();
  }
  done = true;
}

// Shutdown() destroys the task's runner before the task ends: the handle
// used to stay pending for ever, and an actor joining it from another
// scheduler waited for ever.
TEST(CrossSchedulerTest, ATaskDestroyedByShutdownEndsItsHandleWithAnError) {
  WorkStealingScheduler ws(2);
  DequeScheduler deque;
  std::atomic<bool> waiting{false}, done{false};
  std::string error;
  ActorRef<int> joiner = deque.Spawn(JoinOrCatch(ws, waiting, error, done));
  ASSERT_TRUE(deque.Send(joiner, 1).ok());
  std::thread loop([&] { ASSERT_TRUE(deque.RunUntilStopped().ok()); });
  ASSERT_TRUE(WaitFor(waiting, absl::Seconds(10)));
  Settle(deque);
  ASSERT_TRUE(ws.Shutdown().ok());
  const bool woke = WaitFor(done, absl::Seconds(5));
  deque.Stop();
  loop.join();
  EXPECT_TRUE(woke) << "the joining deque actor was never resumed";
  EXPECT_THAT(error, HasSubstr("before it ended"));
}

TEST(CrossSchedulerTest, ATaskCreatedAfterShutdownEndsAtOnceWithAnError) {
  WorkStealingScheduler ws(1);
  ASSERT_TRUE(ws.Shutdown().ok());
  JoinHandle<std::string> handle = ws.CreateTask(Exclaim(Long("never")));
  ASSERT_TRUE(handle.done());
  EXPECT_THROW(handle.TakeResult(), std::runtime_error);
}

// ---- Dead letters dropped while a worker flushes its outbox -----------------

// A message whose destructor (unless moved from) tells a log actor it was
// dropped: RAII clean-up that sends.
struct Noisy {
  Noisy(WorkStealingScheduler* sched, ActorRef<std::string> log,
        std::string text)
      : sched(sched), log(log), text(std::move(text)) {}
  Noisy(Noisy&& other) noexcept
      : sched(std::exchange(other.sched, nullptr)),
        log(other.log),
        text(std::move(other.text)) {}
  Noisy& operator=(Noisy&&) = delete;
  ~Noisy() {
    if (sched != nullptr) sched->Send(log, "dropped " + text).IgnoreError();
  }
  WorkStealingScheduler* sched;
  ActorRef<std::string> log;
  std::string text;
};

Actor<std::string> Log(std::vector<std::string>& lines) {
  for (;;) lines.push_back(co_await Receive<std::string>());
}

Actor<Noisy> EndsOnFirstNoisy() { co_await Receive<Noisy>(); }

// Sends `message` to `target`, which stays in this worker's outbox until
// the turn ends; keeps the turn going until `target` has ended.
Actor<int> SendThenOutlive(WorkStealingScheduler& sched, ActorRef<Noisy> target,
                           ActorRef<std::string> log, std::atomic<bool>& sent) {
  co_await Receive<int>();
  sched.Send(target, Noisy(&sched, log, Long("late"))).IgnoreError();
  sent = true;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (sched.IsAlive(target) && absl::Now() < deadline) {
    std::this_thread::yield();
  }
}

// The flush finds the receiver finished and records the message as a dead
// letter; with a limit of 0 it is dropped at once, inside the flush, and
// its destructor's send went into the outbox being flushed: delivered as
// if it were the dropped message's type (heap corruption), and lost.
// (On a virtual clock, where an idle worker never takes over a busy one's
// outbox, so the message stays there until the sender's turn ends.)
TEST(OutboxTest, ADeadLetterDroppedDuringAFlushMaySend) {
  std::vector<std::string> lines;
  {
    ManualClock clock;
    WorkStealingScheduler sched(2, clock);
    sched.SetRecordLimits(RecordLimits{.dead_letters = 0});
    ActorRef<std::string> log = sched.Spawn(Log(lines));
    ActorRef<Noisy> target = sched.Spawn(EndsOnFirstNoisy());
    std::atomic<bool> sent{false};
    ActorRef<int> sender =
        sched.Spawn(SendThenOutlive(sched, target, log, sent));
    ASSERT_TRUE(sched.Send(sender, 1).ok());
    std::thread runner([&] { ASSERT_TRUE(sched.Run().ok()); });
    ASSERT_TRUE(WaitFor(sent, absl::Seconds(10)));
    // Ends `target` on the other worker while the sender's turn goes on.
    ASSERT_TRUE(sched.Send(target, Noisy(nullptr, log, "stop")).ok());
    runner.join();
    EXPECT_EQ(sched.dead_letters_recorded(), 1u);
    // Delivered by a second run if the first ended before the flush.
    ASSERT_TRUE(sched.Run().ok());
  }
  EXPECT_THAT(lines, ::testing::ElementsAre("dropped " + Long("late")));
}

// ---- Shutdown() and messages whose destructors send -------------------------

struct Boomerang {
  Boomerang() = default;
  Boomerang(WorkStealingScheduler* sched, ActorRef<Boomerang> to)
      : sched(sched), to(to), text(Long("boomerang")) {}
  Boomerang(Boomerang&& other) noexcept
      : sched(std::exchange(other.sched, nullptr)),
        to(other.to),
        text(std::move(other.text)) {}
  Boomerang& operator=(Boomerang&&) = delete;
  // Unread, it goes back to its actor (which may have finished: then a
  // dead letter).
  ~Boomerang() {
    if (sched != nullptr) sched->Send(to, Boomerang()).IgnoreError();
  }
  WorkStealingScheduler* sched = nullptr;
  ActorRef<Boomerang> to;
  std::string text;
};

Actor<Boomerang> Catcher() {
  for (;;) co_await Receive<Boomerang>();
}

// Shutdown() destroyed queued messages under their actor's spin lock; a
// destructor that sends to that actor (its reference now stale, so the
// send describes it under the same lock) spun for ever.
TEST(ShutdownAttackTest, AQueuedMessageWhoseDestructorSendsToItsActor) {
  auto sched = std::make_unique<WorkStealingScheduler>(2);
  ActorRef<Boomerang> catcher = sched->Spawn(Catcher());
  ASSERT_TRUE(sched->Send(catcher, Boomerang(sched.get(), catcher)).ok());
  std::promise<void> shut;
  std::future<void> shut_future = shut.get_future();
  std::thread shutter([&] {
    sched->Shutdown().IgnoreError();
    shut.set_value();
  });
  if (shut_future.wait_for(std::chrono::seconds(10)) !=
      std::future_status::ready) {
    std::fprintf(stderr, "Shutdown() deadlocked\n");
    std::fflush(stderr);
    std::_Exit(1);  // The stuck thread holds the scheduler.
  }
  shutter.join();
  std::vector<DeadLetter> letters = sched->TakeDeadLetters();
  ASSERT_THAT(letters, SizeIs(1));
  EXPECT_EQ(letters[0].reason.message(), "the scheduler has shut down");
}

// ---- Stop() -----------------------------------------------------------------

class StopAttackTest : public OnEachScheduler {};

template <coactor::Scheduler Sched>
Task<std::string> StopsThenEnds(Sched& sched) {
  sched.Stop();
  co_return Long("result");
}

// A Stop() from a task that then ends: RunUntilComplete() returns its
// result, and the request, served, does not end the next run (on the
// deque scheduler it did: Run() returned at once, delivering nothing).
TEST_P(StopAttackTest, ARunUntilCompleteThatEndsConsumesItsStop) {
  OnScheduler([](auto& sched) {
    absl::StatusOr<std::string> result =
        sched.RunUntilComplete(StopsThenEnds(sched));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(*result, Long("result"));
    int got = 0;
    ActorRef<int> counter = sched.Spawn(CountInts(got));
    ASSERT_TRUE(sched.Send(counter, 1).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(got, 1);
  });
}

template <coactor::Scheduler Sched>
Task<std::string> StopsThenSleeps(Sched& sched) {
  sched.Stop();
  co_await Sleep(absl::Hours(1));
  co_return Long("never");
}

// RunUntilComplete() ended by Stop() said "nothing is left to run".
TEST_P(StopAttackTest, ARunUntilCompleteEndedByStopSaysSo) {
  OnScheduler([](auto& sched) {
    absl::StatusOr<std::string> result =
        sched.RunUntilComplete(StopsThenSleeps(sched));
    EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(result.status().message(),
              "RunUntilComplete() was stopped (Stop()) before the task "
              "ended");
  });
}

INSTANTIATE_TEST_SUITE_P(Schedulers, StopAttackTest, ::testing::Values(0, 1, 2),
                         SchedulerName);

// A posted call runs on the loop's thread, as an actor's handler does: a
// Stop() in it leaves what it queued for the next run. When the call was
// drained with the queue empty, the loop went on for up to 256 more
// deliveries first.
TEST(PostedStopTest, LeavesWhatThePostedCallQueuedForTheNextRun) {
  DequeScheduler sched;
  int got = 0;
  ActorRef<int> counter = sched.Spawn(CountInts(got));
  ASSERT_TRUE(sched.Run().ok());
  sched.Post([&] {
    for (int i = 0; i < 10; ++i) sched.Send(counter, i).IgnoreError();
    sched.Stop();
  });
  ASSERT_TRUE(sched.RunUntilStopped().ok());
  EXPECT_EQ(got, 0);
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(got, 10);
}

// ---- Long names in records --------------------------------------------------

class LongNamesTest : public OnEachScheduler {};

Actor<int> EndsOnFirstInt() { co_await Receive<int>(); }

// Messages left unread by an actor with a long name: each dead letter's
// reason named it in full (a 1 MiB name cost 1 MiB per letter).
TEST_P(LongNamesTest, UndeliveredReasonsCutLongNames) {
  OnScheduler([](auto& sched) {
    const std::string name(100'000, 'n');
    absl::StatusOr<ActorRef<int>> actor = sched.Spawn(name, EndsOnFirstInt());
    ASSERT_TRUE(actor.ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(sched.Send(*actor, i).ok());
    ASSERT_TRUE(sched.Run().ok());
    std::vector<DeadLetter> letters = sched.TakeDeadLetters();
    ASSERT_THAT(letters, SizeIs(2));
    for (const DeadLetter& letter : letters) {
      EXPECT_EQ(letter.recipient, std::string(256, 'n') + "...(100000 bytes)");
      EXPECT_EQ(letter.reason.code(), absl::StatusCode::kFailedPrecondition);
      // (EXPECT_TRUE: a failure must not print 100 kB.)
      EXPECT_LT(letter.reason.message().size(), 400u);
      EXPECT_TRUE(absl::StrContains(letter.reason.message(),
                                    "...(100002 bytes) finished before"));
    }
  });
}

using WatcherMsg = std::variant<int, Down>;

Actor<WatcherMsg> Watcher(std::vector<Down>& downs) {
  for (;;) {
    WatcherMsg message = co_await Receive<WatcherMsg>();
    if (Down* down = std::get_if<Down>(&message)) downs.push_back(*down);
  }
}

Actor<int> FailsOnFirstInt() {
  co_await Receive<int>();
  throw std::runtime_error(Long("failure"));
}

// A Down names the actor as failures do (cut), and keeps the full name to
// spawn a successor under.
TEST_P(LongNamesTest, DownCutsLongNamesButKeepsTheFullName) {
  OnScheduler([](auto& sched) {
    const std::string name(100'000, 'm');
    std::vector<Down> downs;
    ActorRef<WatcherMsg> watcher = sched.Spawn(Watcher(downs));
    absl::StatusOr<ActorRef<int>> actor = sched.Spawn(name, FailsOnFirstInt());
    ASSERT_TRUE(actor.ok());
    ASSERT_TRUE(sched.Monitor(*actor, watcher).ok());
    ASSERT_TRUE(sched.Send(*actor, 1).ok());
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_THAT(downs, SizeIs(1));
    const Down& down = downs[0];
    // (EXPECT_TRUE: a failure must not print 100 kB.)
    EXPECT_TRUE(down.name == name);
    EXPECT_TRUE(down.actor == sched.failures()[0].actor);
    EXPECT_LT(down.actor.size(), 300u);
    EXPECT_LT(down.reason.message().size(), 400u);
    EXPECT_TRUE(absl::StrContains(
        down.reason.message(), "...(100002 bytes) failed: " + Long("failure")));
  });
}

INSTANTIATE_TEST_SUITE_P(Schedulers, LongNamesTest, ::testing::Values(0, 1, 2),
                         SchedulerName);

// ---- Asks when no dead letter is kept ---------------------------------------

class AskAtLimitZeroTest : public OnEachScheduler {};

struct Question {
  ReplyTo<std::string> reply;
};

Actor<Question> EndsAtOnce() { co_return; }

template <coactor::Scheduler Sched>
Actor<int> AskTheFinished(Sched& sched, ActorRef<Question> to,
                          absl::Status& result) {
  co_await Receive<int>();
  absl::StatusOr<std::string> answer = co_await Ask<std::string>(
      sched, to,
      [](ReplyTo<std::string> reply) { return Question{std::move(reply)}; },
      absl::Seconds(30));
  result = answer.status();
}

// An ask of a finished actor fails with the send's error on every
// scheduler; on work stealing with no dead letters kept, the refused
// request's ReplyTo, dropped inside the send, answered first with "the
// request was dropped without a reply".
TEST_P(AskAtLimitZeroTest, AnAskOfAFinishedActorGetsTheSendsError) {
  OnScheduler([](auto& sched) {
    sched.SetRecordLimits(RecordLimits{.dead_letters = 0});
    ActorRef<Question> finished = sched.Spawn(EndsAtOnce());
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_FALSE(sched.IsAlive(finished));
    absl::Status result = absl::UnknownError("not answered");
    ActorRef<int> asker = sched.Spawn(AskTheFinished(sched, finished, result));
    ASSERT_TRUE(sched.Send(asker, 1).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(result.code(), absl::StatusCode::kFailedPrecondition) << result;
    EXPECT_THAT(std::string(result.message()), HasSubstr("has finished"));
    EXPECT_EQ(sched.dead_letters_recorded(), 1u);
  });
}

INSTANTIATE_TEST_SUITE_P(Schedulers, AskAtLimitZeroTest,
                         ::testing::Values(0, 1, 2), SchedulerName);

// ---- After Shutdown(), every call says so -----------------------------------

Actor<WatcherMsg> Idle() {
  for (;;) co_await Receive<WatcherMsg>();
}

// Send and Spawn said "the scheduler has shut down"; SendError, Find and
// Monitor said the actor had finished, and a SendAfter kept its message
// in a timer that would never fire, out of every record.
TEST(ShutdownAttackTest, EveryCallAfterShutdownSaysSo) {
  WorkStealingScheduler sched(2);
  absl::StatusOr<ActorRef<WatcherMsg>> actor = sched.Spawn("idle", Idle());
  ASSERT_TRUE(actor.ok());
  ActorRef<WatcherMsg> other = sched.Spawn(Idle());
  ASSERT_TRUE(sched.Run().ok());
  ASSERT_TRUE(sched.Shutdown().ok());
  const std::string shut = "the scheduler has shut down";
  EXPECT_EQ(sched.Send("idle", 1).message(), shut);
  EXPECT_EQ(sched.Send(*actor, 1).message(), shut);
  EXPECT_EQ(sched
                .SendError(*actor, std::make_exception_ptr(
                                       std::runtime_error(Long("error"))))
                .message(),
            shut);
  EXPECT_EQ(Find<WatcherMsg>(sched, "idle").status().message(), shut);
  EXPECT_EQ(sched.Monitor(*actor, other).message(), shut);
  EXPECT_EQ(sched.Spawn("idle", Idle()).status().message(), shut);
  EXPECT_EQ(sched.Run().message(), shut);
  sched.TakeDeadLetters();
  TimerId timer = sched.SendAfter(absl::Milliseconds(1), *actor, WatcherMsg(7));
  EXPECT_FALSE(sched.CancelTimer(timer));
  std::vector<DeadLetter> letters = sched.TakeDeadLetters();
  ASSERT_THAT(letters, SizeIs(1));
  EXPECT_EQ(letters[0].reason.message(), shut);
  const WatcherMsg* kept = letters[0].message.get_if<WatcherMsg>();
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(std::get<int>(*kept), 7);
}

// ---- Long names in refusals -------------------------------------------------

class LongNameRefusalTest : public OnEachScheduler {};

TEST_P(LongNameRefusalTest, AlreadyExistsCutsTheName) {
  OnScheduler([](auto& sched) {
    const std::string name(100'000, 'x');
    ASSERT_TRUE(sched.Spawn(name, EndsOnFirstInt()).ok());
    absl::Status again = sched.Spawn(name, EndsOnFirstInt()).status();
    EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
    // (EXPECT_TRUE: a failure must not print 100 kB.)
    EXPECT_TRUE(again.message() == "an actor named '" + std::string(256, 'x') +
                                       "...(100000 bytes)' already exists");
  });
}

INSTANTIATE_TEST_SUITE_P(Schedulers, LongNameRefusalTest,
                         ::testing::Values(0, 1), SchedulerName);

// ---- Wake-ups posted outside a run ------------------------------------------

struct Lookup {
  std::string key;
  std::optional<ReplyTo<std::string>> reply;
};

Actor<Lookup> EndsOnFirstLookup() { co_await Receive<Lookup>(); }

Actor<int> AskLookup(DequeScheduler& sched, ActorRef<Lookup> to,
                     absl::Status& result) {
  co_await Receive<int>();
  std::string key = Long("key");
  absl::StatusOr<std::string> answer = co_await Ask<std::string>(
      sched, to,
      [key](ReplyTo<std::string> reply) {
        return Lookup{key, std::move(reply)};
      },
      absl::InfiniteDuration());
  result = answer.status();
}

// A request kept as a dead letter, taken and destroyed between runs,
// answers its ask: the asker's wake-up, posted since it comes from outside
// a run, counts as pending and runs in the next step.
TEST(PostedWakeTest, CountsAsPendingAndRunsInTheNextStep) {
  DequeScheduler sched;
  absl::Status result = absl::UnknownError("not answered");
  ActorRef<Lookup> target = sched.Spawn(EndsOnFirstLookup());
  ActorRef<int> asker = sched.Spawn(AskLookup(sched, target, result));
  ASSERT_TRUE(sched.Send(asker, 1).ok());  // Asks: the request waits...
  ASSERT_TRUE(sched.Send(target, Lookup{Long("first"), {}}).ok());
  ASSERT_TRUE(sched.Run().ok());  // ...behind this, and is a dead letter.
  ASSERT_THAT(sched.dead_letters(), SizeIs(1));
  EXPECT_FALSE(sched.has_pending());
  sched.TakeDeadLetters();  // Destroyed: the ask is answered.
  EXPECT_TRUE(sched.has_pending());
  while (sched.RunOnce()) {
  }
  EXPECT_EQ(result.code(), absl::StatusCode::kFailedPrecondition) << result;
  EXPECT_FALSE(sched.IsAlive(asker));
}

}  // namespace
}  // namespace coactor
