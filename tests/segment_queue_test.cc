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
  using Queue = SegmentQueue<int64_t>;
  Queue queue(4);
  for (int round = 0; round < 1000; ++round) {
    Push(queue, round);
    ASSERT_EQ(*queue.PopFront(), round);
    ASSERT_TRUE(queue.empty());
  }
  // It started over in a segment of kRestartCapacity once the first one
  // filled, and then always in that one; the first one is a spare.
  EXPECT_EQ(queue.capacity(), 4u + Queue::kRestartCapacity);
}

TEST(SegmentQueueTest, AnEmptiedQueueOfBigSegmentsStartsOverInTheSameOne) {
  SegmentQueue<int64_t> queue(SegmentQueue<int64_t>::kRestartCapacity);
  for (int round = 0; round < 1000; ++round) {
    Push(queue, round);
    ASSERT_EQ(*queue.PopFront(), round);
  }
  EXPECT_EQ(queue.capacity(), SegmentQueue<int64_t>::kRestartCapacity);
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

// Positions count pushes and pops for the queue's life, across segments,
// spares reused and an empty queue starting its segment over; ForEachFrom()
// visits exactly the elements from a position to the back.
TEST(SegmentQueueTest, PositionsNameElementsFromPushToPop) {
  SegmentQueue<int64_t> queue(2);
  int64_t next = 0;   // Value of the next push: its position.
  int64_t front = 0;  // Value of the next pop.
  for (int round = 0; round < 50; ++round) {
    const int pushes = round % 7 + 1;
    const uint64_t mark = queue.back_position();
    ASSERT_EQ(mark, static_cast<uint64_t>(next));
    for (int i = 0; i < pushes; ++i) Push(queue, next++);
    std::vector<int64_t> seen;
    queue.ForEachFrom(mark, [&](int64_t v) { seen.push_back(v); });
    ASSERT_EQ(seen.size(), static_cast<size_t>(pushes));
    for (int i = 0; i < pushes; ++i) ASSERT_EQ(seen[i], int64_t(mark) + i);
    seen.clear();
    queue.ForEachFrom(queue.front_position(),
                      [&](int64_t v) { seen.push_back(v); });
    ASSERT_EQ(seen.size(), queue.size());
    const int pops =
        round % 3 == 0 ? static_cast<int>(queue.size()) : pushes / 2;
    for (int i = 0; i < pops; ++i) {
      ASSERT_EQ(*queue.PopFront(), front++);
      ASSERT_EQ(queue.front_position(), static_cast<uint64_t>(front));
    }
  }
}

}  // namespace
}  // namespace coactor::internal
