// BiasedLock: the owner appends numbers to a buffer under its hold while
// visitors, when they get in, take everything in the buffer; every number
// must be taken exactly once, and in order. Run with membarrier and, in a
// second binary, without (then visitors never get in).
#include "runtime/internal/biased_lock.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/internal/asymmetric_fence.h"

namespace coactor::internal {
namespace {

TEST(BiasedLockTest, OwnerAndVisitorsNeverOverlap) {
  AsymmetricFence::Init();
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  constexpr int kNumbers = 100'000;
#else
  constexpr int kNumbers = 1'000'000;
#endif
  BiasedLock lock;
  std::vector<int> buffer;  // Guarded by `lock`.
  std::vector<int> taken;   // The owner's and visitors' takes, in order.
  std::atomic<bool> taken_busy{false};
  std::atomic<bool> done{false};
  std::atomic<int> visits{0};
  auto take_all = [&] {
    // Whoever holds `lock` moves the buffer to `taken`; a second guard
    // checks that two never do at once.
    EXPECT_FALSE(taken_busy.exchange(true));
    taken.insert(taken.end(), buffer.begin(), buffer.end());
    buffer.clear();
    taken_busy.store(false);
  };
  std::vector<std::thread> visitors;
  for (int v = 0; v < 2; ++v) {
    visitors.emplace_back([&] {
      while (!done.load()) {
        if (lock.TryVisit()) {
          take_all();
          visits.fetch_add(1);
          lock.EndVisit();
        }
        std::this_thread::yield();
      }
    });
  }
  for (int i = 0; i < kNumbers; ++i) {
    BiasedLock::OwnerHold hold(lock);
    {
      BiasedLock::OwnerHold nested(lock);  // Holds nest.
      buffer.push_back(i);
    }
    if (i % 1000 == 999) take_all();
  }
  done.store(true);
  for (std::thread& visitor : visitors) visitor.join();
  {
    BiasedLock::OwnerHold hold(lock);
    take_all();
  }
  ASSERT_EQ(taken.size(), static_cast<size_t>(kNumbers));
  int out_of_order = 0;
  for (int i = 0; i < kNumbers; ++i) out_of_order += taken[i] != i;
  EXPECT_EQ(out_of_order, 0);
  if (!AsymmetricFence::available()) EXPECT_EQ(visits.load(), 0);
}

}  // namespace
}  // namespace coactor::internal
