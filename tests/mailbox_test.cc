// Mailbox (the work-stealing scheduler's per-actor queue): nothing is
// allocated until the first push, messages come out in order across
// segments, swapping exchanges contents, and Shrink() frees a queue that a
// burst made large but keeps a small one for the cell's next actor.
#include "runtime/internal/mailbox.h"

#include <cstdint>
#include <cstring>

#include "actors/internal/message_type.h"
#include "gtest/gtest.h"

namespace coactor::internal {
namespace {

void Push(Mailbox& mailbox, int64_t value) {
  std::memcpy(mailbox.ReserveBack()->bytes, &value, sizeof value);
  mailbox.CommitBack();
}

int64_t Pop(Mailbox& mailbox) {
  int64_t value;
  std::memcpy(&value, mailbox.PopFront()->bytes, sizeof value);
  return value;
}

TEST(MailboxTest, AllocatesNothingUntilTheFirstPush) {
  Mailbox mailbox;
  EXPECT_TRUE(mailbox.empty());
  EXPECT_EQ(mailbox.capacity(), 0u);
  mailbox.Shrink();  // Nothing to free: fine.
  Push(mailbox, 7);
  EXPECT_FALSE(mailbox.empty());
  EXPECT_GT(mailbox.capacity(), 0u);
  EXPECT_EQ(Pop(mailbox), 7);
  EXPECT_TRUE(mailbox.empty());
}

TEST(MailboxTest, KeepsOrderThroughABurst) {
  Mailbox mailbox;
  constexpr int64_t kCount = 100'000;
  for (int64_t i = 0; i < kCount; ++i) Push(mailbox, i);
  EXPECT_GE(mailbox.capacity(), static_cast<size_t>(kCount));
  for (int64_t i = 0; i < kCount; ++i) {
    ASSERT_FALSE(mailbox.empty());
    ASSERT_EQ(Pop(mailbox), i);
  }
  EXPECT_TRUE(mailbox.empty());
}

TEST(MailboxTest, SwapExchangesContents) {
  Mailbox incoming, inbox;
  for (int64_t i = 0; i < 10; ++i) Push(incoming, i);
  inbox.swap(incoming);
  EXPECT_TRUE(incoming.empty());
  EXPECT_EQ(incoming.capacity(), 0u);
  for (int64_t i = 0; i < 10; ++i) ASSERT_EQ(Pop(inbox), i);
  EXPECT_TRUE(inbox.empty());
}

TEST(MailboxTest, ShrinkFreesALargeQueueAndKeepsASmallOne) {
  Mailbox small;
  Push(small, 1);
  EXPECT_EQ(Pop(small), 1);
  const size_t small_capacity = small.capacity();
  small.Shrink();
  EXPECT_EQ(small.capacity(), small_capacity);

  Mailbox large;
  for (int64_t i = 0; i < 1'000; ++i) Push(large, i);
  for (int64_t i = 0; i < 1'000; ++i) ASSERT_EQ(Pop(large), i);
  EXPECT_GT(large.capacity(), small_capacity);
  large.Shrink();
  EXPECT_EQ(large.capacity(), 0u);
  // Usable again afterwards.
  Push(large, 42);
  EXPECT_EQ(Pop(large), 42);
}

}  // namespace
}  // namespace coactor::internal
