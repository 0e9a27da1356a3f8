// RunnextSlot: the owner puts and takes items while thieves try to steal
// them; every item put must be taken exactly once, by the owner or by one
// thief, and a thief must see what the owner wrote before putting it. Run
// with membarrier and, in a second binary, without (then thieves are
// refused and the owner takes everything).
#include "runtime/internal/runnext_slot.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/internal/asymmetric_fence.h"

namespace coactor::internal {
namespace {

struct Item {
  int payload = 0;  // Written by the owner before it puts the item.
  std::atomic<int> taken{0};
};

TEST(RunnextSlotTest, OwnerTakesWhatItPut) {
  AsymmetricFence::Init();
  RunnextSlot<Item> slot;
  Item a, b;
  EXPECT_EQ(slot.Take(), nullptr);
  EXPECT_EQ(slot.Exchange(&a), nullptr);
  EXPECT_EQ(slot.Peek(), &a);
  EXPECT_EQ(slot.Exchange(&b), &a);
  EXPECT_EQ(slot.Take(), &b);
  EXPECT_EQ(slot.Take(), nullptr);
}

TEST(RunnextSlotTest, AThiefTakesOnlyWhatIsStillThere) {
  AsymmetricFence::Init();
  if (!AsymmetricFence::available()) {
    RunnextSlot<Item> slot;
    Item a;
    slot.Exchange(&a);
    EXPECT_FALSE(slot.TrySteal(&a));
    EXPECT_EQ(slot.Take(), &a);
    GTEST_SKIP() << "no membarrier: thieves are refused";
  }
  RunnextSlot<Item> slot;
  Item a, b;
  slot.Exchange(&a);
  EXPECT_FALSE(slot.TrySteal(&b));
  EXPECT_TRUE(slot.TrySteal(&a));
  EXPECT_EQ(slot.Peek(), nullptr);  // Stolen: hidden until the owner moves.
  EXPECT_FALSE(slot.TrySteal(&a));
  EXPECT_EQ(slot.Take(), nullptr);  // The owner learns it was stolen.
  slot.Exchange(&a);                // The same item, put again.
  EXPECT_EQ(slot.Exchange(&b), &a);
  EXPECT_TRUE(slot.TrySteal(&b));
  EXPECT_EQ(slot.Exchange(&a), nullptr);  // Displaced b had been stolen.
  EXPECT_EQ(slot.Take(), &a);
}

TEST(RunnextSlotTest, EveryItemIsTakenExactlyOnce) {
  AsymmetricFence::Init();
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  constexpr int kItems = 20'000;
#else
  constexpr int kItems = 200'000;
#endif
  constexpr int kThieves = 2;
  std::vector<Item> items(kItems);
  RunnextSlot<Item> slot;
  std::atomic<bool> done{false};
  std::atomic<int> bad_payloads{0};
  auto take = [&](Item* item, int expected_payload) {
    if (item->payload != expected_payload) bad_payloads.fetch_add(1);
    item->taken.fetch_add(1);
  };
  std::vector<std::thread> thieves;
  for (int t = 0; t < kThieves; ++t) {
    thieves.emplace_back([&] {
      while (!done.load()) {
        Item* seen = slot.Peek();
        if (seen != nullptr && slot.TrySteal(seen)) {
          take(seen, static_cast<int>(seen - items.data()) + 1);
        }
      }
    });
  }
  for (int i = 0; i < kItems; ++i) {
    items[i].payload = i + 1;
    Item* displaced = slot.Exchange(&items[i]);
    if (displaced != nullptr) {
      take(displaced, static_cast<int>(displaced - items.data()) + 1);
    }
    if (i % 3 == 0) {
      if (Item* mine = slot.Take()) {
        take(mine, static_cast<int>(mine - items.data()) + 1);
      }
    }
  }
  if (Item* mine = slot.Take()) {
    take(mine, static_cast<int>(mine - items.data()) + 1);
  }
  done.store(true);
  for (std::thread& thief : thieves) thief.join();
  int wrong = 0;
  for (const Item& item : items) wrong += item.taken.load() != 1;
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(bad_payloads.load(), 0);
}

}  // namespace
}  // namespace coactor::internal
