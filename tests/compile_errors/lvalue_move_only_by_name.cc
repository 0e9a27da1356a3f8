// By name as well (on the work-stealing scheduler): an lvalue that cannot
// be copied cannot be sent; the first error says to move it.
// COMPILER: clang++-16
// FLAGS: -std=c++20
// EXPECT: error: static assertion failed.*move it: std::move\(\.\.\.\)
#include <memory>

#include "runtime/work_stealing_scheduler.h"

int main() {
  coactor::WorkStealingScheduler sched(1);
  auto value = std::make_unique<int>(7);
  sched.Send("owner", value).IgnoreError();  // Meant: std::move(value).
}
