// WorkloadRegistry runs a generic workload on both schedulers, and
// RunnerMain's exit status says whether the run verified (0), did not (1)
// or had bad flags (2).
#include "bench/runner/runner.h"

#include <cstdint>
#include <string>
#include <vector>

#include "actors/actor.h"
#include "actors/receive.h"
#include "gtest/gtest.h"

namespace coactor::comparison {
namespace {

Actor<int> Summer(int64_t& sum) {
  for (;;) sum += co_await Receive<int>();
}

// Sends 1..n to one actor; verifies the sum (or, with `lie`, claims a
// wrong one, as a workload that lost messages would).
struct SumWorkload {
  bool lie = false;
  template <typename Sched>
  Outcome operator()(Sched& sched, int64_t n) const {
    int64_t sum = 0;
    auto summer = sched.Spawn(Summer(sum));
    for (int i = 1; i <= n; ++i) sched.Send(summer, i).IgnoreError();
    Outcome outcome;
    outcome.ok = sched.Run().ok() && sum == n * (n + 1) / 2 && !lie;
    outcome.items = n;
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
           SumWorkload{.lie = true});
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

TEST(RunnerMainTest, BadFlagsExitTwo) {
  EXPECT_EQ(Main({"--workload=nothing", "--size=100"}), 2);
  EXPECT_EQ(Main({"--workload=sum", "--size=0"}), 2);
  EXPECT_EQ(Main({"--workload=sum", "--size=12x"}), 2);
  EXPECT_EQ(Main({"--workload=sum", "--size=10", "--scheduler=fast"}), 2);
  EXPECT_EQ(Main({"--workload=sum", "--size=10", "--colour=blue"}), 2);
  EXPECT_EQ(Main({"sum"}), 2);
}

}  // namespace
}  // namespace coactor::comparison
