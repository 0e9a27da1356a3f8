// Seed 001's cor(n): an exception thrown into a generator is raised at its
// paused yield, where the body can catch it. Ported from
//
//   def cor(n):
//       while n > 0:
//           try:
//               yield n
//               n -= 1
//           except ValueError:
//               print("Поймал!")
//   q = cor(3)
//   print(next(q))                         # 3
//   print(q.throw(ValueError, "foobar"))   # Поймал!, then 3
//   print(next(q))                         # 2
//
// and then the case the body does not catch: the exception propagates out
// of throw(), and the generator is finished. Lines starting with "# " name
// the Python; the others are what it prints (a Status where Python raises
// StopIteration).
#include <exception>
#include <iostream>
#include <stdexcept>

#include "absl/status/statusor.h"
#include "actors/generator.h"

namespace {

struct ValueError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct TypeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

coactor::Generator<int> Cor(int n) {
  while (n > 0) {
    try {
      co_yield n;
      n -= 1;
    } catch (const ValueError&) {
      std::cout << "Поймал!\n";
    }
  }
}

void Show(const absl::StatusOr<int>& value) {
  if (value.ok()) {
    std::cout << *value << "\n";
  } else {
    std::cout << value.status() << "\n";
  }
}

}  // namespace

int main() {
  std::cout << "# q = cor(3); print(next(q))\n";
  coactor::Generator<int> q = Cor(3);
  Show(q.Next());

  std::cout << "# print(q.throw(ValueError, \"foobar\"))\n";
  Show(q.Throw(std::make_exception_ptr(ValueError("foobar"))));

  std::cout << "# print(next(q))\n";
  Show(q.Next());

  std::cout << "# q.throw(TypeError, \"spam\"): not caught by cor\n";
  try {
    Show(q.Throw(std::make_exception_ptr(TypeError("spam"))));
  } catch (const TypeError& e) {
    std::cout << "TypeError escaped throw(): " << e.what() << "\n";
  }

  std::cout << "# next(q): finished\n";
  Show(q.Next());
  return 0;
}
