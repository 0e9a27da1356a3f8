// Greeter: an actor that greets each name it receives. A template for your
// own actors: declared in a header, defined in a .cc, used by a program
// (hello_actor.cc) and tested with GoogleTest (greeter_test.cc).
//
//   coactor::DequeScheduler sched;
//   coactor::ActorRef<std::string> printer = sched.Spawn(Printer());
//   sched.Spawn("greeter", hello::Greeter(sched, printer)).IgnoreError();
//   sched.Send("greeter", std::string("Ada")).IgnoreError();
//   sched.Run().IgnoreError();  // printer receives "Hello, Ada!"
//
// Thread-safety: runs on `sched`'s thread, as every DequeScheduler actor.
#ifndef HELLO_COACTOR_GREETER_H_
#define HELLO_COACTOR_GREETER_H_

#include <string>

#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "runtime/deque_scheduler.h"

namespace hello {

// Greeter() sends "Hello, NAME!" to `printer` for every NAME it receives,
// and finishes when it receives an empty name.
coactor::Actor<std::string> Greeter(coactor::DequeScheduler& sched,
                                    coactor::ActorRef<std::string> printer);

}  // namespace hello

#endif  // HELLO_COACTOR_GREETER_H_
