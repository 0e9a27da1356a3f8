// The model behind the differential tests (differential_test.cc,
// takeover_differential_test.cc): a random actor program is a few actors
// and a few initial messages, and what an actor does with a message is a
// pure function of it (Program::ChildrenOf), so what each actor receives is
// the same on every scheduler whatever the interleaving. The model computes
// it by running the program breadth-first.
//
// A Program type provides `int actors`, `std::vector<Start> starts` and
// `std::vector<C> ChildrenOf(uint64_t id, uint32_t hops, int self) const`,
// where C has `id`, `hops` and `to`.
#ifndef COACTOR_TESTS_DIFFERENTIAL_MODEL_H_
#define COACTOR_TESTS_DIFFERENTIAL_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <set>
#include <vector>

namespace coactor::testing {

// splitmix64's finalizer: the programs' only source of randomness.
inline uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A message the program sends: its id, the hops left after it, its actor.
struct Start {
  uint64_t id;
  uint32_t hops;
  int to;
};

// Every message each actor receives, by the model.
template <typename Program>
std::vector<std::multiset<uint64_t>> Expected(const Program& program) {
  std::vector<std::multiset<uint64_t>> expected(program.actors);
  std::deque<Start> queue(program.starts.begin(), program.starts.end());
  while (!queue.empty()) {
    const Start m = queue.front();
    queue.pop_front();
    expected[m.to].insert(m.id);
    for (const auto& c : program.ChildrenOf(m.id, m.hops, m.to)) {
      queue.push_back(Start{c.id, c.hops, c.to});
    }
  }
  return expected;
}

inline size_t Total(const std::vector<std::multiset<uint64_t>>& expected) {
  size_t total = 0;
  for (const auto& ids : expected) total += ids.size();
  return total;
}

// Shortens the longest chains until the program sends at most
// `max_messages` in all.
template <typename Program>
void Bound(Program& program, size_t max_messages) {
  while (Total(Expected(program)) > max_messages) {
    for (Start& start : program.starts) {
      if (start.hops > 0) --start.hops;
    }
  }
}

}  // namespace coactor::testing

#endif  // COACTOR_TESTS_DIFFERENTIAL_MODEL_H_
