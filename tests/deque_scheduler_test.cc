#include "runtime/deque_scheduler.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/bounded_queue.h"
#include "actors/receive.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/counted.h"

namespace coactor {
namespace {

using ::coactor::testing::BigCounted;
using ::coactor::testing::Counted;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---- Beazley's counter/printer ---------------------------------------------

Actor<int> RecordingPrinter(std::vector<int>& got) {
  for (;;) got.push_back(co_await Receive<int>());
}

Actor<int> Counter(DequeScheduler& sched) {
  for (;;) {
    int n = co_await Receive<int>();
    if (n == 0) co_return;
    sched.Send("printer", n).IgnoreError();
    sched.Send("counter", n - 1).IgnoreError();
  }
}

TEST(DequeSchedulerTest, CounterPrinterDeliversEveryCountInOrder) {
  DequeScheduler sched;
  std::vector<int> got;
  ASSERT_TRUE(sched.Spawn("printer", RecordingPrinter(got)).ok());
  ASSERT_TRUE(sched.Spawn("counter", Counter(sched)).ok());
  ASSERT_TRUE(sched.Send("counter", 100).ok());
  ASSERT_TRUE(sched.Run().ok());

  std::vector<int> expected;
  for (int n = 100; n >= 1; --n) expected.push_back(n);
  EXPECT_EQ(got, expected);
  // 101 counts to the counter, 100 to the printer.
  EXPECT_EQ(sched.messages_delivered(), 201u);
  EXPECT_EQ(sched.live_actors(), 1u);  // The printer waits forever.
  EXPECT_TRUE(sched.dead_letters().empty());
  EXPECT_TRUE(sched.failures().empty());
}

// The stack frame of a plain function called while an actor runs: it moves
// if the scheduler's resumptions nest.
ABSL_ATTRIBUTE_NOINLINE uintptr_t StackAddress() {
  return reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
}

struct StackProbe {
  uintptr_t at_first = 0;
  uintptr_t at_last = 0;
  int64_t messages = 0;
  int64_t sum = 0;
};

Actor<int> ProbingPrinter(StackProbe& probe) {
  for (;;) {
    int n = co_await Receive<int>();
    uintptr_t here = StackAddress();
    if (probe.messages == 0) probe.at_first = here;
    probe.at_last = here;
    ++probe.messages;
    probe.sum += n;
  }
}

TEST(DequeSchedulerTest, TenMillionCountsRunInConstantStackAndQueueMemory) {
  constexpr int kCount = 10'000'000;
  DequeScheduler sched;
  StackProbe probe;
  ASSERT_TRUE(sched.Spawn("printer", ProbingPrinter(probe)).ok());
  ASSERT_TRUE(sched.Spawn("counter", Counter(sched)).ok());
  // The queue reaches its working size within the first few hundred
  // messages; from then on it must not grow.
  constexpr int kWarmUp = 1000;
  ASSERT_TRUE(sched.Send("counter", kWarmUp).ok());
  ASSERT_TRUE(sched.Run().ok());
  ASSERT_TRUE(sched.Spawn("counter", Counter(sched)).ok());
  const size_t capacity_before = sched.queue_capacity();
  ASSERT_TRUE(sched.Send("counter", kCount).ok());
  ASSERT_TRUE(sched.Run().ok());

  EXPECT_EQ(probe.messages, kWarmUp + kCount);
  EXPECT_EQ(probe.sum, int64_t{kWarmUp} * (kWarmUp + 1) / 2 +
                           int64_t{kCount} * (kCount + 1) / 2);
  EXPECT_EQ(probe.at_first, probe.at_last) << "the stack grew";
  EXPECT_EQ(sched.queue_capacity(), capacity_before) << "the queue grew";
  EXPECT_EQ(sched.messages_delivered(), 2u * (kWarmUp + kCount) + 2);
}

// ---- FIFO order -------------------------------------------------------------

using Trace = std::vector<std::pair<std::string, int>>;

Actor<int> Tracer(std::string name, Trace& trace) {
  for (;;) trace.emplace_back(name, co_await Receive<int>());
}

TEST(DequeSchedulerTest, DeliversInGlobalSendOrderExactlyOnce) {
  DequeScheduler sched;
  Trace trace;
  ASSERT_TRUE(sched.Spawn("a", Tracer("a", trace)).ok());
  ASSERT_TRUE(sched.Spawn("b", Tracer("b", trace)).ok());
  Trace expected;
  for (int i = 0; i < 1000; ++i) {
    const std::string to = (i % 3 == 0) ? "b" : "a";
    ASSERT_TRUE(sched.Send(to, i).ok());
    expected.emplace_back(to, i);
  }
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(trace, expected);
}

TEST(DequeSchedulerTest, SendNeverRunsTheReceiverInline) {
  DequeScheduler sched;
  std::vector<int> got;
  ASSERT_TRUE(sched.Spawn("printer", RecordingPrinter(got)).ok());
  ASSERT_TRUE(sched.Run().ok());  // Starts the printer.
  ASSERT_TRUE(sched.Send("printer", 1).ok());
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(sched.pending(), 1u);
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_THAT(got, ElementsAre(1));
}

// ---- Stepping ---------------------------------------------------------------

TEST(DequeSchedulerTest, RunOnceProcessesExactlyOneEntry) {
  DequeScheduler sched;
  std::vector<int> got;
  ASSERT_TRUE(sched.Spawn("printer", RecordingPrinter(got)).ok());
  ASSERT_TRUE(sched.Send("printer", 7).ok());
  ASSERT_TRUE(sched.Send("printer", 8).ok());
  EXPECT_TRUE(sched.RunOnce());  // The start.
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(sched.RunOnce());
  EXPECT_THAT(got, ElementsAre(7));
  EXPECT_FALSE(sched.RunOnce());
  EXPECT_THAT(got, ElementsAre(7, 8));
  EXPECT_FALSE(sched.RunOnce());  // Nothing left: a no-op.
  EXPECT_THAT(got, ElementsAre(7, 8));
}

Actor<int> Reentrant(DequeScheduler& sched, absl::Status& run_status,
                     bool& run_once_result) {
  co_await Receive();
  run_status = sched.Run();
  run_once_result = sched.RunOnce();
}

TEST(DequeSchedulerTest, RunFromInsideAnActorIsRefused) {
  DequeScheduler sched;
  absl::Status run_status;
  bool run_once_result = true;
  ASSERT_TRUE(
      sched.Spawn("r", Reentrant(sched, run_status, run_once_result)).ok());
  ASSERT_TRUE(sched.Send("r", 1).ok());
  ASSERT_TRUE(sched.Send("r", 2).ok());  // Pending while r runs.
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(run_status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(run_once_result);
}

// ---- Typed references, Self, spawning from actors ---------------------------

Actor<int> RefCounter(DequeScheduler& sched, ActorRef<int> printer) {
  ActorRef<int> self = co_await Self();
  for (;;) {
    int n = co_await Receive<int>();
    if (n == 0) co_return;
    sched.Send(printer, n).IgnoreError();
    sched.Send(self, n - 1).IgnoreError();
  }
}

TEST(DequeSchedulerTest, TypedReferencesDeliverWithoutNames) {
  DequeScheduler sched;
  std::vector<int> got;
  ActorRef<int> printer = sched.Spawn(RecordingPrinter(got));
  ActorRef<int> counter = sched.Spawn(RefCounter(sched, printer));
  ASSERT_TRUE(printer.valid());
  ASSERT_TRUE(sched.Send(counter, 5).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_THAT(got, ElementsAre(5, 4, 3, 2, 1));
}

TEST(DequeSchedulerTest, FindGivesATypedReferenceByName) {
  DequeScheduler sched;
  std::vector<int> got;
  ASSERT_TRUE(sched.Spawn("printer", RecordingPrinter(got)).ok());
  absl::StatusOr<ActorRef<int>> found = sched.Find<int>("printer");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(sched.Send(*found, 3).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_THAT(got, ElementsAre(3));

  EXPECT_EQ(sched.Find<int>("nobody").status().code(),
            absl::StatusCode::kNotFound);
  absl::Status wrong = sched.Find<std::string>("printer").status();
  EXPECT_EQ(wrong.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong.message(), HasSubstr("int"));
}

Actor<int> Child(std::string name, Trace& trace) {
  trace.emplace_back(name + " started", 0);
  trace.emplace_back(name, co_await Receive<int>());
}

Actor<int> Parent(DequeScheduler& sched, Trace& trace) {
  for (;;) {
    int n = co_await Receive<int>();
    const std::string name = "child" + std::to_string(n);
    absl::StatusOr<ActorRef<int>> child = sched.Spawn(name, Child(name, trace));
    if (!child.ok()) co_return;
    sched.Send(*child, n * 10).IgnoreError();
    // Arrives after the child finished: a dead letter.
    sched.Send(name, n * 100).IgnoreError();
  }
}

TEST(DequeSchedulerTest, ActorsSpawnAndSendFromInside) {
  DequeScheduler sched;
  Trace trace;
  ASSERT_TRUE(sched.Spawn("parent", Parent(sched, trace)).ok());
  ASSERT_TRUE(sched.Send("parent", 1).ok());
  ASSERT_TRUE(sched.Send("parent", 2).ok());
  ASSERT_TRUE(sched.Run().ok());
  // One global FIFO: parent(1) queues child1's start and messages, then
  // parent(2) queues child2's behind them.
  EXPECT_EQ(trace, (Trace{{"child1 started", 0},
                          {"child1", 10},
                          {"child2 started", 0},
                          {"child2", 20}}));
  // The second message to each child was queued while it was alive and
  // arrived after it finished: kept as dead letters, with their values.
  ASSERT_EQ(sched.dead_letters().size(), 2u);
  EXPECT_EQ(sched.dead_letters()[0].recipient, "child1");
  EXPECT_EQ(sched.dead_letters()[0].reason.code(),
            absl::StatusCode::kFailedPrecondition);
  // Looked at in place, without taking them.
  const std::deque<DeadLetter>& in_place = sched.dead_letters();
  ASSERT_NE(in_place[1].message.get_if<int>(), nullptr);
  EXPECT_EQ(*in_place[1].message.get_if<int>(), 200);
  EXPECT_EQ(in_place[1].message.get_if<std::string>(), nullptr);
  std::vector<DeadLetter> letters = sched.TakeDeadLetters();
  EXPECT_EQ(*letters[0].message.get_if<int>(), 100);
  EXPECT_EQ(*letters[1].message.get_if<int>(), 200);
  EXPECT_TRUE(sched.dead_letters().empty());
}

// ---- Message types ---------------------------------------------------------

template <typename T>
Actor<T> Keeper(std::vector<T>& kept) {
  for (;;) kept.push_back(co_await Receive<T>());
}

TEST(DequeSchedulerTest, MoveOnlyMessagesArriveIntact) {
  DequeScheduler sched;
  std::vector<std::unique_ptr<int>> kept;
  ActorRef<std::unique_ptr<int>> keeper =
      sched.Spawn(Keeper<std::unique_ptr<int>>(kept));
  ASSERT_TRUE(sched.Spawn("named", Keeper<std::unique_ptr<int>>(kept)).ok());
  auto first = std::make_unique<int>(1);
  int* const first_address = first.get();
  ASSERT_TRUE(sched.Send(keeper, std::move(first)).ok());
  ASSERT_TRUE(sched.Send("named", std::make_unique<int>(2)).ok());
  ASSERT_TRUE(sched.Run().ok());
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].get(), first_address);
  EXPECT_EQ(*kept[1], 2);
}

template <typename T>
void ExpectMovedNeverCopied() {
  T::Reset();
  {
    DequeScheduler sched;
    std::vector<int> values;
    ASSERT_TRUE(sched
                    .Spawn("keeper",
                           [](std::vector<int>& out) -> Actor<T> {
                             for (;;) {
                               T message = co_await Receive<T>();
                               out.push_back(message.value);
                             }
                           }(values))
                    .ok());
    for (int i = 0; i < 200; ++i) {  // Enough to grow the queue.
      ASSERT_TRUE(sched.Send("keeper", T(i)).ok());
    }
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_EQ(values.size(), 200u);
    for (int i = 0; i < 200; ++i) EXPECT_EQ(values[i], i);
  }
  EXPECT_EQ(T::counts.copies, 0);
  EXPECT_EQ(T::counts.alive(), 0);
}

TEST(DequeSchedulerTest, SmallMessagesAreMovedNeverCopied) {
  ExpectMovedNeverCopied<Counted>();
}

TEST(DequeSchedulerTest, LargeMessagesAreMovedNeverCopied) {
  ExpectMovedNeverCopied<BigCounted>();
}

TEST(DequeSchedulerTest, NonTrivialMessagesSurviveQueueGrowth) {
  DequeScheduler sched;
  std::vector<std::string> kept;
  ASSERT_TRUE(sched.Spawn("keeper", Keeper<std::string>(kept)).ok());
  std::vector<std::string> expected;
  for (int i = 0; i < 1000; ++i) {
    // Short strings live inside the string object itself (SSO), which is
    // what a byte-wise move would break.
    expected.push_back(i % 2 == 0 ? std::to_string(i)
                                  : std::string(100, 'a' + i % 26));
    ASSERT_TRUE(sched.Send("keeper", expected.back()).ok());
  }
  EXPECT_GT(sched.queue_capacity(), 1000u);
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(kept, expected);
}

using Command = std::variant<int, std::string>;

Actor<Command> Multi(std::vector<std::string>& log) {
  for (;;) {
    Command command = co_await Receive<Command>();
    if (auto* n = std::get_if<int>(&command)) {
      log.push_back("int " + std::to_string(*n));
    } else {
      log.push_back("string " + std::get<std::string>(command));
    }
  }
}

TEST(DequeSchedulerTest, VariantActorsTakeEachAlternative) {
  DequeScheduler sched;
  std::vector<std::string> log;
  absl::StatusOr<ActorRef<Command>> multi = sched.Spawn("multi", Multi(log));
  ASSERT_TRUE(multi.ok());
  ASSERT_TRUE(sched.Send("multi", 1).ok());
  ASSERT_TRUE(sched.Send("multi", std::string("two")).ok());
  ASSERT_TRUE(sched.Send("multi", Command(3)).ok());
  ASSERT_TRUE(sched.Send(*multi, std::string("four")).ok());
  ASSERT_TRUE(sched.Send(*multi, 5).ok());
  absl::Status wrong = sched.Send("multi", 6.0);
  EXPECT_EQ(wrong.code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_THAT(
      log, ElementsAre("int 1", "string two", "int 3", "string four", "int 5"));
  ASSERT_EQ(sched.dead_letters().size(), 1u);
}

// ---- Bad input --------------------------------------------------------------

TEST(DequeSchedulerTest, UnknownNameIsNotFoundAndKeepsTheMessage) {
  DequeScheduler sched;
  absl::Status status = sched.Send("nobody", std::string("hello"));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("'nobody'"));
  ASSERT_EQ(sched.dead_letters().size(), 1u);
  std::vector<DeadLetter> letters = sched.TakeDeadLetters();
  EXPECT_EQ(letters[0].recipient, "nobody");
  EXPECT_EQ(letters[0].reason, status);
  ASSERT_NE(letters[0].message.get_if<std::string>(), nullptr);
  EXPECT_EQ(*letters[0].message.get_if<std::string>(), "hello");
  EXPECT_EQ(letters[0].message.get_if<int>(), nullptr);
}

TEST(DequeSchedulerTest, WrongTypeNamesBothTypes) {
  DequeScheduler sched;
  std::vector<int> got;
  ASSERT_TRUE(sched.Spawn("printer", RecordingPrinter(got)).ok());
  absl::Status status = sched.Send("printer", std::string("not a number"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("'printer'"));
  EXPECT_THAT(status.message(), HasSubstr("receives int"));
  EXPECT_THAT(status.message(), HasSubstr("string"));
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_TRUE(got.empty());
  ASSERT_EQ(sched.dead_letters().size(), 1u);
  EXPECT_THAT(sched.dead_letters()[0].message.type_name(), HasSubstr("string"));
}

TEST(DequeSchedulerTest, DuplicateNameIsAlreadyExists) {
  DequeScheduler sched;
  std::vector<int> first, second;
  ASSERT_TRUE(sched.Spawn("printer", RecordingPrinter(first)).ok());
  absl::StatusOr<ActorRef<int>> again =
      sched.Spawn("printer", RecordingPrinter(second));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("'printer'"));
  ASSERT_TRUE(sched.Send("printer", 1).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_THAT(first, ElementsAre(1));
  EXPECT_TRUE(second.empty());
  EXPECT_EQ(sched.live_actors(), 1u);
}

TEST(DequeSchedulerTest, EmptyNamesAndEmptyActorsAreRejected) {
  DequeScheduler sched;
  std::vector<int> got;
  EXPECT_EQ(sched.Spawn("", RecordingPrinter(got)).status().code(),
            absl::StatusCode::kInvalidArgument);
  Actor<int> actor = RecordingPrinter(got);
  Actor<int> taken = std::move(actor);
  EXPECT_EQ(sched.Spawn("x", std::move(actor)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(sched.Spawn(std::move(actor)).valid());
  EXPECT_EQ(sched.Send(ActorRef<int>(), 1).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(sched.live_actors(), 0u);
}

Actor<int> OneShot(std::vector<int>& got) { got.push_back(co_await Receive()); }

TEST(DequeSchedulerTest, SendToFinishedActorIsADeadLetter) {
  DequeScheduler sched;
  std::vector<int> got;
  absl::StatusOr<ActorRef<int>> ref = sched.Spawn("once", OneShot(got));
  ASSERT_TRUE(ref.ok());
  ASSERT_TRUE(sched.Send("once", 1).ok());
  ASSERT_TRUE(sched.Run().ok());
  ASSERT_THAT(got, ElementsAre(1));
  EXPECT_EQ(sched.live_actors(), 0u);

  absl::Status by_name = sched.Send("once", 2);
  EXPECT_EQ(by_name.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(by_name.message(), HasSubstr("'once' has finished"));
  absl::Status by_ref = sched.Send(*ref, 3);
  EXPECT_EQ(by_ref.code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_THAT(got, ElementsAre(1));  // Never resumed after finishing.
  ASSERT_EQ(sched.dead_letters().size(), 2u);
  std::vector<DeadLetter> letters = sched.TakeDeadLetters();
  EXPECT_EQ(*letters[0].message.get_if<int>(), 2);
  EXPECT_EQ(*letters[1].message.get_if<int>(), 3);
}

TEST(DequeSchedulerTest, StaleReferencesStayStaleWhenTheCellIsReused) {
  DequeScheduler sched;
  std::vector<int> first, second;
  ActorRef<int> old_ref = sched.Spawn(OneShot(first));
  ASSERT_TRUE(sched.Send(old_ref, 1).ok());
  ASSERT_TRUE(sched.Run().ok());
  ActorRef<int> new_ref = sched.Spawn(RecordingPrinter(second));  // Reuses.
  EXPECT_FALSE(old_ref == new_ref);
  EXPECT_EQ(sched.Send(old_ref, 2).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(sched.Send(new_ref, 3).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_THAT(first, ElementsAre(1));
  EXPECT_THAT(second, ElementsAre(3));
}

TEST(DequeSchedulerTest, NameOfAFinishedActorCanBeReused) {
  DequeScheduler sched;
  std::vector<int> first, second;
  ASSERT_TRUE(sched.Spawn("worker", OneShot(first)).ok());
  ASSERT_TRUE(sched.Send("worker", 1).ok());
  ASSERT_TRUE(sched.Run().ok());
  ASSERT_TRUE(sched.Spawn("worker", RecordingPrinter(second)).ok());
  ASSERT_TRUE(sched.Send("worker", 2).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_THAT(first, ElementsAre(1));
  EXPECT_THAT(second, ElementsAre(2));
}

// Sends by name go through a cache of recently used names; a finished
// actor must drop out of it even when its cell is reused at once.
TEST(DequeSchedulerTest, NameOfAFinishedActorDoesNotReachItsReusedCell) {
  DequeScheduler sched;
  std::vector<int> first, second;
  ASSERT_TRUE(sched.Spawn("worker", OneShot(first)).ok());
  ASSERT_TRUE(sched.Send("worker", 1).ok());  // Now cached.
  ASSERT_TRUE(sched.Run().ok());
  ActorRef<int> reused = sched.Spawn(RecordingPrinter(second));
  EXPECT_EQ(sched.Send("worker", 2).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(sched.Send(reused, 3).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_THAT(first, ElementsAre(1));
  EXPECT_THAT(second, ElementsAre(3));
  ASSERT_EQ(sched.dead_letters().size(), 1u);
  std::vector<DeadLetter> letters = sched.TakeDeadLetters();
  EXPECT_EQ(*letters[0].message.get_if<int>(), 2);
}

// More names than cache slots, so names share slots and evict each other.
TEST(DequeSchedulerTest, ManyNamesEachReachTheirOwnActor) {
  constexpr int kActors = 300;
  DequeScheduler sched;
  std::vector<std::vector<int>> got(kActors);
  for (int i = 0; i < kActors; ++i) {
    // Odd actors take one message and finish; even ones keep receiving.
    const std::string name = "a" + std::to_string(i);
    if (i % 2 == 1) {
      ASSERT_TRUE(sched.Spawn(name, OneShot(got[i])).ok());
    } else {
      ASSERT_TRUE(sched.Spawn(name, RecordingPrinter(got[i])).ok());
    }
  }
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kActors; ++i) {
      absl::Status sent = sched.Send("a" + std::to_string(i), i * 10 + round);
      if (round == 1 && i % 2 == 1) {
        EXPECT_EQ(sent.code(), absl::StatusCode::kFailedPrecondition) << i;
      } else {
        EXPECT_TRUE(sent.ok()) << i;
      }
    }
    ASSERT_TRUE(sched.Run().ok());
  }
  for (int i = 0; i < kActors; ++i) {
    if (i % 2 == 1) {
      EXPECT_THAT(got[i], ElementsAre(i * 10)) << i;
    } else {
      EXPECT_THAT(got[i], ElementsAre(i * 10, i * 10 + 1)) << i;
    }
  }
  EXPECT_EQ(sched.dead_letters().size(), static_cast<size_t>(kActors / 2));
}

TEST(DequeSchedulerTest, ReferencesFromAnotherSchedulerAreRejected) {
  DequeScheduler one, two;
  std::vector<int> got;
  ActorRef<int> ref = one.Spawn(RecordingPrinter(got));
  absl::Status status = two.Send(ref, 1);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("another scheduler"));
  EXPECT_FALSE(two.has_pending());
  ASSERT_TRUE(one.Run().ok());
  EXPECT_TRUE(got.empty());
}

Actor<int> Fragile(std::vector<int>& got) {
  for (;;) {
    int n = co_await Receive<int>();
    if (n < 0) throw std::runtime_error("negative: " + std::to_string(n));
    got.push_back(n);
  }
}

Actor<int> ThrowsAtOnce() {
  throw 42;
  co_return;
}

TEST(DequeSchedulerTest, AnExceptionEndsOnlyThatActor) {
  DequeScheduler sched;
  std::vector<int> fragile_got, printer_got;
  ASSERT_TRUE(sched.Spawn("fragile", Fragile(fragile_got)).ok());
  ASSERT_TRUE(sched.Spawn("printer", RecordingPrinter(printer_got)).ok());
  ASSERT_TRUE(sched.Spawn("thrower", ThrowsAtOnce()).ok());
  ASSERT_TRUE(sched.Send("fragile", 1).ok());
  ASSERT_TRUE(sched.Send("fragile", -2).ok());
  ASSERT_TRUE(sched.Send("fragile", 3).ok());  // Queued before it failed.
  ASSERT_TRUE(sched.Send("printer", 4).ok());
  ASSERT_TRUE(sched.Run().ok());

  EXPECT_THAT(fragile_got, ElementsAre(1));
  EXPECT_THAT(printer_got, ElementsAre(4));
  ASSERT_EQ(sched.failures().size(), 2u);
  EXPECT_EQ(sched.failures()[0].actor, "'thrower'");
  EXPECT_THAT(sched.failures()[0].what, HasSubstr("not derived"));
  EXPECT_EQ(sched.failures()[1].actor, "'fragile'");
  EXPECT_EQ(sched.failures()[1].what, "negative: -2");
  ASSERT_EQ(sched.dead_letters().size(), 1u);
  EXPECT_EQ(*sched.TakeDeadLetters()[0].message.get_if<int>(), 3);
  EXPECT_EQ(sched.Send("fragile", 5).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(sched.live_actors(), 1u);
}

// Counts live frames through a local whose destructor runs when the frame
// is destroyed.
struct FrameGuard {
  explicit FrameGuard(int& live) : live(live) { ++live; }
  ~FrameGuard() { --live; }
  int& live;
};

Actor<Counted> Hoarder(int& live_frames) {
  FrameGuard guard(live_frames);
  for (;;) {
    Counted message = co_await Receive<Counted>();
    (void)message;
  }
}

TEST(DequeSchedulerTest, DestroyingTheSchedulerFreesFramesAndMessages) {
  Counted::Reset();
  int live_frames = 0;
  {
    DequeScheduler sched;
    ASSERT_TRUE(sched.Spawn("started", Hoarder(live_frames)).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(live_frames, 1);
    ASSERT_TRUE(sched.Spawn("never_started", Hoarder(live_frames)).ok());
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(
          sched.Send(i % 2 ? "started" : "never_started", Counted(i)).ok());
    }
    ASSERT_TRUE(sched.Send("nobody", Counted(-1)).code() ==
                absl::StatusCode::kNotFound);
    EXPECT_GT(Counted::counts.alive(), 100);
  }
  EXPECT_EQ(live_frames, 0);
  EXPECT_EQ(Counted::counts.alive(), 0);
}

// Queues a wake-up for its own actor and does not suspend: a wake-up
// nobody waits for, as a send that threw inside an ask once left. Breaks
// Runtime::Wake()'s precondition on purpose.
class StaleWakeUp : public internal::ContextBound {
 public:
  bool await_ready() {
    context_.runtime->Wake(context_.cell, std::noop_coroutine());
    return true;
  }
  void await_suspend(std::coroutine_handle<>) {}
  void await_resume() {}
};

Actor<int> EndsBeforeItsWakeUp() { co_await StaleWakeUp(); }

TEST(DequeSchedulerTest, AStaleWakeUpAfterTheActorEndedStillFreesItsCell) {
  DequeScheduler sched;
  ActorRef<int> first = sched.Spawn(EndsBeforeItsWakeUp());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(sched.live_actors(), 0u);
  EXPECT_EQ(sched.pending(), 0u);
  // The wake-up was the last envelope naming the cell: it is reused.
  std::vector<int> got;
  ActorRef<int> next = sched.Spawn(RecordingPrinter(got));
  EXPECT_EQ(internal::ActorRefAccess::Cell(next),
            internal::ActorRefAccess::Cell(first));
  EXPECT_FALSE(sched.IsAlive(first));
  EXPECT_TRUE(sched.IsAlive(next));
}

// A message that, destroyed while armed, sends an unarmed one to `to` (by
// name if `name` is set); counts the instances alive.
struct Boomerang {
  static inline int alive = 0;

  Boomerang() { ++alive; }
  Boomerang(DequeScheduler* sched, ActorRef<Boomerang> to, const char* name)
      : sched(sched), to(to), name(name), armed(true) {
    ++alive;
  }
  Boomerang(Boomerang&& other) noexcept
      : sched(other.sched),
        to(other.to),
        name(other.name),
        armed(std::exchange(other.armed, false)) {
    ++alive;
  }
  ~Boomerang() {
    --alive;
    if (!armed) return;
    if (name != nullptr) {
      sched->Send(name, Boomerang()).IgnoreError();
    } else {
      sched->Send(to, Boomerang()).IgnoreError();
    }
  }

  DequeScheduler* sched = nullptr;
  ActorRef<Boomerang> to;
  const char* name = nullptr;
  bool armed = false;
};

Actor<Boomerang> BlockedForEver(BoundedQueue<int>& never) {
  co_await never.Get();
  for (;;) co_await Receive<Boomerang>();
}

// The scheduler destroys a message stashed for a blocked actor, one still
// queued, one in a SendAfter timer and one in a dead letter; each sends
// another from its destructor, by reference or by name, to the live actor.
TEST(DequeSchedulerTest, MessagesSentByDestructorsDuringDestructionAreFreed) {
  BoundedQueue<int> never(1);
  Boomerang::alive = 0;
  {
    DequeScheduler sched;
    absl::StatusOr<ActorRef<Boomerang>> blocked =
        sched.Spawn("blocked", BlockedForEver(never));
    ASSERT_TRUE(blocked.ok());
    ASSERT_TRUE(
        sched.Send(*blocked, Boomerang(&sched, *blocked, nullptr)).ok());
    ASSERT_TRUE(sched.Run().ok());  // Stashed: the actor is blocked.
    ASSERT_TRUE(sched.Send(*blocked, Boomerang(&sched, {}, "blocked")).ok());
    sched.SendAfter(absl::Hours(1), *blocked,
                    Boomerang(&sched, *blocked, nullptr));
    ASSERT_EQ(sched.Send("nobody", Boomerang(&sched, {}, "blocked")).code(),
              absl::StatusCode::kNotFound);
    EXPECT_EQ(Boomerang::alive, 4);
  }
  EXPECT_EQ(Boomerang::alive, 0);
}

TEST(DequeSchedulerTest, AnActorThatIsNeverSpawnedIsFreed) {
  int live_frames = 0;
  {
    Actor<Counted> actor = Hoarder(live_frames);
    EXPECT_EQ(live_frames, 0);  // Lazily started: nothing ran yet.
  }
  EXPECT_EQ(live_frames, 0);
}

}  // namespace
}  // namespace coactor
