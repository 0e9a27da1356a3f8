// Long handlers on WorkStealingScheduler: while one actor computes for a
// long time inside one message, whatever another worker could do meanwhile
// is done meanwhile, whenever a worker is free: timers fire, and messages
// the computing actor sent and actors it woke start elsewhere (an idle
// worker takes them over once the handler has run for 5 us).
//
// Each test asserts an order of events, never a duration: a handler
// computes until it sees that the other thing happened, or until kGiveUp,
// and records which came first. A passing run takes milliseconds; kGiveUp
// only bounds a failing one. (The deque scheduler has one thread: nothing
// can happen during a handler there, so these are work-stealing cases.)
// Run with 2 and 4 workers, on the real clock unless a test says otherwise.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/ask.h"
#include "actors/clock.h"
#include "actors/receive.h"
#include "actors/sleep.h"
#include "gtest/gtest.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

constexpr std::chrono::seconds kGiveUp{10};

// Computes (spins) until `done` is set; true if it was, false if it gave up.
bool ComputeUntil(const std::atomic<bool>& done) {
  const auto give_up = std::chrono::steady_clock::now() + kGiveUp;
  while (!done.load()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
  }
  return true;
}

// Set when something happened, and whether a long handler saw it before it
// gave up.
struct Event {
  std::atomic<bool> happened{false};
  std::atomic<bool> seen_during_handler{false};
};

class LongHandlerTest : public ::testing::TestWithParam<int> {
 protected:
  int Workers() const { return GetParam(); }
};

// Computes until `event` happens, after `ready` (if given) is set.
Actor<int> LongHandler(Event& event, const std::atomic<bool>* ready) {
  co_await Receive<int>();
  if (ready != nullptr) ComputeUntil(*ready);
  event.seen_during_handler.store(ComputeUntil(event.happened));
}

Actor<int> SetOnMessage(Event& event) {
  co_await Receive<int>();
  event.happened.store(true);
}

// ---- Timers -----------------------------------------------------------------

// Arms a timer from inside the long handler, then computes until it fired.
template <coactor::Scheduler Sched>
Actor<int> ArmThenCompute(Sched& sched, ActorRef<int> target, Event& event) {
  co_await Receive<int>();
  sched.SendAfter(absl::Milliseconds(10), target, 1);
  event.seen_during_handler.store(ComputeUntil(event.happened));
}

TEST_P(LongHandlerTest, ADelayedSendFiresWhileItsSenderComputes) {
  WorkStealingScheduler sched(Workers());
  Event event;
  ActorRef<int> target = sched.Spawn(SetOnMessage(event));
  ActorRef<int> busy = sched.Spawn(ArmThenCompute(sched, target, event));
  ASSERT_TRUE(sched.Send(busy, 0).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_TRUE(event.seen_during_handler.load())
      << "the 10 ms timer waited for the handler to end";
}

Actor<int> SleepThenSet(std::atomic<bool>& sleeping, Event& event) {
  co_await Receive<int>();
  sleeping.store(true);
  co_await Sleep(absl::Milliseconds(10));
  event.happened.store(true);
}

TEST_P(LongHandlerTest, ASleepEndsWhileAnotherActorComputes) {
  WorkStealingScheduler sched(Workers());
  Event event;
  std::atomic<bool> sleeping{false};
  ActorRef<int> sleeper = sched.Spawn(SleepThenSet(sleeping, event));
  ActorRef<int> busy = sched.Spawn(LongHandler(event, &sleeping));
  ASSERT_TRUE(sched.Send(busy, 0).ok());
  ASSERT_TRUE(sched.Send(sleeper, 0).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_TRUE(event.seen_during_handler.load())
      << "the 10 ms sleep waited for the other actor's handler to end";
}

struct Question {
  ReplyTo<int> reply;
};

// Keeps every question unanswered (until it finishes).
Actor<Question> Silent() {
  std::vector<ReplyTo<int>> kept;
  for (;;) kept.push_back((co_await Receive<Question>()).reply);
}

template <coactor::Scheduler Sched>
Actor<int> AskAndTimeOut(Sched& sched, ActorRef<Question> silent,
                         std::atomic<bool>& asking, Event& event) {
  co_await Receive<int>();
  asking.store(true);
  absl::StatusOr<int> answer = co_await Ask<int>(
      sched, silent,
      [](ReplyTo<int> reply) { return Question{std::move(reply)}; },
      absl::Milliseconds(50));
  if (absl::IsDeadlineExceeded(answer.status())) event.happened.store(true);
}

TEST_P(LongHandlerTest, AnAskTimesOutWhileAnotherActorComputes) {
  WorkStealingScheduler sched(Workers());
  Event event;
  std::atomic<bool> asking{false};
  ActorRef<Question> silent = sched.Spawn(Silent());
  ActorRef<int> asker =
      sched.Spawn(AskAndTimeOut(sched, silent, asking, event));
  ActorRef<int> busy = sched.Spawn(LongHandler(event, &asking));
  ASSERT_TRUE(sched.Send(busy, 0).ok());
  ASSERT_TRUE(sched.Send(asker, 0).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_TRUE(event.seen_during_handler.load())
      << "the ask's 50 ms timeout waited for the other actor's handler";
}

// ---- Sends and wake-ups during a long handler -------------------------------

// Sends `target` a message (after computing `settle` first, so that the
// other workers have gone to sleep), then computes until it has started.
template <coactor::Scheduler Sched>
Actor<int> SendThenCompute(Sched& sched, ActorRef<int> target,
                           absl::Duration settle, Event& event) {
  co_await Receive<int>();
  const auto until =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(settle);
  while (std::chrono::steady_clock::now() < until) {
  }
  sched.Send(target, 1).IgnoreError();
  event.seen_during_handler.store(ComputeUntil(event.happened));
}

TEST_P(LongHandlerTest, AMessageSentBeforeComputingIsHandledMeanwhile) {
  for (absl::Duration settle : {absl::ZeroDuration(), absl::Milliseconds(20)}) {
    WorkStealingScheduler sched(Workers());
    Event event;
    ActorRef<int> target = sched.Spawn(SetOnMessage(event));
    ActorRef<int> sender =
        sched.Spawn(SendThenCompute(sched, target, settle, event));
    ASSERT_TRUE(sched.Run().ok());  // Both started, waiting.
    ASSERT_TRUE(sched.Send(sender, 0).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_TRUE(event.seen_during_handler.load())
        << "the message waited for its sender's handler to end (settle "
        << settle << ")";
  }
}

// Sends by name, to several receivers, then computes until all started.
template <coactor::Scheduler Sched>
Actor<int> FanOutThenCompute(Sched& sched, int receivers, Event& event) {
  co_await Receive<int>();
  for (int i = 0; i < receivers; ++i) {
    sched.Send("receiver" + std::to_string(i), 1).IgnoreError();
  }
  event.seen_during_handler.store(ComputeUntil(event.happened));
}

Actor<int> CountStart(int receivers, std::atomic<int>& started, Event& event) {
  co_await Receive<int>();
  if (started.fetch_add(1) + 1 == receivers) event.happened.store(true);
}

TEST_P(LongHandlerTest, EveryActorWokenBeforeComputingRunsMeanwhile) {
  // The last one woken waits in the runnext slot, the others in the deque.
  WorkStealingScheduler sched(Workers());
  constexpr int kReceivers = 3;
  Event event;
  std::atomic<int> started{0};
  for (int i = 0; i < kReceivers; ++i) {
    ASSERT_TRUE(sched
                    .Spawn("receiver" + std::to_string(i),
                           CountStart(kReceivers, started, event))
                    .ok());
  }
  ActorRef<int> sender =
      sched.Spawn(FanOutThenCompute(sched, kReceivers, event));
  ASSERT_TRUE(sched.Run().ok());
  ASSERT_TRUE(sched.Send(sender, 0).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_TRUE(event.seen_during_handler.load())
      << started.load() << " of " << kReceivers
      << " receivers started before the sender's handler ended";
}

struct Ping {
  ReplyTo<int> reply;
};

// Answers, then computes until the asker has gone on.
Actor<Ping> AnswerThenCompute(Event& event) {
  Ping ping = co_await Receive<Ping>();
  ping.reply.Send(1);
  event.seen_during_handler.store(ComputeUntil(event.happened));
}

template <coactor::Scheduler Sched>
Actor<int> AskOnce(Sched& sched, ActorRef<Ping> answerer, Event& event) {
  co_await Receive<int>();
  absl::StatusOr<int> answer = co_await Ask<int>(
      sched, answerer,
      [](ReplyTo<int> reply) { return Ping{std::move(reply)}; },
      absl::Seconds(60));
  if (answer.ok()) event.happened.store(true);
}

TEST_P(LongHandlerTest, AnAskerGoesOnWhileItsAnswererComputes) {
  WorkStealingScheduler sched(Workers());
  Event event;
  ActorRef<Ping> answerer = sched.Spawn(AnswerThenCompute(event));
  ActorRef<int> asker = sched.Spawn(AskOnce(sched, answerer, event));
  ASSERT_TRUE(sched.Send(asker, 0).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_TRUE(event.seen_during_handler.load())
      << "the answered asker waited for its answerer's handler to end";
}

Actor<int> SetAtStart(Event& event) {
  event.happened.store(true);
  co_await Receive<int>();
}

template <coactor::Scheduler Sched>
Actor<int> SpawnThenCompute(Sched& sched, Event& event) {
  co_await Receive<int>();
  sched.Spawn(SetAtStart(event));
  event.seen_during_handler.store(ComputeUntil(event.happened));
}

TEST_P(LongHandlerTest, AnActorSpawnedBeforeComputingRunsMeanwhile) {
  WorkStealingScheduler sched(Workers());
  Event event;
  ActorRef<int> spawner = sched.Spawn(SpawnThenCompute(sched, event));
  ASSERT_TRUE(sched.Send(spawner, 0).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_TRUE(event.seen_during_handler.load())
      << "the spawned actor waited for its spawner's handler to end";
}

// ---- What a take-over must keep ---------------------------------------------

// Sends `count` numbered messages to each receiver in turn, computing 50 us
// every 64 rounds with messages still in its outbox, so that idle workers
// hand some batches over while this worker flushes others itself.
template <coactor::Scheduler Sched>
Actor<int> NumberedSender(Sched& sched, std::vector<ActorRef<int>> receivers,
                          int count) {
  co_await Receive<int>();
  for (int i = 0; i < count; ++i) {
    for (ActorRef<int>& receiver : receivers) {
      sched.Send(receiver, i).IgnoreError();
    }
    if (i % 64 == 0) {
      const auto until =
          std::chrono::steady_clock::now() + std::chrono::microseconds(50);
      while (std::chrono::steady_clock::now() < until) {
      }
    }
  }
}

Actor<int> InOrder(int count, std::atomic<int>& out_of_order,
                   std::atomic<int>& received) {
  for (int expected = 0; expected < count; ++expected) {
    if (co_await Receive<int>() != expected) out_of_order.fetch_add(1);
    received.fetch_add(1);
  }
}

TEST_P(LongHandlerTest, MessagesHandedOverByAnotherWorkerKeepTheirOrder) {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  constexpr int kCount = 2'000;
#else
  constexpr int kCount = 20'000;
#endif
  constexpr int kReceivers = 3;
  WorkStealingScheduler sched(Workers());
  std::atomic<int> out_of_order{0};
  std::atomic<int> received{0};
  std::vector<ActorRef<int>> receivers;
  for (int i = 0; i < kReceivers; ++i) {
    receivers.push_back(sched.Spawn(InOrder(kCount, out_of_order, received)));
  }
  ActorRef<int> sender = sched.Spawn(NumberedSender(sched, receivers, kCount));
  ASSERT_TRUE(sched.Send(sender, 0).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(received.load(), kReceivers * kCount);
  EXPECT_EQ(out_of_order.load(), 0);
  EXPECT_EQ(sched.live_actors(), 0u);
  EXPECT_TRUE(sched.dead_letters().empty());
}

// ---- Virtual time -----------------------------------------------------------

Actor<int> SleepAndRecord(ManualClock& clock, std::atomic<bool>& busy_done,
                          std::atomic<bool>& woke_after_busy) {
  co_await Receive<int>();
  co_await Sleep(absl::Seconds(1));
  woke_after_busy.store(busy_done.load());
  (void)clock;
}

Actor<int> ComputeAWhile(std::atomic<bool>& busy_done) {
  co_await Receive<int>();
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(30);
  while (std::chrono::steady_clock::now() < until) {
  }
  busy_done.store(true);
}

TEST_P(LongHandlerTest, AVirtualClockJumpsOnlyOnceEveryActorIsIdle) {
  // Time stands still while an actor computes, however long in real time.
  ManualClock clock;
  WorkStealingScheduler sched(Workers(), clock);
  std::atomic<bool> busy_done{false};
  std::atomic<bool> woke_after_busy{false};
  ActorRef<int> sleeper =
      sched.Spawn(SleepAndRecord(clock, busy_done, woke_after_busy));
  ActorRef<int> busy = sched.Spawn(ComputeAWhile(busy_done));
  ASSERT_TRUE(sched.Send(busy, 0).ok());
  ASSERT_TRUE(sched.Send(sleeper, 0).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_TRUE(woke_after_busy.load())
      << "the virtual clock jumped while an actor was computing";
  EXPECT_EQ(clock.Now(), absl::UnixEpoch() + absl::Seconds(1));
}

INSTANTIATE_TEST_SUITE_P(Workers, LongHandlerTest, ::testing::Values(2, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "Stealing" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace coactor
