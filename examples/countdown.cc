// Generators from the seeds, in C++: seed 001's countdown (a range-for, then
// next() until StopIteration) and seed 000's `yield from` (range_ten_from,
// and tea/teb, where `x = yield from tea()` receives tea's return value).
// Lines starting with "# " name the Python being ported; the other lines
// are exactly what the Python prints.
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "actors/generator.h"

namespace {

using coactor::Generator;
using coactor::YieldFrom;

// Python's range(start, stop), lazily.
Generator<int> Range(int start, int stop) {
  for (int i = start; i < stop; ++i) co_yield i;
}

// def countdown(n):
//     while n > 0:
//         yield n
//         n -= 1
Generator<int> Countdown(int n) {
  while (n > 0) {
    co_yield n;
    n -= 1;
  }
}

// The same, announcing itself when it starts (which is at the first next()).
Generator<int> CountdownVerbose(int n) {
  std::cout << "Обратный отсёт для " << n << "\n";
  while (n > 0) {
    co_yield n;
    n -= 1;
  }
}

// def range_ten_from():
//     yield from range(10)
Generator<int> RangeTenFrom() { co_yield YieldFrom(Range(0, 10)); }

// def tea():
//     yield from range(0, 4)
//     return "Hello"
Generator<int, void, std::string> Tea() {
  co_yield YieldFrom(Range(0, 4));
  co_return "Hello";
}

// def teb():
//     x = yield from tea()
//     print(x)
Generator<int> Teb() {
  std::string x = co_yield YieldFrom(Tea());
  std::cout << x << "\n";
}

}  // namespace

int main() {
  std::cout << "# for i in countdown(3): print(i, sep='', end='...')\n";
  for (int i : Countdown(3)) std::cout << i << "...";
  std::cout << "\n";

  std::cout << "# g = countdown(2); next(g) until StopIteration\n";
  Generator<int> g = CountdownVerbose(2);
  for (;;) {
    absl::StatusOr<int> next = g.Next();
    if (!next.ok()) {
      std::cout << "КОНЕЦ\n";
      break;
    }
    std::cout << *next << "\n";
  }

  std::cout << "# for i in range_ten_from(): print(i)\n";
  for (int i : RangeTenFrom()) std::cout << i << "\n";

  std::cout << "# for i in tea(): print(i)\n";
  for (int i : Tea()) std::cout << i << "\n";

  std::cout << "# tuple(teb())\n";
  std::vector<int> values;
  for (int i : Teb()) values.push_back(i);  // Teb prints "Hello" at its end.
  std::cout << "(";
  for (size_t i = 0; i < values.size(); ++i) {
    std::cout << (i > 0 ? ", " : "") << values[i];
  }
  std::cout << ")\n";
  return 0;
}
