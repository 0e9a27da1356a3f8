// The comparison workloads of bench/savina/workloads.h written idiomatically
// in CAF 0.17 (event-based actors, the default work-stealing scheduler with
// `scheduler.max-threads` set to --threads), one run per process, printing
// one JSON line (bench/savina/report.h) for bench/compare.py. With
// --min-seconds=S the run repeats, each time in a fresh actor_system and
// verified, until its measured seconds add up to S (bench/runner/repeat.h).
//
//   bazel run --config=opt //bench/caf:caf_runner --
//       --workload=ping_pong --size=1000000 --threads=2
//
// Each workload counts the same `items` as its coactor twin and verifies its
// result the same way. Actors hold each other's handles (CAF has no cheap
// send-by-name; its registry is for a few well-known services), so
// counter/printer here sends through handles where Beazley's sends by name.
// Results reach main() through pointers written by one actor at a time and
// read after actor_system::await_all_actors_done(), which synchronizes.
//
// Exit status 0 when the workload verified its result, 1 when not, 2 for
// bad flags.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "bench/runner/repeat.h"
#include "bench/savina/report.h"
#include "caf/all.hpp"

ABSL_FLAG(std::string, workload, "", "as for //bench/savina:savina_runner");
ABSL_FLAG(int64_t, size, 0, "the workload's size parameter");
ABSL_FLAG(int, threads, 1, "scheduler.max-threads");
ABSL_FLAG(double, min_seconds, 0,
          "repeat the workload, each time in a fresh actor system, until "
          "the measured seconds add up to this (bench/runner/runner.h)");

namespace caf_bench {
namespace {

using Actors = std::shared_ptr<std::vector<caf::actor>>;

using increment_atom = caf::atom_constant<caf::atom("increment")>;
using retrieve_atom = caf::atom_constant<caf::atom("retrieve")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;
using pong_atom = caf::atom_constant<caf::atom("pong")>;
using meet_atom = caf::atom_constant<caf::atom("meet")>;
using change_atom = caf::atom_constant<caf::atom("change")>;
using count_atom = caf::atom_constant<caf::atom("count")>;
using produce_atom = caf::atom_constant<caf::atom("produce")>;
using data_atom = caf::atom_constant<caf::atom("data")>;
using available_atom = caf::atom_constant<caf::atom("available")>;
using done_atom = caf::atom_constant<caf::atom("done")>;

constexpr size_t kPad = 8;  // Results of different actors, separate lines.

using coactor::comparison::Outcome;

void Verify(Outcome& outcome, bool correct, const char* what) {
  outcome.ok = correct;
  if (!correct) outcome.error = what;
}

caf::actor Handle(caf::event_based_actor* self) {
  return caf::actor_cast<caf::actor>(self);
}

// ---- counter_printer; items = 2n --------------------------------------------

struct SumState {
  int64_t sum = 0;
};

caf::behavior Printer(caf::stateful_actor<SumState>* self, int64_t* result) {
  return {[=](int n) {
    if (n == 0) {  // The counter is done.
      *result = self->state.sum;
      self->quit();
      return;
    }
    self->state.sum += n;
  }};
}

caf::behavior Counter(caf::event_based_actor* self, caf::actor printer) {
  return {[=](int n) {
    if (n == 0) {
      self->send(printer, 0);
      self->quit();
      return;
    }
    self->send(printer, n);
    self->send(self, n - 1);
  }};
}

Outcome CounterPrinter(caf::actor_system& system, int64_t n) {
  Outcome outcome;
  int64_t sum = -1;
  bench::Stopwatch watch;
  caf::actor printer = system.spawn(Printer, &sum);
  caf::actor counter = system.spawn(Counter, printer);
  caf::anon_send(counter, static_cast<int>(n));
  system.await_all_actors_done();
  outcome.seconds = watch.Seconds();
  outcome.items = 2 * n;
  Verify(outcome, sum == n * (n + 1) / 2, "wrong sum");
  return outcome;
}

// ---- ping_pong; items = hits ------------------------------------------------

caf::behavior Player(caf::event_based_actor* self, int64_t* hits) {
  return {[=](const caf::actor& other, int hits_left) {
    if (hits_left < 0) {  // The game is over.
      self->quit();
      return;
    }
    ++*hits;
    if (hits_left == 0) {
      self->send(other, Handle(self), -1);
      self->quit();
      return;
    }
    self->send(other, Handle(self), hits_left - 1);
  }};
}

Outcome PingPong(caf::actor_system& system, int64_t n) {
  Outcome outcome;
  int64_t ping_hits = 0, pong_hits = 0;
  bench::Stopwatch watch;
  caf::actor ping = system.spawn(Player, &ping_hits);
  caf::actor pong = system.spawn(Player, &pong_hits);
  caf::anon_send(ping, pong, static_cast<int>(n - 1));
  system.await_all_actors_done();
  outcome.seconds = watch.Seconds();
  outcome.items = n;
  Verify(outcome, ping_hits + pong_hits == n, "wrong hit count");
  return outcome;
}

// ---- counting; items = n ----------------------------------------------------

struct CountState {
  int64_t count = 0;
};

// Also leaves its count in `*final_count`. (Spawning it with at least one
// argument matters: CAF 0.17's init_fun_factory dereferences a null
// shared_ptr<tuple<>> for argument-less stateful actors, which UBSan
// reports under --config=asan.)
caf::behavior CountingActor(caf::stateful_actor<CountState>* self,
                            int64_t* final_count) {
  return {
      [=](increment_atom) { ++self->state.count; },
      [=](retrieve_atom) -> int64_t {
        *final_count = self->state.count;
        self->quit();
        return self->state.count;
      },
  };
}

caf::behavior CountingProducer(caf::event_based_actor* self, caf::actor counter,
                               int64_t n, int64_t* result) {
  for (int64_t i = 0; i < n; ++i) self->send(counter, increment_atom::value);
  self->request(counter, caf::infinite, retrieve_atom::value)
      .then([=](int64_t count) {
        *result = count;
        self->quit();
      });
  return {};  // Lives until the response arrives.
}

Outcome Counting(caf::actor_system& system, int64_t n) {
  Outcome outcome;
  int64_t result = -1, final_count = -1;
  bench::Stopwatch watch;
  caf::actor counter = system.spawn(CountingActor, &final_count);
  system.spawn(CountingProducer, counter, n, &result);
  system.await_all_actors_done();
  outcome.seconds = watch.Seconds();
  outcome.items = n;
  Verify(outcome, result == n && final_count == n, "wrong count");
  return outcome;
}

// ---- thread_ring: 503 actors; items = n hops --------------------------------

constexpr int kRingSize = 503;

// Tokens as in workloads.h: hops left, or -(i + 1) for node i's stop lap.
caf::behavior RingNode(caf::event_based_actor* self, Actors ring, int index,
                       int64_t* hops_seen) {
  const int next_index = (index + 1) % static_cast<int>(ring->size());
  return {[=](int token) {
    const caf::actor& next = (*ring)[next_index];
    if (token < 0) {
      if (next_index != -token - 1) self->send(next, token);
      self->quit();
      return;
    }
    ++*hops_seen;  // The token is in one actor at a time.
    if (token == 0) {
      self->send(next, -index - 1);
      self->quit();
      return;
    }
    self->send(next, token - 1);
  }};
}

Outcome ThreadRing(caf::actor_system& system, int64_t n) {
  Outcome outcome;
  int64_t hops_seen = 0;
  auto ring = std::make_shared<std::vector<caf::actor>>(kRingSize);
  bench::Stopwatch watch;
  for (int i = 0; i < kRingSize; ++i) {
    (*ring)[i] = system.spawn(RingNode, ring, i, &hops_seen);
  }
  caf::anon_send((*ring)[0], static_cast<int>(n));
  system.await_all_actors_done();
  outcome.seconds = watch.Seconds();
  ring->clear();  // The nodes' handles on each other.
  outcome.items = n;
  Verify(outcome, hops_seen == n + 1, "wrong hop count");
  return outcome;
}

// ---- fork_join_throughput: 64 workers x m messages; items = 64m -------------

constexpr int kThroughputWorkers = 64;

struct WorkerState {
  int64_t handled = 0;
  double sink = 0;
};

caf::behavior ThroughputWorker(caf::stateful_actor<WorkerState>* self,
                               int64_t per_worker, int64_t* handled) {
  return {[=](int n) {
    self->state.sink += bench::Compute(37.2 + n % 7);
    if (++self->state.handled == per_worker) {
      *handled = self->state.handled + (self->state.sink == -1.0);
      self->quit();
    }
  }};
}

caf::behavior ThroughputDriver(caf::event_based_actor* self,
                               std::vector<caf::actor> workers,
                               int per_worker) {
  for (int i = 0; i < per_worker; ++i) {
    for (const caf::actor& worker : workers) self->send(worker, i);
  }
  return {};  // Done.
}

Outcome ForkJoinThroughput(caf::actor_system& system, int64_t m) {
  Outcome outcome;
  std::vector<int64_t> handled(kThroughputWorkers * kPad, 0);
  std::vector<caf::actor> workers;
  bench::Stopwatch watch;
  for (int w = 0; w < kThroughputWorkers; ++w) {
    workers.push_back(system.spawn(ThroughputWorker, m, &handled[w * kPad]));
  }
  system.spawn(ThroughputDriver, std::move(workers), static_cast<int>(m));
  system.await_all_actors_done();
  outcome.seconds = watch.Seconds();
  int64_t total = 0;
  for (int w = 0; w < kThroughputWorkers; ++w) total += handled[w * kPad];
  outcome.items = kThroughputWorkers * m;
  Verify(outcome, total == outcome.items, "wrong message count");
  return outcome;
}

// ---- fork_join_creation: spawn n actors, one message each; items = n --------

caf::behavior OneShot(caf::event_based_actor* self, caf::actor done) {
  return {[=](int n) {
    self->send(done, static_cast<int>(bench::Compute(n) > -10));
    self->quit();
  }};
}

caf::behavior DoneCounter(caf::stateful_actor<CountState>* self,
                          int64_t expected, int64_t* result) {
  return {[=](int one) {
    if ((self->state.count += one) == expected) {
      *result = self->state.count;
      self->quit();
    }
  }};
}

caf::behavior Creator(caf::event_based_actor* self, caf::actor done, int n) {
  for (int i = 0; i < n; ++i) self->send(self->spawn(OneShot, done), i);
  return {};  // Done.
}

Outcome ForkJoinCreation(caf::actor_system& system, int64_t n) {
  Outcome outcome;
  int64_t count = -1;
  bench::Stopwatch watch;
  caf::actor done = system.spawn(DoneCounter, n, &count);
  system.spawn(Creator, done, static_cast<int>(n));
  system.await_all_actors_done();
  outcome.seconds = watch.Seconds();
  outcome.items = n;
  Verify(outcome, count == n, "lost actors");
  return outcome;
}

// ---- big: 256 actors ping random others; items = 2 * 256 * pings ------------

constexpr int kBigActors = 256;

struct BigState {
  uint64_t random = 0;
  int64_t pongs = 0;
  int64_t received = 0;
};

caf::behavior BigActor(caf::stateful_actor<BigState>* self, Actors everyone,
                       caf::actor sink, int64_t pings, uint64_t seed,
                       int64_t* received) {
  self->state.random = seed;
  auto ping_someone = [=] {
    uint64_t& random = self->state.random;
    random ^= random << 13;
    random ^= random >> 7;
    random ^= random << 17;
    self->send((*everyone)[random % everyone->size()], ping_atom::value,
               Handle(self));
  };
  return {
      [=](ping_atom, const caf::actor& from) {
        ++self->state.received;
        self->send(from, pong_atom::value);
      },
      [=](pong_atom) {
        ++self->state.received;
        if (++self->state.pongs == pings) {
          self->send(sink, done_atom::value);
        } else {
          ping_someone();
        }
      },
      [=](start_atom) { ping_someone(); },
      [=](stop_atom) {
        *received = self->state.received;
        self->quit();
      },
  };
}

caf::behavior BigSink(caf::stateful_actor<CountState>* self, Actors everyone,
                      int64_t* reports) {
  return {[=](done_atom) {
    if (++self->state.count == static_cast<int64_t>(everyone->size())) {
      for (const caf::actor& actor : *everyone) {
        self->send(actor, stop_atom::value);
      }
      *reports = self->state.count;
      self->quit();
    }
  }};
}

Outcome Big(caf::actor_system& system, int64_t pings) {
  Outcome outcome;
  auto everyone = std::make_shared<std::vector<caf::actor>>(kBigActors);
  std::vector<int64_t> received(kBigActors * kPad, 0);
  int64_t reports = 0;
  bench::Stopwatch watch;
  caf::actor sink = system.spawn(BigSink, everyone, &reports);
  for (int a = 0; a < kBigActors; ++a) {
    (*everyone)[a] =
        system.spawn(BigActor, everyone, sink, pings,
                     0x9E3779B97F4A7C15ull * (a + 1), &received[a * kPad]);
  }
  for (const caf::actor& actor : *everyone) {
    caf::anon_send(actor, start_atom::value);
  }
  system.await_all_actors_done();
  outcome.seconds = watch.Seconds();
  everyone->clear();
  int64_t total = 0;
  for (int a = 0; a < kBigActors; ++a) total += received[a * kPad];
  outcome.items = int64_t{2} * kBigActors * pings;
  Verify(outcome, total == outcome.items && reports == kBigActors,
         "wrong message count");
  return outcome;
}

// ---- chameneos: 100 creatures meet through a mall; items = meetings ---------

constexpr int kChameneos = 100;
enum Color : int { kBlue, kRed, kYellow, kFaded };

int Complement(int a, int b) {
  if (a == b) return a;
  if (a == kFaded || b == kFaded) return kFaded;
  return 3 - a - b;
}

struct MallState {
  int64_t meetings_left = 0;
  caf::actor waiting;  // Null when no creature waits.
  int exited = 0;
  int64_t sum = 0;
};

caf::behavior Mall(caf::stateful_actor<MallState>* self, int64_t meetings,
                   int creatures, int64_t* total_meetings) {
  self->state.meetings_left = meetings;
  return {
      [=](meet_atom, int color, const caf::actor& from) {
        MallState& state = self->state;
        if (state.meetings_left == 0) {
          self->send(from, stop_atom::value);
        } else if (!state.waiting) {
          state.waiting = from;
        } else {
          --state.meetings_left;
          self->send(state.waiting, meet_atom::value, color, from);
          state.waiting = nullptr;
        }
      },
      [=](count_atom, int64_t meetings) {
        self->state.sum += meetings;
        if (++self->state.exited == creatures) {
          *total_meetings = self->state.sum;
          self->quit();
        }
      },
  };
}

struct CreatureState {
  int color = kFaded;
  int64_t meetings = 0;
};

caf::behavior Creature(caf::stateful_actor<CreatureState>* self,
                       caf::actor mall, int color) {
  self->state.color = color;
  self->send(mall, meet_atom::value, color, Handle(self));
  return {
      [=](meet_atom, int other_color, const caf::actor& other) {
        CreatureState& state = self->state;
        state.color = Complement(state.color, other_color);
        ++state.meetings;
        self->send(other, change_atom::value, state.color);
        self->send(mall, meet_atom::value, state.color, Handle(self));
      },
      [=](change_atom, int new_color) {
        CreatureState& state = self->state;
        state.color = new_color;
        ++state.meetings;
        self->send(mall, meet_atom::value, state.color, Handle(self));
      },
      [=](stop_atom) {
        self->send(mall, count_atom::value, self->state.meetings);
        self->quit();
      },
  };
}

Outcome Chameneos(caf::actor_system& system, int64_t meetings) {
  Outcome outcome;
  int64_t total_meetings = -1;
  bench::Stopwatch watch;
  caf::actor mall = system.spawn(Mall, meetings, kChameneos, &total_meetings);
  for (int c = 0; c < kChameneos; ++c) system.spawn(Creature, mall, c % 3);
  system.await_all_actors_done();
  outcome.seconds = watch.Seconds();
  outcome.items = meetings;
  Verify(outcome, total_meetings == 2 * meetings, "wrong meeting count");
  return outcome;
}

// ---- bounded_buffer: 16 producers, 16 consumers, capacity 64; items = size

constexpr int kProducers = 16;
constexpr int kConsumers = 16;
constexpr size_t kBufferCapacity = 64;

struct ProducerState {
  int64_t made = 0;
  double sink = 0;
};

// Producer `index` makes index * per_producer + 1 ... (index + 1) *
// per_producer, one per request, then says it is done.
caf::behavior Producer(caf::stateful_actor<ProducerState>* self,
                       caf::actor manager, int index, int64_t per_producer) {
  return {[=](produce_atom) {
    ProducerState& state = self->state;
    if (state.made == per_producer) {
      self->send(manager, done_atom::value, index);
      self->quit();
      return;
    }
    state.sink += bench::Compute(static_cast<double>(state.made));
    self->send(manager, data_atom::value, index,
               index * per_producer + state.made + 1);
    ++state.made;
  }};
}

struct ConsumerState {
  int64_t consumed = 0;
  int64_t sum = 0;
  double sink = 0;
};

// results[0] = items consumed, results[1] = their sum.
caf::behavior Consumer(caf::stateful_actor<ConsumerState>* self,
                       caf::actor manager, int index, int64_t* results) {
  return {
      [=](data_atom, int64_t value) {
        ConsumerState& state = self->state;
        state.sink += bench::Compute(static_cast<double>(value));
        ++state.consumed;
        state.sum += value;
        self->send(manager, available_atom::value, index);
      },
      [=](stop_atom) {
        results[0] = self->state.consumed + (self->state.sink == -1.0);
        results[1] = self->state.sum;
        self->quit();
      },
  };
}

struct ManagerState {
  std::vector<caf::actor> producers;
  std::vector<caf::actor> consumers;
  std::deque<int64_t> pending;
  std::deque<int> idle_consumers;
  std::deque<int> blocked_producers;
  int exited_producers = 0;
};

caf::behavior BufferManager(caf::stateful_actor<ManagerState>* self,
                            int64_t per_producer, int64_t* results) {
  ManagerState& state = self->state;
  for (int c = 0; c < kConsumers; ++c) {
    state.consumers.push_back(
        self->spawn(Consumer, Handle(self), c, &results[c * kPad]));
    state.idle_consumers.push_back(c);
  }
  for (int p = 0; p < kProducers; ++p) {
    state.producers.push_back(
        self->spawn(Producer, Handle(self), p, per_producer));
    self->send(state.producers.back(), produce_atom::value);
  }
  auto maybe_finish = [=] {
    ManagerState& state = self->state;
    if (state.exited_producers == kProducers &&
        state.idle_consumers.size() == kConsumers) {
      for (const caf::actor& consumer : state.consumers) {
        self->send(consumer, stop_atom::value);
      }
      self->quit();
    }
  };
  return {
      [=](data_atom, int index, int64_t value) {
        ManagerState& state = self->state;
        if (!state.idle_consumers.empty()) {
          self->send(state.consumers[state.idle_consumers.front()],
                     data_atom::value, value);
          state.idle_consumers.pop_front();
        } else {
          state.pending.push_back(value);
        }
        if (state.pending.size() >= kBufferCapacity) {
          state.blocked_producers.push_back(index);
        } else {
          self->send(state.producers[index], produce_atom::value);
        }
      },
      [=](available_atom, int index) {
        ManagerState& state = self->state;
        if (state.pending.empty()) {
          state.idle_consumers.push_back(index);
          maybe_finish();
          return;
        }
        self->send(state.consumers[index], data_atom::value,
                   state.pending.front());
        state.pending.pop_front();
        if (!state.blocked_producers.empty()) {
          self->send(state.producers[state.blocked_producers.front()],
                     produce_atom::value);
          state.blocked_producers.pop_front();
        }
      },
      [=](done_atom, int) {
        ++self->state.exited_producers;
        maybe_finish();
      },
  };
}

Outcome BoundedBuffer(caf::actor_system& system, int64_t size) {
  Outcome outcome;
  const int64_t per_producer = size / kProducers;
  const int64_t total = per_producer * kProducers;
  std::vector<int64_t> results(kConsumers * kPad, 0);
  bench::Stopwatch watch;
  system.spawn(BufferManager, per_producer, results.data());
  system.await_all_actors_done();
  outcome.seconds = watch.Seconds();
  int64_t count = 0, sum = 0;
  for (int c = 0; c < kConsumers; ++c) {
    count += results[c * kPad];
    sum += results[c * kPad + 1];
  }
  outcome.items = total;
  Verify(outcome, count == total && sum == total * (total + 1) / 2,
         "wrong items consumed");
  return outcome;
}

// ---- idle_actor_memory: n actors waiting for a message ----------------------

caf::behavior IdleActor(caf::event_based_actor* self,
                        std::atomic<int64_t>* started) {
  // Relaxed: a count polled by main(), which orders nothing else by it.
  started->fetch_add(1, std::memory_order_relaxed);
  return {[=](int) { self->quit(); }};
}

Outcome IdleActorMemory(caf::actor_system& system, int64_t n) {
  Outcome outcome;
  std::atomic<int64_t> started{0};
  // The handles are the harness's: their pages are touched before the
  // baseline is taken.
  std::vector<caf::actor> actors(n);
  const int64_t rss_before = bench::CurrentRssKib();
  bench::Stopwatch watch;
  for (int64_t i = 0; i < n; ++i) actors[i] = system.spawn(IdleActor, &started);
  // Every actor has run its initialization and waits for a message.
  while (started.load(std::memory_order_relaxed) < n) std::this_thread::yield();
  outcome.seconds = watch.Seconds();
  const int64_t rss_after = bench::CurrentRssKib();
  for (const caf::actor& actor : actors) caf::anon_send(actor, 1);
  actors.clear();
  system.await_all_actors_done();
  outcome.items = n;
  outcome.extra.push_back(
      {"bytes_per_actor", (rss_after - rss_before) * 1024.0 / n});
  Verify(outcome, started.load() == n, "actors not started");
  return outcome;
}

bool RunWorkload(caf::actor_system& system, std::string_view workload,
                 int64_t size, Outcome* outcome) {
  if (workload == "counter_printer") {
    *outcome = CounterPrinter(system, size);
  } else if (workload == "ping_pong") {
    *outcome = PingPong(system, size);
  } else if (workload == "counting") {
    *outcome = Counting(system, size);
  } else if (workload == "thread_ring") {
    *outcome = ThreadRing(system, size);
  } else if (workload == "fork_join_throughput") {
    *outcome = ForkJoinThroughput(system, size);
  } else if (workload == "fork_join_creation") {
    *outcome = ForkJoinCreation(system, size);
  } else if (workload == "big") {
    *outcome = Big(system, size);
  } else if (workload == "chameneos") {
    *outcome = Chameneos(system, size);
  } else if (workload == "bounded_buffer") {
    *outcome = BoundedBuffer(system, size);
  } else if (workload == "idle_actor_memory") {
    *outcome = IdleActorMemory(system, size);
  } else {
    return false;
  }
  return true;
}

int Main() {
  const std::string workload = absl::GetFlag(FLAGS_workload);
  const int64_t size = absl::GetFlag(FLAGS_size);
  const int threads = absl::GetFlag(FLAGS_threads);
  const double min_seconds = absl::GetFlag(FLAGS_min_seconds);
  if (size <= 0 || threads <= 0 || !(min_seconds >= 0)) {
    std::fprintf(stderr,
                 "need --size > 0, --threads > 0 and --min_seconds >= 0\n");
    return 2;
  }
  caf::actor_system_config config;
  config.set("scheduler.max-threads", static_cast<size_t>(threads));
  bool known = true;
  // A fresh actor system for every repetition.
  const coactor::comparison::Repeated run =
      coactor::comparison::RepeatUntil(min_seconds, [&] {
        Outcome outcome;
        size_t workers = 0;
        {
          caf::actor_system system{config};
          workers = system.scheduler().num_workers();
          known = RunWorkload(system, workload, size, &outcome);
        }
        if (!known) {
          outcome.ok = false;  // Stops the repetitions.
        } else if (workers != static_cast<size_t>(threads)) {
          outcome.ok = false;
          outcome.error = "CAF started " + std::to_string(workers) + " workers";
        }
        return outcome;
      });
  if (!known) {
    std::fprintf(stderr, "unknown --workload=%s\n", workload.c_str());
    return 2;
  }
  const Outcome& outcome = run.outcome;
  bench::RunReport report;
  report.system = "caf";
  report.workload = workload;
  report.threads = threads;
  report.size = size;
  report.repetitions = run.repetitions;
  report.items = outcome.items;
  report.seconds = outcome.seconds;
  report.ok = outcome.ok;
  report.error = outcome.error;
  report.extra = outcome.extra;
  report.labels.push_back(
      {"caf_version", std::to_string(CAF_MAJOR_VERSION) + "." +
                          std::to_string(CAF_MINOR_VERSION) + "." +
                          std::to_string(CAF_PATCH_VERSION)});
  bench::PrintJson(report);
  return outcome.ok ? 0 : 1;
}

}  // namespace
}  // namespace caf_bench

int main(int argc, char** argv) {
  // The runner protocol spells it --min-seconds; an Abseil flag's name is
  // an identifier.
  std::vector<std::string> args(argv, argv + argc);
  std::vector<char*> spelled;
  for (std::string& arg : args) {
    if (arg.rfind("--min-seconds=", 0) == 0) arg[5] = '_';
    spelled.push_back(arg.data());
  }
  absl::ParseCommandLine(argc, spelled.data());
  return caf_bench::Main();
}
