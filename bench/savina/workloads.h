// The comparison workloads, written once against the coactor API as
// templates over the scheduler (`template <Scheduler Sched>`: any
// coactor::Scheduler, DequeScheduler or WorkStealingScheduler), run by
// savina_runner.cc and compared with CAF (bench/caf) and Beazley's Python
// original (bench/python) by bench/compare.py.
//
//   coactor::WorkStealingScheduler sched(2);
//   coactor::savina::Outcome outcome =
//       coactor::savina::PingPong(sched, 1'000'000);
//   if (!outcome.ok) ...;  // A lost or extra message fails the run.
//
// Besides Beazley's counter/printer, the workloads follow the Savina actor
// benchmark suite (Imam & Sarkar, AGERE 2014): ping-pong, counting, thread
// ring, fork-join throughput and creation, big, chameneos and the bounded
// buffer; plus the memory of an idle actor. Each takes one size parameter
// (documented per workload), verifies its own result, and reports `items`:
// the messages (or meetings, or actors) it processed, the same count as its
// CAF twin in bench/caf/caf_runner.cc.
//
// Thread-safety: each workload owns its actors and runs `sched` to
// quiescence; counters shared with the caller are written by one actor at
// a time and read after Run() returns.
#ifndef COACTOR_BENCH_SAVINA_WORKLOADS_H_
#define COACTOR_BENCH_SAVINA_WORKLOADS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "actors/send_when_room.h"
#include "bench/runner/outcome.h"
#include "bench/savina/report.h"
#include "runtime/scheduler.h"
#include "runtime/spawn_options.h"

namespace coactor::savina {

// What one workload run measured (bench/runner/outcome.h).
using Outcome = comparison::Outcome;

namespace internal {

// Counters written by different actors live on separate cache lines.
inline constexpr size_t kPad = 8;

inline void Verify(Outcome& outcome, const absl::Status& run, bool correct,
                   const char* what) {
  outcome.ok = run.ok() && correct;
  if (!run.ok()) {
    outcome.error = std::string(run.message());
  } else if (!correct) {
    outcome.error = what;
  }
}

// xorshift64: cheap, deterministic peer choice for `big`.
inline uint64_t NextRandom(uint64_t& state) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

}  // namespace internal

// ---- counter_printer: Beazley's pair, by name; size = the start count n -----
// items = 2n messages.

inline Actor<int> SummingPrinter(int64_t& sum) {
  for (;;) sum += co_await Receive<int>();
}

template <Scheduler Sched>
Actor<int> Counter(Sched& sched) {
  for (;;) {
    int n = co_await Receive<int>();
    if (n == 0) co_return;
    sched.Send("printer", n).IgnoreError();
    sched.Send("counter", n - 1).IgnoreError();
  }
}

template <Scheduler Sched>
Outcome CounterPrinter(Sched& sched, int64_t n) {
  Outcome outcome;
  int64_t sum = 0;
  bench::Stopwatch watch;
  sched.Spawn("printer", SummingPrinter(sum)).IgnoreError();
  sched.Spawn("counter", Counter(sched)).IgnoreError();
  sched.Send("counter", static_cast<int>(n)).IgnoreError();
  absl::Status run = sched.Run();
  outcome.seconds = watch.Seconds();
  outcome.items = 2 * n;
  internal::Verify(outcome, run, sum == n * (n + 1) / 2, "wrong sum");
  return outcome;
}

// ---- ping_pong: two actors, by reference; size = hits; items = hits ---------

struct Ball {
  ActorRef<Ball> reply_to;
  int hits_left;  // -1: the game is over, stop.
};

template <Scheduler Sched>
Actor<Ball> Player(Sched& sched, int64_t& hits) {
  ActorRef<Ball> self = co_await Self();
  for (;;) {
    Ball ball = co_await Receive<Ball>();
    if (ball.hits_left < 0) co_return;
    ++hits;
    if (ball.hits_left == 0) {
      sched.Send(ball.reply_to, Ball{self, -1}).IgnoreError();
      co_return;
    }
    sched.Send(ball.reply_to, Ball{self, ball.hits_left - 1}).IgnoreError();
  }
}

template <Scheduler Sched>
Outcome PingPong(Sched& sched, int64_t n) {
  Outcome outcome;
  int64_t ping_hits = 0, pong_hits = 0;
  bench::Stopwatch watch;
  ActorRef<Ball> ping = sched.Spawn(Player(sched, ping_hits));
  ActorRef<Ball> pong = sched.Spawn(Player(sched, pong_hits));
  sched.Send(ping, Ball{pong, static_cast<int>(n - 1)}).IgnoreError();
  absl::Status run = sched.Run();
  outcome.seconds = watch.Seconds();
  outcome.items = n;
  internal::Verify(outcome, run,
                   ping_hits + pong_hits == n && sched.live_actors() == 0,
                   "wrong hit count");
  return outcome;
}

// ---- counting: one actor absorbs n increments, then reports; items = n ------

struct Increment {};
struct Retrieve {
  ActorRef<int64_t> reply_to;
};
using CountMsg = std::variant<Increment, Retrieve>;

template <Scheduler Sched>
Actor<CountMsg> CountingActor(Sched& sched) {
  int64_t count = 0;
  for (;;) {
    CountMsg message = co_await Receive<CountMsg>();
    if (std::holds_alternative<Increment>(message)) {
      ++count;
    } else {
      sched.Send(std::get<Retrieve>(message).reply_to, count).IgnoreError();
      co_return;
    }
  }
}

template <Scheduler Sched>
Actor<int64_t> CountingProducer(Sched& sched, ActorRef<CountMsg> counter,
                                int64_t n, int64_t& result) {
  ActorRef<int64_t> self = co_await Self();
  for (int64_t i = 0; i < n; ++i)
    sched.Send(counter, Increment{}).IgnoreError();
  sched.Send(counter, Retrieve{self}).IgnoreError();
  result = co_await Receive<int64_t>();
}

template <Scheduler Sched>
Outcome Counting(Sched& sched, int64_t n) {
  Outcome outcome;
  int64_t result = -1;
  bench::Stopwatch watch;
  ActorRef<CountMsg> counter = sched.Spawn(CountingActor(sched));
  sched.Spawn(CountingProducer(sched, counter, n, result));
  absl::Status run = sched.Run();
  outcome.seconds = watch.Seconds();
  outcome.items = n;
  internal::Verify(outcome, run, result == n, "wrong count");
  return outcome;
}

// ---- thread_ring: 503 actors pass a token n hops; items = n -----------------

inline constexpr int kRingSize = 503;

// A token is the number of hops left (>= 0); a negative value -(i + 1) is the
// stop lap started by node i, which ends every node once.
template <Scheduler Sched>
Actor<int> RingNode(Sched& sched, const std::vector<ActorRef<int>>& ring,
                    int index, int64_t& hops_seen) {
  const ActorRef<int>& next = ring[(index + 1) % ring.size()];
  const int next_index = (index + 1) % static_cast<int>(ring.size());
  for (;;) {
    int token = co_await Receive<int>();
    if (token < 0) {
      if (next_index != -token - 1) sched.Send(next, token).IgnoreError();
      co_return;
    }
    ++hops_seen;  // The token is in one actor at a time.
    if (token == 0) {
      sched.Send(next, -index - 1).IgnoreError();
      co_return;
    }
    sched.Send(next, token - 1).IgnoreError();
  }
}

template <Scheduler Sched>
Outcome ThreadRing(Sched& sched, int64_t n) {
  Outcome outcome;
  int64_t hops_seen = 0;
  std::vector<ActorRef<int>> ring(kRingSize);
  bench::Stopwatch watch;
  for (int i = 0; i < kRingSize; ++i) {
    ring[i] = sched.Spawn(RingNode(sched, ring, i, hops_seen));
  }
  sched.Send(ring[0], static_cast<int>(n)).IgnoreError();
  absl::Status run = sched.Run();
  outcome.seconds = watch.Seconds();
  outcome.items = n;
  internal::Verify(outcome, run, hops_seen == n + 1 && sched.live_actors() == 0,
                   "wrong hop count");
  return outcome;
}

// ---- fork_join_throughput: 64 workers x m messages, one sine each
// ------------- size = m; items = 64m.

inline constexpr int kThroughputWorkers = 64;

inline Actor<int> ThroughputWorker(int64_t per_worker, int64_t& handled,
                                   double& sink) {
  while (handled < per_worker) {
    int n = co_await Receive<int>();
    sink += bench::Compute(37.2 + n % 7);
    ++handled;
  }
}

template <Scheduler Sched>
Actor<int> ThroughputDriver(Sched& sched,
                            const std::vector<ActorRef<int>>& workers) {
  int per_worker = co_await Receive<int>();
  for (int i = 0; i < per_worker; ++i) {
    for (const ActorRef<int>& worker : workers) {
      sched.Send(worker, i).IgnoreError();
    }
  }
}

template <Scheduler Sched>
Outcome ForkJoinThroughput(Sched& sched, int64_t m) {
  Outcome outcome;
  std::vector<int64_t> handled(kThroughputWorkers * internal::kPad, 0);
  std::vector<double> sinks(kThroughputWorkers * internal::kPad, 0.0);
  std::vector<ActorRef<int>> workers;
  bench::Stopwatch watch;
  for (int w = 0; w < kThroughputWorkers; ++w) {
    workers.push_back(sched.Spawn(ThroughputWorker(
        m, handled[w * internal::kPad], sinks[w * internal::kPad])));
  }
  ActorRef<int> driver = sched.Spawn(ThroughputDriver(sched, workers));
  sched.Send(driver, static_cast<int>(m)).IgnoreError();
  absl::Status run = sched.Run();
  outcome.seconds = watch.Seconds();
  int64_t total = 0;
  for (int w = 0; w < kThroughputWorkers; ++w) {
    total += handled[w * internal::kPad];
  }
  outcome.items = kThroughputWorkers * m;
  internal::Verify(outcome, run,
                   total == outcome.items && sched.live_actors() == 0,
                   "wrong message count");
  return outcome;
}

// ---- fork_join_creation: spawn n actors, one message each, all finish
// ----------- items = n actors.

template <Scheduler Sched>
Actor<int> OneShot(Sched& sched, ActorRef<int> done) {
  int n = co_await Receive<int>();
  sched.Send(done, static_cast<int>(bench::Compute(n) > -10)).IgnoreError();
}

inline Actor<int> DoneCounter(int64_t expected, int64_t& count) {
  while (count < expected) count += co_await Receive<int>();
}

template <Scheduler Sched>
Actor<int> Creator(Sched& sched, ActorRef<int> done) {
  int count = co_await Receive<int>();
  for (int i = 0; i < count; ++i) {
    sched.Send(sched.Spawn(OneShot(sched, done)), i).IgnoreError();
  }
}

template <Scheduler Sched>
Outcome ForkJoinCreation(Sched& sched, int64_t n) {
  Outcome outcome;
  int64_t count = 0;
  bench::Stopwatch watch;
  ActorRef<int> done = sched.Spawn(DoneCounter(n, count));
  ActorRef<int> creator = sched.Spawn(Creator(sched, done));
  sched.Send(creator, static_cast<int>(n)).IgnoreError();
  absl::Status run = sched.Run();
  outcome.seconds = watch.Seconds();
  outcome.items = n;
  internal::Verify(outcome, run, count == n && sched.live_actors() == 0,
                   "lost actors");
  return outcome;
}

// ---- big: 256 actors ping random others, answering pongs
// -------------------------- size = pings per actor; items = 2 * 256 * size
// (pings and pongs).

inline constexpr int kBigActors = 256;

struct BigMessage {
  enum Kind : uint8_t { kStart, kPing, kPong, kExit };
  Kind kind;
  ActorRef<BigMessage> from;  // For a ping.
};

template <Scheduler Sched>
Actor<BigMessage> BigActor(Sched& sched,
                           const std::vector<ActorRef<BigMessage>>& everyone,
                           ActorRef<int> sink, int64_t pings, uint64_t seed,
                           int64_t& received) {
  ActorRef<BigMessage> self = co_await Self();
  uint64_t random = seed;
  int64_t pongs = 0;
  for (;;) {
    BigMessage message = co_await Receive<BigMessage>();
    switch (message.kind) {
      case BigMessage::kExit:
        co_return;
      case BigMessage::kPing:
        ++received;
        sched.Send(message.from, BigMessage{BigMessage::kPong, {}})
            .IgnoreError();
        break;
      case BigMessage::kPong:
        ++received;
        if (++pongs == pings) {
          sched.Send(sink, 1).IgnoreError();
          break;
        }
        [[fallthrough]];
      case BigMessage::kStart:
        sched
            .Send(everyone[internal::NextRandom(random) % everyone.size()],
                  BigMessage{BigMessage::kPing, self})
            .IgnoreError();
        break;
    }
  }
}

template <Scheduler Sched>
Actor<int> BigSink(Sched& sched,
                   const std::vector<ActorRef<BigMessage>>& everyone,
                   int64_t& reports) {
  while (reports < static_cast<int64_t>(everyone.size())) {
    reports += co_await Receive<int>();
  }
  for (const auto& actor : everyone) {
    sched.Send(actor, BigMessage{BigMessage::kExit, {}}).IgnoreError();
  }
}

template <Scheduler Sched>
Outcome Big(Sched& sched, int64_t pings) {
  Outcome outcome;
  std::vector<ActorRef<BigMessage>> everyone(kBigActors);
  std::vector<int64_t> received(kBigActors * internal::kPad, 0);
  int64_t reports = 0;
  bench::Stopwatch watch;
  ActorRef<int> sink = sched.Spawn(BigSink(sched, everyone, reports));
  for (int a = 0; a < kBigActors; ++a) {
    everyone[a] = sched.Spawn(BigActor(sched, everyone, sink, pings,
                                       0x9E3779B97F4A7C15ull * (a + 1),
                                       received[a * internal::kPad]));
  }
  for (const auto& actor : everyone) {
    sched.Send(actor, BigMessage{BigMessage::kStart, {}}).IgnoreError();
  }
  absl::Status run = sched.Run();
  outcome.seconds = watch.Seconds();
  int64_t total = 0;
  for (int a = 0; a < kBigActors; ++a) total += received[a * internal::kPad];
  outcome.items = int64_t{2} * kBigActors * pings;
  internal::Verify(outcome, run,
                   total == outcome.items && reports == kBigActors &&
                       sched.live_actors() == 0,
                   "wrong message count");
  return outcome;
}

// ---- chameneos: creatures meet through a mall (Savina)
// ------------------------------ size = meetings; items = meetings. 100
// creatures; each meeting changes both creatures' colours.

inline constexpr int kChameneos = 100;

enum class Color : uint8_t { kBlue, kRed, kYellow, kFaded };

inline Color Complement(Color a, Color b) {
  if (a == b) return a;
  if (a == Color::kFaded || b == Color::kFaded) return Color::kFaded;
  // The colour that is neither a nor b.
  return static_cast<Color>(3 - static_cast<int>(a) - static_cast<int>(b));
}

struct CreatureMessage {
  enum Kind : uint8_t { kMeet, kChange, kExit };
  Kind kind;
  Color color;
  ActorRef<CreatureMessage> from;  // For kMeet.
};

struct MallMessage {
  enum Kind : uint8_t { kMeet, kMeetingCount };
  Kind kind;
  Color color;
  ActorRef<CreatureMessage> from;  // For kMeet.
  int64_t meetings;                // For kMeetingCount.
};

template <Scheduler Sched>
Actor<MallMessage> Mall(Sched& sched, int64_t meetings, int creatures,
                        int64_t& total_meetings) {
  std::optional<MallMessage> waiting;
  int exited = 0;
  int64_t sum = 0;
  for (;;) {
    MallMessage message = co_await Receive<MallMessage>();
    if (message.kind == MallMessage::kMeetingCount) {
      sum += message.meetings;
      if (++exited == creatures) break;
    } else if (meetings == 0) {
      sched.Send(message.from, CreatureMessage{CreatureMessage::kExit, {}, {}})
          .IgnoreError();
    } else if (!waiting) {
      waiting = message;
    } else {
      --meetings;
      sched
          .Send(waiting->from, CreatureMessage{CreatureMessage::kMeet,
                                               message.color, message.from})
          .IgnoreError();
      waiting.reset();
    }
  }
  total_meetings = sum;
}

template <Scheduler Sched>
Actor<CreatureMessage> Creature(Sched& sched, ActorRef<MallMessage> mall,
                                Color color) {
  ActorRef<CreatureMessage> self = co_await Self();
  int64_t meetings = 0;
  sched.Send(mall, MallMessage{MallMessage::kMeet, color, self, 0})
      .IgnoreError();
  for (;;) {
    CreatureMessage message = co_await Receive<CreatureMessage>();
    if (message.kind == CreatureMessage::kExit) break;
    if (message.kind == CreatureMessage::kMeet) {
      color = Complement(color, message.color);
      sched
          .Send(message.from,
                CreatureMessage{CreatureMessage::kChange, color, {}})
          .IgnoreError();
    } else {
      color = message.color;
    }
    ++meetings;
    sched.Send(mall, MallMessage{MallMessage::kMeet, color, self, 0})
        .IgnoreError();
  }
  sched
      .Send(
          mall,
          MallMessage{MallMessage::kMeetingCount, Color::kFaded, {}, meetings})
      .IgnoreError();
}

template <Scheduler Sched>
Outcome Chameneos(Sched& sched, int64_t meetings) {
  Outcome outcome;
  int64_t total_meetings = -1;
  bench::Stopwatch watch;
  ActorRef<MallMessage> mall =
      sched.Spawn(Mall(sched, meetings, kChameneos, total_meetings));
  for (int c = 0; c < kChameneos; ++c) {
    sched.Spawn(Creature(sched, mall, static_cast<Color>(c % 3)));
  }
  absl::Status run = sched.Run();
  outcome.seconds = watch.Seconds();
  outcome.items = meetings;
  // Every meeting is counted by both creatures.
  internal::Verify(outcome, run,
                   total_meetings == 2 * meetings && sched.live_actors() == 0,
                   "wrong meeting count");
  return outcome;
}

// ---- bounded_buffer: producers and consumers through a buffer actor
// ------------ Savina's producer-consumer with bounded buffer: the buffer
// (manager) asks a producer for its next item only while it has room, and hands
// items to consumers that announced they are available. 16 producers, 16
// consumers, capacity 64; size = items in total; items = size.

inline constexpr int kProducers = 16;
inline constexpr int kConsumers = 16;
inline constexpr int kBufferCapacity = 64;

struct ManagerMessage {
  enum Kind : uint8_t { kData, kConsumerAvailable, kProducerExit };
  Kind kind;
  int32_t index;  // The producer (kData) or consumer (kConsumerAvailable).
  int64_t value;  // For kData.
};

struct ConsumerMessage {
  int64_t value;  // < 0: stop.
};

template <Scheduler Sched>
Actor<ManagerMessage> BufferManager(
    Sched& sched, const std::vector<ActorRef<int>>& producers,
    const std::vector<ActorRef<ConsumerMessage>>& consumers) {
  std::deque<int64_t> pending;
  std::deque<int> idle_consumers;
  std::deque<int> blocked_producers;
  for (int c = 0; c < static_cast<int>(consumers.size()); ++c) {
    idle_consumers.push_back(c);
  }
  for (const auto& producer : producers) sched.Send(producer, 0).IgnoreError();
  int exited_producers = 0;
  for (;;) {
    ManagerMessage message = co_await Receive<ManagerMessage>();
    switch (message.kind) {
      case ManagerMessage::kData:
        if (!idle_consumers.empty()) {
          sched
              .Send(consumers[idle_consumers.front()],
                    ConsumerMessage{message.value})
              .IgnoreError();
          idle_consumers.pop_front();
        } else {
          pending.push_back(message.value);
        }
        if (static_cast<int>(pending.size()) >= kBufferCapacity) {
          blocked_producers.push_back(message.index);
        } else {
          sched.Send(producers[message.index], 0).IgnoreError();
        }
        break;
      case ManagerMessage::kConsumerAvailable:
        if (pending.empty()) {
          idle_consumers.push_back(message.index);
        } else {
          sched.Send(consumers[message.index], ConsumerMessage{pending.front()})
              .IgnoreError();
          pending.pop_front();
          if (!blocked_producers.empty()) {
            sched.Send(producers[blocked_producers.front()], 0).IgnoreError();
            blocked_producers.pop_front();
          }
        }
        break;
      case ManagerMessage::kProducerExit:
        ++exited_producers;
        break;
    }
    if (exited_producers == static_cast<int>(producers.size()) &&
        idle_consumers.size() == consumers.size()) {
      for (const auto& consumer : consumers) {
        sched.Send(consumer, ConsumerMessage{-1}).IgnoreError();
      }
      co_return;
    }
  }
}

// Producer `index` makes the values index * per_producer + 1 ...
// (index + 1) * per_producer, one per request.
template <Scheduler Sched>
Actor<int> Producer(Sched& sched, const ActorRef<ManagerMessage>& manager,
                    int index, int64_t per_producer, double& sink) {
  for (int64_t made = 0; made < per_producer; ++made) {
    co_await Receive<int>();
    sink += bench::Compute(static_cast<double>(made));
    sched
        .Send(manager, ManagerMessage{ManagerMessage::kData, index,
                                      index * per_producer + made + 1})
        .IgnoreError();
  }
  co_await Receive<int>();  // The request for one more.
  sched.Send(manager, ManagerMessage{ManagerMessage::kProducerExit, index, 0})
      .IgnoreError();
}

template <Scheduler Sched>
Actor<ConsumerMessage> Consumer(Sched& sched,
                                const ActorRef<ManagerMessage>& manager,
                                int index, int64_t& consumed, int64_t& sum,
                                double& sink) {
  for (;;) {
    ConsumerMessage message = co_await Receive<ConsumerMessage>();
    if (message.value < 0) co_return;
    sink += bench::Compute(static_cast<double>(message.value));
    ++consumed;
    sum += message.value;
    sched
        .Send(manager,
              ManagerMessage{ManagerMessage::kConsumerAvailable, index, 0})
        .IgnoreError();
  }
}

template <Scheduler Sched>
Outcome BoundedBuffer(Sched& sched, int64_t size) {
  Outcome outcome;
  const int64_t per_producer = size / kProducers;
  const int64_t total = per_producer * kProducers;
  std::vector<ActorRef<int>> producers(kProducers);
  std::vector<ActorRef<ConsumerMessage>> consumers(kConsumers);
  ActorRef<ManagerMessage> manager;
  std::vector<int64_t> consumed(kConsumers * internal::kPad, 0);
  std::vector<int64_t> sums(kConsumers * internal::kPad, 0);
  std::vector<double> sinks((kProducers + kConsumers) * internal::kPad, 0.0);
  bench::Stopwatch watch;
  for (int p = 0; p < kProducers; ++p) {
    producers[p] = sched.Spawn(
        Producer(sched, manager, p, per_producer, sinks[p * internal::kPad]));
  }
  for (int c = 0; c < kConsumers; ++c) {
    consumers[c] = sched.Spawn(Consumer(
        sched, manager, c, consumed[c * internal::kPad],
        sums[c * internal::kPad], sinks[(kProducers + c) * internal::kPad]));
  }
  // Spawned last: its start asks the producers for their first items, and
  // the others read `manager` only when they send.
  manager = sched.Spawn(BufferManager(sched, producers, consumers));
  absl::Status run = sched.Run();
  outcome.seconds = watch.Seconds();
  int64_t count = 0, sum = 0;
  for (int c = 0; c < kConsumers; ++c) {
    count += consumed[c * internal::kPad];
    sum += sums[c * internal::kPad];
  }
  outcome.items = total;
  internal::Verify(outcome, run,
                   count == total && sum == total * (total + 1) / 2 &&
                       sched.live_actors() == 0,
                   "wrong items consumed");
  return outcome;
}

// ---- bounded_mailbox_buffer: the bounded buffer as bounded mailboxes
// -------------------------------------------------------------------------
// The same trade as bounded_buffer (16 producers, 16 consumers, at most 64
// items between them, one sine per item at each end), with the buffer made
// of the consumers' own mailboxes: each holds at most 4 items
// (SpawnOptions, WhenFull::kBackpressure), and a producer sends its item
// to the next consumer in turn with co_await SendWhenRoom(), which
// suspends it while that mailbox is full. No manager, no requests: one
// message an item, plus a stop from every producer to every consumer.
// Each consumer checks that every producer's items reach it in the order
// sent; size = items in total; items = size.

inline constexpr int kItemsPerMailbox = kBufferCapacity / kConsumers;

struct BufferItem {
  int64_t value;  // <= 0: the producer -value has sent all its items.
};

inline Actor<int> MailboxProducer(
    const std::vector<ActorRef<BufferItem>>& consumers, int index,
    int64_t per_producer, double& sink) {
  const int consumer_count = static_cast<int>(consumers.size());
  for (int64_t made = 0; made < per_producer; ++made) {
    sink += bench::Compute(static_cast<double>(made));
    const ActorRef<BufferItem>& to = consumers[(index + made) % consumer_count];
    if (!(co_await SendWhenRoom(to,
                                BufferItem{index * per_producer + made + 1}))
             .ok()) {
      co_return;  // The consumer has gone: the check below fails the run.
    }
  }
  for (const auto& consumer : consumers) {
    if (!(co_await SendWhenRoom(consumer, BufferItem{-index})).ok()) {
      co_return;
    }
  }
}

// Sums what it gets; `in_order` turns false if some producer's items
// arrive out of the order sent.
inline Actor<BufferItem> MailboxConsumer(int producer_count,
                                         int64_t per_producer,
                                         int64_t& consumed, int64_t& sum,
                                         bool& in_order, double& sink) {
  std::vector<int64_t> last(producer_count, 0);
  for (int stopped = 0; stopped < producer_count;) {
    const BufferItem item = co_await Receive<BufferItem>();
    if (item.value <= 0) {
      ++stopped;
      continue;
    }
    sink += bench::Compute(static_cast<double>(item.value));
    const int64_t producer = (item.value - 1) / per_producer;
    if (item.value <= last[producer]) in_order = false;
    last[producer] = item.value;
    ++consumed;
    sum += item.value;
  }
}

template <Scheduler Sched>
Outcome BoundedMailboxBuffer(Sched& sched, int64_t size) {
  Outcome outcome;
  const int64_t per_producer = size / kProducers;
  const int64_t total = per_producer * kProducers;
  std::vector<ActorRef<BufferItem>> consumers;
  std::vector<int64_t> consumed(kConsumers * internal::kPad, 0);
  std::vector<int64_t> sums(kConsumers * internal::kPad, 0);
  std::vector<double> sinks((kProducers + kConsumers) * internal::kPad, 0.0);
  std::deque<bool> in_order(kConsumers, true);
  const SpawnOptions bounded{.mailbox_capacity = kItemsPerMailbox,
                             .when_full = WhenFull::kBackpressure};
  bench::Stopwatch watch;
  absl::Status spawned;
  for (int c = 0; c < kConsumers && spawned.ok(); ++c) {
    absl::StatusOr<ActorRef<BufferItem>> consumer = sched.Spawn(
        MailboxConsumer(kProducers, per_producer, consumed[c * internal::kPad],
                        sums[c * internal::kPad], in_order[c],
                        sinks[(kProducers + c) * internal::kPad]),
        bounded);
    if (consumer.ok()) {
      consumers.push_back(*consumer);
    } else {
      spawned = consumer.status();
    }
  }
  for (int p = 0; p < kProducers && spawned.ok(); ++p) {
    sched.Spawn(
        MailboxProducer(consumers, p, per_producer, sinks[p * internal::kPad]));
  }
  absl::Status run = spawned.ok() ? sched.Run() : spawned;
  outcome.seconds = watch.Seconds();
  int64_t count = 0, sum = 0;
  bool ordered = true;
  for (int c = 0; c < kConsumers; ++c) {
    count += consumed[c * internal::kPad];
    sum += sums[c * internal::kPad];
    ordered = ordered && in_order[c];
  }
  outcome.items = total;
  internal::Verify(outcome, run,
                   count == total && sum == total * (total + 1) / 2 &&
                       ordered && sched.live_actors() == 0 &&
                       sched.dead_letters().empty(),
                   "wrong items consumed, out of order, or a dead letter");
  return outcome;
}

// ---- idle_actor_memory: n actors waiting for a message
// ------------------------------ items = n actors spawned and started; seconds
// = spawn and start time; extra "bytes_per_actor" = resident memory growth / n.
// Then each gets its message and finishes.

inline Actor<int> IdleActor() { co_await Receive<int>(); }

template <Scheduler Sched>
Outcome IdleActorMemory(Sched& sched, int64_t n) {
  Outcome outcome;
  // The references are the harness's: their pages are touched before the
  // baseline is taken.
  std::vector<ActorRef<int>> actors(n);
  const int64_t rss_before = bench::CurrentRssKib();
  bench::Stopwatch watch;
  for (int64_t i = 0; i < n; ++i) actors[i] = sched.Spawn(IdleActor());
  absl::Status run = sched.Run();  // Each runs up to its Receive().
  outcome.seconds = watch.Seconds();
  const int64_t rss_after = bench::CurrentRssKib();
  const bool all_waiting = sched.live_actors() == static_cast<size_t>(n);
  for (const auto& actor : actors) sched.Send(actor, 1).IgnoreError();
  if (run.ok()) run = sched.Run();
  outcome.items = n;
  outcome.extra.push_back(
      {"bytes_per_actor", (rss_after - rss_before) * 1024.0 / n});
  internal::Verify(outcome, run, all_waiting && sched.live_actors() == 0,
                   "actors not idle, or not finished");
  return outcome;
}

}  // namespace coactor::savina

#endif  // COACTOR_BENCH_SAVINA_WORKLOADS_H_
