// RingQueue: FIFO order, capacity 0 allocating on first use, doubling
// growth that keeps the order of a wrapped-around ring and relocates each
// element exactly once, At(), swap(), and a flood.
#include "runtime/internal/ring_queue.h"

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace coactor::internal {
namespace {

// Copies byte-wise and counts its calls (per queue: it is stored by value).
struct CountingCopy {
  int* calls = nullptr;
  void operator()(int64_t* destination, int64_t* source) const {
    *destination = *source;
    if (calls != nullptr) ++*calls;
  }
};

using Queue = RingQueue<int64_t, CountingCopy>;

void Push(Queue& queue, int64_t value) {
  *queue.ReserveBack() = value;
  queue.CommitBack();
}

TEST(RingQueueTest, CapacityZeroAllocatesOnFirstUseThenDoubles) {
  Queue queue(0);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_EQ(queue.capacity(), 0u);
  Push(queue, 1);
  EXPECT_EQ(queue.capacity(), 8u);
  for (int64_t i = 2; i <= 8; ++i) Push(queue, i);
  EXPECT_EQ(queue.capacity(), 8u);  // Full, not grown.
  Push(queue, 9);
  EXPECT_EQ(queue.capacity(), 16u);
  EXPECT_EQ(queue.size(), 9u);
}

TEST(RingQueueTest, KeepsFifoOrder) {
  Queue queue(4);
  EXPECT_EQ(queue.capacity(), 4u);
  for (int64_t i = 0; i < 1000; ++i) Push(queue, i);
  EXPECT_EQ(queue.size(), 1000u);
  EXPECT_EQ(queue.capacity(), 1024u);
  for (int64_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(*queue.Front(), i);
    ASSERT_EQ(*queue.PopFront(), i);
  }
  EXPECT_TRUE(queue.empty());
}

TEST(RingQueueTest, GrowsAWrappedRingInOrderRelocatingEachElementOnce) {
  int calls = 0;
  Queue queue(8, CountingCopy{&calls});
  // Move the head to slot 5, then fill the ring: elements 5..7 then 0..4.
  for (int64_t i = 0; i < 5; ++i) Push(queue, -1);
  for (int i = 0; i < 5; ++i) queue.PopFront();
  for (int64_t i = 0; i < 8; ++i) Push(queue, i);
  EXPECT_EQ(queue.capacity(), 8u);
  EXPECT_EQ(calls, 0);
  Push(queue, 8);  // Grows: the 8 queued elements are relocated.
  EXPECT_EQ(calls, 8);
  EXPECT_EQ(queue.capacity(), 16u);
  for (size_t i = 0; i < queue.size(); ++i) {
    EXPECT_EQ(*queue.At(i), static_cast<int64_t>(i));
  }
  for (int64_t i = 0; i <= 8; ++i) ASSERT_EQ(*queue.PopFront(), i);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(calls, 8);  // Popping relocates nothing.
}

TEST(RingQueueTest, SteadyUseDoesNotGrow) {
  Queue queue(8);
  for (int64_t i = 0; i < 100'000; ++i) {
    Push(queue, i);
    Push(queue, i);
    ASSERT_EQ(*queue.PopFront(), i);
    ASSERT_EQ(*queue.PopFront(), i);
  }
  EXPECT_EQ(queue.capacity(), 8u);
}

TEST(RingQueueTest, SwapExchangesContentsAndCapacity) {
  Queue a(0), b(16);
  Push(a, 1);
  Push(a, 2);
  Push(b, 3);
  a.swap(b);
  EXPECT_EQ(a.capacity(), 16u);
  EXPECT_EQ(b.capacity(), 8u);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(*a.PopFront(), 3);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(*b.PopFront(), 1);
  EXPECT_EQ(*b.PopFront(), 2);
}

// A flood: a million elements, twenty doublings, order kept.
TEST(RingQueueTest, LargeRingsKeepOrder) {
  constexpr int64_t kCount = int64_t{1} << 20;
  Queue queue(0);
  for (int64_t i = 0; i < kCount; ++i) Push(queue, i);
  EXPECT_EQ(queue.capacity(), static_cast<size_t>(kCount));
  for (int64_t i = 0; i < kCount; ++i) ASSERT_EQ(*queue.PopFront(), i);
  EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace coactor::internal
