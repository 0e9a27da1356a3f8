// Every awaitable coactor offers, driven with the operands ordinary actor
// code writes: prvalues that own heap memory (std::strings longer than the
// small-string buffer, aggregates of them built with braces, unique_ptrs,
// lambdas capturing such values by value), structured bindings of co_await
// results, and temporaries that must live while the coroutine is suspended.
//
// g++ 12.2 frees brace-initialised temporaries and lambda closures of a
// co_await (or co_yield) expression twice: these programs crash or corrupt
// the heap there, which is why coactor refuses g++ 12
// (actors/internal/compiler_check.h). Reproduce with
//   ./bazelw test --repo_env=CC=gcc --config=asan-flags \
//       --copt=-DCOACTOR_ALLOW_GCC_COROUTINE_BUG //tests:compiler_hazards_test
// Under clang (CI: clang 16, fastbuild and ASan+UBSan) every case must give
// exact results with no sanitizer report and no leak.
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/ask.h"
#include "actors/bounded_queue.h"
#include "actors/clock.h"
#include "actors/generator.h"
#include "actors/join_handle.h"
#include "actors/receive.h"
#include "actors/sleep.h"
#include "actors/task.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

using ::testing::ElementsAre;

// Longer than any std::string's inline buffer: every copy owns heap memory.
std::string Long(int i) {
  return "a string long enough to live on the heap, number " +
         std::to_string(i);
}

// An aggregate of heap-owning members: users build these with braces.
struct Transfer {
  std::string from;
  std::string to;
  int amount;
  bool operator==(const Transfer&) const = default;
};

// An aggregate with a move-only member.
struct Parcel {
  Transfer transfer;
  std::unique_ptr<std::string> note;
};

using testing::SchedulerKind;

class CompilerHazardsTest : public ::testing::TestWithParam<SchedulerKind> {
 protected:
  // Calls `program(sched)` on a fresh scheduler of the parameter's kind,
  // on virtual time (Run() jumps to each timer; nothing really waits).
  template <typename Program>
  void OnScheduler(Program program) {
    testing::RunOnScheduler(GetParam(), program, clock_);
  }
  ManualClock clock_{absl::UnixEpoch()};
};

// ---- Receive ----------------------------------------------------------------

template <coactor::Scheduler Sched>
Actor<Transfer> Ledger(Sched& sched, std::vector<std::string>& log) {
  for (;;) {
    // A structured binding of a co_await result.
    auto [from, to, amount] = co_await Receive<Transfer>();
    if (amount < 0) co_return;
    log.push_back(from + ">" + to + ":" + std::to_string(amount));
    if (amount == 1) {
      // A brace-initialised aggregate prvalue sent from inside an actor.
      sched.Send("ledger", Transfer{Long(100), Long(101), 2}).IgnoreError();
    }
  }
}

TEST_P(CompilerHazardsTest, ReceiveTakesAggregatesOfLongStrings) {
  OnScheduler([](auto& sched) {
    std::vector<std::string> log;
    ASSERT_TRUE(sched.Spawn("ledger", Ledger(sched, log)).ok());
    ASSERT_TRUE(sched.Send("ledger", Transfer{Long(1), Long(2), 1}).ok());
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_TRUE(sched.Send("ledger", Transfer{Long(3), Long(4), -1}).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(log, ElementsAre(Long(1) + ">" + Long(2) + ":1",
                                 Long(100) + ">" + Long(101) + ":2"));
    EXPECT_TRUE(sched.dead_letters().empty());
    EXPECT_TRUE(sched.failures().empty());
  });
}

using Mail = std::variant<Parcel, std::unique_ptr<std::string>>;

Actor<Mail> Mailroom(std::vector<std::string>& log) {
  for (;;) {
    Mail mail = co_await Receive<Mail>();
    if (auto* parcel = std::get_if<Parcel>(&mail)) {
      log.push_back(parcel->transfer.from + "|" + *parcel->note);
    } else {
      auto& text = std::get<std::unique_ptr<std::string>>(mail);
      if (text == nullptr) co_return;
      log.push_back(*text);
    }
  }
}

TEST_P(CompilerHazardsTest, ReceiveTakesMoveOnlyAggregatesAndVariants) {
  OnScheduler([](auto& sched) {
    std::vector<std::string> log;
    ActorRef<Mail> room = sched.Spawn(Mailroom(log));
    ASSERT_TRUE(sched
                    .Send(room, Parcel{Transfer{Long(1), Long(2), 3},
                                       std::make_unique<std::string>(Long(4))})
                    .ok());
    ASSERT_TRUE(sched.Send(room, std::make_unique<std::string>(Long(5))).ok());
    ASSERT_TRUE(sched.Send(room, std::unique_ptr<std::string>()).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(log, ElementsAre(Long(1) + "|" + Long(4), Long(5)));
    EXPECT_FALSE(sched.IsAlive(room));
  });
}

// ---- BoundedQueue::Put / Get ------------------------------------------------

// Capacity 1: the second Put suspends with its brace-initialised temporary
// alive in the frame until a getter makes room.
Task<void> PutTransfers(BoundedQueue<Transfer>& queue, int n) {
  for (int i = 0; i < n; ++i) {
    co_await queue.Put(Transfer{Long(i), Long(i + 1000), i});
  }
}

Task<void> PutNotes(BoundedQueue<std::unique_ptr<std::string>>& queue, int n) {
  for (int i = 0; i < n; ++i) {
    co_await queue.Put(std::make_unique<std::string>(Long(i)));
  }
}

template <coactor::Scheduler Sched>
Actor<int> QueueUser(Sched& sched, std::vector<std::string>& log) {
  BoundedQueue<Transfer> transfers(1);
  BoundedQueue<std::unique_ptr<std::string>> notes(1);
  JoinHandle<void> put_transfers =
      co_await CreateTask(PutTransfers(transfers, 4));
  JoinHandle<void> put_notes = co_await CreateTask(PutNotes(notes, 3));
  for (int i = 0; i < 4; ++i) {
    co_await Sleep(absl::Milliseconds(1));  // Let the putter block.
    auto [from, to, amount] = co_await transfers.Get();
    log.push_back(from + ">" + to + ":" + std::to_string(amount));
  }
  for (int i = 0; i < 3; ++i) {
    std::unique_ptr<std::string> note = co_await notes.Get();
    log.push_back(*note);
  }
  co_await put_transfers;
  co_await put_notes;
  (void)sched;
}

TEST_P(CompilerHazardsTest, BoundedQueuePutKeepsItsTemporaryWhileItWaits) {
  OnScheduler([](auto& sched) {
    std::vector<std::string> log;
    ActorRef<int> user = sched.Spawn(QueueUser(sched, log));
    ASSERT_TRUE(sched.Run().ok());
    std::vector<std::string> expected;
    for (int i = 0; i < 4; ++i) {
      expected.push_back(Long(i) + ">" + Long(i + 1000) + ":" +
                         std::to_string(i));
    }
    for (int i = 0; i < 3; ++i) expected.push_back(Long(i));
    EXPECT_EQ(log, expected);
    EXPECT_FALSE(sched.IsAlive(user));
    EXPECT_TRUE(sched.failures().empty());
  });
}

// ---- Ask --------------------------------------------------------------------

struct Lookup {
  std::string key;
  ReplyTo<std::string> reply;
};

struct Quote {
  Transfer transfer;
  ReplyTo<Transfer> reply;
};

using DictMsg = std::variant<Lookup, Quote>;

Actor<DictMsg> Dictionary() {
  // A request for "never" is kept unanswered (its ask times out) until the
  // next request comes, then dropped: its late answer claims nothing.
  std::vector<ReplyTo<std::string>> kept;
  for (;;) {
    DictMsg msg = co_await Receive<DictMsg>();
    kept.clear();
    if (auto* lookup = std::get_if<Lookup>(&msg)) {
      if (lookup->key == "silence") continue;  // Dropped: FailedPrecondition.
      if (lookup->key == "never") {
        kept.push_back(std::move(lookup->reply));
        continue;
      }
      lookup->reply.Send("value of " + lookup->key);
    } else {
      Quote& quote = std::get<Quote>(msg);
      Transfer& t = quote.transfer;
      quote.reply.Send(Transfer{t.to, t.from, t.amount * 2});
    }
  }
}

template <coactor::Scheduler Sched>
Actor<int> Asker(Sched& sched, ActorRef<DictMsg> dict,
                 std::vector<std::string>& log) {
  for (int i = 0; i < 3; ++i) {
    std::string key = Long(i);
    // The reported pattern: a lambda capturing a std::string by value.
    absl::StatusOr<std::string> value = co_await Ask<std::string>(
        sched, dict,
        [key](ReplyTo<std::string> r) {
          return Lookup{key, std::move(r)};
        },
        absl::Seconds(1));
    log.push_back(value.ok() ? *value : value.status().ToString());
  }
  // A lambda whose capture is built in place, and a request aggregate of
  // aggregates built with braces inside it.
  absl::StatusOr<Transfer> swapped = co_await Ask<Transfer>(
      sched, dict,
      [from = Long(7), to = Long(8)](ReplyTo<Transfer> r) {
        return Quote{Transfer{from, to, 21}, std::move(r)};
      },
      absl::Seconds(1));
  if (swapped.ok()) {
    auto& [from, to, amount] = *swapped;
    log.push_back(from + ">" + to + ":" + std::to_string(amount));
  }
  // Timed out, and dropped: the captured strings outlive the wait.
  absl::StatusOr<std::string> late = co_await Ask<std::string>(
      sched, dict,
      [key = std::string("never"), pad = Long(9)](ReplyTo<std::string> r) {
        return Lookup{key, std::move(r)};
      },
      absl::Seconds(2));
  log.push_back(late.status().ToString());
  absl::StatusOr<std::string> dropped = co_await Ask<std::string>(
      sched, dict,
      [key = std::string("silence"), pad = Long(10)](ReplyTo<std::string> r) {
        return Lookup{key, std::move(r)};
      },
      absl::Seconds(2));
  log.push_back(std::string(absl::StatusCodeToString(dropped.status().code())));
}

TEST_P(CompilerHazardsTest, AskWithLambdasCapturingLongStrings) {
  OnScheduler([](auto& sched) {
    std::vector<std::string> log;
    ActorRef<DictMsg> dict = sched.Spawn(Dictionary());
    sched.Spawn(Asker(sched, dict, log));
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(
        log, ElementsAre("value of " + Long(0), "value of " + Long(1),
                         "value of " + Long(2), Long(8) + ">" + Long(7) + ":42",
                         "DEADLINE_EXCEEDED: no reply before the deadline",
                         "FAILED_PRECONDITION"));
    EXPECT_TRUE(sched.failures().empty());
  });
}

// ---- Sleep ------------------------------------------------------------------

template <coactor::Scheduler Sched>
Actor<int> Sleeper(Sched& sched, std::vector<std::string>& log) {
  for (int i = 1; i <= 3; ++i) {
    // A heap-owning temporary in the same full-expression as the sleep: it
    // lives across the suspension.
    co_await Sleep(absl::Milliseconds(Long(i).size() * i));
    log.push_back(Long(i) + "@" +
                  absl::FormatDuration(sched.Now() - absl::UnixEpoch()));
  }
}

TEST_P(CompilerHazardsTest, SleepWithTemporariesInItsExpression) {
  OnScheduler([this](auto& sched) {
    std::vector<std::string> log;
    sched.Spawn(Sleeper(sched, log));
    ASSERT_TRUE(sched.Run().ok());
    const size_t n = Long(1).size();  // Long(1..3) are equally long.
    EXPECT_THAT(
        log,
        ElementsAre(
            Long(1) + "@" + absl::FormatDuration(absl::Milliseconds(n)),
            Long(2) + "@" + absl::FormatDuration(absl::Milliseconds(3 * n)),
            Long(3) + "@" + absl::FormatDuration(absl::Milliseconds(6 * n))));
    EXPECT_EQ(clock_.Now(), absl::UnixEpoch() + absl::Milliseconds(6 * n));
  });
}

// ---- Task, CreateTask / JoinHandle, Gather ----------------------------------

// By-value parameters: the task's frame owns them, across its suspension.
Task<std::string> Describe(Transfer transfer, std::string suffix) {
  co_await Sleep(absl::Milliseconds(transfer.amount));
  co_return transfer.from + ">" + transfer.to + suffix;
}

Task<Transfer> Reverse(Transfer transfer) {
  co_await Yield();
  co_return Transfer{transfer.to, transfer.from, -transfer.amount};
}

Task<std::unique_ptr<std::string>> Box(std::unique_ptr<std::string> text) {
  co_await Yield();
  *text += "!";
  co_return text;
}

template <coactor::Scheduler Sched>
Actor<int> TaskUser(Sched& sched, std::vector<std::string>& log) {
  // A task awaited directly, with brace-initialised and string prvalues.
  std::string one = co_await Describe(Transfer{Long(1), Long(2), 3}, Long(3));
  log.push_back(one);
  // A structured binding of a task's aggregate result.
  auto [from, to, amount] = co_await Reverse(Transfer{Long(4), Long(5), 6});
  log.push_back(from + ">" + to + ":" + std::to_string(amount));
  std::unique_ptr<std::string> boxed =
      co_await Box(std::make_unique<std::string>(Long(6)));
  log.push_back(*boxed);
  // CreateTask with prvalues; the handle awaited later.
  JoinHandle<std::string> handle =
      co_await CreateTask(Describe(Transfer{Long(7), Long(8), 2}, Long(9)));
  JoinHandle<Transfer> reversed =
      co_await CreateTask(Reverse(Transfer{Long(10), Long(11), 12}));
  log.push_back(co_await handle);
  Transfer back = co_await reversed;
  log.push_back(back.from + ">" + back.to + ":" + std::to_string(back.amount));
  // Gather of tasks built from prvalues.
  std::vector<std::string> all =
      co_await Gather(Describe(Transfer{Long(12), Long(13), 3}, Long(14)),
                      Describe(Transfer{Long(15), Long(16), 1}, Long(17)),
                      Describe(Transfer{Long(18), Long(19), 2}, Long(20)));
  for (std::string& s : all) log.push_back(std::move(s));
  (void)sched;
}

TEST_P(CompilerHazardsTest, TasksJoinHandlesAndGatherWithPrvalueArguments) {
  OnScheduler([](auto& sched) {
    std::vector<std::string> log;
    ActorRef<int> user = sched.Spawn(TaskUser(sched, log));
    // And from outside any actor: CreateTask with prvalues.
    JoinHandle<std::string> outside =
        sched.CreateTask(Describe(Transfer{Long(21), Long(22), 4}, Long(23)));
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_THAT(log, ElementsAre(Long(1) + ">" + Long(2) + Long(3),
                                 Long(5) + ">" + Long(4) + ":-6", Long(6) + "!",
                                 Long(7) + ">" + Long(8) + Long(9),
                                 Long(11) + ">" + Long(10) + ":-12",
                                 Long(12) + ">" + Long(13) + Long(14),
                                 Long(15) + ">" + Long(16) + Long(17),
                                 Long(18) + ">" + Long(19) + Long(20)));
    ASSERT_TRUE(outside.done());
    EXPECT_EQ(outside.TakeResult(), Long(21) + ">" + Long(22) + Long(23));
    EXPECT_FALSE(sched.IsAlive(user));
    EXPECT_TRUE(sched.failures().empty());
  });
}

TEST_P(CompilerHazardsTest, RunUntilCompleteOfATaskBuiltFromPrvalues) {
  OnScheduler([](auto& sched) {
    absl::StatusOr<Transfer> result =
        sched.RunUntilComplete(Reverse(Transfer{Long(1), Long(2), 3}));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(*result, (Transfer{Long(2), Long(1), -3}));
  });
}

INSTANTIATE_TEST_SUITE_P(AllSchedulers, CompilerHazardsTest,
                         ::testing::ValuesIn(testing::SchedulerKinds(4)),
                         testing::SchedulerKindName);

// ---- Generator, YieldFrom, Send ---------------------------------------------

// By-value aggregate parameter, brace-initialised co_yield operands.
Generator<Transfer> Transfers(Transfer seed, std::string tag, int n) {
  for (int i = 0; i < n; ++i) {
    co_yield Transfer{seed.from + tag, seed.to + tag, seed.amount + i};
  }
}

Generator<std::unique_ptr<std::string>, void, std::string> Notes(
    std::vector<std::string> texts) {
  for (std::string& text : texts) {
    co_yield std::make_unique<std::string>(text);
  }
  co_return Long(99);
}

Generator<Transfer> AllTransfers(std::vector<std::string>& returned) {
  co_yield YieldFrom(Transfers(Transfer{Long(1), Long(2), 10}, Long(3), 2));
  co_yield Transfer{Long(4), Long(5), 6};
  co_yield YieldFrom(Transfers(Transfer{Long(7), Long(8), 20}, "", 1));
  // A delegation whose return value is a heap-owning string.
  Generator<std::unique_ptr<std::string>, void, std::string> notes =
      Notes({Long(11), Long(12)});
  for (std::unique_ptr<std::string>& note : notes) returned.push_back(*note);
  returned.push_back("ignored");
}

Generator<std::unique_ptr<std::string>> Relay() {
  std::string result =
      co_yield YieldFrom(Notes(std::vector<std::string>{Long(21), Long(22)}));
  co_yield std::make_unique<std::string>(result);
}

TEST(CompilerHazardsGeneratorTest, YieldFromAndCoYieldOfHeapOwningPrvalues) {
  std::vector<std::string> returned;
  std::vector<Transfer> got;
  for (Transfer& t : AllTransfers(returned)) got.push_back(std::move(t));
  EXPECT_THAT(got,
              ElementsAre(Transfer{Long(1) + Long(3), Long(2) + Long(3), 10},
                          Transfer{Long(1) + Long(3), Long(2) + Long(3), 11},
                          Transfer{Long(4), Long(5), 6},
                          Transfer{Long(7), Long(8), 20}));
  EXPECT_THAT(returned, ElementsAre(Long(11), Long(12), "ignored"));

  std::vector<std::string> relayed;
  for (std::unique_ptr<std::string>& s : Relay()) relayed.push_back(*s);
  EXPECT_THAT(relayed, ElementsAre(Long(21), Long(22), Long(99)));
}

// Send() of heap-owning values into a paused co_yield.
Generator<std::string, std::string> Echo() {
  std::string last = Long(0);
  for (;;) {
    std::string in = co_yield std::string(last);
    last = in + "/" + Long(static_cast<int>(in.size()));
  }
}

TEST(CompilerHazardsGeneratorTest, SendOfLongStringsIntoAPausedYield) {
  Generator<std::string, std::string> echo = Echo();
  absl::StatusOr<std::string> first = echo.Next();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, Long(0));
  absl::StatusOr<std::string> second = echo.Send(Long(1));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, Long(1) + "/" + Long(static_cast<int>(Long(1).size())));
}

// A generator destroyed while paused mid-delegation frees what its frames
// own (LeakSanitizer checks), and nothing twice (ASan).
TEST(CompilerHazardsGeneratorTest, DestroyedWhilePausedFreesEverythingOnce) {
  std::vector<std::string> returned;
  Generator<Transfer> all = AllTransfers(returned);
  absl::StatusOr<Transfer> first = all.Next();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->amount, 10);
  // `all` is destroyed here, suspended inside the inner Transfers().
}

}  // namespace
}  // namespace coactor
