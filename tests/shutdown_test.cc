// WorkStealingScheduler::Shutdown(): safe against threads that keep
// sending (each send after it is refused with FailedPrecondition and kept
// nowhere that dangles), ends a Run() in progress, and leaves the
// scheduler safe to destroy once those threads are joined. Run under
// --config=asan and --config=tsan (tagged "concurrency").
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

using ::testing::HasSubstr;

// Longer than the small-string buffer: a message ASan can see freed.
std::string Payload(int i) { return std::string(40, 'p') + std::to_string(i); }

Actor<std::string> Sink(std::atomic<int64_t>& received) {
  for (;;) {
    std::string message = co_await Receive<std::string>();
    received.fetch_add(1);
  }
}

TEST(ShutdownTest, SendersRacingShutdownAreRefusedAndNothingDangles) {
  constexpr int kSenders = 4;
  constexpr int kRefusalsEach = 200;
  std::atomic<int64_t> received{0};
  std::atomic<bool> shut_down{false};
  std::atomic<int64_t> accepted{0}, refused{0};
  {
    WorkStealingScheduler sched(2);
    absl::StatusOr<ActorRef<std::string>> sink =
        sched.Spawn("sink", Sink(received));
    ASSERT_TRUE(sink.ok());
    std::thread runner([&] {
      // Run() returns whenever the sink catches up; run again until
      // Shutdown() makes it refuse.
      while (sched.Run().ok()) std::this_thread::yield();
    });
    std::vector<std::thread> senders;
    for (int t = 0; t < kSenders; ++t) {
      senders.emplace_back([&, t] {
        int refusals_after = 0;
        for (int i = 0; refusals_after < kRefusalsEach; ++i) {
          // Read before the send: a send that starts after Shutdown()
          // returned must be refused.
          const bool after = shut_down.load();
          absl::Status sent = (i + t) % 2 == 0 ? sched.Send("sink", Payload(i))
                                               : sched.Send(*sink, Payload(i));
          if (sent.ok()) {
            accepted.fetch_add(1);
            EXPECT_FALSE(after) << "accepted after Shutdown()";
          } else {
            refused.fetch_add(1);
            EXPECT_EQ(sent.code(), absl::StatusCode::kFailedPrecondition)
                << sent;
            if (after) {
              EXPECT_THAT(std::string(sent.message()), HasSubstr("shut down"));
              ++refusals_after;
            }
          }
        }
      });
    }
    // Let the sends flow first: the sink has received some.
    while (received.load() < 2'000) std::this_thread::yield();
    ASSERT_TRUE(sched.Shutdown().ok());
    shut_down.store(true);
    EXPECT_EQ(sched.live_actors(), 0u);
    EXPECT_FALSE(sched.IsAlive(*sink));
    for (std::thread& sender : senders) sender.join();
    runner.join();
    EXPECT_EQ(sched.Run().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(sched.Spawn("late", Sink(received)).status().code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_TRUE(sched.Shutdown().ok());  // A second call does nothing.
    // Every refused message is a dead letter (the latest are kept).
    EXPECT_EQ(sched.dead_letters_recorded(),
              static_cast<uint64_t>(refused.load()));
    EXPECT_GE(refused.load(), kSenders * kRefusalsEach);
    EXPECT_LE(received.load(), accepted.load());
  }  // Destroyed only now that no thread calls into it.
}

struct Ball {
  ActorRef<Ball> to;
};

Actor<Ball> Player(WorkStealingScheduler& sched, std::atomic<int64_t>& hits) {
  ActorRef<Ball> self = co_await Self();
  for (;;) {
    Ball ball = co_await Receive<Ball>();
    hits.fetch_add(1);
    sched.Send(ball.to, Ball{self}).IgnoreError();
  }
}

// Two actors that play for ever: Shutdown() ends the Run() in progress.
TEST(ShutdownTest, EndsARunInProgress) {
  std::atomic<int64_t> hits{0};
  WorkStealingScheduler sched(2);
  ActorRef<Ball> a = sched.Spawn(Player(sched, hits));
  ActorRef<Ball> b = sched.Spawn(Player(sched, hits));
  ASSERT_TRUE(sched.Send(a, Ball{b}).ok());
  absl::Status run_status;
  std::thread runner([&] { run_status = sched.Run(); });
  while (hits.load() < 1'000) std::this_thread::yield();
  ASSERT_TRUE(sched.Shutdown().ok());
  runner.join();
  EXPECT_EQ(run_status.code(), absl::StatusCode::kFailedPrecondition);
  const int64_t final_hits = hits.load();
  EXPECT_EQ(sched.Send(a, Ball{b}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(hits.load(), final_hits);
}

Actor<int> ShutsDownItsScheduler(WorkStealingScheduler& sched,
                                 absl::Status& result) {
  co_await Receive<int>();
  result = sched.Shutdown();
}

TEST(ShutdownTest, IsRefusedFromInsideAnActor) {
  WorkStealingScheduler sched(2);
  absl::Status result;
  ActorRef<int> actor = sched.Spawn(ShutsDownItsScheduler(sched, result));
  ASSERT_TRUE(sched.Send(actor, 1).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(result.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(result.message()), HasSubstr("Stop()"));
}

// Spawns racing Shutdown() either run and are destroyed with the rest, or
// are refused (the caller keeps, and frees, the frame).
TEST(ShutdownTest, SpawnsRacingShutdownLeaveNothingBehind) {
  std::atomic<int64_t> received{0};
  WorkStealingScheduler sched(2);
  std::atomic<int> spawned{0};
  std::thread spawner([&] {
    for (int i = 0;; ++i) {
      absl::StatusOr<ActorRef<std::string>> ref =
          sched.Spawn("s" + std::to_string(i), Sink(received));
      if (!ref.ok()) {
        EXPECT_EQ(ref.status().code(), absl::StatusCode::kFailedPrecondition);
        return;
      }
      spawned.fetch_add(1);
    }
  });
  while (spawned.load() < 100) std::this_thread::yield();
  ASSERT_TRUE(sched.Shutdown().ok());
  spawner.join();
  EXPECT_EQ(sched.live_actors(), 0u);
}

}  // namespace
}  // namespace coactor
