// The flood of issue 18: 8 senders, 10^7 messages in all, to one receiver
// that does about 1 us of work per message. With a bounded mailbox and
// backpressure (the default: capacity 1024, co_await SendWhenRoom()) the
// senders wait for room, so memory stays bounded; with --capacity=0 they
// flood an unbounded mailbox. Every message is checked to arrive exactly
// once and in each sender's order; the peak RSS is printed.
//
//   ./bazelw run --config=opt //bench:flood -- deque
//   ./bazelw run --config=opt //bench:flood -- ws 4 --capacity=0 --n=1000000
//
// Output: one line, "flood SCHED THREADS capacity=C n=N: ok, X s, Y M msgs/s,
// peak RSS Z MiB" (or the check that failed, and exit status 1).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "actors/send_when_room.h"
#include "bench/savina/report.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/spawn_options.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

constexpr int kSenders = 8;

struct Item {
  int32_t sender;
  int32_t index;
};

// Peak RSS (VmHWM: not the parent's, as ru_maxrss can be after exec).
double PeakRssMiB() { return bench::PeakRssKib() / 1024.0; }

// About 1 us of work: spins on the steady clock (so the figure holds on a
// loaded machine, where a calibrated loop would not).
void Work() {
  const auto end =
      std::chrono::steady_clock::now() + std::chrono::microseconds(1);
  while (std::chrono::steady_clock::now() < end) {
  }
}

struct Check {
  std::vector<int32_t> next = std::vector<int32_t>(kSenders, 0);
  int64_t received = 0;
  int64_t errors = 0;
};

Actor<Item> Receiver(Check* check) {
  for (;;) {
    const Item item = co_await Receive<Item>();
    Work();
    if (item.sender < 0 || item.sender >= kSenders ||
        item.index != check->next[item.sender]) {
      ++check->errors;  // Lost, repeated or out of order.
    } else {
      ++check->next[item.sender];
    }
    ++check->received;
  }
}

template <Scheduler Sched>
Actor<int> Sender(Sched& sched, ActorRef<Item> to, int32_t sender,
                  int32_t count, bool wait, int64_t* failures) {
  co_await Receive<int>();
  for (int32_t i = 0; i < count; ++i) {
    absl::Status sent = wait ? co_await SendWhenRoom(to, Item{sender, i})
                             : sched.Send(to, Item{sender, i});
    if (!sent.ok()) ++*failures;
  }
}

template <Scheduler Sched>
int Flood(Sched& sched, const std::string& name, int threads, int64_t capacity,
          int64_t n) {
  Check check;
  SpawnOptions options;
  if (capacity > 0) {
    options.mailbox_capacity = capacity;
    options.when_full = WhenFull::kBackpressure;
  }
  auto receiver = sched.Spawn("receiver", Receiver(&check), options);
  if (!receiver.ok()) {
    std::fprintf(stderr, "%s\n", receiver.status().ToString().c_str());
    return 1;
  }
  int64_t failures = 0;
  const int32_t each = static_cast<int32_t>(n / kSenders);
  for (int32_t s = 0; s < kSenders; ++s) {
    auto sender =
        sched.Spawn(Sender(sched, *receiver, s, each, capacity > 0, &failures));
    if (!sched.Send(sender, 0).ok()) return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  const absl::Status ran = sched.Run();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  bool ok = ran.ok() && failures == 0 && check.errors == 0 &&
            check.received == int64_t{each} * kSenders;
  for (int32_t next : check.next) ok = ok && next == each;
  std::printf(
      "flood %s %d capacity=%lld n=%lld: %s, %.2f s, %.2f M msgs/s, peak RSS "
      "%.1f MiB\n",
      name.c_str(), threads, static_cast<long long>(capacity),
      static_cast<long long>(int64_t{each} * kSenders), ok ? "ok" : "WRONG",
      seconds, check.received / seconds / 1e6, PeakRssMiB());
  if (!ok) {
    std::fprintf(stderr,
                 "run: %s; send failures %lld; order errors %lld; received "
                 "%lld\n",
                 ran.ToString().c_str(), static_cast<long long>(failures),
                 static_cast<long long>(check.errors),
                 static_cast<long long>(check.received));
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace coactor

int main(int argc, char** argv) {
  std::string sched = argc > 1 ? argv[1] : "deque";
  int threads = 0;
  int64_t capacity = 1024;
  int64_t n = 10'000'000;
  for (int i = 2; i < argc; ++i) {
    if (std::strncmp(argv[i], "--capacity=", 11) == 0) {
      capacity = std::atoll(argv[i] + 11);
    } else if (std::strncmp(argv[i], "--n=", 4) == 0) {
      n = std::atoll(argv[i] + 4);
    } else {
      threads = std::atoi(argv[i]);
    }
  }
  if (sched == "deque") {
    coactor::DequeScheduler deque;
    return coactor::Flood(deque, sched, 0, capacity, n);
  }
  coactor::WorkStealingScheduler stealing(threads > 0 ? threads : 1);
  return coactor::Flood(stealing, "ws", stealing.threads(), capacity, n);
}
