// A message of a type the actor does not receive, through a typed
// reference: refused at compile time, saying so (not "move it").
// COMPILER: clang++-16
// FLAGS: -std=c++20
// EXPECT: error: static assertion failed.*the message does not convert to the actor's message type
#include <string>

#include "runtime/deque_scheduler.h"

int main() {
  coactor::DequeScheduler sched;
  coactor::ActorRef<int> counter;
  std::string text = "seven";
  sched.Send(counter, text).IgnoreError();
}
