// Counted is a test message type that counts its copies, moves and
// destructions, to prove that messages are moved, never copied, and that
// none leaks.
#ifndef COACTOR_TESTS_COUNTED_H_
#define COACTOR_TESTS_COUNTED_H_

#include <array>
#include <cstddef>

namespace coactor::testing {

struct Counts {
  int constructed = 0;
  int copies = 0;
  int moves = 0;
  int destroyed = 0;
  int alive() const { return constructed + copies + moves - destroyed; }
};

// `Padding` bytes make the type too big to be stored inline in a queue
// entry, so the boxed path is exercised too.
template <size_t Padding>
struct BasicCounted {
  static inline Counts counts;
  static void Reset() { counts = Counts{}; }

  explicit BasicCounted(int v) : value(v) { ++counts.constructed; }
  BasicCounted(const BasicCounted& other) : value(other.value) {
    ++counts.copies;
  }
  BasicCounted(BasicCounted&& other) noexcept : value(other.value) {
    other.value = -1;
    ++counts.moves;
  }
  BasicCounted& operator=(const BasicCounted&) = delete;
  BasicCounted& operator=(BasicCounted&&) = delete;
  ~BasicCounted() { ++counts.destroyed; }

  int value;
  std::array<char, Padding> padding{};
};

using Counted = BasicCounted<1>;
using BigCounted = BasicCounted<4096>;

}  // namespace coactor::testing

#endif  // COACTOR_TESTS_COUNTED_H_
