// A program that uses coactor as a Bazel dependency: a greeter actor
// (greeter.h) answers each name it receives through a typed reference to a
// printer, and the program checks that every greeting arrived.
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "greeter.h"
#include "runtime/deque_scheduler.h"

namespace {

coactor::Actor<std::string> Printer(std::vector<std::string>& printed) {
  for (;;) {
    std::string line = co_await coactor::Receive<std::string>();
    std::cout << line << "\n";
    printed.push_back(std::move(line));
  }
}

}  // namespace

int main() {
  coactor::DequeScheduler sched;
  std::vector<std::string> printed;
  coactor::ActorRef<std::string> printer = sched.Spawn(Printer(printed));
  if (!sched.Spawn("greeter", hello::Greeter(sched, printer)).ok()) return 1;
  for (const char* name : {"Ada", "Barbara", "Grace", ""}) {
    if (!sched.Send("greeter", std::string(name)).ok()) return 1;
  }
  if (!sched.Run().ok()) return 1;
  const bool ok =
      printed == std::vector<std::string>{"Hello, Ada!", "Hello, Barbara!",
                                          "Hello, Grace!"} &&
      sched.dead_letters().empty() && sched.failures().empty();
  std::cout << (ok ? "hello_actor: ok" : "hello_actor: WRONG") << "\n";
  return ok ? 0 : 1;
}
