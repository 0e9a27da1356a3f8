// Seed 000's averager coroutine, driven as in the notebook: send(None) to
// prime it, then send(10), send(20), send(30). Prints what the notebook
// shows: the coroutine's own prints, then the value each send() returns
// (IPython shows a cell's value; it shows nothing for None).
#include <charconv>
#include <iostream>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "actors/generator.h"

namespace {

// Python's repr() of a float: shortest round trip, with ".0" for integers.
std::string PyFloat(double x) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), x);
  std::string s(buf, end);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string PyRepr(const std::optional<double>& x) {
  return x.has_value() ? PyFloat(*x) : "None";
}

// def averager():
//     total = 0.0
//     count = 0
//     average = None
//     while True:
//         term = yield average
//         print("average: ", average)
//         print("term: ", term)
//         total += term
//         count += 1
//         average = total/count
coactor::Generator<std::optional<double>, int> Averager() {
  double total = 0.0;
  int count = 0;
  std::optional<double> average;
  for (;;) {
    int term = co_yield average;
    std::cout << "average:  " << PyRepr(average) << "\n";
    std::cout << "term:  " << term << "\n";
    total += term;
    count += 1;
    average = total / count;
  }
}

}  // namespace

int main() {
  auto avg = Averager();
  // avg.send(None): runs to the first yield, which yields None.
  absl::StatusOr<std::optional<double>> primed = avg.Next();
  if (!primed.ok() || primed->has_value()) return 1;
  for (int term : {10, 20, 30}) {
    absl::StatusOr<std::optional<double>> average = avg.Send(term);
    if (!average.ok()) {
      std::cerr << average.status() << "\n";
      return 1;
    }
    std::cout << PyRepr(*average) << "\n";
  }
  return 0;
}
