// The C++20 message comes first with g++ as well (the language check
// precedes the compiler check).
// COMPILER: g++
// FLAGS: -std=c++17
// EXPECT: coactor needs C\+\+20 \(-std=c\+\+20\)
#include "actors/actor.h"

int main() {}
