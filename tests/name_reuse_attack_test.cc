// Attacks on the name registry and name caches both schedulers share
// (runtime/internal/name_registry.h, name_cache.h): names of the edge sizes
// (8, 15, 16, 17 bytes, 1 MiB), names with NUL bytes, names that share a
// cache slot, names reused after their actor ends, the finished-name limit,
// and sends by name racing an actor's end and respawn on work stealing.
//
// NAME_REUSE_TRANSCRIPT=1 prints the deque program's full transcripts, to
// compare schedulers across versions.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
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
#include "runtime/internal/name_hash.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/sanitizer.h"

namespace coactor {
namespace {

// Names of every interesting shape; short names sharing one cache slot.
std::vector<std::string> Names() {
  std::vector<std::string> names = {"a",
                                    "ab",
                                    "abc",
                                    "abcd",
                                    "abcdefg",
                                    "abcdefgh",
                                    "abcdefghijklmno",
                                    "abcdefghijklmnop",
                                    "abcdefghijklmnopq",
                                    "abcdefghijklmnopr",
                                    std::string("x\0y", 3),
                                    std::string("x\0z", 3),
                                    std::string("\0", 1),
                                    std::string("abcdefgh\0", 9),
                                    std::string("abcdefgh\0\0", 10),
                                    std::string(300, 'L'),
                                    std::string(300, 'L') + "!",
                                    std::string(size_t{1} << 20, 'M')};
  // Four more names in the slot of "abcdefgh" (64 slots).
  internal::ShortName key;
  internal::ShortName::From("abcdefgh", &key);
  const size_t slot = key.CacheIndex<6>();
  for (int i = 0, found = 0; found < 4; ++i) {
    std::string name = absl::StrCat("w", i);
    internal::ShortName::From(name, &key);
    if (key.CacheIndex<6>() == slot) {
      names.push_back(name);
      ++found;
    }
  }
  return names;
}

std::string Printable(std::string_view name) {
  std::string out;
  if (name.size() > 40)
    return absl::StrCat("<", name.size(), " bytes ", std::string(1, name[0]),
                        ">");
  for (char c : name) out += c == '\0' ? std::string("\\0") : std::string(1, c);
  return out;
}

// Prints "<n bytes X>" for long texts (records cut names).
std::string Short(std::string text) {
  if (text.size() > 120)
    return absl::StrCat(text.substr(0, 60), "...<", text.size(), ">");
  std::string out;
  for (char c : text) out += c == '\0' ? std::string("\\0") : std::string(1, c);
  return out;
}

Actor<std::string> Worker(std::string tag, std::vector<std::string>* log) {
  for (;;) {
    std::string message = co_await Receive<std::string>();
    if (message == "throw") throw std::runtime_error("thrown by " + tag);
    if (message == "end") co_return;
    if (message == "sleep") {
      co_await Sleep(absl::Seconds(1));
      continue;
    }
    log->push_back(absl::StrCat(tag, " got ", message));
  }
}

Actor<Down> Watcher(std::vector<std::string>* log) {
  for (;;) {
    Down down = co_await Receive<Down>();
    log->push_back(absl::StrCat("down ", Short(down.actor), " ",
                                Short(down.reason.ToString()), " name ",
                                Printable(down.name)));
  }
}

// A message whose destructor, unless moved from, sends its text to a name
// (of a std::string actor, or of none): dead letters' and stashed
// messages' destructors send while an actor ends.
struct Noisy {
  Noisy() = default;
  Noisy(DequeScheduler* sched, std::string to, std::string text)
      : sched(sched), to(std::move(to)), text(std::move(text)) {}
  Noisy(Noisy&& other) noexcept
      : sched(std::exchange(other.sched, nullptr)),
        to(std::move(other.to)),
        text(std::move(other.text)) {}
  Noisy& operator=(Noisy&& other) noexcept {
    if (this != &other) {
      Fire();
      sched = std::exchange(other.sched, nullptr);
      to = std::move(other.to);
      text = std::move(other.text);
    }
    return *this;
  }
  ~Noisy() { Fire(); }
  void Fire() {
    if (sched != nullptr) {
      std::exchange(sched, nullptr)
          ->Send(to, absl::StrCat("echo of ", text))
          .IgnoreError();
    }
  }
  DequeScheduler* sched = nullptr;
  std::string to;
  std::string text;
};

Actor<Noisy> NoisyWorker(std::string tag, std::vector<std::string>* log) {
  for (;;) {
    Noisy message = co_await Receive<Noisy>();
    if (message.text == "throw") throw std::runtime_error("thrown by " + tag);
    if (message.text == "end") co_return;
    if (message.text == "sleep") {
      co_await Sleep(absl::Seconds(1));
      continue;
    }
    log->push_back(absl::StrCat(tag, " got noisy ", message.text));
  }
}

// One random program on a deque: spawns, sends by name and by reference,
// ends (by exception, with messages stashed or queued), record limits.
// Its transcript (statuses, deliveries, Downs, records).
std::vector<std::string> DequeProgram(uint32_t seed) {
  const std::vector<std::string> names = Names();
  std::vector<std::string> log;
  ManualClock clock;
  {
    DequeScheduler sched(clock);
    std::mt19937 rng(seed);
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    ActorRef<Down> watcher = sched.Spawn(Watcher(&log));
    std::vector<ActorRef<std::string>> refs;
    const char* commands[] = {"throw", "end", "sleep"};
    for (int step = 0; step < 300; ++step) {
      const std::string& name = names[pick(names.size())];
      const std::string noisy_name = absl::StrCat("noisy", pick(3));
      switch (pick(13)) {
        case 10: {
          auto spawned = sched.Spawn(noisy_name, NoisyWorker(noisy_name, &log));
          log.push_back(absl::StrCat("spawn ", noisy_name, ": ",
                                     Short(spawned.status().ToString())));
          if (spawned.ok()) sched.Monitor(*spawned, watcher).IgnoreError();
          break;
        }
        case 11:
        case 12: {
          std::string text =
              pick(4) == 0 ? std::string(commands[pick(3)])
                           : absl::StrCat("noisy-", step, "-longer-than-sso");
          log.push_back(absl::StrCat(
              "send ", noisy_name, " ", text, ": ",
              Short(sched.Send(noisy_name, Noisy(&sched, name, text))
                        .ToString())));
          break;
        }
        case 0:
        case 1: {
          auto spawned = sched.Spawn(name, Worker(Printable(name), &log));
          log.push_back(absl::StrCat("spawn ", Printable(name), ": ",
                                     Short(spawned.status().ToString())));
          if (spawned.ok()) {
            refs.push_back(*spawned);
            sched.Monitor(*spawned, watcher).IgnoreError();
          }
          break;
        }
        case 2:
        case 3:
        case 4: {
          std::string message =
              pick(4) == 0 ? std::string(commands[pick(3)])
                           : absl::StrCat("message-", step, "-longer-than-sso");
          log.push_back(
              absl::StrCat("send ", Printable(name), " ", message, ": ",
                           Short(sched.Send(name, message).ToString())));
          break;
        }
        case 5:
          if (!refs.empty()) {
            log.push_back(absl::StrCat(
                "send ref: ", Short(sched
                                        .Send(refs[pick(refs.size())],
                                              absl::StrCat("by-ref-", step,
                                                           "-longer-than-sso"))
                                        .ToString())));
          }
          break;
        case 6: {
          auto found = sched.Find<std::string>(name);
          log.push_back(absl::StrCat("find ", Printable(name), ": ",
                                     Short(found.status().ToString())));
          break;
        }
        case 7:
          sched.SetRecordLimits(RecordLimits{.dead_letters = 4 + pick(8),
                                             .failures = 1 + pick(3),
                                             .finished_names = pick(4)});
          break;
        default:
          log.push_back(absl::StrCat("ran ", sched.RunFor(1 + pick(6))));
          break;
      }
    }
    sched.Run().IgnoreError();
    log.push_back(absl::StrCat("live ", sched.live_actors(), " delivered ",
                               sched.messages_delivered(), " letters ",
                               sched.dead_letters_recorded(), " failures ",
                               sched.failures_recorded()));
    for (const DeadLetter& letter : sched.dead_letters()) {
      const std::string* text = letter.message.get_if<std::string>();
      const Noisy* noisy = letter.message.get_if<Noisy>();
      log.push_back(absl::StrCat("letter ", Short(letter.recipient), " ",
                                 Short(letter.reason.ToString()), " ",
                                 text    ? *text
                                 : noisy ? "noisy " + noisy->text
                                         : std::string("(neither)")));
    }
    for (const ActorFailure& failure : sched.failures()) {
      log.push_back(
          absl::StrCat("failure ", Short(failure.actor), " ", failure.what));
    }
  }
  return log;
}

// FNV-1a, stable across runs and builds (absl::Hash is not).
uint64_t Fnv(uint64_t hash, std::string_view text) {
  for (char c : text) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
  }
  return (hash ^ 0xFF) * 0x100000001B3ull;  // Line end.
}

// The transcripts of 60 programs, digested, as 2e2a007 (before issue 17's
// shared registry, caches and EndActor()) gives them: a change of any
// status, delivery, Down or record shows here (print the transcripts with
// NAME_REUSE_TRANSCRIPT=1 and compare with that version's).
TEST(NameReuseAttackTest, DequeRandomProgramsAsBefore) {
  const bool print = std::getenv("NAME_REUSE_TRANSCRIPT") != nullptr;
  const char* seeds = std::getenv("NAME_REUSE_SEEDS");
  const uint32_t last = seeds != nullptr ? std::atoi(seeds) : 60;
  uint64_t digest = 0xCBF29CE484222325ull;
  for (uint32_t seed = 1; seed <= last; ++seed) {
    for (const std::string& line : DequeProgram(seed)) {
      if (print) std::printf("%u| %s\n", seed, line.c_str());
      digest = Fnv(digest, line);
    }
  }
  std::printf("digest %016llx\n", static_cast<unsigned long long>(digest));
  if (seeds == nullptr) EXPECT_EQ(digest, 0x57b9b593eab3973dull);
}

// ---- Work stealing: sends by name racing an actor's end and respawn -------

struct Counts {
  std::atomic<int64_t> got{0}, ends{0}, ok{0}, err{0}, downs{0}, spawns{0};
};

Actor<int> Target(Counts* counts) {
  for (;;) {
    const int message = co_await Receive<int>();
    if (message < 0) {
      counts->ends.fetch_add(1);
      if (message == -2) throw std::runtime_error(std::string(40, 'x'));
      co_return;
    }
    counts->got.fetch_add(1);
  }
}

Actor<int> Sender(WorkStealingScheduler& sched, std::string name,
                  Counts* counts) {
  for (;;) {
    const int n = co_await Receive<int>();
    for (int i = 0; i < n; ++i) {
      (sched.Send(name, 1).ok() ? counts->ok : counts->err).fetch_add(1);
    }
  }
}

Actor<Down> CountsDowns(Counts* counts) {
  for (;;) {
    co_await Receive<Down>();
    counts->downs.fetch_add(1);
  }
}

// Each round: stops the actor called `name` (-1, or -2: by exception) and
// spawns its successor as soon as the name is free.
Actor<int> Restarter(WorkStealingScheduler& sched, std::string name,
                     Counts* counts, ActorRef<Down> watcher) {
  for (;;) {
    const int round = co_await Receive<int>();
    sched.Send(name, round % 2 == 0 ? -1 : -2).IgnoreError();
    for (;;) {
      auto spawned = sched.Spawn(name, Target(counts));
      if (spawned.ok()) {
        sched.Monitor(*spawned, watcher).IgnoreError();
        counts->spawns.fetch_add(1);
        break;
      }
      co_await Yield();
    }
  }
}

// Every send accounted for exactly: delivered once or one dead letter;
// every incarnation's end seen once, by its monitor too.
void RaceEndAndRespawn(int workers, const std::string& name, int rounds,
                       int senders, int per_round) {
  SCOPED_TRACE(absl::StrCat(workers, " workers, name ", Printable(name)));
  Counts counts;
  WorkStealingScheduler sched(workers);
  sched.SetRecordLimits(RecordLimits{.dead_letters = size_t{1} << 24,
                                     .failures = size_t{1} << 24});
  ActorRef<Down> watcher = sched.Spawn(CountsDowns(&counts));
  auto first = sched.Spawn(name, Target(&counts));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(sched.Monitor(*first, watcher).ok());
  std::vector<ActorRef<int>> sender_refs;
  for (int i = 0; i < senders; ++i) {
    sender_refs.push_back(sched.Spawn(Sender(sched, name, &counts)));
  }
  ActorRef<int> restarter =
      sched.Spawn(Restarter(sched, name, &counts, watcher));
  for (int round = 0; round < rounds; ++round) {
    for (const ActorRef<int>& sender : sender_refs) {
      ASSERT_TRUE(sched.Send(sender, per_round).ok());
    }
    ASSERT_TRUE(sched.Send(restarter, round).ok());
    ASSERT_TRUE(sched.Run().ok());
  }
  int64_t ones = 0, stops = 0, downs_kept = 0;
  for (const DeadLetter& letter : sched.TakeDeadLetters()) {
    if (const int* value = letter.message.get_if<int>()) {
      (*value == 1 ? ones : stops) += 1;
    } else if (letter.message.get_if<Down>() != nullptr) {
      ++downs_kept;
    }
  }
  const int64_t sent = int64_t{rounds} * senders * per_round;
  EXPECT_EQ(counts.ok + counts.err, sent);
  EXPECT_EQ(counts.got + ones, sent);
  EXPECT_EQ(counts.spawns, rounds);
  EXPECT_EQ(counts.ends + stops, rounds);
  EXPECT_EQ(counts.downs, counts.ends);
  EXPECT_EQ(downs_kept, 0);
  // Ends by exception: the odd rounds' stops that ended an incarnation.
  EXPECT_LE(sched.failures_recorded(), static_cast<uint64_t>(counts.ends));
  EXPECT_EQ(sched.live_actors(), 2u + senders + 1u);
}

int RaceRounds() {
  const char* rounds = std::getenv("NAME_REUSE_ROUNDS");
#if defined(COACTOR_TEST_TSAN) || defined(COACTOR_TEST_ASAN)
  constexpr int kRounds = 15;  // 5-20x slower there.
#else
  constexpr int kRounds = 40;
#endif
  return rounds != nullptr ? std::atoi(rounds) : kRounds;
}

TEST(NameReuseAttackTest, WorkStealingSendsByNameRaceEndAndRespawn) {
  const std::vector<std::string> names = {
      "abcdefgh",          "abcdefghijklmno",      "abcdefghijklmnop",
      "abcdefghijklmnopq", std::string("x\0y", 3), std::string(300, 'L')};
  for (int workers : {2, 4}) {
    for (const std::string& name : names) {
      RaceEndAndRespawn(workers, name, RaceRounds(), 3, 40);
    }
  }
}

// The same with many names sharing one slot of every worker's cache, all
// racing at once; and a finished-name limit of 0 (every end forgets).
TEST(NameReuseAttackTest, WorkStealingSlotSharersRaceEndAndRespawn) {
  std::vector<std::string> names = Names();
  names.erase(names.begin(), names.end() - 4);  // The four slot sharers.
  names.push_back("abcdefgh");
  for (int workers : {2, 4}) {
    Counts counts;
    WorkStealingScheduler sched(workers);
    sched.SetRecordLimits(
        RecordLimits{.dead_letters = size_t{1} << 24, .finished_names = 0});
    ActorRef<Down> watcher = sched.Spawn(CountsDowns(&counts));
    std::vector<ActorRef<int>> senders, restarters;
    for (const std::string& name : names) {
      auto first = sched.Spawn(name, Target(&counts));
      ASSERT_TRUE(first.ok());
      ASSERT_TRUE(sched.Monitor(*first, watcher).ok());
      senders.push_back(sched.Spawn(Sender(sched, name, &counts)));
      restarters.push_back(
          sched.Spawn(Restarter(sched, name, &counts, watcher)));
    }
    const int rounds = RaceRounds();
    for (int round = 0; round < rounds; ++round) {
      for (size_t i = 0; i < names.size(); ++i) {
        ASSERT_TRUE(sched.Send(senders[i], 30).ok());
        ASSERT_TRUE(sched.Send(restarters[i], round).ok());
      }
      ASSERT_TRUE(sched.Run().ok());
    }
    int64_t ones = 0, stops = 0;
    for (const DeadLetter& letter : sched.TakeDeadLetters()) {
      if (const int* value = letter.message.get_if<int>()) {
        (*value == 1 ? ones : stops) += 1;
      }
    }
    const int64_t sent = int64_t{rounds} * 30 * names.size();
    EXPECT_EQ(counts.ok + counts.err, sent);
    EXPECT_EQ(counts.got + ones, sent);
    EXPECT_EQ(counts.spawns, int64_t{rounds} * names.size());
    EXPECT_EQ(counts.ends + stops, int64_t{rounds} * names.size());
    EXPECT_EQ(counts.downs, counts.ends);
  }
}

}  // namespace
}  // namespace coactor
