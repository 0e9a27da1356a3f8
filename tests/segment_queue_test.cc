// SegmentQueue: FIFO order across segments, size() and capacity() as the
// queue grows, spare segments reused so a steady queue stops allocating,
// and elements never moved once written.
#include "runtime/internal/segment_queue.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace coactor::internal {
namespace {

void Push(SegmentQueue<int64_t>& queue, int64_t value) {
  *queue.ReserveBack() = value;
  queue.CommitBack();
}

TEST(SegmentQueueTest, KeepsOrderAcrossManySegments) {
  SegmentQueue<int64_t> queue(4);
  EXPECT_TRUE(queue.empty());
  constexpr int64_t kCount = 100'000;
  for (int64_t i = 0; i < kCount; ++i) Push(queue, i);
  EXPECT_EQ(queue.size(), static_cast<size_t>(kCount));
  EXPECT_GE(queue.capacity(), static_cast<size_t>(kCount));
  for (int64_t i = 0; i < kCount; ++i) {
    ASSERT_FALSE(queue.empty());
    ASSERT_EQ(*queue.PopFront(), i);
    ASSERT_EQ(queue.size(), static_cast<size_t>(kCount - i - 1));
  }
  EXPECT_TRUE(queue.empty());
}

TEST(SegmentQueueTest, ElementsStayWhereTheyWereWritten) {
  SegmentQueue<int64_t> queue(2);
  std::vector<const int64_t*> addresses;
  for (int64_t i = 0; i < 5000; ++i) {
    addresses.push_back(queue.ReserveBack());
    *queue.ReserveBack() = i;
    queue.CommitBack();
  }
  for (int64_t i = 0; i < 5000; ++i) {
    const int64_t* popped = queue.PopFront();
    ASSERT_EQ(popped, addresses[i]);
    ASSERT_EQ(*popped, i);
  }
}

TEST(SegmentQueueTest, ASteadyQueueStopsAllocating) {
  SegmentQueue<int64_t> queue(8);
  // Two elements in flight, as in Beazley's counter/printer, and a
  // sliding window of 300.
  for (int window : {2, 300}) {
    int64_t next_in = 0, next_out = 0;
    for (int i = 0; i < window; ++i) Push(queue, next_in++);
    size_t capacity_after_warm_up = 0;
    for (int step = 0; step < 200'000; ++step) {
      if (step == 10'000) capacity_after_warm_up = queue.capacity();
      ASSERT_EQ(*queue.PopFront(), next_out++);
      Push(queue, next_in++);
      ASSERT_EQ(queue.size(), static_cast<size_t>(window));
    }
    EXPECT_EQ(queue.capacity(), capacity_after_warm_up) << window;
    while (!queue.empty()) ASSERT_EQ(*queue.PopFront(), next_out++);
    EXPECT_EQ(next_out, next_in);
  }
}

TEST(SegmentQueueTest, AnEmptiedQueueStartsOverInPlace) {
  SegmentQueue<int64_t> queue(4);
  for (int round = 0; round < 1000; ++round) {
    Push(queue, round);
    ASSERT_EQ(*queue.PopFront(), round);
    ASSERT_TRUE(queue.empty());
  }
  EXPECT_EQ(queue.capacity(), 4u);  // Never needed a second segment.
}

TEST(SegmentQueueTest, APoppedElementSurvivesTheNextPush) {
  SegmentQueue<int64_t> queue(2);
  for (int64_t i = 0; i < 1000; ++i) {
    Push(queue, i);
    const int64_t* popped = queue.PopFront();
    Push(queue, -1);  // What an actor does after taking its message.
    ASSERT_EQ(*popped, i);
    ASSERT_EQ(*queue.PopFront(), -1);
  }
}

}  // namespace
}  // namespace coactor::internal
