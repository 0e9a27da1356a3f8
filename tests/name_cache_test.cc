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
  Plain::Probe probe;
  EXPECT_EQ(cache.Find("printer", &probe), nullptr);
  EXPECT_TRUE(probe.is_short());
  cache.Fill(probe, "printer", &a);
  Plain::Probe again;
  int** hit = cache.Find("printer", &again);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, &a);
  EXPECT_EQ(cache.Find("printers", &again), nullptr);  // Another name.
  EXPECT_EQ(cache.Find("", &again), nullptr);          // The empty name.
}

TEST(NameCacheTest, PlainForgetsANameOnlyForItsValue) {
  Plain cache;
  int a = 0, b = 0;
  Plain::Probe probe;
  ASSERT_EQ(cache.Find("counter", &probe), nullptr);
  cache.Fill(probe, "counter", &a);
  cache.Forget("counter", &b);  // Not what the slot holds: kept.
  ASSERT_NE(cache.Find("counter", &probe), nullptr);
  cache.Forget("counter", &a);
  EXPECT_EQ(cache.Find("counter", &probe), nullptr);
}

TEST(NameCacheTest, PlainClearForgetsEverything) {
  Plain cache;
  int values[3];
  const std::string names[3] = {"a", "bb", "worker-17"};
  for (int i = 0; i < 3; ++i) {
    Plain::Probe probe;
    ASSERT_EQ(cache.Find(names[i], &probe), nullptr);
    cache.Fill(probe, names[i], &values[i]);
  }
  Plain::Probe probe;
  for (int i = 0; i < 3; ++i) {
    ASSERT_NE(cache.Find(names[i], &probe), nullptr) << names[i];
  }
  cache.Clear();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(cache.Find(names[i], &probe), nullptr) << names[i];
  }
}

TEST(NameCacheTest, PlainNeverCachesLongNames) {
  Plain cache;
  int a = 0;
  const std::string name(17, 'x');  // One byte over a ShortName.
  Plain::Probe probe;
  EXPECT_EQ(cache.Find(name, &probe), nullptr);
  EXPECT_FALSE(probe.is_short());
  cache.Fill(probe, name, &a);
  EXPECT_EQ(cache.Find(name, &probe), nullptr);
}

TEST(NameCacheTest, PlainSlotHoldsTheLastNameFilledThere) {
  // Two names in one slot: the second fill displaces the first.
  Plain cache;
  int a = 0, b = 0;
  Plain::Probe first;
  ASSERT_EQ(cache.Find("n0", &first), nullptr);
  std::string other;
  for (int i = 1; other.empty(); ++i) {
    const std::string candidate = "n" + std::to_string(i);
    if (Plain::SlotOf(candidate) == Plain::SlotOf("n0")) other = candidate;
  }
  Plain::Probe probe;
  ASSERT_EQ(cache.Find(other, &probe), nullptr);
  cache.Fill(first, "n0", &a);
  cache.Fill(probe, other, &b);
  EXPECT_EQ(cache.Find("n0", &first), nullptr);
  int** hit = cache.Find(other, &probe);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, &b);
}

TEST(NameCacheTest, VersionedSlotIsValidOnlyAtItsVersion) {
  Versioned cache;
  Versioned::Probe probe;
  EXPECT_EQ(cache.Find("printer", &probe, /*version=*/0), nullptr);
  cache.Fill(probe, "printer", 42, /*version=*/0);
  int* hit = cache.Find("printer", &probe, 0);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, 42);
  EXPECT_EQ(cache.Find("printer", &probe, 1), nullptr);  // The registry moved.
  cache.Fill(probe, "printer", 43, 1);
  hit = cache.Find("printer", &probe, 1);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, 43);
}

TEST(NameCacheTest, VersionedCachesLongNamesByTheirText) {
  Versioned cache;
  const std::string name = "a-name-of-more-than-sixteen-bytes";
  Versioned::Probe probe;
  EXPECT_EQ(cache.Find(name, &probe, 7), nullptr);
  EXPECT_FALSE(probe.is_short());
  cache.Fill(probe, name, 5, 7);
  int* hit = cache.Find(name, &probe, 7);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, 5);
  // Same length, one byte different: a miss, whatever slot it hashes to.
  std::string other = name;
  other.back() = 'X';
  EXPECT_EQ(cache.Find(other, &probe, 7), nullptr);
}

TEST(NameCacheTest, VersionedShortNameRefillingALongNameSlotDropsTheText) {
  // A slot refilled with a short name no longer matches the long one.
  Versioned cache;
  const std::string long_name = "another-name-longer-than-sixteen";
  Versioned::Probe long_probe;
  cache.Find(long_name, &long_probe, 0);
  cache.Fill(long_probe, long_name, 1, 0);
  std::string short_name;
  for (int i = 0; short_name.empty(); ++i) {
    const std::string candidate = "s" + std::to_string(i);
    if (Versioned::SlotOf(candidate) == Versioned::SlotOf(long_name)) {
      short_name = candidate;
    }
  }
  Versioned::Probe probe;
  ASSERT_EQ(cache.Find(short_name, &probe, 0), nullptr);
  cache.Fill(probe, short_name, 2, 0);
  EXPECT_EQ(cache.Find(long_name, &long_probe, 0), nullptr);
  int* hit = cache.Find(short_name, &probe, 0);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, 2);
}

}  // namespace
}  // namespace coactor::internal
