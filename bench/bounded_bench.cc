// Issue 18's rate figures for bounded mailboxes, each configuration in a
// process of its own (so that the peak RSS is its own):
//   counting: Savina's counting (one producer sends n increments to one
//     counter, then asks for the count), the counter bounded to CAPACITY
//     with backpressure and the producer using co_await SendWhenRoom();
//   pingpong: two actors pass one ball n times, each bounded to CAPACITY.
// CAPACITY 0: unbounded, and plain Send(), as the Savina workloads are.
// THREADS is always given (0 for the deque, which runs on one thread), so
// that a CAPACITY is never read as a deque's N.
//
//   ./bazelw run -c opt //bench:bounded_bench -- counting deque 0 1024
//   ./bazelw run -c opt //bench:bounded_bench -- pingpong ws 1 1
//
// Output: "MODE SCHED THREADS capacity=C n=N: ok, X M msgs/s, Y s, peak RSS
// Z MiB".
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "actors/send_when_room.h"
#include "bench/savina/report.h"
#include "bench/savina/workloads.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/spawn_options.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

// The counter is Savina's (bench/savina/workloads.h); the producer waits
// for room when the counter is bounded.
using savina::CountMsg;
using savina::Increment;
using savina::Retrieve;

template <Scheduler Sched>
Actor<int64_t> Producer(Sched& sched, ActorRef<CountMsg> counter, int64_t n,
                        bool wait, int64_t* result) {
  ActorRef<int64_t> self = co_await Self();
  for (int64_t i = 0; i < n; ++i) {
    if (wait) {
      (co_await SendWhenRoom(counter, CountMsg(Increment{}))).IgnoreError();
    } else {
      sched.Send(counter, CountMsg(Increment{})).IgnoreError();
    }
  }
  if (wait) {
    (co_await SendWhenRoom(counter, CountMsg(Retrieve{self}))).IgnoreError();
  } else {
    sched.Send(counter, CountMsg(Retrieve{self})).IgnoreError();
  }
  *result = co_await Receive<int64_t>();
}

struct Ball {
  ActorRef<Ball> back;
  int64_t hits_left;
};

template <Scheduler Sched>
Actor<Ball> Player(Sched& sched, bool wait, int64_t* hits) {
  ActorRef<Ball> self = co_await Self();
  for (;;) {
    Ball ball = co_await Receive<Ball>();
    ++*hits;
    if (ball.hits_left == 0) co_return;
    Ball next{self, ball.hits_left - 1};
    if (wait) {
      if (!(co_await SendWhenRoom(ball.back, next)).ok()) co_return;
    } else {
      sched.Send(ball.back, next).IgnoreError();
    }
  }
}

// Peak RSS (VmHWM: not the parent's, as ru_maxrss can be after exec).
double PeakRssMiB() { return bench::PeakRssKib() / 1024.0; }

template <Scheduler Sched>
int Run(Sched& sched, const std::string& mode, const std::string& name,
        int threads, int64_t capacity, int64_t n) {
  SpawnOptions options;
  if (capacity > 0) {
    options.mailbox_capacity = capacity;
    options.when_full = WhenFull::kBackpressure;
  }
  bool ok = false;
  const auto start = std::chrono::steady_clock::now();
  if (mode == "counting") {
    int64_t result = -1;
    auto counter = sched.Spawn(savina::CountingActor(sched), options);
    if (!counter.ok()) return 1;
    sched.Spawn(Producer(sched, *counter, n, capacity > 0, &result));
    ok = sched.Run().ok() && result == n;
  } else {
    int64_t hits_a = 0, hits_b = 0;
    auto a = sched.Spawn(Player(sched, capacity > 0, &hits_a), options);
    auto b = sched.Spawn(Player(sched, capacity > 0, &hits_b), options);
    if (!a.ok() || !b.ok()) return 1;
    ok = sched.Send(*a, Ball{*b, n - 1}).ok() && sched.Run().ok() &&
         hits_a + hits_b == n;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf(
      "%s %s %d capacity=%lld n=%lld: %s, %.2f M msgs/s, %.3f s, peak RSS "
      "%.1f MiB\n",
      mode.c_str(), name.c_str(), threads, static_cast<long long>(capacity),
      static_cast<long long>(n), ok ? "ok" : "WRONG", n / seconds / 1e6,
      seconds, PeakRssMiB());
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace coactor

int main(int argc, char** argv) {
  const std::string sched = argc > 2 ? argv[2] : "";
  const int threads = argc > 3 ? std::atoi(argv[3]) : -1;
  if (argc < 5 || argc > 6 || (sched != "deque" && sched != "ws") ||
      threads < 0 || (sched == "deque" && threads != 0)) {
    std::fprintf(stderr,
                 "usage: bounded_bench counting|pingpong deque|ws THREADS "
                 "CAPACITY [N]  (THREADS 0 for deque)\n");
    return 2;
  }
  const std::string mode = argv[1];
  const int64_t capacity = std::atoll(argv[4]);
  const int64_t n = argc > 5 ? std::atoll(argv[5]) : 10'000'000;
  if (sched == "deque") {
    coactor::DequeScheduler deque;
    return coactor::Run(deque, mode, sched, 0, capacity, n);
  }
  coactor::WorkStealingScheduler stealing(threads > 0 ? threads : 1);
  return coactor::Run(stealing, mode, sched, stealing.threads(), capacity, n);
}
