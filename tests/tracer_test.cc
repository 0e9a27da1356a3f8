// Tracer and TraceHook from outside: bad input (unwritable path, starting
// twice, stopping without a trace), what one thread's trace holds, the
// bounded mode's count of dropped events, and the JSON text of strings.
// Several threads, and the trace checked as parsed JSON:
// trace_recorder_test.sh.
#include "runtime/trace/tracer.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "runtime/trace/trace_hook.h"
#include "runtime/trace/trace_json.h"
#include "tests/trace_files.h"

namespace coactor {
namespace {

using testing::Count;
using testing::ReadFile;
using testing::TempPath;

TEST(TracerTest, UnwritablePathIsAClearErrorAndNothingIsRecorded) {
  Tracer tracer;
  absl::Status s = tracer.Start("/nonexistent-dir/out.json");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(),
            "cannot write the trace file \"/nonexistent-dir/out.json\": No "
            "such file or directory; running without a trace");
  EXPECT_FALSE(tracer.started());
  // Recording calls without a trace are no-ops.
  tracer.BeginTurn(1, "a");
  tracer.EndTurn(1);
  EXPECT_TRUE(tracer.thread_named());  // Nothing to name.
  EXPECT_EQ(tracer.NewFlowId(), 0u);
  EXPECT_TRUE(tracer.Stop().ok());
}

TEST(TracerTest, StartingTwiceIsFailedPreconditionAndKeepsTheFirstTrace) {
  const std::string first = TempPath("twice_1.json");
  const std::string second = TempPath("twice_2.json");
  std::remove(second.c_str());
  Tracer tracer;
  ASSERT_TRUE(tracer.Start(first).ok());
  absl::Status s = tracer.Start(second);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(std::ifstream(second).good()) << "the second file was created";
  tracer.Spawn(1, "kept");
  ASSERT_TRUE(tracer.Stop().ok());
  const std::string text = ReadFile(first);
  EXPECT_EQ(Count(text, "\"name\":\"spawn\""), 1);
  EXPECT_EQ(Count(text, "\"kept\""), 1);
}

TEST(TracerTest, StopWithoutATraceIsANoOp) {
  Tracer tracer;
  EXPECT_TRUE(tracer.Stop().ok());
  EXPECT_TRUE(tracer.Stop().ok());
  EXPECT_FALSE(tracer.started());
}

TEST(TracerTest, AnEmptyTraceIsCompleteJson) {
  const std::string path = TempPath("empty.json");
  Tracer tracer;
  ASSERT_TRUE(tracer.Start(path).ok());
  ASSERT_TRUE(tracer.Stop().ok());
  EXPECT_EQ(ReadFile(path),
            "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"
            "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" +
                std::to_string(getpid()) +
                ",\"tid\":0,\"args\":{\"name\":\"coactor\"}}\n"
                "],\"otherData\":{\"dropped_events\":0}}\n");
}

TEST(TracerTest, OneThreadsEventsAreAllWritten) {
  const std::string path = TempPath("one_thread.json");
  Tracer tracer;
  // A batch of 3 events: the 20 below are written in 7 batches.
  ASSERT_TRUE(tracer.Start(path, TraceOptions{.buffer_events = 3}).ok());
  EXPECT_FALSE(tracer.thread_named());
  tracer.NameThread("main lane");
  EXPECT_TRUE(tracer.thread_named());
  tracer.EndTurn(1);  // No turn begun: nothing.
  tracer.Spawn(7, "counter");
  const uint64_t flow = tracer.NewFlowId();
  tracer.FlowStart(TraceFlowKind::kMessage, flow, "int");  // + "send" slice
  for (int i = 0; i < 5; ++i) {
    tracer.BeginTurn(7, "counter");
    if (i == 0) tracer.FlowEnd(TraceFlowKind::kMessage, flow, "int");
    tracer.EndTurn(2);
  }
  tracer.DeadLetter("nobody", "no actor is called \"nobody\"", "int");
  tracer.Failure(7, "counter", "boom");
  tracer.EndByException(7, "counter", "boom");
  tracer.End(8, "printer");
  tracer.TimerArmed(1, 1000);
  tracer.TimerFired(1);
  tracer.TimerCancelled(2);
  tracer.Steal(0, 1);
  tracer.Park(0);
  tracer.Wake(0);
  ASSERT_TRUE(tracer.Stop().ok());
  const std::string text = ReadFile(path);
  EXPECT_EQ(Count(text, "\"ph\":\"X\""), 6);  // 5 turns, 1 "send" slice
  EXPECT_EQ(Count(text, "\"cat\":\"turn\",\"name\":\"counter\""), 5);
  EXPECT_EQ(Count(text, "\"cat\":\"outside\",\"name\":\"send\""), 1);
  EXPECT_EQ(Count(text, "\"ph\":\"s\""), 1);
  EXPECT_EQ(Count(text, "\"ph\":\"f\",\"pid\""), 1);
  EXPECT_EQ(Count(text, "\"bp\":\"e\""), 1);
  EXPECT_EQ(Count(text, "\"ph\":\"i\""), 11);
  EXPECT_EQ(Count(text, "\"messages\":2"), 5);
  EXPECT_EQ(Count(text, "\"reason\":\"no actor is called \\\"nobody\\\"\""), 1);
  EXPECT_EQ(Count(text, "\"outcome\":\"exception\",\"what\":\"boom\""), 1);
  EXPECT_EQ(Count(text, "\"outcome\":\"normal\""), 1);
  EXPECT_EQ(Count(text, "\"name\":\"thread_name\""), 1);
  EXPECT_EQ(Count(text, "\"args\":{\"name\":\"main lane\"}"), 1);
  EXPECT_EQ(Count(text, "\"dropped_events\":0"), 1);
}

// A turn's event names its actor by id, the thread keeping each name once;
// past the names a thread keeps (TraceBuffer::kMaxNames), turns carry
// their names. Either way every turn is named right, also in a ring whose
// events outlived the turn that first named the actor.
TEST(TracerTest, TurnsAreNamedRightPastTheNamesAThreadKeeps) {
  const std::string path = TempPath("names.json");
  constexpr int kActors = (1 << 16) + 100;
  for (const size_t ring : {size_t{0}, size_t{1000}}) {
    Tracer tracer;
    ASSERT_TRUE(tracer.Start(path, TraceOptions{.ring_events = ring}).ok());
    for (int i = 1; i <= kActors; ++i) {
      tracer.BeginTurn(i, "n" + std::to_string(i));
      tracer.EndTurn(1);
    }
    // The first actor again, named long ago (its first turn dropped from
    // the ring).
    tracer.BeginTurn(1, "n1");
    tracer.EndTurn(2);
    ASSERT_TRUE(tracer.Stop().ok());
    const std::string text = ReadFile(path);
    EXPECT_EQ(Count(text, "\"cat\":\"turn\""), ring == 0 ? kActors + 1 : 1000);
    for (const int i : {kActors - 50, kActors}) {  // Named past the limit.
      EXPECT_EQ(
          Count(text, "\"name\":\"n" + std::to_string(i) +
                          "\",\"args\":{\"actor\":" + std::to_string(i) + ","),
          1);
    }
    EXPECT_EQ(Count(text, "\"name\":\"n1\",\"args\":{\"actor\":1,"),
              ring == 0 ? 2 : 1);
    if (ring == 0) {
      EXPECT_EQ(Count(text, "\"name\":\"n2\",\"args\":{\"actor\":2,"), 1);
    }
  }
}

// Numbers as the JSON writes them, at every change in their count of
// digits (and 0, which has one), for a turn and an arrow.
TEST(TracerTest, NumbersAreWrittenWithEveryDigit) {
  std::vector<uint64_t> numbers = {0, ~uint64_t{0}};
  for (uint64_t p = 1; p <= 1'000'000'000'000'000'000u; p *= 10) {
    numbers.push_back(p);
    numbers.push_back(p - 1 + (p == 1 ? 1 : 0));
    numbers.push_back(p + 1);
  }
  for (const uint64_t n : numbers) {
    internal::TraceEvent turn;
    turn.kind = internal::TraceEventKind::kTurn;
    turn.ts_ns = n;
    turn.dur_ns = n;
    turn.id = n;
    turn.value = n;
    std::string out;
    internal::AppendTraceEvent(turn, 7, 3, &out, "\"a\"");
    const std::string digits = std::to_string(n);
    const std::string micros = std::to_string(n / 1000) + "." +
                               std::to_string(1000 + n % 1000).substr(1);
    EXPECT_EQ(out, ",\n{\"ph\":\"X\",\"pid\":7,\"tid\":3,\"ts\":" + micros +
                       ",\"dur\":" + micros +
                       ",\"cat\":\"turn\",\"name\":\"a\",\"args\":{\"actor\":" +
                       digits + ",\"messages\":" + digits + "}}");
    internal::TraceEvent flow;
    flow.kind = internal::TraceEventKind::kFlowStart;
    flow.ts_ns = n;
    flow.id = n;
    flow.SetLabel("int");
    out.clear();
    internal::AppendTraceEvent(flow, 7, 3, &out);
    EXPECT_EQ(out, ",\n{\"ph\":\"s\",\"pid\":7,\"tid\":3,\"ts\":" + micros +
                       ",\"cat\":\"msg\",\"name\":\"int\",\"id\":" + digits +
                       "}");
  }
}

TEST(TracerTest, BoundedModeKeepsTheLastEventsAndCountsTheRest) {
  const std::string path = TempPath("ring.json");
  Tracer tracer;
  ASSERT_TRUE(tracer.Start(path, TraceOptions{.ring_events = 10}).ok());
  for (int i = 0; i < 25; ++i) tracer.Spawn(i, "a");
  ASSERT_TRUE(tracer.Stop().ok());
  const std::string text = ReadFile(path);
  EXPECT_EQ(Count(text, "\"name\":\"spawn\""), 10);
  EXPECT_EQ(Count(text, "\"actor\":14,"), 0);  // Dropped.
  EXPECT_EQ(Count(text, "\"actor\":15,"), 1);  // The oldest kept.
  EXPECT_EQ(Count(text, "\"actor\":24,"), 1);
  EXPECT_EQ(Count(text, "\"name\":\"events dropped\""), 1);
  EXPECT_EQ(Count(text, "\"count\":15}"), 1);
  EXPECT_EQ(Count(text, "\"dropped_events\":15}"), 1);
}

TEST(TracerTest, ATracerCanTraceAgainAfterStop) {
  const std::string first = TempPath("again_1.json");
  const std::string second = TempPath("again_2.json");
  Tracer tracer;
  ASSERT_TRUE(tracer.Start(first).ok());
  tracer.Spawn(1, "first");
  ASSERT_TRUE(tracer.Stop().ok());
  tracer.Spawn(2, "between");  // No trace: dropped.
  ASSERT_TRUE(tracer.Start(second).ok());
  tracer.Spawn(3, "second");
  ASSERT_TRUE(tracer.Stop().ok());
  const std::string one = ReadFile(first);
  const std::string two = ReadFile(second);
  EXPECT_EQ(Count(one, "\"name\":\"spawn\""), 1);
  EXPECT_EQ(Count(one, "\"first\""), 1);
  EXPECT_EQ(Count(two, "\"name\":\"spawn\""), 1);
  EXPECT_EQ(Count(two, "\"second\""), 1);
  EXPECT_EQ(Count(one + two, "\"between\""), 0);
}

TEST(TracerTest, LongTextsAreCutOnACharacterBoundary) {
  const std::string path = TempPath("long.json");
  Tracer tracer;
  ASSERT_TRUE(tracer.Start(path).ok());
  // 79 ASCII bytes, then a 2-byte character that does not fit in 80.
  tracer.Spawn(1, std::string(79, 'x') + "\xc3\xa9" + "tail");
  ASSERT_TRUE(tracer.Stop().ok());
  const std::string text = ReadFile(path);
  EXPECT_EQ(Count(text, "\"name\":\"" + std::string(79, 'x') + "\""), 1);
}

TEST(TraceJsonTest, StringsAreEscapedAndBadUtf8IsReplaced) {
  std::string out;
  internal::AppendJsonString("a\"b\\c\n\x01\xc3\xa9\xff\xe2\x82", &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\u000a\\u0001\xc3\xa9\\ufffd\\ufffd\\ufffd\"");
}

TEST(TraceHookTest, StartStopAndStartingTwice) {
  const std::string path = TempPath("hook.json");
  internal::TraceHook hook;
  EXPECT_EQ(hook.get(), nullptr);
  EXPECT_TRUE(hook.Stop().ok());  // No trace: a no-op.
  EXPECT_EQ(hook.Start("/nonexistent-dir/x.json").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(hook.get(), nullptr);
  ASSERT_TRUE(hook.Start(path).ok());
  ASSERT_NE(hook.get(), nullptr);
  EXPECT_EQ(hook.Start(path).code(), absl::StatusCode::kFailedPrecondition);
  hook.get()->Spawn(1, "via hook");
  EXPECT_TRUE(hook.Stop().ok());
  EXPECT_EQ(hook.get(), nullptr);
  EXPECT_EQ(Count(ReadFile(path), "\"via hook\""), 1);
}

TEST(TraceHookTest, TheEnvironmentNamesTheFileOfEachScheduler) {
  const std::string path = TempPath("env.json");
  std::remove(path.c_str());
  ::setenv("COACTOR_TRACE", path.c_str(), 1);
  {
    internal::TraceHook first;
    internal::TraceHook second;
    first.StartFromEnvironment();
    second.StartFromEnvironment();
    ASSERT_NE(first.get(), nullptr);
    ASSERT_NE(second.get(), nullptr);
    first.get()->Spawn(1, "in first");
    second.get()->Spawn(2, "in second");
  }  // The destructors stop the traces.
  ::unsetenv("COACTOR_TRACE");
  EXPECT_EQ(Count(ReadFile(path), "\"in first\""), 1);
  EXPECT_EQ(Count(ReadFile(path + ".2"), "\"in second\""), 1);
  internal::TraceHook none;
  none.StartFromEnvironment();
  EXPECT_EQ(none.get(), nullptr);
}

}  // namespace
}  // namespace coactor
