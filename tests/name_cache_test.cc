// NameCache, both modes, through its public interface: a miss says where
// to fill, a fill is found again, a forgotten or cleared name misses, long
// names are cached only when versioned, and a versioned slot is valid only
// at the version it was filled at.
#include "runtime/internal/name_cache.h"

#include <string>

#include "gtest/gtest.h"

namespace coactor::internal {
namespace {

using Plain = NameCache<int*, /*kVersioned=*/false>;
using Versioned = NameCache<int, /*kVersioned=*/true>;

TEST(NameCacheTest, PlainMissesUntilFilledThenFindsTheValue) {
  Plain cache;
  int a = 0;
  EXPECT_EQ(cache.Find("printer"), nullptr);
  cache.Fill("printer", &a);
  int** hit = cache.Find("printer");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, &a);
  EXPECT_EQ(cache.Find("printers"), nullptr);  // Another name.
  EXPECT_EQ(cache.Find(""), nullptr);          // The empty name.
}

TEST(NameCacheTest, PlainForgetsANameOnlyForItsValue) {
  Plain cache;
  int a = 0, b = 0;
  ASSERT_EQ(cache.Find("counter"), nullptr);
  cache.Fill("counter", &a);
  cache.Forget("counter", &b);  // Not what the slot holds: kept.
  ASSERT_NE(cache.Find("counter"), nullptr);
  cache.Forget("counter", &a);
  EXPECT_EQ(cache.Find("counter"), nullptr);
}

TEST(NameCacheTest, PlainClearForgetsEverything) {
  Plain cache;
  int values[3];
  const std::string names[3] = {"a", "bb", "worker-17"};
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(cache.Find(names[i]), nullptr);
    cache.Fill(names[i], &values[i]);
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_NE(cache.Find(names[i]), nullptr) << names[i];
  }
  cache.Clear();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(cache.Find(names[i]), nullptr) << names[i];
  }
}

TEST(NameCacheTest, PlainNeverCachesLongNames) {
  Plain cache;
  int a = 0;
  const std::string name(17, 'x');  // One byte over a ShortName.
  EXPECT_EQ(cache.Find(name), nullptr);
  cache.Fill(name, &a);
  EXPECT_EQ(cache.Find(name), nullptr);
}

TEST(NameCacheTest, PlainSlotHoldsTheLastNameFilledThere) {
  // Two names in one slot: the second fill displaces the first.
  Plain cache;
  int a = 0, b = 0;
  ASSERT_EQ(cache.Find("n0"), nullptr);
  std::string other;
  for (int i = 1; other.empty(); ++i) {
    const std::string candidate = "n" + std::to_string(i);
    if (Plain::SlotOf(candidate) == Plain::SlotOf("n0")) other = candidate;
  }
  ASSERT_EQ(cache.Find(other), nullptr);
  cache.Fill("n0", &a);
  cache.Fill(other, &b);
  EXPECT_EQ(cache.Find("n0"), nullptr);
  int** hit = cache.Find(other);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, &b);
}

TEST(NameCacheTest, VersionedSlotIsValidOnlyAtItsVersion) {
  Versioned cache;
  EXPECT_EQ(cache.Find("printer", /*version=*/0), nullptr);
  cache.Fill("printer", 42, /*version=*/0);
  int* hit = cache.Find("printer", 0);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, 42);
  EXPECT_EQ(cache.Find("printer", 1), nullptr);  // The registry moved.
  cache.Fill("printer", 43, 1);
  hit = cache.Find("printer", 1);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, 43);
}

TEST(NameCacheTest, VersionedCachesLongNamesByTheirText) {
  Versioned cache;
  const std::string name = "a-name-of-more-than-sixteen-bytes";
  EXPECT_EQ(cache.Find(name, 7), nullptr);
  cache.Fill(name, 5, 7);
  int* hit = cache.Find(name, 7);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, 5);
  // Same length, one byte different: a miss, whatever slot it hashes to.
  std::string other = name;
  other.back() = 'X';
  EXPECT_EQ(cache.Find(other, 7), nullptr);
}

TEST(NameCacheTest, VersionedShortNameRefillingALongNameSlotDropsTheText) {
  // A slot refilled with a short name no longer matches the long one.
  Versioned cache;
  const std::string long_name = "another-name-longer-than-sixteen";
  cache.Fill(long_name, 1, 0);
  std::string short_name;
  for (int i = 0; short_name.empty(); ++i) {
    const std::string candidate = "s" + std::to_string(i);
    if (Versioned::SlotOf(candidate) == Versioned::SlotOf(long_name)) {
      short_name = candidate;
    }
  }
  ASSERT_EQ(cache.Find(short_name, 0), nullptr);
  cache.Fill(short_name, 2, 0);
  EXPECT_EQ(cache.Find(long_name, 0), nullptr);
  int* hit = cache.Find(short_name, 0);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, 2);
}

}  // namespace
}  // namespace coactor::internal
