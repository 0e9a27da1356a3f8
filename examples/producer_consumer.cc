// Seed 000: two producers put numbers into a queue and sleep 10 units; a
// consumer takes and prints them. Here the queue is bounded and the run is
// finite (each producer makes --rounds numbers); the numbers come from a
// fixed-seed generator and time is virtual, so the output is the same on
// every run, and interleaves as the seed's does.
//
//   bazel run //examples:producer_consumer
#include <cstdint>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/time.h"
#include "actors/bounded_queue.h"
#include "actors/clock.h"
#include "actors/join_handle.h"
#include "actors/sleep.h"
#include "actors/task.h"
#include "runtime/deque_scheduler.h"

ABSL_FLAG(int, rounds, 4, "numbers each producer makes");

namespace {

// random.randint(1, 100), reproducibly.
int RandInt(uint64_t& state) {
  state = state * 6364136223846793005ull + 1442695040888963407ull;
  return static_cast<int>((state >> 33) % 100) + 1;
}

coactor::Task<int> Producer(int num, coactor::BoundedQueue<int>& queue,
                            int rounds, uint64_t seed) {
  for (int round = 0; round < rounds; ++round) {
    int x = RandInt(seed);
    std::cout << "producer-" << num << " : " << x << "\n";
    co_await queue.Put(x);
    co_await coactor::Sleep(absl::Seconds(10));
  }
  co_return rounds;
}

coactor::Task<int> Consumer(int num, coactor::BoundedQueue<int>& queue,
                            int items) {
  for (int i = 0; i < items; ++i) {
    int value = co_await queue.Get();
    std::cout << "consumer-" << num << " : " << value << "\n";
  }
  co_return items;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  coactor::ManualClock clock;
  coactor::DequeScheduler sched(clock);
  coactor::BoundedQueue<int> queue(/*capacity=*/4);

  coactor::JoinHandle<int> producer_1 =
      sched.CreateTask(Producer(1, queue, rounds, /*seed=*/1));
  coactor::JoinHandle<int> producer_2 =
      sched.CreateTask(Producer(2, queue, rounds, /*seed=*/2));
  coactor::JoinHandle<int> consumer =
      sched.CreateTask(Consumer(1, queue, 2 * rounds));
  absl::StatusOr<std::vector<int>> done =
      sched.RunUntilComplete(coactor::Gather(
          std::move(producer_1), std::move(producer_2), std::move(consumer)));
  if (!done.ok()) {
    std::cerr << done.status() << "\n";
    return 1;
  }
  std::cerr << "made " << (*done)[0] + (*done)[1] << ", consumed " << (*done)[2]
            << "\n";
  return 0;
}
