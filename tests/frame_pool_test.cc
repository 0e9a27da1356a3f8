// The frame pool (actors/internal/frame_pool.h) from outside: frames of
// every size class hold their bytes, memory is reused and given back, frames
// freed on other threads and by threads that have exited come back, and
// actors on every scheduler kind get their frames from it.
#include "actors/internal/frame_pool.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "actors/actor.h"
#include "actors/receive.h"
#include "gtest/gtest.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

using internal::AllocateFrame;
using internal::FreeFrame;
using internal::GetFramePoolCounters;
using internal::kLargestPooledFrame;

int64_t ChunksMapped() { return GetFramePoolCounters().chunks_mapped; }
int64_t ChunksEver() { return GetFramePoolCounters().chunks_ever; }

struct Frame {
  void* memory;
  std::size_t size;
  unsigned char fill;
};

// Allocates `count` frames of sizes cycling through every size class, each
// filled with its own byte.
std::vector<Frame> AllocateMany(int count) {
  std::vector<Frame> frames;
  frames.reserve(count);
  for (int i = 0; i < count; ++i) {
    const std::size_t size = 1 + (i * 37) % kLargestPooledFrame;
    auto fill = static_cast<unsigned char>(i);
    void* memory = AllocateFrame(size);
    EXPECT_EQ(
        reinterpret_cast<uintptr_t>(memory) % __STDCPP_DEFAULT_NEW_ALIGNMENT__,
        0u);
    std::memset(memory, fill, size);
    frames.push_back({memory, size, fill});
  }
  return frames;
}

// Every frame still holds its own bytes (no two frames overlap); then frees
// them.
void CheckAndFree(const std::vector<Frame>& frames) {
  for (const Frame& frame : frames) {
    const auto* bytes = static_cast<const unsigned char*>(frame.memory);
    for (std::size_t i = 0; i < frame.size; ++i) {
      ASSERT_EQ(bytes[i], frame.fill) << "frame of " << frame.size;
    }
  }
  for (const Frame& frame : frames) FreeFrame(frame.memory, frame.size);
}

// 64 size classes: after every frame is freed, at most the chunk each class
// allocates from stays mapped.
constexpr int64_t kClasses = kLargestPooledFrame / 16;

TEST(FramePoolTest, FramesKeepTheirBytesAndChunksGoBack) {
  const int64_t before = ChunksMapped();
  std::vector<Frame> frames = AllocateMany(100'000);
  const int64_t during = ChunksMapped();
  // 100,000 frames averaging ~520 bytes need ~200 chunks of 256 KiB.
  EXPECT_GE(during - before, 150);
  CheckAndFree(frames);
  EXPECT_LE(ChunksMapped() - before, kClasses);
}

TEST(FramePoolTest, FreedFramesAreReused) {
  std::vector<Frame> warm = AllocateMany(50'000);
  CheckAndFree(warm);
  for (int round = 0; round < 5; ++round) {
    const int64_t ever = ChunksEver();
    std::vector<Frame> frames;
    for (int i = 0; i < 1000; ++i) {
      void* memory = AllocateFrame(200);
      std::memset(memory, 7, 200);
      frames.push_back({memory, 200, 7});
    }
    CheckAndFree(frames);
    // A thousand 208-byte frames fit the one chunk their class kept.
    EXPECT_EQ(ChunksEver(), ever) << "round " << round;
  }
}

TEST(FramePoolTest, LargeFramesComeFromOperatorNew) {
  const int64_t ever = ChunksEver();
  void* large = AllocateFrame(kLargestPooledFrame + 1);
  std::memset(large, 1, kLargestPooledFrame + 1);
  FreeFrame(large, kLargestPooledFrame + 1);
  EXPECT_EQ(ChunksEver(), ever);
}

TEST(FramePoolTest, FramesFreedOnAnotherThreadComeBack) {
  const int64_t before = ChunksMapped();
  std::thread owner([&] {
    std::vector<Frame> frames = AllocateMany(60'000);
    // Another thread frees every other frame; the owner frees nothing.
    std::vector<Frame> halves[2];
    for (std::size_t i = 0; i < frames.size(); ++i) {
      halves[i % 2].push_back(frames[i]);
    }
    std::thread freer([&] { CheckAndFree(halves[1]); });
    freer.join();
    // The owner takes them back: as many frames again fit in the chunks
    // already mapped (but for a chunk per class, as sizes differ a little).
    internal::ReturnFreedFrames();
    const int64_t ever = ChunksEver();
    std::vector<Frame> again = AllocateMany(30'000);
    EXPECT_LE(ChunksEver() - ever, kClasses);
    CheckAndFree(again);
    CheckAndFree(halves[0]);
    // Now only the chunk of each class frames come from is left.
    EXPECT_LE(ChunksMapped() - before, kClasses);
  });
  owner.join();
  // The exited thread gave back every chunk.
  EXPECT_EQ(ChunksMapped(), before);
}

TEST(FramePoolTest, FramesOutliveTheThreadThatMadeThem) {
  const int64_t before = ChunksMapped();
  std::vector<Frame> frames;
  std::thread maker([&] { frames = AllocateMany(50'000); });
  maker.join();
  EXPECT_GT(ChunksMapped(), before);
  CheckAndFree(frames);  // On this thread: the maker is gone.
  // The maker's heap is adopted by the next thread, which collects the
  // frames freed into it and unmaps what is empty when it exits.
  std::thread adopter([] {
    void* frame = AllocateFrame(64);
    FreeFrame(frame, 64);
  });
  adopter.join();
  EXPECT_EQ(ChunksMapped(), before);
}

TEST(FramePoolTest, ManyThreadsFreeIntoOneOwnerAtOnce) {
  const int64_t before = ChunksMapped();
  constexpr int kFreers = 4;
  std::vector<std::vector<Frame>> shares(kFreers);
  std::thread owner([&] {
    std::vector<Frame> frames = AllocateMany(40'000);
    for (std::size_t i = 0; i < frames.size(); ++i) {
      shares[i % kFreers].push_back(frames[i]);
    }
    std::vector<std::thread> freers;
    for (int f = 0; f < kFreers; ++f) {
      freers.emplace_back([&, f] { CheckAndFree(shares[f]); });
    }
    // The owner allocates and frees while the others free into its chunks.
    for (int round = 0; round < 20; ++round) {
      CheckAndFree(AllocateMany(2'000));
    }
    for (std::thread& freer : freers) freer.join();
  });
  owner.join();
  EXPECT_EQ(ChunksMapped(), before);
}

// Actors: short-lived actors spawned twice on every scheduler kind reuse the
// frames of the first round, and every chunk goes back at the end.
class FramePoolActorTest
    : public ::testing::TestWithParam<testing::SchedulerKind> {};

Actor<int> Adder(std::atomic<int64_t>& sum, std::string tag) {
  int value = co_await Receive<int>();
  sum += value + static_cast<int64_t>(tag.size());
}

TEST_P(FramePoolActorTest, ShortActorsReuseFrames) {
  constexpr int kActors = 20'000;
  const std::string tag(40, 'x');  // Longer than the small-string buffer.
  int64_t ever_after_first = 0;
  for (int round = 0; round < 2; ++round) {
    testing::RunOnScheduler(GetParam(), [&](auto& sched) {
      std::atomic<int64_t> sum = 0;
      for (int i = 0; i < kActors; ++i) {
        auto ref = sched.Spawn(Adder(sum, tag));
        ASSERT_TRUE(sched.Send(ref, i).ok());
      }
      ASSERT_TRUE(sched.Run().ok());
      EXPECT_EQ(sum, int64_t{kActors} * (kActors - 1) / 2 + kActors * 40);
      EXPECT_EQ(sched.live_actors(), 0);
    });
    if (round == 0) ever_after_first = ChunksEver();
  }
  // The second round spawned on this thread and on fresh workers, which
  // adopt the first round's heaps: what it needed was already mapped, but
  // for a chunk per class per heap (frames freed on other workers come back
  // when a heap runs dry).
  EXPECT_LE(ChunksEver() - ever_after_first, 8 * kClasses);
}

INSTANTIATE_TEST_SUITE_P(AllSchedulers, FramePoolActorTest,
                         ::testing::ValuesIn(testing::SchedulerKinds(4)),
                         testing::SchedulerKindName);

}  // namespace
}  // namespace coactor
