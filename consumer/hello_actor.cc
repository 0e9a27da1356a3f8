// A downstream program that uses coactor as a Bazel dependency: a greeter
// actor answers each name it receives through a typed reference to a
// printer, and the program checks that every greeting arrived.
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "runtime/deque_scheduler.h"

namespace {

coactor::Actor<std::string> Printer(std::vector<std::string>& printed) {
  for (;;) {
    std::string line = co_await coactor::Receive<std::string>();
    std::cout << line << "\n";
    printed.push_back(std::move(line));
  }
}

coactor::Actor<std::string> Greeter(coactor::DequeScheduler& sched,
                                    coactor::ActorRef<std::string> printer) {
  for (;;) {
    std::string name = co_await coactor::Receive<std::string>();
    if (name.empty()) co_return;
    sched.Send(printer, "Hello, " + name + "!").IgnoreError();
  }
}

}  // namespace

int main() {
  coactor::DequeScheduler sched;
  std::vector<std::string> printed;
  coactor::ActorRef<std::string> printer = sched.Spawn(Printer(printed));
  if (!sched.Spawn("greeter", Greeter(sched, printer)).ok()) return 1;
  for (const char* name : {"Ada", "Barbara", "Grace", ""}) {
    if (!sched.Send("greeter", std::string(name)).ok()) return 1;
  }
  if (!sched.Run().ok()) return 1;
  const bool ok = printed == std::vector<std::string>{
                                 "Hello, Ada!", "Hello, Barbara!",
                                 "Hello, Grace!"} &&
                  sched.dead_letters().empty() && sched.failures().empty();
  std::cout << (ok ? "consumer: ok" : "consumer: WRONG") << "\n";
  return ok ? 0 : 1;
}
