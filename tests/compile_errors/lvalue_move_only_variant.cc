// The same when the move-only type is one alternative of the actor's
// variant.
// COMPILER: clang++-16
// FLAGS: -std=c++20
// EXPECT: error: static assertion failed.*move it: std::move\(\.\.\.\)
#include <memory>
#include <variant>

#include "runtime/deque_scheduler.h"

using Msg = std::variant<int, std::unique_ptr<int>>;

int main() {
  coactor::DequeScheduler sched;
  coactor::ActorRef<Msg> owner;
  auto value = std::make_unique<int>(7);
  sched.Send(owner, value).IgnoreError();  // Meant: std::move(value).
}
