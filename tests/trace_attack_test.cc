// Attacks on the binary trace recording (runtime/trace/): traces started and
// stopped again and again around work-stealing runs at 2, 4 and 8 workers
// (more workers than cores), a trace started from another thread during
// Run(), texts far longer than a record's text room (actor names,
// exceptions' what(), dead letters' reasons), a scheduler destroyed with
// its trace still started, an unwritable path and a full disk (/dev/full).
// Every trace written must be valid JSON with its flows paired: each is
// checked by tests/trace_check.py.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "actors/send_when_room.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/spawn_options.h"
#include "runtime/trace/tracer.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/trace_files.h"

namespace coactor {
namespace {

using testing::Count;
using testing::ReadFile;
using testing::TempPath;

// Runs trace_check.py on `path` with `args`; its exit status.
// Debian's python3 (with its json module) where there is one.
std::string Python() {
  return std::system("test -x /usr/bin/python3") == 0 ? "/usr/bin/python3"
                                                      : "python3";
}

int Check(const std::string& path, const std::string& args = "") {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return -1;
  const std::string command =
      absl::StrCat(Python(), " ", srcdir, "/", workspace,
                   "/tests/trace_check.py ", path, " ", args, " >&2");
  return std::system(command.c_str());
}

// Whether `path` parses as JSON (python's json.load): its exit status.
int Json(const std::string& path) {
  const std::string command = absl::StrCat(
      Python(), " -c 'import json,sys; json.load(open(sys.argv[1]))' ", path);
  return std::system(command.c_str());
}

// Passes `rounds` ints on around a ring of actors, then everyone ends.
Actor<int> Relay(WorkStealingScheduler* sched, ActorRef<int>* next,
                 int rounds) {
  for (int i = 0; i < rounds; ++i) {
    int n = co_await Receive<int>();
    sched->Send(*next, n + 1).IgnoreError();
  }
}

Actor<int> Thrower(std::string what) {
  co_await Receive<int>();
  throw std::runtime_error(what);
}

const std::string kLongName(300, 'n');
const std::string kLongWhat(5000, 'w');

// A ring of `actors` relays, one with a name far longer than a record's
// text room, and an actor that ends by an exception with a long what(),
// then a send to it that is a dead letter with a long reason.
void Traffic(WorkStealingScheduler& sched, int actors, int rounds,
             std::vector<ActorRef<int>>* refs) {
  refs->resize(actors);
  for (int i = 0; i < actors; ++i) {
    ActorRef<int>* next = &(*refs)[(i + 1) % actors];
    if (i == 0) {
      auto ref = sched.Spawn(kLongName, Relay(&sched, next, rounds));
      ASSERT_TRUE(ref.ok()) << ref.status();
      (*refs)[i] = *ref;
    } else {
      (*refs)[i] = sched.Spawn(Relay(&sched, next, rounds));
    }
  }
  ASSERT_TRUE(sched.Send((*refs)[0], 0).ok());
  ActorRef<int> thrower = sched.Spawn(Thrower(kLongWhat));
  ASSERT_TRUE(sched.Send(thrower, 1).ok());
}

class TraceAttackTest : public ::testing::TestWithParam<int> {};

TEST_P(TraceAttackTest, StartAndStopAroundManyRunsGiveValidTraces) {
  const int workers = GetParam();
  WorkStealingScheduler sched(workers);
  for (int round = 0; round < 4; ++round) {
    const std::string path =
        TempPath(absl::StrCat("repeat_", workers, "_", round, ".json"));
    // Tiny batches: the writer thread runs all the time.
    ASSERT_TRUE(sched.StartTrace(path, {.buffer_events = 8}).ok());
    std::vector<ActorRef<int>> refs;
    Traffic(sched, 8, 50, &refs);
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_TRUE(sched.StopTrace().ok());
    EXPECT_EQ(Check(path), 0) << path;
    const std::string text = ReadFile(path);
    EXPECT_EQ(Count(text, "\"name\":\"spawn\""), 9) << path;
    // The last relay's last send: its receiver has ended.
    EXPECT_EQ(Count(text, "\"name\":\"dead letter\""), 1);
  }
}

TEST_P(TraceAttackTest, StartFromAnotherThreadDuringRun) {
  const int workers = GetParam();
  WorkStealingScheduler sched(workers);
  const std::string path = TempPath(absl::StrCat("during_", workers, ".json"));
  std::vector<ActorRef<int>> refs;
  Traffic(sched, 8, 2000, &refs);
  std::thread starter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_TRUE(sched.StartTrace(path, {.buffer_events = 16}).ok());
    // While Run() goes on, StopTrace() refuses.
    const absl::Status stop = sched.StopTrace();
    if (!stop.ok()) {
      EXPECT_EQ(stop.code(), absl::StatusCode::kFailedPrecondition);
    }
  });
  ASSERT_TRUE(sched.Run().ok());
  starter.join();
  ASSERT_TRUE(sched.StopTrace().ok());
  // Begun mid-run, a flow may start in a traced turn and end in a turn
  // begun untraced (no end), which trace_check.py's --unpaired-ok does not
  // allow for a first start; the file must still be valid JSON.
  EXPECT_EQ(Json(path), 0) << path;
}

INSTANTIATE_TEST_SUITE_P(Workers, TraceAttackTest, ::testing::Values(2, 4, 8));

TEST(TraceAttack, SchedulerDestroyedWithItsTraceStartedCompletesTheFile) {
  const std::string path = TempPath("destroyed.json");
  {
    WorkStealingScheduler sched(4);
    ASSERT_TRUE(sched.StartTrace(path, {.buffer_events = 8}).ok());
    std::vector<ActorRef<int>> refs;
    Traffic(sched, 4, 100, &refs);
    ASSERT_TRUE(sched.Run().ok());
  }
  EXPECT_EQ(Check(path), 0);
}

TEST(TraceAttack, DeadLetterWithALongReasonIsCutNotOverrun) {
  const std::string path = TempPath("dead.json");
  WorkStealingScheduler sched(2);
  ASSERT_TRUE(sched.StartTrace(path, {.buffer_events = 4}).ok());
  auto gone = sched.Spawn(kLongName, Thrower(kLongWhat));
  ASSERT_TRUE(gone.ok());
  ASSERT_TRUE(sched.Send(*gone, 1).ok());
  ASSERT_TRUE(sched.Run().ok());
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(sched.Send(*gone, i).ok());
  EXPECT_EQ(sched.dead_letters().size(), 20);
  ASSERT_TRUE(sched.StopTrace().ok());
  EXPECT_EQ(Check(path, "--instant 'dead letter=20'"), 0);
}

Actor<int> TakeOne() { co_await Receive<int>(); }

// Messages left in the mailbox of an actor that ends are dead letters: each
// one's flow (started when it was queued) must end too, or the trace has
// arrows from nowhere to nowhere (trace_check.py: "starts and ends out of
// turn").
TEST(TraceAttack, MessagesLeftAtAnActorsEndEndTheirFlows) {
  const std::string path = TempPath("left.json");
  WorkStealingScheduler sched(2);
  ASSERT_TRUE(sched.StartTrace(path).ok());
  ActorRef<int> once = sched.Spawn(TakeOne());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sched.Send(once, i).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(sched.dead_letters().size(), 2);
  ASSERT_TRUE(sched.StopTrace().ok());
  EXPECT_EQ(Check(path, "--flows 3 --received 1"), 0);
}

TEST(TraceAttack, UnwritablePathIsAnErrorAndTheRunGoesOn) {
  WorkStealingScheduler sched(2);
  const absl::Status s = sched.StartTrace("/nonexistent/dir/t.json");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  std::vector<ActorRef<int>> refs;
  Traffic(sched, 4, 100, &refs);
  EXPECT_TRUE(sched.Run().ok());
  EXPECT_TRUE(sched.StopTrace().ok());  // No trace: a no-op.
}

TEST(TraceAttack, FullDiskIsReportedByStopTrace) {
  if (std::system("test -w /dev/full") != 0) GTEST_SKIP() << "no /dev/full";
  WorkStealingScheduler sched(2);
  ASSERT_TRUE(sched.StartTrace("/dev/full", {.buffer_events = 8}).ok());
  std::vector<ActorRef<int>> refs;
  Traffic(sched, 4, 2000, &refs);
  EXPECT_TRUE(sched.Run().ok());
  const absl::Status s = sched.StopTrace();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  // The scheduler traces again afterwards.
  const std::string path = TempPath("after_full.json");
  ASSERT_TRUE(sched.StartTrace(path).ok());
  Traffic(sched, 4, 10, &refs);
  EXPECT_TRUE(sched.Run().ok());
  EXPECT_TRUE(sched.StopTrace().ok());
  EXPECT_EQ(Check(path), 0);
}

// Bounded: one thread's ring keeps exactly its last N events, the rest
// counted as dropped.
TEST(TraceAttack, RingDropsExactly) {
  const std::string path = TempPath("ring.json");
  Tracer tracer;
  ASSERT_TRUE(tracer.Start(path, {.ring_events = 100}).ok());
  for (int i = 0; i < 1000; ++i) {
    tracer.Spawn(static_cast<uint64_t>(i), kLongName);
    tracer.EndByException(static_cast<uint64_t>(i), kLongName, kLongWhat);
  }
  ASSERT_TRUE(tracer.Stop().ok());
  EXPECT_EQ(Check(path, "--dropped 1900 --instant spawn=50 --instant end=50"),
            0);
}

// Texts with quotes, backslashes, control bytes, invalid UTF-8, and a
// multi-byte character across the cut at a record's text room; batches of
// one event (buffer_events 0), from 8 threads.
TEST(TraceAttack, HostileTextsAndOneEventBatchesStayValidJson) {
  const std::string path = TempPath("hostile.json");
  std::string cut(79, 'a');
  cut += "\xc3\xa9";  // 'e' acute, its second byte past 80.
  const std::string nasty = "q\"b\\n\n\x01\x7f\xff\xc3(\xe2\x82";
  Tracer tracer;
  ASSERT_TRUE(tracer.Start(path, {.buffer_events = 0}).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const uint64_t actor = static_cast<uint64_t>(t * 100 + i);
        tracer.Spawn(actor, nasty);
        tracer.BeginTurn(actor, i % 2 == 0 ? cut : nasty);
        tracer.EndTurn(1);
        tracer.Failure(actor, cut, nasty);
        tracer.DeadLetter(nasty, cut, "int");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(tracer.Stop().ok());
  EXPECT_EQ(Check(path,
                  "--turns 400 --instant spawn=400 --instant "
                  "failure=400 --instant 'dead letter=400'"),
            0);
}

// COACTOR_TRACE traces every scheduler constructed while it is set: the
// first to FILE, the next to FILE.2; a bad COACTOR_TRACE_RING traces all.
// (The count is the process's: only this test sets the variable.)
TEST(TraceAttack, EnvironmentFormTracesEachSchedulerToItsOwnFile) {
  const std::string path = TempPath("env.json");
  ASSERT_EQ(setenv("COACTOR_TRACE", path.c_str(), 1), 0);
  ASSERT_EQ(setenv("COACTOR_TRACE_RING", "many", 1), 0);
  for (int n = 0; n < 2; ++n) {
    WorkStealingScheduler sched(2);
    std::vector<ActorRef<int>> refs;
    Traffic(sched, 4, 25, &refs);
    ASSERT_TRUE(sched.Run().ok());
  }  // Destroyed with the trace started.
  unsetenv("COACTOR_TRACE");
  unsetenv("COACTOR_TRACE_RING");
  EXPECT_EQ(Check(path, "--flows 101 --dropped 0"), 0);
  EXPECT_EQ(Check(path + ".2", "--flows 101 --dropped 0"), 0);
}

Actor<int> Sink(int take) {
  for (int i = 0; i < take; ++i) co_await Receive<int>();
}

// Senders waiting for room in a capacity-1 mailbox, traced: every message
// (queued at once, or by the receiver's turn that made room for a waiter)
// has its arrow, paired.
template <typename Sched>
void TracedBackpressure(Sched& sched, const std::string& path,
                        int64_t capacity = 1, int each = 50) {
  constexpr int kSenders = 4;
  ASSERT_TRUE(sched.StartTrace(path, {.buffer_events = 16}).ok());
  auto sink = sched.Spawn(
      "sink", Sink(kSenders * each),
      {.mailbox_capacity = capacity, .when_full = WhenFull::kBackpressure});
  ASSERT_TRUE(sink.ok());
  for (int s = 0; s < kSenders; ++s) {
    sched.Spawn([](ActorRef<int> to, int each) -> Actor<int> {
      for (int i = 0; i < each; ++i) {
        const absl::Status sent = i % 2 == 0 ? co_await SendWhenRoom(to, i)
                                             : co_await SendWhenRoom("sink", i);
        if (!sent.ok()) co_return;
      }
    }(*sink, each));
  }
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_TRUE(sched.dead_letters().empty());
  ASSERT_TRUE(sched.StopTrace().ok());
  // Messages: kSenders * each, and the wake-ups' and starts' arrows.
  EXPECT_EQ(Check(path), 0) << path;
}

TEST(TraceAttack, BackpressureOnWorkStealingIsTracedPaired) {
  WorkStealingScheduler sched(2);
  TracedBackpressure(sched, TempPath("backpressure_ws.json"));
}

// Streaming senders into a mailbox of 64: on work stealing their sends
// after a turn's first go through the outbox on credits, and a credited
// batch's flows start where the flush queues it.
TEST(TraceAttack, CreditedSendsOnWorkStealingAreTracedPaired) {
  WorkStealingScheduler sched(2);
  TracedBackpressure(sched, TempPath("credited_ws.json"), 64, 400);
}

TEST(TraceAttack, BackpressureOnTheDequeIsTracedPaired) {
  DequeScheduler sched;
  TracedBackpressure(sched, TempPath("backpressure_deque.json"));
}

// Plain Send()s (by reference and by name), or SendWhenRoom()s
// (`when_room`), into bounded mailboxes of each dropping policy, from
// actors, traced: every arrow paired (a dropped message's ends where it is
// dropped).
template <typename Sched>
void TracedDrops(Sched& sched, const std::string& path, WhenFull policy,
                 bool when_room = false) {
  ASSERT_TRUE(sched.StartTrace(path, {.buffer_events = 16}).ok());
  auto sink = sched.Spawn("sink", Sink(1000),
                          {.mailbox_capacity = 2, .when_full = policy});
  ASSERT_TRUE(sink.ok());
  sched.Spawn([](Sched* sched, ActorRef<int> to, bool when_room) -> Actor<int> {
    for (int i = 0; i < 50; ++i) {
      if (when_room) {
        (co_await SendWhenRoom(to, i)).IgnoreError();
        (co_await SendWhenRoom("sink", i)).IgnoreError();
      } else {
        sched->Send(to, i).IgnoreError();
        sched->Send("sink", i).IgnoreError();
      }
    }
  }(&sched, *sink, when_room));
  ASSERT_TRUE(sched.Run().ok());
  ASSERT_TRUE(sched.StopTrace().ok());
  EXPECT_EQ(Check(path), 0) << path;
}

TEST(TraceAttack, DropsOnWorkStealingAreTracedPaired) {
  for (WhenFull policy : {WhenFull::kDropNewest, WhenFull::kReject}) {
    WorkStealingScheduler sched(2);
    TracedDrops(sched, TempPath("drops_ws.json"), policy);
  }
}

// On work stealing the oldest message a kDropOldest mailbox drops had a
// flow start (it was queued) and no end; ended where it is dropped, it must
// be stamped then, not at the turn's start (before the starts the same turn
// recorded: trace_check.py saw end-then-start).
TEST(TraceAttack, DropOldestOnWorkStealingIsTracedPaired) {
  for (bool when_room : {false, true}) {
    WorkStealingScheduler sched(2);
    TracedDrops(sched, TempPath("drop_oldest_ws.json"), WhenFull::kDropOldest,
                when_room);
  }
}

TEST(TraceAttack, DropsOnTheDequeAreTracedPaired) {
  for (WhenFull policy :
       {WhenFull::kDropOldest, WhenFull::kDropNewest, WhenFull::kReject}) {
    DequeScheduler sched;
    TracedDrops(sched, TempPath("drops_deque.json"), policy);
  }
}

}  // namespace
}  // namespace coactor
