// Attacks on the end of an actor after issue 17's restructuring (one
// internal::EndActor() for both schedulers): what an actor's end records,
// and in which order, compared with the schedulers before it.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/clock.h"
#include "actors/down.h"
#include "actors/receive.h"
#include "actors/sleep.h"
#include "gtest/gtest.h"
#include "runtime/dead_letter.h"
#include "runtime/deque_scheduler.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

// Longer than the small-string buffer.
std::string Long(const char* tag) { return std::string(32, '.') + tag; }

// An actor's parameter (it lives in the frame until the frame is
// destroyed) whose destructor sends to an unknown name: a dead letter.
struct SaysBye {
  explicit SaysBye(DequeScheduler* sched) : sched(sched) {}
  SaysBye(SaysBye&& other) noexcept
      : sched(std::exchange(other.sched, nullptr)) {}
  ~SaysBye() {
    if (sched != nullptr) sched->Send("nobody", Long("bye")).IgnoreError();
  }
  DequeScheduler* sched;
};

Actor<std::string> SleepsThenThrows(SaysBye bye) {
  co_await Receive<std::string>();
  co_await Sleep(absl::Seconds(1));  // Messages meanwhile are stashed.
  throw std::runtime_error("boom");
}

// Before issue 17's EndActor(), the deque recorded a failed actor's
// failure and unread (stashed) messages before destroying its frame, so
// dead letters sent by the frame's destructors (of its parameters) came
// after them. EndActor() had it destroy the frame first (as work stealing
// always did): "bye" came first.
TEST(EndOrderAttackTest, DequeStashedLettersComeBeforeTheFramesOwn) {
  ManualClock clock;
  DequeScheduler sched(clock);
  ASSERT_TRUE(sched.Spawn("sleeper", SleepsThenThrows(SaysBye(&sched))).ok());
  ASSERT_TRUE(sched.Send("sleeper", Long("wake")).ok());
  ASSERT_EQ(sched.RunFor(2), 2u);  // Started, then asleep.
  ASSERT_TRUE(sched.Send("sleeper", Long("m1")).ok());
  ASSERT_TRUE(sched.Send("sleeper", Long("m2")).ok());
  ASSERT_TRUE(sched.Run().ok());
  ASSERT_EQ(sched.failures().size(), 1u);
  ASSERT_EQ(sched.dead_letters().size(), 3u);
  std::vector<std::string> order;
  for (const DeadLetter& letter : sched.dead_letters()) {
    order.push_back(letter.recipient + ":" +
                    *letter.message.get_if<std::string>());
  }
  EXPECT_EQ(order, (std::vector<std::string>{"sleeper:" + Long("m1"),
                                             "sleeper:" + Long("m2"),
                                             "nobody:" + Long("bye")}));
}

// Runs `sched` on another thread; exits the test if it hangs (the stuck
// thread holds the scheduler).
void RunOrDie(WorkStealingScheduler& sched) {
  std::promise<void> ran;
  std::future<void> ran_future = ran.get_future();
  std::thread runner([&] {
    sched.Run().IgnoreError();
    ran.set_value();
  });
  if (ran_future.wait_for(std::chrono::seconds(10)) !=
      std::future_status::ready) {
    std::fprintf(stderr, "Run() deadlocked in what()\n");
    std::fflush(stderr);
    std::_Exit(1);
  }
  runner.join();
}

Actor<int> EndsOnFirst() { co_await Receive<int>(); }

// A message whose destructor, unless moved from, sends its text to
// "nobody" (a dead letter).
struct Echoes {
  Echoes() = default;
  Echoes(DequeScheduler* sched, std::string text)
      : sched(sched), text(std::move(text)) {}
  Echoes(Echoes&& other) noexcept
      : sched(std::exchange(other.sched, nullptr)),
        text(std::move(other.text)) {}
  Echoes& operator=(Echoes&&) = delete;
  ~Echoes() {
    if (sched != nullptr) sched->Send("nobody", "echo " + text).IgnoreError();
  }
  DequeScheduler* sched = nullptr;
  std::string text;
};

Actor<Echoes> SleepsThenThrowsEchoes() {
  co_await Receive<Echoes>();
  co_await Sleep(absl::Seconds(1));  // Messages meanwhile are stashed.
  throw std::runtime_error("boom");
}

// Before issue 17 the deque recorded a failed actor's unread messages one
// by one, each pushing out (and destroying) the oldest kept at once, so
// what the destructors sent was recorded between them. Since, it records
// them all, then destroys what they pushed out: other letters are kept.
TEST(EndOrderAttackTest, DequeUndeliveredLettersPushOutOneByOne) {
  ManualClock clock;
  DequeScheduler sched(clock);
  sched.SetRecordLimits(RecordLimits{.dead_letters = 2});
  ASSERT_TRUE(sched.Spawn("sleeper", SleepsThenThrowsEchoes()).ok());
  ASSERT_TRUE(sched.Send("sleeper", Echoes()).ok());
  ASSERT_EQ(sched.RunFor(2), 2u);  // Started, then asleep.
  for (const char* text : {"m1", "m2", "m3", "m4"}) {
    ASSERT_TRUE(sched.Send("sleeper", Echoes(&sched, Long(text))).ok());
  }
  ASSERT_TRUE(sched.Run().ok());
  std::vector<std::string> kept;
  for (const DeadLetter& letter : sched.dead_letters()) {
    const std::string* text = letter.message.get_if<std::string>();
    const Echoes* echoes = letter.message.get_if<Echoes>();
    kept.push_back(letter.recipient + ":" + (text ? *text : echoes->text));
  }
  EXPECT_EQ(kept, (std::vector<std::string>{"nobody:echo " + Long("m3"),
                                            "sleeper:" + Long("m4")}));
  EXPECT_EQ(sched.dead_letters_recorded(), 7u);
  // Destroys "m4" while the scheduler is still there.
  sched.TakeDeadLetters().clear();
}

// An exception whose what() asks the scheduler something.
struct Chatty : std::exception {
  explicit Chatty(WorkStealingScheduler* sched) : sched(sched) {}
  const char* what() const noexcept override {
    text = "after " + std::to_string(sched->failures_recorded()) + " failures";
    return text.c_str();
  }
  WorkStealingScheduler* sched;
  mutable std::string text;
};

Actor<int> ThrowsChatty(WorkStealingScheduler& sched) {
  co_await Receive<int>();
  throw Chatty(&sched);
}

// Work stealing ran an exception's what() (user code) under its records'
// lock when an actor ended by it: a what() that calls the scheduler
// deadlocked. Before issue 17 the failure was described outside the lock.
TEST(EndOrderAttackTest, WorkStealingWhatRunsOutsideTheRecordsLock) {
  auto sched = std::make_unique<WorkStealingScheduler>(2);
  ActorRef<int> thrower = sched->Spawn(ThrowsChatty(*sched));
  ASSERT_TRUE(sched->Send(thrower, 1).ok());
  RunOrDie(*sched);
  ASSERT_EQ(sched->failures().size(), 1u);
  EXPECT_EQ(sched->failures()[0].what, "after 0 failures");
}

// A watcher's message type whose conversion from a Down throws Chatty.
WorkStealingScheduler* picky_sched = nullptr;
struct Picky {
  Picky() = default;
  explicit Picky(const Down&) { throw Chatty(picky_sched); }
};

Actor<Picky> Unread() {
  for (;;) co_await Receive<Picky>();
}

// Likewise for user code that throws outside any actor (here a Down's
// conversion to the watcher's type): its failure was described under the
// records' lock.
TEST(EndOrderAttackTest, WorkStealingThrownWhatRunsOutsideTheRecordsLock) {
  auto sched = std::make_unique<WorkStealingScheduler>(2);
  picky_sched = sched.get();
  ActorRef<int> watched = sched->Spawn(EndsOnFirst());
  ActorRef<Picky> watcher = sched->Spawn(Unread());
  ASSERT_TRUE(sched->Monitor(watched, watcher).ok());
  ASSERT_TRUE(sched->Send(watched, 1).ok());
  RunOrDie(*sched);
  ASSERT_EQ(sched->failures().size(), 1u);
  EXPECT_EQ(sched->failures()[0].what, "after 0 failures");
  ASSERT_EQ(sched->dead_letters().size(), 1u);
  EXPECT_NE(sched->dead_letters()[0].message.get_if<Down>(), nullptr);
  sched->Shutdown().IgnoreError();
  picky_sched = nullptr;
}

}  // namespace
}  // namespace coactor
