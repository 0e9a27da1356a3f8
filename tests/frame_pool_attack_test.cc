// Attacks on the frame pool (actors/internal/frame_pool.h): many threads that
// exit holding frames, frames freed after their thread is gone, actors of
// every frame size spawned from plain threads and ended on workers,
// schedulers destroyed with live actors, throwing parameters, and a use
// after free of a frame under AddressSanitizer.
#include <array>
#include <atomic>
#include <coroutine>
#include <cstdint>
#include <cstring>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "actors/actor.h"
#include "actors/internal/frame_pool.h"
#include "actors/receive.h"
#include "gtest/gtest.h"
#include "tests/sanitizer.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

using internal::AllocateFrame;
using internal::FreeFrame;
using internal::GetFramePoolCounters;
using internal::kLargestPooledFrame;

int64_t ChunksMapped() { return GetFramePoolCounters().chunks_mapped; }

// Runs `body(i)` on `count` threads that are all alive at once (each has a
// heap of its own), and joins them.
template <typename Body>
void OnThreadsAliveTogether(int count, Body body) {
  std::latch all_started(count);
  std::vector<std::thread> threads;
  threads.reserve(count);
  for (int i = 0; i < count; ++i) {
    threads.emplace_back([&, i] {
      body(i);
      all_started.arrive_and_wait();
    });
  }
  for (std::thread& thread : threads) thread.join();
}

// Threads alive together adopt every orphaned heap (more than this process
// ever ran at once), take back what was freed into it, and unmap what is
// empty when they exit.
void AdoptEveryOrphan() {
  OnThreadsAliveTogether(256, [](int) {
    void* frame = AllocateFrame(16);
    FreeFrame(frame, 16);
  });
}

// More threads than the pool once kept orphaned heaps for (64) exit with a
// frame alive each; the frames are freed afterwards on this thread. The next
// threads adopt every one of those heaps and give all their chunks back.
TEST(FramePoolAttackTest, MoreThan64ExitedThreadsGiveTheirChunksBack) {
  constexpr int kThreads = 100;
  const int64_t before = ChunksMapped();
  std::vector<void*> frames(kThreads);
  OnThreadsAliveTogether(kThreads, [&](int i) {
    frames[i] = AllocateFrame(64);
    std::memset(frames[i], i, 64);
  });
  EXPECT_GE(ChunksMapped() - before, kThreads);
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(static_cast<unsigned char*>(frames[i])[63], i);
    FreeFrame(frames[i], 64);
  }
  // Twice as many threads, alive together: each adopts an orphaned heap (or
  // makes a new one), takes back the frame freed into it, and unmaps the
  // chunk at exit.
  OnThreadsAliveTogether(2 * kThreads, [](int) {
    void* frame = AllocateFrame(64);
    FreeFrame(frame, 64);
  });
  EXPECT_EQ(ChunksMapped(), before);
}

// A frame freed on its own thread is poisoned whole, the coroutine's resume
// pointer (its first word) included: resuming an ended actor is the use
// after free most likely to happen.
#ifdef COACTOR_TEST_ASAN
TEST(FramePoolAttackDeathTest, AsanReportsReadingTheFirstWordOfAFreedFrame) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  void* frame = AllocateFrame(128);
  FreeFrame(frame, 128);
  EXPECT_DEATH(
      {
        void* const volatile first = *static_cast<void* volatile*>(frame);
        (void)first;
      },
      "use-after-poison");
  EXPECT_DEATH(std::coroutine_handle<>::from_address(frame).resume(),
               "use-after-poison");
  EXPECT_DEATH(
      {
        volatile char middle = static_cast<volatile char*>(frame)[64];
        (void)middle;
      },
      "use-after-poison");
}
#endif

// Actors whose frames span every size class and go past the largest pooled
// one: each keeps `kBytes` of locals across a suspension, checks them, and
// adds what it received.
template <std::size_t kBytes>
Actor<int> Holder(std::atomic<int64_t>& sum, std::atomic<int>& bad) {
  std::array<unsigned char, kBytes> local;
  const int first = co_await Receive<int>();
  std::memset(local.data(), static_cast<unsigned char>(first), kBytes);
  const int second = co_await Receive<int>();
  for (unsigned char byte : local) {
    if (byte != static_cast<unsigned char>(first)) ++bad;
  }
  sum += first + second;
}

class FramePoolAttackActorTest
    : public ::testing::TestWithParam<testing::SchedulerKind> {};

template <std::size_t... kSizes>
void SpawnHolders(auto& sched, std::atomic<int64_t>& sum, std::atomic<int>& bad,
                  int round, int& messages) {
  (
      [&] {
        auto ref = sched.Spawn(Holder<kSizes>(sum, bad));
        ASSERT_TRUE(sched.Send(ref, round).ok());
        ASSERT_TRUE(sched.Send(ref, 1).ok());
        messages += round + 1;
      }(),
      ...);
}

// Every frame size class and just past the largest, spawned by plain
// threads (at once) onto the scheduler and ended on its workers.
TEST_P(FramePoolAttackActorTest, EverySizeSpawnedFromPlainThreads) {
  constexpr int kSpawners = 4;
#ifdef COACTOR_TEST_SANITIZED
  constexpr int kRounds = 20;
#else
  constexpr int kRounds = 200;
#endif
  const int64_t before = ChunksMapped();
  testing::RunOnScheduler(GetParam(), [&](auto& sched) {
    std::atomic<int64_t> sum = 0;
    std::atomic<int> bad = 0;
    std::atomic<int64_t> expected = 0;
    auto spawn = [&] {
      int messages = 0;
      for (int round = 0; round < kRounds; ++round) {
        SpawnHolders<1, 8, 16, 17, 100, 200, 333, 500, 640, 700, 800, 900, 950,
                     980, 1000, 1010, 1024, 1025, 1100, 2000, 5000>(
            sched, sum, bad, round, messages);
      }
      expected += messages;
    };
    if (GetParam().threads == 0) {
      spawn();  // The deque scheduler is single-threaded.
    } else {
      std::vector<std::thread> spawners;
      for (int s = 0; s < kSpawners; ++s) spawners.emplace_back(spawn);
      for (std::thread& spawner : spawners) spawner.join();
    }
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(bad, 0);
    EXPECT_EQ(sum, expected);
    EXPECT_EQ(sched.live_actors(), 0);
  });
  // The memory comes back: the spawners' and workers' heaps are adopted by
  // new threads, which unmap what is empty when they exit; this thread
  // keeps at most the chunk each class allocates from.
  OnThreadsAliveTogether(16, [](int) {
    void* frame = AllocateFrame(64);
    FreeFrame(frame, 64);
  });
  EXPECT_LE(ChunksMapped() - before, kLargestPooledFrame / 16);
}

Actor<int> Waiter(std::string text, std::atomic<int>& ended) {
  struct CountEnd {
    std::atomic<int>& ended;
    ~CountEnd() { ++ended; }
  } count{ended};
  std::string copy = text + text;
  for (;;) {
    int value = co_await Receive<int>();
    copy += std::to_string(value);
  }
}

// A scheduler destroyed with actors alive (never run, and run until idle)
// destroys their frames and what they own (LeakSanitizer checks).
TEST_P(FramePoolAttackActorTest, SchedulerDestroyedWithLiveActors) {
  constexpr int kActors = 3000;
  std::atomic<int> ended = 0;
  const std::string text(50, 't');
  for (bool run : {false, true}) {
    testing::RunOnScheduler(GetParam(), [&](auto& sched) {
      for (int i = 0; i < kActors; ++i) {
        auto ref = sched.Spawn(Waiter(text, ended));
        ASSERT_TRUE(sched.Send(ref, i).ok());
      }
      if (run) ASSERT_TRUE(sched.Run().ok());
      EXPECT_EQ(sched.live_actors(), kActors);
    });
  }
  // Only the actors that ran had their body's locals.
  EXPECT_EQ(ended, kActors);
}

template <typename Sched>
Actor<int> Parent(Sched& sched, std::atomic<int>& ended) {
  const int children = co_await Receive<int>();
  for (int i = 0; i < children; ++i) {
    auto ref = sched.Spawn(Waiter(std::string(30, 'c'), ended));
    (void)sched.Send(ref, i);
  }
  for (;;) co_await Receive<int>();
}

// Actors spawned by actors (their frames from the workers' heaps) are alive
// when the scheduler goes: their frames are freed after the workers exited,
// and the heaps' next owners give the chunks back.
TEST_P(FramePoolAttackActorTest, FramesOfWorkersFreedAfterTheyExit) {
  constexpr int kParents = 8;
  constexpr int kChildren = 500;
  AdoptEveryOrphan();
  const int64_t before = ChunksMapped();
  std::atomic<int> ended = 0;
  testing::RunOnScheduler(GetParam(), [&](auto& sched) {
    for (int p = 0; p < kParents; ++p) {
      auto ref = sched.Spawn(Parent(sched, ended));
      ASSERT_TRUE(sched.Send(ref, kChildren).ok());
    }
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(sched.live_actors(), kParents * (kChildren + 1));
  });
  EXPECT_EQ(ended, kParents * kChildren);
  AdoptEveryOrphan();
  // This thread keeps at most the chunk each class allocates from.
  EXPECT_LE(ChunksMapped() - before, kLargestPooledFrame / 16);
}

INSTANTIATE_TEST_SUITE_P(AllSchedulers, FramePoolAttackActorTest,
                         ::testing::ValuesIn(testing::SchedulerKinds(4)),
                         testing::SchedulerKindName);

// Actors created but never spawned, handed to another thread and destroyed
// there after their maker exited.
TEST(FramePoolAttackTest, UnspawnedActorsDestroyedOnAnotherThread) {
  std::atomic<int> ended = 0;
  std::vector<Actor<int>> actors;
  std::thread maker([&] {
    for (int i = 0; i < 5000; ++i) {
      actors.push_back(Waiter(std::string(40, 'm'), ended));
    }
  });
  maker.join();
  std::thread destroyer([&] { actors.clear(); });
  destroyer.join();
  // Never started: the body's locals never existed.
  EXPECT_EQ(ended, 0);
}

// A parameter whose move into the frame throws: the frame is freed, the
// exception reaches the caller, nothing leaks.
struct ThrowsOnMove {
  std::string text;
  bool armed;
  ThrowsOnMove(std::string t, bool a) : text(std::move(t)), armed(a) {}
  ThrowsOnMove(const ThrowsOnMove&) = delete;
  ThrowsOnMove(ThrowsOnMove&& other) : text(other.text), armed(other.armed) {
    if (armed) throw std::runtime_error("no move");
  }
};

Actor<int> TakesThrower(ThrowsOnMove value, std::atomic<int64_t>& sum) {
  int n = co_await Receive<int>();
  sum += n + static_cast<int64_t>(value.text.size());
}

TEST(FramePoolAttackTest, ThrowingParameterFreesTheFrame) {
  std::atomic<int64_t> sum = 0;
  int thrown = 0;
  DequeScheduler sched;
  for (int i = 0; i < 2000; ++i) {
    const bool armed = i % 2 == 0;
    try {
      auto ref = sched.Spawn(
          TakesThrower(ThrowsOnMove(std::string(30, 'p'), armed), sum));
      ASSERT_TRUE(sched.Send(ref, 1).ok());
    } catch (const std::runtime_error&) {
      ++thrown;
    }
  }
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(thrown, 1000);
  EXPECT_EQ(sum, 1000 * 31);
}

// Frames freed and made by thread_local destructors: some run before the
// pool's own per-thread state goes, some after (those constructed before
// the thread's first frame).
struct ActorsAtThreadExit {
  std::atomic<int>* ended = nullptr;
  std::vector<Actor<int>> actors;
  ~ActorsAtThreadExit() {
    actors.clear();  // Frames freed at thread exit.
    if (ended == nullptr) return;
    // Frames made (and freed) at thread exit.
    for (int i = 0; i < 300; ++i) {
      actors.push_back(Waiter(std::string(40, 'x'), *ended));
    }
    actors.clear();
  }
};
thread_local ActorsAtThreadExit t_early;  // Touched before any frame.
thread_local ActorsAtThreadExit t_late;   // Touched after the first frame.

TEST(FramePoolAttackTest, FramesFreedAndMadeByThreadLocalDestructors) {
  std::atomic<int> ended = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      t_early.ended = &ended;
      for (int i = 0; i < 300; ++i) {
        t_early.actors.push_back(Waiter(std::string(40, 'e'), ended));
      }
      t_late.ended = &ended;
      for (int i = 0; i < 300; ++i) {
        t_late.actors.push_back(Waiter(std::string(40, 'l'), ended));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ended, 0);
}

}  // namespace
}  // namespace coactor

namespace coactor {
namespace {

// A thread whose first frame is made by a thread_local destructor.
thread_local ActorsAtThreadExit t_only;

TEST(FramePoolAttackTest, FirstFrameMadeByAThreadLocalDestructor) {
  std::atomic<int> ended = 0;
  std::thread thread([&] { t_only.ended = &ended; });
  thread.join();
  EXPECT_EQ(ended, 0);
}

// Owners that exit while other threads free their frames, and new threads
// that adopt the heaps meanwhile: every byte stays its frame's, and every
// chunk goes back in the end.
TEST(FramePoolAttackTest, RemoteFreesRaceOwnerExitAndAdoption) {
#ifdef COACTOR_TEST_SANITIZED
  constexpr int kRounds = 15;
#else
  constexpr int kRounds = 60;
#endif
  constexpr int kFrames = 3000;
  constexpr int kFreers = 3;
  // Earlier tests' orphaned heaps may hold frames freed after their threads
  // exited: threads that adopt them all give those chunks back first.
  AdoptEveryOrphan();
  const int64_t before = ChunksMapped();
  for (int round = 0; round < kRounds; ++round) {
    struct Share {
      std::vector<std::pair<unsigned char*, std::size_t>> frames;
      std::atomic<bool> ready{false};
    };
    Share shares[kFreers];
    std::atomic<int> bad = 0;
    std::vector<std::thread> threads;
    for (int f = 0; f < kFreers; ++f) {
      threads.emplace_back([&, f] {
        while (!shares[f].ready.load(std::memory_order_acquire)) {
          std::this_thread::yield();
        }
        for (auto [frame, size] : shares[f].frames) {
          if (frame[size - 1] != static_cast<unsigned char>(size)) ++bad;
          FreeFrame(frame, size);
        }
      });
    }
    // The owner hands its frames out and exits at once.
    threads.emplace_back([&] {
      for (int i = 0; i < kFrames; ++i) {
        const std::size_t size = 1 + (i * 53 + round) % kLargestPooledFrame;
        auto* frame = static_cast<unsigned char*>(AllocateFrame(size));
        std::memset(frame, static_cast<unsigned char>(size), size);
        shares[i % kFreers].frames.emplace_back(frame, size);
      }
      for (Share& share : shares) {
        share.ready.store(true, std::memory_order_release);
      }
    });
    // Adopters: allocate and free, take back, exit, while the frees go on.
    for (int a = 0; a < 2; ++a) {
      threads.emplace_back([&] {
        for (int i = 0; i < 500; ++i) {
          const std::size_t size = 1 + (i * 97) % kLargestPooledFrame;
          void* frame = AllocateFrame(size);
          std::memset(frame, 0, size);
          FreeFrame(frame, size);
          if (i % 100 == 0) internal::ReturnFreedFrames();
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(bad, 0) << "round " << round;
  }
  // Threads that adopt what is left give it back at exit.
  AdoptEveryOrphan();
  EXPECT_EQ(ChunksMapped(), before);
}

}  // namespace
}  // namespace coactor

namespace coactor {
namespace {

// Frames made and freed by a thread_local destructor that runs after the
// pool's own per-thread state went (constructed before the thread's first
// frame): the chunks they needed go back once they are empty.
struct BigFramesAtThreadExit {
  bool armed = false;
  ~BigFramesAtThreadExit() {
    if (!armed) return;
    std::vector<void*> frames;
    for (int i = 0; i < 600; ++i) {
      frames.push_back(AllocateFrame(1000));  // Three chunks' worth.
      std::memset(frames.back(), i, 1000);
    }
    for (void* frame : frames) FreeFrame(frame, 1000);
  }
};
thread_local BigFramesAtThreadExit t_big;

TEST(FramePoolAttackTest, FramesMadeAfterTheThreadsPoolWentGoBack) {
  AdoptEveryOrphan();
  const int64_t before = ChunksMapped();
  std::thread thread([] {
    t_big.armed = true;
    void* frame = AllocateFrame(64);
    FreeFrame(frame, 64);
  });
  thread.join();
  AdoptEveryOrphan();
  EXPECT_EQ(ChunksMapped(), before);
}

}  // namespace
}  // namespace coactor
