// The generator library (which needs no scheduler) refuses g++ 12 too.
// COMPILER: g++
// FLAGS: -std=c++20
// EXPECT: coactor: g\+\+ 12 and older free some co_await temporaries twice
#include "actors/generator.h"

int main() {}
