// Seed 002: the event loop driven one round per frame from the program's
// own loop (asyncio's `loop.stop(); loop.run_forever()`), printing the frame
// count as the seed does, until the gathered tasks are done.
//
//   bazel run //examples:loop_step
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "actors/join_handle.h"
#include "actors/sleep.h"
#include "actors/task.h"
#include "runtime/deque_scheduler.h"

namespace {

// The loop's clock, in seconds, as loop.time() prints it.
std::string LoopTime(coactor::DequeScheduler& sched) {
  std::ostringstream time;
  time << std::fixed << std::setprecision(3)
       << absl::ToDoubleSeconds(sched.Now() - absl::UnixEpoch());
  return time.str();
}

coactor::Task<int> Gen(coactor::DequeScheduler& sched, std::string name,
                       int count) {
  std::cout << name << " " << LoopTime(sched) << "\n";
  for (int i = 0; i < count; ++i) {
    std::cout << name << " " << i << " " << LoopTime(sched) << "\n";
    co_await coactor::Yield();  // asyncio.sleep(0)
  }
  std::cout << name << " done\n";
  co_return count;
}

}  // namespace

int main() {
  coactor::DequeScheduler sched;
  coactor::JoinHandle<int> task_a = sched.CreateTask(Gen(sched, "a", 3));
  coactor::JoinHandle<int> task_b = sched.CreateTask(Gen(sched, "b", 5));
  coactor::JoinHandle<std::vector<int>> future =
      sched.CreateTask(coactor::Gather(std::move(task_a), std::move(task_b)));

  int count = 1;
  while (!future.done()) {
    std::cout << count << "\n";
    ++count;
    sched.RunReady();  // One round of the loop, then back to our frame.
  }
  std::cout << "done\n";
  return 0;
}
