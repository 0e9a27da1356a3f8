// A user who forgets -std=c++20 is told so first, not about std::span.
// COMPILER: clang++-16
// FLAGS: -std=c++17
// EXPECT: coactor needs C\+\+20 \(-std=c\+\+20\)
#include "runtime/deque_scheduler.h"

int main() { coactor::DequeScheduler sched; }
