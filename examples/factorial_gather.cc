// Seed 003: three tasks compute factorial(2), (3) and (4), sleeping one
// unit between steps, run concurrently with Gather: their lines interleave
// as in the asyncio original and the whole takes about 3 units, not 6.
//
//   bazel run //examples:factorial_gather                   # 1 unit = 100 ms
//   bazel run //examples:factorial_gather -- --virtual      # virtual time
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/time.h"
#include "actors/clock.h"
#include "actors/join_handle.h"
#include "actors/sleep.h"
#include "actors/task.h"
#include "runtime/deque_scheduler.h"

ABSL_FLAG(int, unit_ms, 100, "one unit of sleep, in milliseconds");
ABSL_FLAG(bool, virtual, false, "run on a ManualClock (no real waiting)");

namespace {

coactor::Task<int> Factorial(std::string name, int number,
                             absl::Duration unit) {
  int f = 1;
  for (int i = 2; i <= number; ++i) {
    std::cout << "Task " << name << ": Compute factorial(" << number
              << "), currently i=" << i << "...\n";
    co_await coactor::Sleep(unit);
    f *= i;
  }
  std::cout << "Task " << name << ": factorial(" << number << ") = " << f
            << "\n";
  co_return f;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const absl::Duration unit = absl::Milliseconds(absl::GetFlag(FLAGS_unit_ms));
  coactor::ManualClock virtual_clock;
  coactor::Clock& clock = absl::GetFlag(FLAGS_virtual)
                              ? static_cast<coactor::Clock&>(virtual_clock)
                              : coactor::RealClock::Get();
  coactor::DequeScheduler sched(clock);

  const absl::Time start = clock.Now();
  absl::StatusOr<std::vector<int>> results = sched.RunUntilComplete(
      coactor::Gather(Factorial("A", 2, unit), Factorial("B", 3, unit),
                      Factorial("C", 4, unit)));
  if (!results.ok()) {
    std::cerr << results.status() << "\n";
    return 1;
  }
  std::cout << "[";
  for (size_t i = 0; i < results->size(); ++i) {
    std::cout << (i ? ", " : "") << (*results)[i];
  }
  std::cout << "]\n";
  std::cerr << "took " << (clock.Now() - start) / unit << " units\n";
  return 0;
}
