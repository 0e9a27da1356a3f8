// Stress programs behind tests/attack_regressions_test.cc: Stop()/Run()
// cycles, Post() storms, Shutdown() against every kind of caller, record
// limits under load, re-spawning from Down, waits across schedulers. Each
// checks exactly-once delivery (or a clean refusal) with payloads that own
// heap memory. Manual: run under --config=asan and --config=tsan with
// --runs_per_test=N (ATTACK_ROUNDS scales the rounds in each).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/ask.h"
#include "actors/bounded_queue.h"
#include "actors/down.h"
#include "actors/join_handle.h"
#include "actors/receive.h"
#include "actors/sleep.h"
#include "actors/task.h"
#include "gtest/gtest.h"
#include "runtime/dead_letter.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

int Rounds(int base) {
  const char* env = std::getenv("ATTACK_ROUNDS");
  return env == nullptr ? base : base * std::atoi(env);
}

// A message that owns heap memory: a long string and a unique_ptr.
struct Parcel {
  int from;
  int64_t seq;
  std::string text;
  std::unique_ptr<int64_t> check;
};

Parcel MakeParcel(int from, int64_t seq) {
  return Parcel{from, seq,
                "parcel from " + std::to_string(from) + " #" +
                    std::to_string(seq) + " with a long tail",
                std::make_unique<int64_t>(seq * 7)};
}

// Records every parcel it receives: per sender, the sequence numbers in
// arrival order.
struct Ledger {
  std::mutex mutex;
  std::map<int, std::vector<int64_t>> seen;
  std::atomic<int64_t> count{0};
  std::atomic<int64_t> corrupt{0};
  void Add(const Parcel& p) {
    if (p.check == nullptr || *p.check != p.seq * 7 ||
        p.text.find("#" + std::to_string(p.seq) + " ") == std::string::npos) {
      corrupt.fetch_add(1);
    }
    std::lock_guard<std::mutex> hold(mutex);
    seen[p.from].push_back(p.seq);
    count.fetch_add(1);
  }
  // Every sender's 0..n-1 exactly once, in order.
  void ExpectExactlyOnceInOrder(int senders, int64_t each) {
    EXPECT_EQ(corrupt.load(), 0);
    std::lock_guard<std::mutex> hold(mutex);
    for (int s = 0; s < senders; ++s) {
      const std::vector<int64_t>& got = seen[s];
      ASSERT_EQ(static_cast<int64_t>(got.size()), each) << "sender " << s;
      for (int64_t i = 0; i < each; ++i) {
        ASSERT_EQ(got[i], i) << "sender " << s;
      }
    }
  }
};

// Forwards every parcel to `next` (if any) after recording it in `ledger`
// (if last), stopping the run now and then.
template <coactor::Scheduler Sched>
Actor<Parcel> Relay(Sched& sched, ActorRef<Parcel> next, Ledger* ledger,
                    int stop_every) {
  int64_t n = 0;
  for (;;) {
    Parcel p = co_await Receive<Parcel>();
    if (stop_every > 0 && ++n % stop_every == 0) sched.Stop();
    if (ledger != nullptr) {
      ledger->Add(p);
    } else {
      sched.Send(next, std::move(p)).IgnoreError();
    }
  }
}

// ---- Work stealing: Stop() and Run() again, with outside senders ------------

void StopRunCycles(int threads) {
  constexpr int kSenders = 3;
  const int64_t kEach = Rounds(3000);
  WorkStealingScheduler sched(threads);
  Ledger ledger;
  ActorRef<Parcel> sink = sched.Spawn(Relay(sched, {}, &ledger, 0));
  ActorRef<Parcel> mid = sched.Spawn(Relay(sched, sink, nullptr, 97));
  ActorRef<Parcel> head = sched.Spawn(Relay(sched, mid, nullptr, 0));
  std::atomic<bool> senders_done{false};
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      for (int64_t i = 0; i < kEach; ++i) {
        ASSERT_TRUE(sched.Send(head, MakeParcel(s, i)).ok());
        if (i % 500 == 0) std::this_thread::yield();
      }
    });
  }
  std::thread stopper([&] {
    std::mt19937 random(threads);
    while (!senders_done.load()) {
      std::this_thread::sleep_for(std::chrono::microseconds(random() % 300));
      sched.Stop();
    }
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  int runs = 0;
  for (;;) {
    ASSERT_TRUE(sched.Run().ok());
    ++runs;
    if (ledger.count.load() == kSenders * kEach) break;
    ASSERT_LT(absl::Now(), deadline) << ledger.count.load();
  }
  for (std::thread& t : senders) t.join();
  senders_done = true;
  stopper.join();
  // A Stop() left over from the stopper may end one more run at once.
  sched.Run().IgnoreError();
  ASSERT_TRUE(sched.Run().ok());
  ledger.ExpectExactlyOnceInOrder(kSenders, kEach);
  EXPECT_GT(runs, 1);
  EXPECT_EQ(sched.dead_letters_recorded(), 0u);
}

TEST(StressTest, WorkStealingStopRunCycles1) { StopRunCycles(1); }
TEST(StressTest, WorkStealingStopRunCycles2) { StopRunCycles(2); }
TEST(StressTest, WorkStealingStopRunCycles4) { StopRunCycles(4); }

// ---- Deque: Post() storms while Run / RunUntilStopped / Stop cycle ----------

TEST(StressTest, DequePostStormWhileRunsCycle) {
  constexpr int kPosters = 4;
  const int64_t kEach = Rounds(4000);
  DequeScheduler sched;
  Ledger ledger;
  ActorRef<Parcel> sink = sched.Spawn(Relay(sched, {}, &ledger, 0));
  ActorRef<Parcel> mid = sched.Spawn(Relay(sched, sink, nullptr, 211));
  std::vector<std::thread> posters;
  for (int s = 0; s < kPosters; ++s) {
    posters.emplace_back([&, s] {
      for (int64_t i = 0; i < kEach; ++i) {
        if (i % 3 == 0) {
          sched.Post(mid, MakeParcel(s, i));
        } else {
          // The posted call sends from the loop's thread, in post order.
          sched.Post([&sched, mid, s, i] {
            sched.Send(mid, MakeParcel(s, i)).IgnoreError();
          });
        }
        if (i % 300 == 0) std::this_thread::yield();
      }
    });
  }
  std::atomic<bool> posting{true};
  std::thread stopper([&] {
    std::mt19937 random(7);
    while (posting.load()) {
      std::this_thread::sleep_for(std::chrono::microseconds(random() % 200));
      sched.Stop();
    }
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  int cycle = 0;
  while (ledger.count.load() < kPosters * kEach) {
    ASSERT_LT(absl::Now(), deadline) << ledger.count.load();
    if (++cycle % 2 == 0) {
      ASSERT_TRUE(sched.Run().ok());
    } else {
      ASSERT_TRUE(sched.RunUntilStopped().ok());
    }
  }
  for (std::thread& t : posters) t.join();
  posting = false;
  stopper.join();
  sched.Run().IgnoreError();
  ASSERT_TRUE(sched.Run().ok());
  ledger.ExpectExactlyOnceInOrder(kPosters, kEach);
  EXPECT_EQ(sched.dead_letters_recorded(), 0u);
}

// ---- Timers across Stop() and Run() again -----------------------------------

// Delayed sends (0-2 ms) keep firing across stopped runs; each parcel is
// delivered exactly once.
template <coactor::Scheduler Sched, typename Arm>
void TimersAcrossStops(Sched& sched, Arm arm) {
  const int64_t kParcels = Rounds(2000);
  Ledger ledger;
  ActorRef<Parcel> sink = sched.Spawn(Relay(sched, {}, &ledger, 53));
  std::thread armer([&] {
    for (int64_t i = 0; i < kParcels; ++i) {
      arm(sink, absl::Microseconds(i * 7919 % 2000), MakeParcel(0, i));
      if (i % 100 == 0) std::this_thread::yield();
    }
  });
  std::atomic<bool> arming{true};
  std::thread stopper([&] {
    while (arming.load()) {
      std::this_thread::sleep_for(std::chrono::microseconds(150));
      sched.Stop();
    }
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  while (ledger.count.load() < kParcels) {
    ASSERT_LT(absl::Now(), deadline) << ledger.count.load();
    ASSERT_TRUE(sched.Run().ok());
  }
  armer.join();
  arming = false;
  stopper.join();
  sched.Run().IgnoreError();
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(ledger.count.load(), kParcels);
  std::lock_guard<std::mutex> hold(ledger.mutex);
  std::vector<int64_t> got = ledger.seen[0];
  std::sort(got.begin(), got.end());
  for (int64_t i = 0; i < kParcels; ++i) ASSERT_EQ(got[i], i);
}

TEST(StressTest, WorkStealingTimersAcrossStops) {
  WorkStealingScheduler sched(2);
  TimersAcrossStops(sched,
                    [&](ActorRef<Parcel> to, absl::Duration d, Parcel p) {
                      sched.SendAfter(d, to, std::move(p));
                    });
}

TEST(StressTest, DequeTimersAcrossStops) {
  DequeScheduler sched;
  TimersAcrossStops(sched,
                    [&](ActorRef<Parcel> to, absl::Duration d, Parcel p) {
                      // SendAfter() is the loop's thread's: posted.
                      sched.Post([&sched, to, d, p = std::move(p)]() mutable {
                        sched.SendAfter(d, to, std::move(p));
                      });
                    });
}

// ---- Shutdown() against every caller ----------------------------------------

struct Ask1 {
  std::string text;
  ReplyTo<std::string> reply;
};

Actor<Ask1> Answerer() {
  for (;;) {
    Ask1 a = co_await Receive<Ask1>();
    if (a.text.size() % 3 == 0) continue;  // Drops some: answered at drop.
    a.reply.Send(a.text + " answered");
  }
}

using WorkMsg = std::variant<Parcel, Down, int>;

Actor<WorkMsg> Worker(WorkStealingScheduler& sched, ActorRef<Ask1> answerer,
                      std::atomic<int64_t>& asked) {
  for (;;) {
    WorkMsg m = co_await Receive<WorkMsg>();
    if (std::holds_alternative<int>(m)) {
      const int n = std::get<int>(m);
      if (n % 5 == 0) co_return;
      if (n % 7 == 0)
        throw std::runtime_error("worker failed on purpose " +
                                 std::to_string(n));
      std::string key = "question number " + std::to_string(n);
      absl::StatusOr<std::string> answer = co_await Ask<std::string>(
          sched, answerer,
          [key](ReplyTo<std::string> r) {
            return Ask1{key, std::move(r)};
          },
          absl::Milliseconds(n % 4 == 0 ? 1 : 200));
      asked.fetch_add(1);
      if (n % 11 == 0) co_await Sleep(absl::Milliseconds(n % 3));
    }
  }
}

TEST(StressTest, ShutdownAgainstSendersSpawnersStoppersTimersAndAsks) {
  const int rounds = Rounds(20);
  for (int round = 0; round < rounds; ++round) {
    auto sched = std::make_unique<WorkStealingScheduler>(2);
    sched->SetRecordLimits(
        RecordLimits{.dead_letters = static_cast<size_t>(round % 3),
                     .failures = 2,
                     .finished_names = static_cast<size_t>(round % 4)});
    std::atomic<int64_t> asked{0};
    ActorRef<Ask1> answerer = sched->Spawn(Answerer());
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    std::thread runner([&] {
      while (sched->Run().ok()) std::this_thread::yield();
    });
    // Spawners: named workers, monitored by each other, sent to by name.
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        ActorRef<WorkMsg> previous;
        for (int i = 0; !stop.load(); ++i) {
          const std::string name =
              "worker-" + std::to_string(t) + "-" + std::to_string(i % 50);
          absl::StatusOr<ActorRef<WorkMsg>> w =
              sched->Spawn(name, Worker(*sched, answerer, asked));
          if (!w.ok()) {
            if (w.status().message() == "the scheduler has shut down") break;
            continue;  // AlreadyExists: that name is still busy.
          }
          if (previous.valid()) sched->Monitor(previous, *w).IgnoreError();
          previous = *w;
          sched->Send(name, i).IgnoreError();
          sched->Send(*w, MakeParcel(t, i)).IgnoreError();
          sched->SendAfter(absl::Microseconds(i % 500), *w, WorkMsg(i + 1));
          if (i % 64 == 0) std::this_thread::yield();
        }
      });
    }
    // A sender by name and a stopper.
    threads.emplace_back([&] {
      for (int i = 0; !stop.load(); ++i) {
        sched->Send("worker-0-" + std::to_string(i % 50), i).IgnoreError();
        sched->Send("nobody at all, a long name", MakeParcel(9, i))
            .IgnoreError();
        if (i % 32 == 0) {
          sched->TakeDeadLetters();
          sched->TakeFailures();
        }
      }
    });
    threads.emplace_back([&] {
      while (!stop.load()) {
        sched->Stop();
        std::this_thread::sleep_for(std::chrono::microseconds(300));
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + round % 30));
    ASSERT_TRUE(sched->Shutdown().ok());
    stop = true;
    for (std::thread& t : threads) t.join();
    runner.join();
    // After Shutdown(): everything is refused. (Checked once the other
    // threads are joined: a refusal's absl::Status is shared with its dead
    // letter, which another thread may drop, and Debian's Abseil is not
    // built for TSan, so its reference count looks like a race.)
    EXPECT_EQ(sched->Send("worker-0-1", 1).message(),
              "the scheduler has shut down");
    EXPECT_FALSE(sched->Run().ok());
    EXPECT_EQ(sched->live_actors(), 0u);
    sched.reset();
  }
}

// ---- TakeFailures() against failing actors ----------------------------------

Actor<int> FailsWithLongText(int i) {
  co_await Receive<int>();
  throw std::runtime_error("failure number " + std::to_string(i) +
                           " with a long tail of text");
}

TEST(StressTest, TakeFailuresWhileActorsFail) {
  for (size_t limit : {size_t{0}, size_t{1}, size_t{1} << 40}) {
    WorkStealingScheduler sched(2);
    sched.SetRecordLimits(RecordLimits{.failures = limit});
    const int kActors = Rounds(3000);
    std::atomic<bool> done{false};
    std::atomic<int64_t> taken{0};
    std::thread taker([&] {
      while (!done.load()) {
        for (const ActorFailure& f : sched.TakeFailures()) {
          EXPECT_NE(f.what.find("with a long tail"), std::string::npos);
          taken.fetch_add(1);
        }
        sched.failures();
        sched.failures_recorded();
      }
    });
    std::thread runner([&] {
      while (!done.load()) {
        sched.Run().IgnoreError();
        std::this_thread::yield();
      }
    });
    for (int i = 0; i < kActors; ++i) {
      ActorRef<int> a = sched.Spawn(FailsWithLongText(i));
      ASSERT_TRUE(sched.Send(a, i).ok());
    }
    while (sched.failures_recorded() < static_cast<uint64_t>(kActors)) {
      std::this_thread::yield();
    }
    done = true;
    taker.join();
    runner.join();
    const int64_t left = static_cast<int64_t>(sched.TakeFailures().size());
    EXPECT_EQ(sched.failures_recorded(), static_cast<uint64_t>(kActors));
    if (limit > 0) {
      EXPECT_LE(taken.load() + left, kActors);
    } else {
      EXPECT_EQ(taken.load() + left, 0);
    }
    if (limit > static_cast<size_t>(kActors)) {
      EXPECT_EQ(taken.load() + left, kActors);
    }
  }
}

// ---- Re-spawning from Down under the same name ------------------------------

using SupervisorMsg = std::variant<int, Down>;

template <coactor::Scheduler Sched>
Actor<int> Mortal(int64_t& lives) {
  co_await Receive<int>();
  ++lives;
  if (lives % 3 == 0) throw std::runtime_error("mortal died badly");
}

template <coactor::Scheduler Sched>
Actor<SupervisorMsg> Supervisor(Sched& sched, int64_t& lives, int64_t limit,
                                int64_t& errors) {
  ActorRef<SupervisorMsg> self = co_await Self();
  for (;;) {
    SupervisorMsg m = co_await Receive<SupervisorMsg>();
    const Down* down = std::get_if<Down>(&m);
    if (down == nullptr) continue;
    if (down->name != "the-one-mortal-with-a-long-name") ++errors;
    if (lives >= limit) co_return;
    absl::StatusOr<ActorRef<int>> next =
        sched.Spawn(down->name, Mortal<Sched>(lives));
    if (!next.ok() || !sched.Monitor(*next, self).ok()) {
      ++errors;
      co_return;
    }
    if (!sched.Send(down->name, 1).ok()) ++errors;
  }
}

template <coactor::Scheduler Sched>
void RespawnLoop(Sched& sched) {
  sched.SetRecordLimits(
      RecordLimits{.dead_letters = 3, .failures = 3, .finished_names = 2});
  int64_t lives = 0, errors = 0;
  const int64_t kLimit = Rounds(20000);
  ActorRef<SupervisorMsg> sup =
      sched.Spawn(Supervisor(sched, lives, kLimit, errors));
  absl::StatusOr<ActorRef<int>> first =
      sched.Spawn("the-one-mortal-with-a-long-name", Mortal<Sched>(lives));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(sched.Monitor(*first, sup).ok());
  ASSERT_TRUE(sched.Send("the-one-mortal-with-a-long-name", 1).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(lives, kLimit);
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(sched.live_actors(), 0u);
  EXPECT_LE(sched.TakeFailures().size(), 3u);
  EXPECT_EQ(sched.failures_recorded(), static_cast<uint64_t>(kLimit / 3));
  // The name is remembered as finished (limit 2), then forgotten.
  EXPECT_EQ(sched.Send("the-one-mortal-with-a-long-name", 1).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(StressTest, RespawnFromDownDeque) {
  DequeScheduler sched;
  RespawnLoop(sched);
}
TEST(StressTest, RespawnFromDownWorkStealing) {
  WorkStealingScheduler sched(2);
  RespawnLoop(sched);
}

// ---- Waits across schedulers ------------------------------------------------

Task<std::string> Echo(std::string s) { co_return s + " echoed"; }

// Deque actors join work-stealing tasks and take from a queue fed by
// work-stealing actors; work-stealing actors join deque tasks.
Actor<int> DequeSide(WorkStealingScheduler& ws, BoundedQueue<std::string>& q,
                     std::atomic<int64_t>& done, int n) {
  co_await Receive<int>();
  for (int i = 0; i < n; ++i) {
    std::string got = co_await ws.CreateTask(Echo("task " + std::to_string(i)));
    if (got != "task " + std::to_string(i) + " echoed") {
      throw std::logic_error("bad echo");
    }
    std::string item = co_await q.Get();
    if (item.size() < 16) throw std::logic_error("bad item");
    done.fetch_add(1);
  }
}

Actor<int> WsPutter(BoundedQueue<std::string>& q, int n) {
  co_await Receive<int>();
  for (int i = 0; i < n; ++i) {
    co_await q.Put("item number " + std::to_string(i) + " from ws");
  }
}

TEST(StressTest, WaitsAcrossSchedulers) {
  const int kActors = 4, kEach = Rounds(300);
  BoundedQueue<std::string> queue(2);
  WorkStealingScheduler ws(2);
  std::atomic<int64_t> done{0};
  {
    DequeScheduler deque;
    for (int a = 0; a < kActors; ++a) {
      ActorRef<int> d = deque.Spawn(DequeSide(ws, queue, done, kEach));
      ASSERT_TRUE(deque.Send(d, 1).ok());
      ActorRef<int> p = ws.Spawn(WsPutter(queue, kEach));
      ASSERT_TRUE(ws.Send(p, 1).ok());
    }
    std::atomic<bool> quit{false};
    std::thread ws_runner([&] {
      while (!quit.load()) {
        ws.Run().IgnoreError();
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    });
    std::thread loop([&] { deque.RunUntilStopped().IgnoreError(); });
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (done.load() < kActors * kEach && absl::Now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(done.load(), kActors * kEach);
    EXPECT_EQ(deque.failures().size(), 0u);
    deque.Stop();
    loop.join();
    quit = true;
    ws_runner.join();
  }
}

// The deque scheduler is destroyed while its actors wait on a queue that
// work-stealing actors keep putting into, on worker threads.
TEST(StressTest, DestroyDequeWhileWorkersPutIntoItsQueue) {
  for (int round = 0; round < Rounds(30); ++round) {
    BoundedQueue<std::string> queue(1);
    WorkStealingScheduler ws(2);
    std::atomic<int64_t> done{0};
    std::atomic<bool> quit{false};
    for (int a = 0; a < 2; ++a) {
      ActorRef<int> p = ws.Spawn(WsPutter(queue, 1'000'000));
      ASSERT_TRUE(ws.Send(p, 1).ok());
    }
    std::thread ws_runner([&] {
      while (!quit.load()) ws.Run().IgnoreError();
    });
    {
      DequeScheduler deque;
      for (int a = 0; a < 3; ++a) {
        ActorRef<int> d = deque.Spawn(DequeSide(ws, queue, done, 1'000'000));
        ASSERT_TRUE(deque.Send(d, 1).ok());
      }
      std::thread loop([&] { deque.RunUntilStopped().IgnoreError(); });
      std::this_thread::sleep_for(std::chrono::milliseconds(5 + round % 10));
      deque.Stop();
      loop.join();
      // Destroyed here, getters (and tasks' joiners) waiting.
    }
    quit = true;
    ASSERT_TRUE(ws.Shutdown().ok());
    ws_runner.join();
  }
}

Actor<int> WsGetter(BoundedQueue<std::string>& q) {
  co_await Receive<int>();
  for (;;) {
    std::string item = co_await q.Get();
    if (item.size() < 16) throw std::logic_error("bad item");
  }
}

Actor<int> DequePutter(BoundedQueue<std::string>& q, int n) {
  co_await Receive<int>();
  for (int i = 0; i < n; ++i) {
    co_await q.Put("item number " + std::to_string(i) + " from deque");
  }
}

// The other way round: the work-stealing scheduler is shut down and
// destroyed while its actors wait on a queue that deque actors fill.
TEST(StressTest, DestroyWorkStealingWhileDequeActorsPutIntoItsQueue) {
  for (int round = 0; round < Rounds(30); ++round) {
    BoundedQueue<std::string> queue(1);
    DequeScheduler deque;
    for (int a = 0; a < 2; ++a) {
      ActorRef<int> p = deque.Spawn(DequePutter(queue, 1'000'000));
      ASSERT_TRUE(deque.Send(p, 1).ok());
    }
    std::thread loop([&] { deque.RunUntilStopped().IgnoreError(); });
    {
      WorkStealingScheduler ws(2);
      for (int a = 0; a < 3; ++a) {
        ActorRef<int> g = ws.Spawn(WsGetter(queue));
        ASSERT_TRUE(ws.Send(g, 1).ok());
      }
      std::thread ws_runner([&] { ws.Run().IgnoreError(); });
      std::this_thread::sleep_for(std::chrono::milliseconds(5 + round % 10));
      if (round % 2 == 0) ASSERT_TRUE(ws.Shutdown().ok());
      ws.Stop();
      ws_runner.join();
      // Destroyed here (shut down first or not), getters waiting.
    }
    deque.Stop();
    loop.join();
  }
}

}  // namespace
}  // namespace coactor
