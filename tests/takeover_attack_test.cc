// Attacks on the work-stealing scheduler's standby and take-overs (issue
// 16, "Long handlers on work stealing"): Stop() and Shutdown() while idle
// workers take over from busy ones and while the standby waits on timers,
// repeated runs, timers under long handlers, CancelTimer races, virtual
// time at several workers, and the CPU an idle standby uses.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/ask.h"
#include "actors/clock.h"
#include "actors/receive.h"
#include "actors/sleep.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/sanitizer.h"

namespace coactor {
namespace {

#if defined(COACTOR_TEST_SANITIZED)
constexpr int kScale = 5;
#else
constexpr int kScale = 1;
#endif

void ComputeFor(std::chrono::nanoseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

class TakeoverAttackTest : public ::testing::TestWithParam<int> {
 protected:
  int Workers() const { return GetParam(); }
};

// ---- Order and exactly-once under Stop() -----------------------------------

// Sends `count` numbered messages to each receiver, computing 1-20 us
// between some sends, and long (200 us - 2 ms) now and then.
Actor<int> PausingSender(WorkStealingScheduler& sched,
                         std::vector<ActorRef<int>> receivers, int count,
                         uint64_t seed) {
  co_await Receive<int>();
  for (int i = 0; i < count; ++i) {
    for (ActorRef<int>& receiver : receivers) {
      sched.Send(receiver, i).IgnoreError();
    }
    const uint64_t h = Mix(seed + i);
    if (h % 7 == 0) {
      ComputeFor(std::chrono::nanoseconds(1'000 + (h >> 8) % 19'000));
    } else if (h % 997 == 0) {
      ComputeFor(std::chrono::microseconds(200 + (h >> 8) % 1800));
    }
  }
}

Actor<int> InOrder(int count, std::atomic<int>& out_of_order,
                   std::atomic<int>& received, uint64_t seed) {
  for (int expected = 0; expected < count; ++expected) {
    if (co_await Receive<int>() != expected) out_of_order.fetch_add(1);
    received.fetch_add(1);
    const uint64_t h = Mix(seed + expected);
    if (h % 101 == 0) ComputeFor(std::chrono::microseconds(50 + h % 300));
  }
}

TEST_P(TakeoverAttackTest, StopDuringTakeOversLosesAndReordersNothing) {
  const int kCount = 10'000 / kScale;
  constexpr int kReceivers = 3;
  constexpr int kSenders = 2;
  for (int round = 0; round < 3; ++round) {
    WorkStealingScheduler sched(Workers());
    std::atomic<int> out_of_order{0};
    std::atomic<int> received{0};
    std::vector<ActorRef<int>> receivers;
    for (int s = 0; s < kSenders; ++s) {
      for (int i = 0; i < kReceivers; ++i) {
        receivers.push_back(
            sched.Spawn(InOrder(kCount, out_of_order, received, i * 77 + s)));
      }
    }
    for (int s = 0; s < kSenders; ++s) {
      std::vector<ActorRef<int>> mine(receivers.begin() + s * kReceivers,
                                      receivers.begin() + (s + 1) * kReceivers);
      ActorRef<int> sender =
          sched.Spawn(PausingSender(sched, mine, kCount, round * 1000 + s));
      ASSERT_TRUE(sched.Send(sender, 0).ok());
    }
    std::atomic<bool> done{false};
    std::thread stopper([&] {
      uint64_t h = round;
      while (!done.load()) {
        h = Mix(h);
        std::this_thread::sleep_for(std::chrono::microseconds(50 + h % 2000));
        sched.Stop();
      }
    });
    int runs = 0;
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (received.load() < kSenders * kReceivers * kCount &&
           std::chrono::steady_clock::now() < give_up) {
      const absl::Status ran = sched.Run();
      EXPECT_TRUE(ran.ok()) << ran;
      if (!ran.ok()) break;
      ++runs;
    }
    done.store(true);
    stopper.join();
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(received.load(), kSenders * kReceivers * kCount)
        << "after " << runs << " runs";
    EXPECT_EQ(out_of_order.load(), 0);
    EXPECT_EQ(sched.live_actors(), 0u);
    EXPECT_TRUE(sched.dead_letters().empty());
  }
}

// ---- Shutdown() during take-overs -------------------------------------------

Actor<int> EndlessSender(WorkStealingScheduler& sched, ActorRef<int> to,
                         std::atomic<int>& sent) {
  co_await Receive<int>();
  for (int i = 0; i < 50'000 / kScale; ++i) {
    if (!sched.Send(to, i).ok()) break;
    sent.fetch_add(1);
    if (i % 5 == 0) ComputeFor(std::chrono::microseconds(3));
  }
}

Actor<int> Sink(std::atomic<int>& got) {
  for (;;) {
    co_await Receive<int>();
    got.fetch_add(1);
  }
}

TEST_P(TakeoverAttackTest, ShutdownDuringTakeOversAndTimers) {
  for (int round = 0; round < 10; ++round) {
    auto sched = std::make_unique<WorkStealingScheduler>(Workers());
    std::atomic<int> got{0}, sent{0};
    ActorRef<int> sink = sched->Spawn(Sink(got));
    for (int i = 0; i < 2; ++i) {
      ActorRef<int> sender = sched->Spawn(EndlessSender(*sched, sink, sent));
      ASSERT_TRUE(sched->Send(sender, 0).ok());
    }
    // A far timer, and a near one, for the standby to wait on.
    sched->SendAfter(absl::Seconds(30), sink, 1);
    sched->SendAfter(absl::Microseconds(300 * round), sink, 1);
    absl::Status ran;
    std::thread runner([&] { ran = sched->Run(); });
    std::this_thread::sleep_for(std::chrono::microseconds(200 + 700 * round));
    EXPECT_TRUE(sched->Shutdown().ok());
    runner.join();
    // OK if it had finished (it cannot: the 30 s timer), else refused.
    EXPECT_TRUE(absl::IsFailedPrecondition(ran)) << ran;
    EXPECT_FALSE(sched->Send(sink, 5).ok());
    sched.reset();
  }
}

// Foreign threads send (by name and by reference) and raise errors while
// long handlers send and idle workers take over; then Shutdown().
Actor<int> ErrorCounter(std::atomic<int>& messages, std::atomic<int>& errors) {
  for (;;) {
    try {
      co_await Receive<int>();
      messages.fetch_add(1);
    } catch (const std::exception&) {
      errors.fetch_add(1);
    }
  }
}

Actor<int> SendAndRaise(WorkStealingScheduler& sched, ActorRef<int> to,
                        int count, std::atomic<int>& sent,
                        std::atomic<int>& raised) {
  co_await Receive<int>();
  for (int i = 0; i < count; ++i) {
    if (sched.Send(to, i).ok()) sent.fetch_add(1);
    if (i % 16 == 0 &&
        sched.SendError(to, std::make_exception_ptr(std::runtime_error("x")))
            .ok()) {
      raised.fetch_add(1);
    }
    if (i % 4 == 0) ComputeFor(std::chrono::microseconds(8));
  }
}

TEST_P(TakeoverAttackTest, ErrorsAndForeignSendsDuringTakeOversArriveOnce) {
  WorkStealingScheduler sched(Workers());
  std::atomic<int> messages{0}, errors{0}, sent{0}, raised{0};
  ActorRef<int> target = *sched.Spawn("target", ErrorCounter(messages, errors));
  for (int i = 0; i < 2; ++i) {
    ActorRef<int> s =
        sched.Spawn(SendAndRaise(sched, target, 20'000 / kScale, sent, raised));
    ASSERT_TRUE(sched.Send(s, 0).ok());
  }
  std::atomic<bool> go{true};
  std::vector<std::thread> foreign;
  for (int t = 0; t < 2; ++t) {
    foreign.emplace_back([&, t] {
      for (int i = 0; i < 5'000 / kScale; ++i) {
        absl::Status st =
            t == 0 ? sched.Send("target", i) : sched.Send(target, i);
        if (st.ok()) sent.fetch_add(1);
        if (i % 64 == 0 && sched
                               .SendError(target, std::make_exception_ptr(
                                                      std::runtime_error("y")))
                               .ok()) {
          raised.fetch_add(1);
        }
      }
    });
  }
  std::thread runner([&] {
    while (go.load()) EXPECT_TRUE(sched.Run().ok());
  });
  for (std::thread& t : foreign) t.join();
  go.store(false);
  runner.join();
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(messages.load(), sent.load());
  EXPECT_EQ(errors.load(), raised.load());
  EXPECT_TRUE(sched.dead_letters().empty());
}

TEST_P(TakeoverAttackTest, ShutdownWhileForeignThreadsSendDuringTakeOvers) {
  for (int round = 0; round < 5; ++round) {
    auto sched = std::make_unique<WorkStealingScheduler>(Workers());
    std::atomic<int> got{0}, sent{0};
    ActorRef<int> sink = *sched->Spawn("sink", Sink(got));
    for (int i = 0; i < 2; ++i) {
      ActorRef<int> sender = sched->Spawn(EndlessSender(*sched, sink, sent));
      ASSERT_TRUE(sched->Send(sender, 0).ok());
    }
    sched->SendAfter(absl::Seconds(30), sink, 1);
    std::atomic<bool> stop_sending{false};
    std::vector<std::thread> foreign;
    for (int t = 0; t < 2; ++t) {
      foreign.emplace_back([&, t] {
        int i = 0;
        while (!stop_sending.load()) {
          absl::Status st =
              t == 0 ? sched->Send("sink", i++) : sched->Send(sink, i++);
          if (absl::IsFailedPrecondition(st) &&
              st.message() == "the scheduler has shut down") {
            break;
          }
        }
      });
    }
    absl::Status ran;
    std::thread runner([&] { ran = sched->Run(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(2 + 3 * round));
    EXPECT_TRUE(sched->Shutdown().ok());
    runner.join();
    EXPECT_TRUE(absl::IsFailedPrecondition(ran)) << ran;
    stop_sending.store(true);
    for (std::thread& t : foreign) t.join();
    sched.reset();
  }
}

// ---- Stop() while the standby waits on a timer ------------------------------

Actor<int> Record(std::atomic<int>& got, absl::Time& at, Clock& clock) {
  for (;;) {
    co_await Receive<int>();
    at = clock.Now();
    got.fetch_add(1);
  }
}

TEST_P(TakeoverAttackTest, StopEndsARunWaitingOnATimerAndTheNextRunFiresIt) {
  WorkStealingScheduler sched(Workers());
  std::atomic<int> got{0};
  absl::Time at;
  ActorRef<int> target = sched.Spawn(Record(got, at, RealClock::Get()));
  const absl::Time armed = sched.Now();
  sched.SendAfter(absl::Milliseconds(300), target, 1);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    sched.Stop();
  });
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(sched.Run().ok());
  const auto took = std::chrono::steady_clock::now() - t0;
  stopper.join();
  EXPECT_LT(took, std::chrono::milliseconds(150)) << "Stop() did not end it";
  EXPECT_EQ(got.load(), 0);
  // Runs again (repeatedly stopped at once, then to the end).
  for (int i = 0; i < 20; ++i) {
    sched.Stop();
    ASSERT_TRUE(sched.Run().ok());
  }
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(got.load(), 1);
  EXPECT_GE(at - armed, absl::Milliseconds(300)) << "fired early";
}

// ---- Timers under long handlers ---------------------------------------------

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// CPU the last Computer's handler used (its own thread's).
std::atomic<double> computer_cpu{0};

Actor<int> Computer(std::chrono::milliseconds how_long) {
  co_await Receive<int>();
  const double c0 = ThreadCpuSeconds();
  ComputeFor(how_long);
  computer_cpu.store(ThreadCpuSeconds() - c0);
}

struct Lateness {
  std::atomic<int> early{0};
  std::atomic<int64_t> max_late_us{0};
  std::atomic<int64_t> total_late_us{0};
  std::atomic<int> count{0};
  void Add(absl::Duration late) {
    if (late < absl::ZeroDuration()) {
      early.fetch_add(1);
      return;
    }
    const int64_t us = absl::ToInt64Microseconds(late);
    int64_t max = max_late_us.load();
    while (us > max && !max_late_us.compare_exchange_weak(max, us)) {
    }
    total_late_us.fetch_add(us);
    count.fetch_add(1);
  }
};

template <coactor::Scheduler Sched>
Actor<int> Sleeper(Sched& sched, Lateness& lateness, int rounds,
                   uint64_t seed) {
  co_await Receive<int>();
  for (int i = 0; i < rounds; ++i) {
    const absl::Duration d =
        absl::Microseconds(200 + static_cast<int64_t>(Mix(seed + i) % 5000));
    const absl::Time before = sched.Now();
    co_await Sleep(d);
    lateness.Add(sched.Now() - before - d);
  }
}

TEST_P(TakeoverAttackTest, SleepsUnderALongHandlerAreNeverEarlyAndBarelyLate) {
  WorkStealingScheduler sched(Workers());
  Lateness lateness;
  // One worker computes for the whole test; the others are free.
  ActorRef<int> busy = sched.Spawn(Computer(std::chrono::milliseconds(400)));
  ASSERT_TRUE(sched.Send(busy, 0).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (int i = 0; i < 8; ++i) {
    ActorRef<int> s =
        sched.Spawn(Sleeper(sched, lateness, 40 / kScale, i * 1000));
    ASSERT_TRUE(sched.Send(s, 0).ok());
  }
  ASSERT_TRUE(sched.Run().ok());
  std::printf(
      "[ figures ] %d workers: %d sleeps, max late %lld us, mean %lld us\n",
      Workers(), lateness.count.load(),
      static_cast<long long>(lateness.max_late_us.load()),
      static_cast<long long>(lateness.total_late_us.load() /
                             std::max(1, lateness.count.load())));
  EXPECT_EQ(lateness.early.load(), 0);
  // Without the standby a sleep waited out the 400 ms handler. The bound
  // is loose on purpose: on a loaded 2-core machine (CI beside other jobs)
  // a free worker may itself wait several ms for a CPU, and 20 ms failed
  // there now and then.
#if !defined(COACTOR_TEST_SANITIZED)
  EXPECT_LT(lateness.max_late_us.load(), 150'000);
#endif
}

// ---- CancelTimer races ------------------------------------------------------

Actor<int> CountAll(std::atomic<int>& got) {
  for (;;) {
    co_await Receive<int>();
    got.fetch_add(1);
  }
}

// Arms timers and cancels every other one from inside a long handler, and
// from another thread, as they come due.
Actor<int> ArmAndCancel(WorkStealingScheduler& sched, ActorRef<int> target,
                        std::vector<TimerId>& ids, std::atomic<bool>& armed,
                        std::atomic<int>& cancelled) {
  co_await Receive<int>();
  for (int i = 0; i < 2000 / kScale; ++i) {
    ids.push_back(sched.SendAfter(absl::Microseconds(i % 200), target, i));
  }
  armed.store(true);
  for (size_t i = 0; i < ids.size(); i += 2) {
    if (sched.CancelTimer(ids[i])) cancelled.fetch_add(1);
    ComputeFor(std::chrono::nanoseconds(300));
  }
}

TEST_P(TakeoverAttackTest, CancelledAndFiredTimersAddUp) {
  for (int round = 0; round < 5; ++round) {
    WorkStealingScheduler sched(Workers());
    std::atomic<int> got{0}, cancelled{0}, cancelled_outside{0};
    std::atomic<bool> armed{false};
    std::vector<TimerId> ids;
    ActorRef<int> target = sched.Spawn(CountAll(got));
    ActorRef<int> armer =
        sched.Spawn(ArmAndCancel(sched, target, ids, armed, cancelled));
    ASSERT_TRUE(sched.Send(armer, 0).ok());
    std::thread canceller([&] {
      while (!armed.load()) {
      }
      for (size_t i = 1; i < ids.size(); i += 4) {
        if (sched.CancelTimer(ids[i])) cancelled_outside.fetch_add(1);
      }
    });
    ASSERT_TRUE(sched.Run().ok());
    canceller.join();
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(got.load() + cancelled.load() + cancelled_outside.load(),
              static_cast<int>(ids.size()));
  }
}

// ---- Virtual time at several workers ----------------------------------------

struct Query {
  int n;
  ReplyTo<int> reply;
};

// Answers odd queries (after computing a while), keeps even ones.
Actor<Query> HalfAnswers() {
  std::vector<ReplyTo<int>> kept;
  for (;;) {
    Query q = co_await Receive<Query>();
    if (q.n % 2 == 1) {
      if (q.n % 3 == 0) ComputeFor(std::chrono::microseconds(200));
      q.reply.Send(q.n);
    } else {
      kept.push_back(std::move(q.reply));
    }
  }
}

template <coactor::Scheduler Sched>
Actor<int> VirtualWorker(Sched& sched, ManualClock& clock, int id,
                         ActorRef<Query> answerer, std::vector<int64_t>& log) {
  co_await Receive<int>();
  for (int i = 0; i < 30; ++i) {
    const uint64_t h = Mix(id * 1000 + i);
    if (h % 5 == 0) ComputeFor(std::chrono::microseconds(100 + h % 900));
    if (h % 3 == 0) {
      absl::StatusOr<int> answer = co_await Ask<int>(
          sched, answerer,
          [n = static_cast<int>(h % 7)](ReplyTo<int> reply) {
            return Query{n, std::move(reply)};
          },
          absl::Milliseconds(1 + h % 9));
      log.push_back(answer.ok() ? *answer : -1);
    } else {
      co_await Sleep(absl::Milliseconds(1 + h % 20));
    }
    log.push_back(absl::ToUnixMillis(clock.Now()));
  }
}

template <coactor::Scheduler Sched>
std::vector<std::vector<int64_t>> RunVirtual(Sched& sched, ManualClock& clock) {
  std::vector<std::vector<int64_t>> logs(6);
  ActorRef<Query> answerer = sched.Spawn(HalfAnswers());
  for (int i = 0; i < 6; ++i) {
    ActorRef<int> w =
        sched.Spawn(VirtualWorker(sched, clock, i, answerer, logs[i]));
    EXPECT_TRUE(sched.Send(w, 0).ok());
  }
  EXPECT_TRUE(sched.Run().ok());
  return logs;
}

TEST_P(TakeoverAttackTest,
       VirtualTimeWithLongHandlersMatchesTheDequeScheduler) {
  std::vector<std::vector<int64_t>> expected;
  {
    ManualClock clock;
    DequeScheduler sched(clock);
    expected = RunVirtual(sched, clock);
  }
  for (int round = 0; round < 3; ++round) {
    ManualClock clock;
    WorkStealingScheduler sched(Workers(), clock);
    std::atomic<bool> finished{false};
    std::thread watchdog([&] {
      for (int i = 0; i < 600 && !finished.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (!finished.load()) {
        std::fprintf(stderr, "hang: virtual-time run did not end in 60 s\n");
        std::abort();
      }
    });
    EXPECT_EQ(RunVirtual(sched, clock), expected);
    finished.store(true);
    watchdog.join();
  }
}

// ---- Idle CPU ---------------------------------------------------------------

// Runs `sched` once (it must succeed); the process's CPU seconds and the
// wall seconds it took.
std::pair<double, double> RunMeasured(WorkStealingScheduler& sched) {
  const double c0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(sched.Run().ok());
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  return {CpuSeconds() - c0, wall};
}

TEST_P(TakeoverAttackTest, IdleFigures) {
#if defined(COACTOR_TEST_SANITIZED)
  GTEST_SKIP() << "figures only from an optimized build";
#endif
  // 1. Idle but for a far timer: Run() waits; the standby should sleep.
  {
    WorkStealingScheduler sched(Workers());
    std::atomic<int> got{0};
    ActorRef<int> sink = sched.Spawn(CountAll(got));
    sched.SendAfter(absl::Milliseconds(1000), sink, 1);
    const auto [cpu, wall] = RunMeasured(sched);
    std::printf(
        "[ figures ] %d workers, idle with a 1 s timer: %.3f s CPU "
        "in %.3f s (%.1f%% of a core)\n",
        Workers(), cpu, wall, 100 * cpu / wall);
    EXPECT_LT(cpu / wall, 0.05);
  }
  // 2. One long handler (1.5 s), nothing else: the handler's core, plus
  // what the standby costs.
  {
    WorkStealingScheduler sched(Workers());
    ActorRef<int> busy = sched.Spawn(Computer(std::chrono::milliseconds(1000)));
    ASSERT_TRUE(sched.Send(busy, 0).ok());
    const auto [cpu, wall] = RunMeasured(sched);
    std::printf(
        "[ figures ] %d workers, one 1 s handler: %.3f s CPU in "
        "%.3f s (%.1f%% of a core beyond the handler's)\n",
        Workers(), cpu, wall, 100 * (cpu - computer_cpu.load()) / wall);
    EXPECT_LT((cpu - computer_cpu.load()) / wall, 0.10);
  }
  // 3. One long handler and a far timer.
  {
    WorkStealingScheduler sched(Workers());
    std::atomic<int> got{0};
    ActorRef<int> sink = sched.Spawn(CountAll(got));
    ActorRef<int> busy = sched.Spawn(Computer(std::chrono::milliseconds(1000)));
    sched.SendAfter(absl::Milliseconds(1100), sink, 1);
    ASSERT_TRUE(sched.Send(busy, 0).ok());
    const auto [cpu, wall] = RunMeasured(sched);
    std::printf(
        "[ figures ] %d workers, one 1 s handler and a 1.1 s timer: "
        "%.3f s CPU in %.3f s (%.1f%% of a core beyond the "
        "handler's)\n",
        Workers(), cpu, wall, 100 * (cpu - computer_cpu.load()) / wall);
    EXPECT_EQ(got.load(), 1);
    EXPECT_LT((cpu - computer_cpu.load()) / wall, 0.10);
  }
}

// ---- Latency of repeated sends from one long handler (figures) --------------

struct Stamped {
  int64_t sent_nanos;
  int index;
};

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Actor<Stamped> StampReceiver(std::vector<int64_t>& latency) {
  for (;;) {
    Stamped s = co_await Receive<Stamped>();
    latency[s.index] = SteadyNanos() - s.sent_nanos;
  }
}

// One handler sends `count` messages round-robin to `receivers`, computing
// `gap` between sends.
Actor<int> ForkInOneHandler(WorkStealingScheduler& sched,
                            std::vector<ActorRef<Stamped>> receivers, int count,
                            std::chrono::microseconds gap) {
  co_await Receive<int>();
  for (int i = 0; i < count; ++i) {
    sched.Send(receivers[i % receivers.size()], Stamped{SteadyNanos(), i})
        .IgnoreError();
    ComputeFor(gap);
  }
}

// Not a pass/fail test: what each message of a handler that keeps sending
// waits for an idle worker to hand it over. By the code, the first waits
// ~5 us plus up to a watch tick; after each hand-over the standby waits
// twice as long before the next attempt (up to kMaxBackoffNanos, 1 ms)
// while the handler stays in the same turn, so a handler that sends every
// 100-500 us should see its later messages start up to ~1 ms late. (On
// the loaded 2-core VM where this was written, every gap showed p50
// 0.3-0.9 ms: the load hid the difference; measure on a quiet machine.)
TEST_P(TakeoverAttackTest, RepeatedSendsFromOneHandlerFigures) {
#if defined(COACTOR_TEST_SANITIZED)
  GTEST_SKIP() << "figures only from an optimized build";
#endif
  for (int gap_us : {100, 500, 2000}) {
    WorkStealingScheduler sched(Workers());
    const int count = gap_us >= 2000 ? 150 : 600;
    std::vector<int64_t> latency(count, -1);
    std::vector<ActorRef<Stamped>> receivers;
    for (int i = 0; i < 4; ++i) {
      receivers.push_back(sched.Spawn(StampReceiver(latency)));
    }
    ActorRef<int> driver = sched.Spawn(ForkInOneHandler(
        sched, receivers, count, std::chrono::microseconds(gap_us)));
    ASSERT_TRUE(sched.Run().ok());  // Every actor started, waiting.
    ASSERT_TRUE(sched.Send(driver, 0).ok());
    ASSERT_TRUE(sched.Run().ok());
    std::vector<int64_t> sorted = latency;
    std::sort(sorted.begin(), sorted.end());
    ASSERT_GE(sorted.front(), 0);
    std::printf(
        "[ figures ] %d workers, a send every %d us in one handler: "
        "latency of the first %lld us, of the 20th %lld us; p50 %lld "
        "us, p90 %lld us\n",
        Workers(), gap_us, static_cast<long long>(latency[0] / 1000),
        static_cast<long long>(latency[19] / 1000),
        static_cast<long long>(sorted[count / 2] / 1000),
        static_cast<long long>(sorted[count * 9 / 10] / 1000));
  }
}

INSTANTIATE_TEST_SUITE_P(Workers, TakeoverAttackTest,
                         ::testing::Values(2, 4, 8),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "Stealing" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace coactor
