#include "greeter.h"

#include <string>

#include "actors/receive.h"

namespace hello {

coactor::Actor<std::string> Greeter(coactor::DequeScheduler& sched,
                                    coactor::ActorRef<std::string> printer) {
  for (;;) {
    std::string name = co_await coactor::Receive<std::string>();
    if (name.empty()) co_return;
    // A failed send is kept as a dead letter; the test checks there is none.
    sched.Send(printer, "Hello, " + name + "!").IgnoreError();
  }
}

}  // namespace hello
