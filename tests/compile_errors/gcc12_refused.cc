// g++ 12 frees some co_await temporaries twice: coactor refuses it at
// compile time, naming the hazard and the remedy (clang 16).
// COMPILER: g++
// FLAGS: -std=c++20
// EXPECT: coactor: g\+\+ 12 and older free some co_await temporaries twice.*clang-16
#include "runtime/deque_scheduler.h"

int main() { coactor::DequeScheduler sched; }
