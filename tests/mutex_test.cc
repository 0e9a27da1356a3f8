// The annotated lock wrappers (actors/internal/mutex.h) behave as their
// std:: types: MutexLock excludes, try_lock fails while held, ReaderLocks
// share and exclude a MutexLock, CondVar's waits give the mutex up while
// they wait and hold it again when they return (Wait() until notified,
// WaitUntil() false once its deadline passed). Tagged concurrency: under
// ThreadSanitizer, a wait that did not hand the mutex back would race.
#include "actors/internal/mutex.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "gtest/gtest.h"

namespace coactor::internal {
namespace {

// Guarded fields are members (the analysis checks those, not locals).
struct Counter {
  Mutex mutex;
  int count ABSL_GUARDED_BY(mutex) = 0;
};

struct Shared {
  SharedMutex mutex;
  int value ABSL_GUARDED_BY(mutex) = 1;
};

struct Handoff {
  Mutex mutex;
  CondVar changed;
  bool ready ABSL_GUARDED_BY(mutex) = false;
  int payload ABSL_GUARDED_BY(mutex) = 0;
};

TEST(MutexTest, MutexLockExcludesAndCountsEveryIncrement) {
  Counter counter;
  constexpr int kThreads = 4;
  constexpr int kIncrements = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        MutexLock hold(counter.mutex);
        ++counter.count;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  MutexLock hold(counter.mutex);
  EXPECT_EQ(counter.count, kThreads * kIncrements);
}

TEST(MutexTest, TryLockFailsWhileHeldElsewhere) {
  Mutex mutex;
  std::atomic<bool> held{false};
  std::atomic<bool> release{false};
  std::thread holder([&] {
    MutexLock hold(mutex);
    held.store(true);
    while (!release.load()) std::this_thread::yield();
  });
  while (!held.load()) std::this_thread::yield();
  bool took = false;
  if (mutex.try_lock()) {
    took = true;
    mutex.unlock();
  }
  EXPECT_FALSE(took);
  release.store(true);
  holder.join();
  if (mutex.try_lock()) {
    took = true;
    mutex.unlock();
  }
  EXPECT_TRUE(took);
}

TEST(MutexTest, ReadersShareAndAWriterWaitsForThem) {
  Shared shared;
  std::atomic<int> readers_in{0};
  std::atomic<bool> release{false};
  std::atomic<int> seen{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      ReaderLock hold(shared.mutex);
      readers_in.fetch_add(1);
      // Both readers are in at once: the lock is shared.
      while (!release.load()) std::this_thread::yield();
      seen.fetch_add(shared.value);
    });
  }
  while (readers_in.load() != 2) std::this_thread::yield();
  std::atomic<bool> written{false};
  std::thread writer([&] {
    MutexLock hold(shared.mutex);
    shared.value = 10;
    written.store(true);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(written.load());  // Waits for the readers.
  release.store(true);
  for (std::thread& reader : readers) reader.join();
  writer.join();
  EXPECT_EQ(seen.load(), 2);  // Both read the value before the write.
  ReaderLock hold(shared.mutex);
  EXPECT_EQ(shared.value, 10);
}

TEST(MutexTest, WaitGivesTheMutexUpUntilNotified) {
  Handoff handoff;
  std::thread notifier([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    MutexLock hold(handoff.mutex);  // Only possible while the waiter waits.
    handoff.payload = 42;
    handoff.ready = true;
    handoff.changed.NotifyOne();
  });
  {
    MutexLock hold(handoff.mutex);
    while (!handoff.ready) handoff.changed.Wait(handoff.mutex);
    EXPECT_EQ(handoff.payload, 42);
    handoff.payload = 43;  // Held again after the wait.
  }
  notifier.join();
  MutexLock hold(handoff.mutex);
  EXPECT_EQ(handoff.payload, 43);
}

TEST(MutexTest, WaitUntilReturnsFalseOnceTheDeadlinePassed) {
  Mutex mutex;
  CondVar never;
  MutexLock hold(mutex);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::milliseconds(20);
  bool notified = true;
  // (A spurious wake-up returns true before the deadline: loop.)
  while (notified && std::chrono::steady_clock::now() < deadline) {
    notified = never.WaitUntil(mutex, deadline);
  }
  EXPECT_FALSE(notified);
  EXPECT_GE(std::chrono::steady_clock::now(), deadline);
}

TEST(MutexTest, WaitUntilReturnsTrueWhenNotifiedInTime) {
  Handoff handoff;
  std::thread notifier([&] {
    MutexLock hold(handoff.mutex);
    handoff.ready = true;
    handoff.changed.NotifyAll();
  });
  bool in_time = true;
  {
    MutexLock hold(handoff.mutex);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::hours(1);
    while (!handoff.ready && in_time) {
      in_time = handoff.changed.WaitUntil(handoff.mutex, deadline);
    }
    EXPECT_TRUE(handoff.ready);
  }
  EXPECT_TRUE(in_time);
  notifier.join();
}

}  // namespace
}  // namespace coactor::internal
