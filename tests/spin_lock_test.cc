// SpinLock: mutual exclusion (threads add to a plain counter under it and
// no increment is lost; TSan in CI would also see a race), and its use
// with the standard lock guards.
#include "runtime/internal/spin_lock.h"

#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace coactor::internal {
namespace {

TEST(SpinLockTest, LockThenUnlockThenLockAgain) {
  SpinLock lock;
  lock.lock();
  lock.unlock();
  { std::lock_guard<SpinLock> hold(lock); }
  std::unique_lock<SpinLock> hold(lock);
  EXPECT_TRUE(hold.owns_lock());
}

// More threads than cores, so holders are preempted and waiters reach the
// yielding branch.
TEST(SpinLockTest, NoIncrementIsLostUnderContention) {
  constexpr int kThreads = 8;
  constexpr int64_t kIncrements = 50'000;
  SpinLock lock;
  int64_t counter = 0;  // Plain: only the lock protects it.
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int64_t i = 0; i < kIncrements; ++i) {
        std::lock_guard<SpinLock> hold(lock);
        ++counter;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter, kThreads * kIncrements);
}

// What one holder writes, the next holder reads (acquire/release).
TEST(SpinLockTest, HandsOverWhatTheHolderWrote) {
  SpinLock lock;
  std::vector<int64_t> log;  // Guarded by lock.
  constexpr int64_t kRounds = 20'000;
  auto writer = [&](int64_t sign) {
    for (int64_t i = 1; i <= kRounds; ++i) {
      std::lock_guard<SpinLock> hold(lock);
      log.push_back(sign * i);
    }
  };
  std::thread a(writer, 1), b(writer, -1);
  a.join();
  b.join();
  ASSERT_EQ(log.size(), static_cast<size_t>(2 * kRounds));
  // Each writer's entries appear in its own order, none lost or torn.
  int64_t last_positive = 0, last_negative = 0;
  for (int64_t entry : log) {
    if (entry > 0) {
      ASSERT_EQ(entry, last_positive + 1);
      last_positive = entry;
    } else {
      ASSERT_EQ(-entry, last_negative + 1);
      last_negative = -entry;
    }
  }
  EXPECT_EQ(last_positive, kRounds);
  EXPECT_EQ(last_negative, kRounds);
}

}  // namespace
}  // namespace coactor::internal
