// Post() takes a message as Send() does: a move-only lvalue must be moved
// in, and the first error says so.
// COMPILER: clang++-16
// FLAGS: -std=c++20
// EXPECT: error: static assertion failed.*move it: std::move\(\.\.\.\)
#include <memory>

#include "runtime/deque_scheduler.h"

int main() {
  coactor::DequeScheduler sched;
  auto value = std::make_unique<int>(7);
  sched.Post("owner", value);  // Meant: std::move(value).
}
