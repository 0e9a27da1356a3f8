// TimerQueue: callback timers fire by deadline, then in the order added;
// cancelling; never-timers kept but never due; guarded timers fire only
// while their word holds their token, stale ones neither fire nor count;
// out-of-order guarded timers (the heap) interleave correctly with the
// in-order FIFO; compaction keeps every live timer.
#include "runtime/internal/timer_queue.h"

#include <atomic>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "actors/internal/runtime.h"
#include "gtest/gtest.h"

namespace coactor::internal {
namespace {

absl::Time At(int64_t seconds) {
  return absl::UnixEpoch() + absl::Seconds(seconds);
}
int64_t NanosAt(int64_t seconds) { return absl::ToUnixNanos(At(seconds)); }

// Fires every timer due by `now`, in order.
void FireDue(TimerQueue& queue, absl::Time now) {
  while (std::optional<TimerQueue::Due> due = queue.PopDue(now)) due->Fire();
}

// A guarded timer's fire function: appends its token to the log its
// argument points to.
void LogToken(const GuardedTimer& timer) {
  static_cast<std::vector<std::string>*>(timer.argument)
      ->push_back("g" + std::to_string(timer.token));
}

GuardedTimer Guarded(std::atomic<uint64_t>& word, uint64_t token,
                     std::vector<std::string>& log) {
  return GuardedTimer{&word, token, &LogToken, &log};
}

TEST(TimerQueueTest, FiresByDeadlineThenInTheOrderAdded) {
  TimerQueue queue;
  std::vector<std::string> log;
  queue.Add(At(3), [&] { log.push_back("c"); });
  queue.Add(At(1), [&] { log.push_back("a1"); });
  queue.Add(At(2), [&] { log.push_back("b"); });
  queue.Add(At(1), [&] { log.push_back("a2"); });
  EXPECT_EQ(queue.size(), 4u);
  EXPECT_EQ(queue.NextDeadline(), At(1));
  FireDue(queue, At(0));
  EXPECT_TRUE(log.empty());
  FireDue(queue, At(2));
  EXPECT_EQ(log, (std::vector<std::string>{"a1", "a2", "b"}));
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.NextDeadline(), At(3));
  FireDue(queue, At(3));
  EXPECT_EQ(log, (std::vector<std::string>{"a1", "a2", "b", "c"}));
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.NextDeadline(), std::nullopt);
}

TEST(TimerQueueTest, CancelledTimersDoNotFire) {
  TimerQueue queue;
  std::vector<std::string> log;
  const TimerId first = queue.Add(At(1), [&] { log.push_back("first"); });
  queue.Add(At(2), [&] { log.push_back("second"); });
  EXPECT_TRUE(queue.Cancel(first));
  EXPECT_FALSE(queue.Cancel(first));  // Already cancelled.
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.NextDeadline(), At(2));
  FireDue(queue, At(5));
  EXPECT_EQ(log, (std::vector<std::string>{"second"}));
  EXPECT_FALSE(queue.Cancel(first + 1));  // Fired.
}

TEST(TimerQueueTest, CompactionAfterManyCancelsKeepsTheLiveTimers) {
  TimerQueue queue;
  std::vector<int> fired;
  std::vector<TimerId> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back(queue.Add(At(1000 - i), [&fired, i] { fired.push_back(i); }));
  }
  for (int i = 0; i < 1000; ++i) {
    if (i % 10 != 0) ASSERT_TRUE(queue.Cancel(ids[i]));
  }
  EXPECT_EQ(queue.size(), 100u);
  FireDue(queue, At(1000));
  ASSERT_EQ(fired.size(), 100u);
  for (size_t k = 0; k < fired.size(); ++k) {
    EXPECT_EQ(fired[k], 990 - 10 * static_cast<int>(k));  // Earliest first.
  }
}

TEST(TimerQueueTest, NeverTimersAreKeptButNeverDue) {
  TimerQueue queue;
  int fired = 0;
  const TimerId never = queue.Add(absl::InfiniteFuture(), [&] { ++fired; });
  EXPECT_EQ(queue.size(), 1u);  // Kept (with, say, a SendAfter message)...
  EXPECT_TRUE(queue.empty());   // ...but nothing is pending.
  EXPECT_EQ(queue.NextDeadline(), std::nullopt);
  EXPECT_FALSE(queue.PopDue(absl::InfiniteFuture()).has_value());
  EXPECT_EQ(fired, 0);
  EXPECT_TRUE(queue.Cancel(never));
  EXPECT_EQ(queue.size(), 0u);
}

TEST(TimerQueueTest, TakeAllCallbacksHandsBackEveryCallbackUnfired) {
  TimerQueue queue;
  int fired = 0;
  queue.Add(At(1), [&] { ++fired; });
  queue.Add(absl::InfiniteFuture(), [&] { ++fired; });
  std::atomic<uint64_t> word{7};
  std::vector<std::string> log;
  ASSERT_TRUE(queue.AddGuarded(NanosAt(1), Guarded(word, 7, log)));
  std::vector<absl::AnyInvocable<void()>> taken = queue.TakeAllCallbacks();
  EXPECT_EQ(taken.size(), 2u);
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_TRUE(queue.empty());
  FireDue(queue, At(10));
  EXPECT_TRUE(log.empty());
}

TEST(TimerQueueTest, GuardedTimersFireOnlyWhileArmed) {
  TimerQueue queue;
  std::vector<std::string> log;
  std::atomic<uint64_t> armed{1}, disarmed{3};
  ASSERT_TRUE(queue.AddGuarded(NanosAt(1), Guarded(armed, 1, log)));
  ASSERT_TRUE(queue.AddGuarded(NanosAt(2), Guarded(disarmed, 3, log)));
  EXPECT_EQ(queue.size(), 2u);
  disarmed.store(4);            // An ask's reply changes the word.
  EXPECT_EQ(queue.size(), 1u);  // Stale timers do not count.
  FireDue(queue, At(5));
  EXPECT_EQ(log, (std::vector<std::string>{"g1"}));
  EXPECT_TRUE(queue.empty());
}

TEST(TimerQueueTest, OnlyStaleGuardedTimersLeftIsEmpty) {
  TimerQueue queue;
  std::vector<std::string> log;
  std::atomic<uint64_t> word{5};
  ASSERT_TRUE(queue.AddGuarded(NanosAt(1), Guarded(word, 5, log)));
  EXPECT_FALSE(queue.empty());
  word.store(6);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.NextDeadline(), std::nullopt);
}

TEST(TimerQueueTest, GuardedNeverTimersAreNotKept) {
  TimerQueue queue;
  std::vector<std::string> log;
  std::atomic<uint64_t> word{1};
  EXPECT_FALSE(queue.AddGuarded(std::numeric_limits<int64_t>::max(),
                                Guarded(word, 1, log)));
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_TRUE(queue.empty());
}

// Guarded timers added out of deadline order go to a heap beside the FIFO;
// all kinds still fire by deadline, then in the order added.
TEST(TimerQueueTest, AllKindsInterleaveByDeadline) {
  TimerQueue queue;
  std::vector<std::string> log;
  std::atomic<uint64_t> w1{1}, w3{3}, w5{5}, w7{7};
  ASSERT_TRUE(queue.AddGuarded(NanosAt(3), Guarded(w3, 3, log)));  // FIFO.
  ASSERT_TRUE(queue.AddGuarded(NanosAt(5), Guarded(w5, 5, log)));  // FIFO.
  ASSERT_TRUE(queue.AddGuarded(NanosAt(1), Guarded(w1, 1, log)));  // Heap.
  queue.Add(At(4), [&] { log.push_back("c4"); });
  queue.Add(At(3), [&] { log.push_back("c3"); });  // After g3: added later.
  ASSERT_TRUE(queue.AddGuarded(NanosAt(7), Guarded(w7, 7, log)));  // FIFO.
  EXPECT_EQ(queue.size(), 6u);
  EXPECT_EQ(queue.NextDeadline(), At(1));
  FireDue(queue, At(4));
  EXPECT_EQ(log, (std::vector<std::string>{"g1", "g3", "c3", "c4"}));
  FireDue(queue, At(7));
  EXPECT_EQ(log,
            (std::vector<std::string>{"g1", "g3", "c3", "c4", "g5", "g7"}));
  EXPECT_TRUE(queue.empty());
}

// Many asks answered before their timeouts: the FIFO is compacted as it
// doubles, and the live timers among the stale ones still fire, in order.
TEST(TimerQueueTest, CompactingTheFifoKeepsTheArmedTimers) {
  TimerQueue queue;
  std::vector<std::string> log;
  constexpr int kTimers = 1000;
  std::vector<std::atomic<uint64_t>> words(kTimers);
  for (int i = 0; i < kTimers; ++i) {
    words[i].store(i);
    ASSERT_TRUE(queue.AddGuarded(
        NanosAt(i + 1), Guarded(words[i], static_cast<uint64_t>(i), log)));
    // Every timer but each hundredth is answered at once.
    if (i % 100 != 0) words[i].store(i + kTimers);
  }
  EXPECT_EQ(queue.size(), 10u);
  FireDue(queue, At(kTimers));
  std::vector<std::string> expected;
  for (int i = 0; i < kTimers; i += 100) {
    expected.push_back("g" + std::to_string(i));
  }
  EXPECT_EQ(log, expected);
  EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace coactor::internal
