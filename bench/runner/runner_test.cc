// WorkloadRegistry runs a generic workload on both schedulers; RunnerMain's
// exit status says whether the run verified (0), did not (1) or had bad
// flags (2); with --min-seconds a tiny run repeats, each time verified on a
// fresh scheduler, until the minimum, and its JSON line's totals are the
// exact sums of the repetitions (RepeatUntil, bench/runner/repeat.h).
#include "bench/runner/runner.h"

#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include "actors/actor.h"
#include "actors/receive.h"
#include "bench/runner/repeat.h"
#include "gtest/gtest.h"

namespace coactor::comparison {
namespace {

Actor<int> Summer(int64_t& sum) {
  for (;;) sum += co_await Receive<int>();
}

// Every run of SumWorkload: how many, and whether each found a scheduler
// with no actor on it (a fresh one).
struct SumCalls {
  int64_t runs = 0;
  int64_t on_fresh_scheduler = 0;
};
SumCalls sum_calls;

// Sends 1..n to one actor; verifies the sum (or, with `lie`, claims a
// wrong one, as a workload that lost messages would; with `lie_from`, from
// that run on).
struct SumWorkload {
  bool lie = false;
  int64_t lie_from = 0;
  template <typename Sched>
  Outcome operator()(Sched& sched, int64_t n) const {
    ++sum_calls.runs;
    if (sched.live_actors() == 0) ++sum_calls.on_fresh_scheduler;
    int64_t sum = 0;
    auto summer = sched.Spawn(Summer(sum));
    for (int i = 1; i <= n; ++i) sched.Send(summer, i).IgnoreError();
    Outcome outcome;
    const bool lying = lie || (lie_from > 0 && sum_calls.runs >= lie_from);
    outcome.ok = sched.Run().ok() && sum == n * (n + 1) / 2 && !lying;
    if (!outcome.ok) outcome.error = "wrong sum";
    outcome.items = n;
    if (sum_calls.runs == 1) outcome.extra.push_back({"first", 1});
    return outcome;
  }
};

WorkloadRegistry Registry() {
  WorkloadRegistry workloads;
  workloads
      .Add({.name = "sum",
            .unit = "msgs",
            .full_size = 100,
            .quick_size = 10,
            .description = "sums"},
           SumWorkload{})
      .Add({.name = "liar",
            .unit = "msgs",
            .full_size = 100,
            .quick_size = 10,
            .description = "lies"},
           SumWorkload{.lie = true})
      .Add({.name = "third_lies",
            .unit = "msgs",
            .full_size = 100,
            .quick_size = 10,
            .description = "lies from its third run on"},
           SumWorkload{.lie_from = 3});
  return workloads;
}

int Main(std::vector<std::string> args) {
  std::vector<char*> argv;
  std::string program = "runner";
  argv.push_back(program.data());
  for (std::string& arg : args) argv.push_back(arg.data());
  return RunnerMain(Registry(), static_cast<int>(argv.size()), argv.data());
}

TEST(WorkloadRegistryTest, RunsOneRegistrationOnBothSchedulers) {
  WorkloadRegistry workloads = Registry();
  const WorkloadRegistry::Entry* sum = workloads.Find("sum");
  ASSERT_NE(sum, nullptr);
  EXPECT_EQ(workloads.Find("nothing"), nullptr);
  DequeScheduler deque;
  Outcome on_deque = sum->on_deque(deque, 1000);
  EXPECT_TRUE(on_deque.ok);
  EXPECT_EQ(on_deque.items, 1000);
  WorkStealingScheduler stealing(2);
  EXPECT_TRUE(sum->on_stealing(stealing, 1000).ok);
}

TEST(RunnerMainTest, ExitStatusSaysWhetherTheRunVerified) {
  EXPECT_EQ(Main({"--workload=sum", "--size=100", "--scheduler=deque"}), 0);
  EXPECT_EQ(Main({"--workload=sum", "--size=100", "--threads=2"}), 0);
  EXPECT_EQ(Main({"--workload=liar", "--size=100"}), 1);
  EXPECT_EQ(Main({"--list"}), 0);
}

// Runs RunnerMain and returns its JSON line.
std::string JsonLineOf(std::vector<std::string> args, int* status) {
  testing::internal::CaptureStdout();
  *status = Main(std::move(args));
  return testing::internal::GetCapturedStdout();
}

// The number in `line` after "name": (a whole number or a decimal).
double Field(const std::string& line, const std::string& name) {
  std::smatch match;
  const std::regex field("\"" + name + "\": ([0-9.]+)");
  if (!std::regex_search(line, match, field)) {
    ADD_FAILURE() << "no " << name << " in " << line;
    return -1;
  }
  return std::stod(match[1]);
}

TEST(RepeatUntilTest, RepeatsUntilTheSecondsAddUpAndSumsExactly) {
  int calls = 0;
  // Each repetition "measures" 1/8 s (exact in binary) and 7 items.
  const Repeated run = RepeatUntil(0.3, [&] {
    ++calls;
    Outcome outcome;
    outcome.items = 7;
    outcome.seconds = 0.125;
    outcome.ok = true;
    outcome.extra.push_back({"bytes_per_actor", calls * 100.0});
    return outcome;
  });
  EXPECT_EQ(calls, 3);  // 0.25 s < 0.3 s <= 0.375 s.
  EXPECT_EQ(run.repetitions, 3);
  EXPECT_EQ(run.outcome.items, 21);
  EXPECT_EQ(run.outcome.seconds, 0.375);
  EXPECT_TRUE(run.outcome.ok);
  // The first repetition's extra figures, not a later one's.
  ASSERT_EQ(run.outcome.extra.size(), 1u);
  EXPECT_EQ(run.outcome.extra[0].second, 100.0);
}

TEST(RepeatUntilTest, NoMinimumRunsOnce) {
  int calls = 0;
  const Repeated run = RepeatUntil(0, [&] {
    ++calls;
    return Outcome{.items = 5, .seconds = 1e-6, .ok = true};
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(run.repetitions, 1);
  EXPECT_EQ(run.outcome.items, 5);
}

TEST(RepeatUntilTest, StopsAtTheFirstRepetitionThatFails) {
  int calls = 0;
  const Repeated run = RepeatUntil(10.0, [&] {
    ++calls;
    return Outcome{.items = 5,
                   .seconds = 0.001,
                   .ok = calls < 4,
                   .error = calls < 4 ? "" : "lost a message"};
  });
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(run.repetitions, 4);
  EXPECT_FALSE(run.outcome.ok);
  EXPECT_EQ(run.outcome.error, "repetition 4: lost a message");
}

TEST(RunnerMainTest, ATinyRunRepeatsOnFreshSchedulersUntilTheMinimum) {
  for (const std::string scheduler : {"deque", "stealing"}) {
    SCOPED_TRACE(scheduler);
    sum_calls = {};
    int status = -1;
    const std::string line =
        JsonLineOf({"--workload=sum", "--size=10", "--threads=2",
                    "--scheduler=" + scheduler, "--min-seconds=0.05"},
                   &status);
    EXPECT_EQ(status, 0) << line;
    const double repetitions = Field(line, "repetitions");
    // 10 messages take microseconds: repetitions, each a call of the
    // workload on a scheduler of its own, each verified. (Usually hundreds;
    // under ASan on a machine at load 21 a repetition with its 2-worker
    // scheduler took 8 ms, so only "more than one" is asserted.)
    EXPECT_GE(repetitions, 2);
    EXPECT_EQ(repetitions, sum_calls.runs);
    EXPECT_EQ(sum_calls.on_fresh_scheduler, sum_calls.runs);
    EXPECT_EQ(Field(line, "items"), 10 * repetitions);
    EXPECT_EQ(Field(line, "size"), 10);
    const double seconds = Field(line, "seconds");
    EXPECT_GE(seconds, 0.05);
    // The rate is the totals' (seconds printed to the microsecond: at
    // 0.05 s or more, 2e-5 relative).
    EXPECT_NEAR(Field(line, "items_per_second"), 10 * repetitions / seconds,
                1e-4 * 10 * repetitions / seconds);
    EXPECT_EQ(Field(line, "first"), 1);  // The first repetition's extra.
    EXPECT_NE(line.find("\"ok\": true"), std::string::npos) << line;
  }
}

TEST(RunnerMainTest, WithoutAMinimumTheWorkloadRunsOnce) {
  sum_calls = {};
  int status = -1;
  const std::string line =
      JsonLineOf({"--workload=sum", "--size=10", "--scheduler=deque"}, &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(sum_calls.runs, 1);
  EXPECT_EQ(Field(line, "repetitions"), 1);
  EXPECT_EQ(Field(line, "items"), 10);
}

TEST(RunnerMainTest, ARepetitionThatFailsFailsTheRun) {
  sum_calls = {};
  int status = -1;
  const std::string line = JsonLineOf(
      {"--workload=third_lies", "--size=10", "--min-seconds=60"}, &status);
  EXPECT_EQ(status, 1);
  EXPECT_EQ(sum_calls.runs, 3);
  EXPECT_EQ(Field(line, "repetitions"), 3);
  EXPECT_NE(line.find("\"error\": \"repetition 3: wrong sum\""),
            std::string::npos)
      << line;
}

TEST(RunnerMainTest, ListSaysItTakesAMinimum) {
  int status = -1;
  const std::string listed = JsonLineOf({"--list"}, &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(listed.find("\n{\"min_seconds\": true}\n"), std::string::npos)
      << listed;
}

TEST(RunnerMainTest, BadFlagsExitTwo) {
  EXPECT_EQ(Main({"--workload=nothing", "--size=100"}), 2);
  EXPECT_EQ(Main({"--workload=sum", "--size=0"}), 2);
  EXPECT_EQ(Main({"--workload=sum", "--size=12x"}), 2);
  EXPECT_EQ(Main({"--workload=sum", "--size=10", "--scheduler=fast"}), 2);
  EXPECT_EQ(Main({"--workload=sum", "--size=10", "--colour=blue"}), 2);
  EXPECT_EQ(Main({"--workload=sum", "--size=10", "--min-seconds=-1"}), 2);
  EXPECT_EQ(Main({"--workload=sum", "--size=10", "--min-seconds=0.3s"}), 2);
  EXPECT_EQ(Main({"--workload=sum", "--size=10", "--min-seconds=nan"}), 2);
  EXPECT_EQ(Main({"--workload=sum", "--size=10", "--min-seconds="}), 2);
  EXPECT_EQ(Main({"sum"}), 2);
}

}  // namespace
}  // namespace coactor::comparison
