// Receive() and Self(): what an actor co_awaits.
//
//   coactor::Actor<int> Printer() {
//     for (;;) {
//       int n = co_await coactor::Receive<int>();
//       std::cout << "Got: " << n << "\n";
//     }
//   }
//
// Receive before printing: in `std::cout << "Got: " << co_await ...` the
// left operand is evaluated first, so "Got: " would print before the actor
// suspends.
//
// `co_await Receive<Msg>()` suspends the actor until the scheduler hands it
// its next message and evaluates to that message (Beazley's `msg = yield`).
// `Receive()` without a type means the actor's own message type; naming a
// different type is a compile error. `co_await Self()` evaluates at once to
// the actor's own ActorRef<Msg>. Both are [[nodiscard]]: `Receive<int>();`
// without co_await does nothing, and the compiler warns (-Wunused-result).
//
// Thread-safety: only meaningful inside a running actor.
#ifndef COACTOR_ACTORS_RECEIVE_H_
#define COACTOR_ACTORS_RECEIVE_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

namespace coactor {

// Awaitable tag; the actor's promise turns it into the real awaiter.
template <typename Msg = void>
struct ReceiveTag {};

template <typename Msg = void>
[[nodiscard(
    "co_await it: Receive() alone receives nothing")]] constexpr ReceiveTag<Msg>
Receive() {
  return {};
}

struct SelfTag {};

[[nodiscard("co_await it: Self() alone does nothing")]] constexpr SelfTag
Self() {
  return {};
}

}  // namespace coactor

#endif  // COACTOR_ACTORS_RECEIVE_H_
