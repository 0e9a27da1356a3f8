// A message that cannot be copied must be moved into a send; passing the
// lvalue is told so, not that the type does not convert.
// COMPILER: clang++-16
// FLAGS: -std=c++20
// EXPECT: error: static assertion failed.*move it: std::move\(\.\.\.\)
#include <memory>

#include "actors/actor.h"
#include "actors/receive.h"
#include "runtime/deque_scheduler.h"

coactor::Actor<std::unique_ptr<int>> Owner() {
  for (;;) std::unique_ptr<int> p = co_await coactor::Receive();
}

int main() {
  coactor::DequeScheduler sched;
  coactor::ActorRef<std::unique_ptr<int>> owner = sched.Spawn(Owner());
  auto value = std::make_unique<int>(7);
  sched.Send(owner, value).IgnoreError();  // Meant: std::move(value).
}
