#include "runtime/internal/chase_lev_deque.h"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/sanitizer.h"

namespace coactor::internal {
namespace {

#ifdef COACTOR_TEST_TSAN
constexpr bool kUnderTsan = true;
#else
constexpr bool kUnderTsan = false;
#endif

// Pointers to distinct ints, so a popped pointer says which item it is.
std::vector<int> Iota(int n) {
  std::vector<int> values(n);
  for (int i = 0; i < n; ++i) values[i] = i + 1;
  return values;
}

TEST(ChaseLevDequeTest, OwnerPopsItemsInLifoOrder) {
  constexpr int kN = 1000;
  std::vector<int> values = Iota(kN);
  ChaseLevDeque<int*> deque;
  EXPECT_TRUE(deque.Empty());
  for (int& v : values) deque.Push(&v);
  EXPECT_FALSE(deque.Empty());
  EXPECT_EQ(deque.SizeApprox(), static_cast<size_t>(kN));

  for (int expected = kN; expected >= 1; --expected) {
    std::optional<int*> got = deque.Pop();
    ASSERT_TRUE(got.has_value());
    ASSERT_EQ(**got, expected);
  }
  EXPECT_EQ(deque.Pop(), std::nullopt);
  EXPECT_EQ(deque.Steal(), std::nullopt);
  EXPECT_TRUE(deque.Empty());
  EXPECT_EQ(deque.SizeApprox(), 0u);
}

TEST(ChaseLevDequeTest, ThiefStealsItemsInFifoOrder) {
  constexpr int kN = 1000;
  std::vector<int> values = Iota(kN);
  ChaseLevDeque<int*> deque;
  for (int& v : values) deque.Push(&v);

  for (int expected = 1; expected <= kN; ++expected) {
    std::optional<int*> got = deque.Steal();
    ASSERT_TRUE(got.has_value());
    ASSERT_EQ(**got, expected);
  }
  EXPECT_EQ(deque.Steal(), std::nullopt);
  EXPECT_EQ(deque.Pop(), std::nullopt);
  EXPECT_TRUE(deque.Empty());
}

TEST(ChaseLevDequeTest, NullPointerIsAnItemNotEmptiness) {
  ChaseLevDeque<int*> deque(1);
  deque.Push(nullptr);
  deque.Push(nullptr);
  EXPECT_EQ(deque.Pop(), std::optional<int*>(nullptr));
  EXPECT_EQ(deque.Steal(), std::optional<int*>(nullptr));
  EXPECT_EQ(deque.Pop(), std::nullopt);
}

TEST(ChaseLevDequeTest, GrowsFromTwoSlotsAndReturnsEveryItemOnce) {
  constexpr int kN = 10000;
  std::vector<int> values = Iota(kN);
  ChaseLevDeque<int*> deque(2);
  EXPECT_EQ(deque.CapacityApprox(), 2u);
  for (int& v : values) deque.Push(&v);
  EXPECT_EQ(deque.CapacityApprox(), 16384u);
  EXPECT_EQ(deque.SizeApprox(), static_cast<size_t>(kN));

  // Take from both ends, alternately.
  std::vector<int> seen(kN + 1, 0);
  for (int i = 0; i < kN; ++i) {
    std::optional<int*> got = i % 2 == 0 ? deque.Steal() : deque.Pop();
    ASSERT_TRUE(got.has_value());
    ++seen[**got];
  }
  EXPECT_EQ(deque.Pop(), std::nullopt);
  for (int v = 1; v <= kN; ++v) EXPECT_EQ(seen[v], 1) << "item " << v;
}

// Random pushes, pops and steals on an 8-slot deque kept at most full, so the
// positions wrap around the array thousands of times; then growth from a
// wrapped position. Every result must match a std::deque model.
TEST(ChaseLevDequeTest, WrapsAroundAndGrowsExactlyLikeAStdDeque) {
  constexpr size_t kCapacity = 8;
  ChaseLevDeque<int64_t> deque(kCapacity);
  std::deque<int64_t> model;
  std::mt19937 rng(12345);
  int64_t next = 0;

  for (int step = 0; step < 200000; ++step) {
    const unsigned op = rng() % 3;
    if (op == 0 && model.size() < kCapacity) {
      deque.Push(next);
      model.push_back(next);
      ++next;
    } else if (op == 1) {
      std::optional<int64_t> got = deque.Pop();
      if (model.empty()) {
        ASSERT_EQ(got, std::nullopt) << "step " << step;
      } else {
        ASSERT_EQ(got, model.back()) << "step " << step;
        model.pop_back();
      }
    } else if (op == 2) {
      std::optional<int64_t> got = deque.Steal();
      if (model.empty()) {
        ASSERT_EQ(got, std::nullopt) << "step " << step;
      } else {
        ASSERT_EQ(got, model.front()) << "step " << step;
        model.pop_front();
      }
    }
    ASSERT_EQ(deque.SizeApprox(), model.size()) << "step " << step;
  }
  EXPECT_EQ(deque.CapacityApprox(), kCapacity);  // Wrapped, never grew.
  EXPECT_GT(next, static_cast<int64_t>(1000 * kCapacity));

  // Make the top position not a multiple of the capacity, then grow twice.
  deque.Push(next);
  model.push_back(next++);
  ASSERT_EQ(deque.Steal(), model.front());
  model.pop_front();
  for (int i = 0; i < 30; ++i) {
    deque.Push(next);
    model.push_back(next++);
  }
  EXPECT_GT(deque.CapacityApprox(), kCapacity);
  for (int i = 0; !model.empty(); ++i) {
    if (i % 3 == 0) {
      ASSERT_EQ(deque.Pop(), model.back());
      model.pop_back();
    } else {
      ASSERT_EQ(deque.Steal(), model.front());
      model.pop_front();
    }
  }
  EXPECT_EQ(deque.Pop(), std::nullopt);
  EXPECT_EQ(deque.Steal(), std::nullopt);
}

// A work item whose payload is a plain (non-atomic) field, written by the
// owner just before Push; a thief reading it checks (under TSan) that Push
// and Steal order the payload, not just the pointer.
struct Item {
  int64_t payload = -1;
};

// The owner pushes num_items items in bursts of 1..max_burst while 3 thieves
// steal. After each burst the owner pops about half of it back or, with
// `drain`, gives the thieves a moment and then pops until empty. Every item
// must be taken exactly once. The deque starts with 2 slots, so it grows
// while being stolen from.
void RunOwnerAndThieves(int num_items, unsigned max_burst, bool drain) {
  constexpr int kThieves = 3;
  std::vector<Item> items(num_items);
  std::vector<std::atomic<uint8_t>> taken(num_items);
  ChaseLevDeque<Item*> deque(2);
  std::atomic<bool> done{false};
  std::atomic<int> started{0};
  std::atomic<int> bad_payloads{0};

  auto take = [&](Item* item) {
    const int64_t index = item - items.data();
    if (item->payload != index) bad_payloads.fetch_add(1);
    taken[index].fetch_add(1, std::memory_order_relaxed);  // Read after join.
  };

  std::vector<std::thread> thieves;
  std::vector<int> stolen(kThieves, 0);
  std::atomic<int> steals{0};  // All thieves' successful Steal()s.
  for (int id = 0; id < kThieves; ++id) {
    thieves.emplace_back([&, id] {
      started.fetch_add(1);
      for (;;) {
        if (std::optional<Item*> item = deque.Steal()) {
          take(*item);
          ++stolen[id];
          steals.fetch_add(1, std::memory_order_relaxed);
        } else if (done.load() && deque.Empty()) {
          return;
        }
      }
    });
  }

  while (started.load() < kThieves) std::this_thread::yield();
  std::mt19937 rng(42);
  int pushed = 0;
  while (pushed < num_items) {
    const int burst = static_cast<int>(1 + rng() % max_burst);
    for (int i = 0; i < burst && pushed < num_items; ++i, ++pushed) {
      items[pushed].payload = pushed;
      deque.Push(&items[pushed]);
    }
    if (pushed == burst) {
      // The first burst stays put until a thief has stolen from it (or 10 s
      // pass), so the assertion below that thieves stole does not depend
      // on how the threads were scheduled.
      const auto deadline =
          std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (steals.load(std::memory_order_relaxed) == 0 &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
      }
    }
    if (drain) {
      // Give the thieves a moment to take all but the last item.
      for (int spin = 0; spin < 400 && deque.SizeApprox() > 1; ++spin) {
      }
      while (std::optional<Item*> item = deque.Pop()) take(*item);
    } else {
      for (int i = 0; i < (burst + 1) / 2; ++i) {
        if (std::optional<Item*> item = deque.Pop()) take(*item);
      }
    }
  }
  while (std::optional<Item*> item = deque.Pop()) take(*item);
  done.store(true);
  for (std::thread& t : thieves) t.join();

  EXPECT_EQ(bad_payloads.load(), 0);
  int missing = 0;
  int duplicated = 0;
  for (int i = 0; i < num_items; ++i) {
    const uint8_t count = taken[i].load(std::memory_order_relaxed);
    if (count == 0) ++missing;
    if (count > 1) ++duplicated;
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(duplicated, 0);
  if (!drain) {
    EXPECT_GT(deque.CapacityApprox(), 2u);  // It grew.
  }
  int total_stolen = 0;
  for (int s : stolen) total_stolen += s;
  // Thieves did steal (the owner waited for it), so the race was real.
  EXPECT_GT(total_stolen, 0);
  std::printf("%d items, %d stolen, final capacity %zu\n", num_items,
              total_stolen, deque.CapacityApprox());
}

TEST(ChaseLevDequeTest, OwnerAndThreeThievesTakeEveryItemExactlyOnce) {
  RunOwnerAndThieves(kUnderTsan ? 100000 : 1000000, /*max_burst=*/256,
                     /*drain=*/false);
}

// Bursts of one to three, each popped until empty: the owner and the thieves
// keep racing for the last item through the CAS on top_.
TEST(ChaseLevDequeTest, OwnerAndThievesRacingForTheLastItemTakeItOnce) {
  RunOwnerAndThieves(kUnderTsan ? 20000 : 100000, /*max_burst=*/3,
                     /*drain=*/true);
}

}  // namespace
}  // namespace coactor::internal
