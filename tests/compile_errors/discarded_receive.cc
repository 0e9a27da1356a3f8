// The classic slip: Receive() without co_await. The warning says what to do.
// COMPILER: clang++-16
// FLAGS: -std=c++20 -Werror=unused-result
// EXPECT: ignoring return value of function declared with 'nodiscard' attribute: co_await it: Receive\(\) alone receives nothing
#include "actors/actor.h"
#include "actors/receive.h"

coactor::Actor<int> Printer() {
  coactor::Receive<int>();  // Meant: int n = co_await coactor::Receive<int>();
  co_return;
}

int main() { coactor::Actor<int> printer = Printer(); }
