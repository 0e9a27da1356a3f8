// NameRegistry through its public interface: entries found by name, a
// name set again replaces its entry, and finished names are kept up to the
// limit, oldest forgotten first, unless the name was taken again since.
#include "runtime/internal/name_registry.h"

#include <string>

#include "gtest/gtest.h"

namespace coactor::internal {
namespace {

struct FakeCell {};
using Registry = NameRegistry<FakeCell>;

TEST(NameRegistryTest, FindsWhatWasSetAndNothingElse) {
  Registry registry;
  FakeCell a;
  EXPECT_EQ(registry.Find("printer"), nullptr);
  EXPECT_FALSE(registry.Contains("printer"));
  registry.Set("printer", {&a, 3});
  const Registry::Entry* entry = registry.Find("printer");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->cell, &a);
  EXPECT_EQ(entry->generation, 3u);
  EXPECT_TRUE(registry.Contains("printer"));
  EXPECT_EQ(registry.Find("printe"), nullptr);
  EXPECT_EQ(registry.size(), 1u);
  const std::string long_name(100, 'n');
  registry.Set(long_name, {&a, 4});
  ASSERT_NE(registry.Find(long_name), nullptr);
  EXPECT_EQ(registry.Find(long_name)->generation, 4u);
  EXPECT_EQ(registry.size(), 2u);
}

TEST(NameRegistryTest, SettingANameAgainReplacesItsEntry) {
  Registry registry;
  FakeCell a, b;
  registry.Set("worker", {&a, 1});
  registry.Set("worker", {&b, 7});
  ASSERT_NE(registry.Find("worker"), nullptr);
  EXPECT_EQ(registry.Find("worker")->cell, &b);
  EXPECT_EQ(registry.Find("worker")->generation, 7u);
  EXPECT_EQ(registry.size(), 1u);
}

TEST(NameRegistryTest, KeepsFinishedNamesUpToTheLimitOldestForgottenFirst) {
  Registry registry;
  EXPECT_FALSE(registry.SetFinishedLimit(2));
  FakeCell cells[3];
  const std::string names[3] = {"a", "b", "c"};
  for (int i = 0; i < 3; ++i) registry.Set(names[i], {&cells[i], 0});
  EXPECT_FALSE(registry.Retire("a", {&cells[0], 0}));
  EXPECT_FALSE(registry.Retire("b", {&cells[1], 0}));
  EXPECT_EQ(registry.finished_names(), 2u);
  EXPECT_TRUE(registry.Retire("c", {&cells[2], 0}));  // "a" goes.
  EXPECT_EQ(registry.finished_names(), 2u);
  EXPECT_FALSE(registry.Contains("a"));
  EXPECT_TRUE(registry.Contains("b"));
  EXPECT_TRUE(registry.Contains("c"));
  EXPECT_TRUE(registry.SetFinishedLimit(0));  // Both go now.
  EXPECT_EQ(registry.finished_names(), 0u);
  EXPECT_EQ(registry.size(), 0u);
}

TEST(NameRegistryTest, ANameTakenAgainSurvivesItsOldActorsRetirement) {
  Registry registry;
  registry.SetFinishedLimit(0);
  FakeCell old_cell, new_cell;
  registry.Set("job", {&old_cell, 0});
  registry.Set("job", {&new_cell, 0});  // Reused before the old one retired.
  EXPECT_FALSE(registry.Retire("job", {&old_cell, 0}));
  ASSERT_NE(registry.Find("job"), nullptr);
  EXPECT_EQ(registry.Find("job")->cell, &new_cell);
  // The same cell, a later actor (generation): also kept.
  registry.Set("job", {&old_cell, 2});
  EXPECT_FALSE(registry.Retire("job", {&old_cell, 1}));
  ASSERT_NE(registry.Find("job"), nullptr);
  EXPECT_EQ(registry.Find("job")->generation, 2u);
  EXPECT_TRUE(registry.Retire("job", {&old_cell, 2}));
  EXPECT_EQ(registry.Find("job"), nullptr);
}

TEST(NameRegistryTest, KeepsTenThousandFinishedNamesByDefault) {
  Registry registry;
  FakeCell cell;
  for (int i = 0; i < 10'001; ++i) {
    const std::string name = "actor-" + std::to_string(i);
    registry.Set(name, {&cell, static_cast<uint32_t>(i)});
    EXPECT_EQ(registry.Retire(name, {&cell, static_cast<uint32_t>(i)}),
              i == 10'000);
  }
  EXPECT_EQ(registry.finished_names(), 10'000u);
  EXPECT_FALSE(registry.Contains("actor-0"));
  EXPECT_TRUE(registry.Contains("actor-1"));
  EXPECT_TRUE(registry.Contains("actor-10000"));
}

}  // namespace
}  // namespace coactor::internal
