// ShortName's cache index: names that differ anywhere spread over the
// slots, for every name length the short path takes (a send by name that
// misses the cache takes the registry's lock).
#include "runtime/internal/name_hash.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace coactor::internal {
namespace {

// How many of 64 slots `count` names made by `name(i)` fall into.
template <typename MakeName>
size_t SlotsUsed(int count, MakeName name) {
  std::set<size_t> slots;
  for (int i = 0; i < count; ++i) {
    ShortName key;
    const std::string text = name(i);
    EXPECT_TRUE(ShortName::From(text, &key)) << text;
    slots.insert(key.CacheIndex<6>());
  }
  return slots.size();
}

std::string TwoDigits(int i) {
  return std::string(1, static_cast<char>('0' + i / 10)) +
         static_cast<char>('0' + i % 10);
}

// 64 names into 64 slots at random fill ~41 on average; a broken index
// that ignores part of the name puts them in a handful.
constexpr size_t kWellSpread = 32;

TEST(NameHashTest, NamesOfEveryShortLengthSpreadOverTheCache) {
  for (const std::string& prefix :
       {std::string("w"), std::string("wo"), std::string("work"),
        std::string("worker"), std::string("worker-0"),
        std::string("worker-number-"), std::string("a-fourteen-by")}) {
    EXPECT_GE(SlotsUsed(64, [&](int i) { return prefix + TwoDigits(i); }),
              kWellSpread)
        << prefix << "NN";
  }
}

TEST(NameHashTest, NamesThatDifferOnlyInTheMiddleSpreadOverTheCache) {
  EXPECT_GE(SlotsUsed(64, [](int i) { return "ab" + TwoDigits(i) + "cdefgh"; }),
            kWellSpread);
}

TEST(NameHashTest, EqualNamesShareAKeyAndDifferentOnesDoNot) {
  ShortName a, b, c;
  ASSERT_TRUE(ShortName::From("printer1", &a));
  ASSERT_TRUE(ShortName::From(std::string("printer1"), &b));
  ASSERT_TRUE(ShortName::From("printer2", &c));
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_EQ(a.CacheIndex<6>(), b.CacheIndex<6>());
  ShortName too_long;
  EXPECT_FALSE(ShortName::From("seventeen-bytes-x", &too_long));
}

}  // namespace
}  // namespace coactor::internal
