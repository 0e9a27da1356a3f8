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
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

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

// Senders that are not actors, in a log's (from, id) pairs.
inline constexpr int kExternal = -1;  // Sent by the test, before Run().
inline constexpr int kTimer = -2;     // Sent by a SendAfter timer.

// Adds every message actor `to` received to `received`, and checks that
// each sender's messages to it (the actors' and the test's, `external`)
// arrived in the order sent. Messages from timers have no order. `logs[i]`
// has `received`, (from, id) pairs in the order received, and `sent`, (to,
// id) pairs sent directly (not by a timer), in the order sent.
template <typename Logs>
void CheckReceived(const Logs& logs,
                   const std::vector<std::vector<uint64_t>>& external, int to,
                   std::multiset<uint64_t>& received) {
  std::map<int, std::vector<uint64_t>> by_sender;
  for (const auto& [from, id] : logs[to].received) {
    received.insert(id);
    if (from != kTimer) by_sender[from].push_back(id);
  }
  std::map<int, std::vector<uint64_t>> sent_to;
  if (!external[to].empty()) sent_to[kExternal] = external[to];
  for (size_t from = 0; from < logs.size(); ++from) {
    for (const auto& [target, id] : logs[from].sent) {
      if (target == to) sent_to[static_cast<int>(from)].push_back(id);
    }
  }
  EXPECT_EQ(by_sender, sent_to) << "per-sender order at actor " << to;
}

}  // namespace coactor::testing

#endif  // COACTOR_TESTS_DIFFERENTIAL_MODEL_H_
