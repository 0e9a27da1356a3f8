// Your own workload in coactor's comparison: a runner that registers it by
// name and hands the registry to coactor's RunnerMain, which speaks the
// protocol //bench:compare runs (README, "Adding your own workload to the
// comparison"). Build it with --config=opt and name it on compare's
// command line; compare runs it on both of coactor's schedulers.
#include <cstdint>
#include <string>
#include <utility>

#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "bench/runner/runner.h"
#include "runtime/scheduler.h"

namespace {

constexpr int kStages = 4;

// A stage forwards every word to `next`; an empty word ends the relay.
template <coactor::Scheduler Sched>
coactor::Actor<std::string> Stage(Sched& sched,
                                  coactor::ActorRef<std::string> next) {
  for (;;) {
    std::string word = co_await coactor::Receive<std::string>();
    const bool last = word.empty();
    sched.Send(next, std::move(word)).IgnoreError();
    if (last) co_return;
  }
}

// The end of the line counts the words and their letters.
coactor::Actor<std::string> Sink(int64_t& words, int64_t& letters) {
  for (;;) {
    std::string word = co_await coactor::Receive<std::string>();
    if (word.empty()) co_return;
    ++words;
    letters += static_cast<int64_t>(word.size());
  }
}

// word_relay: n words, each longer than the small-string buffer, pass
// through 4 stages to a sink; items = 4n messages.
template <coactor::Scheduler Sched>
coactor::comparison::Outcome WordRelay(Sched& sched, int64_t n) {
  int64_t words = 0, letters = 0;
  coactor::ActorRef<std::string> next = sched.Spawn(Sink(words, letters));
  for (int s = 0; s < kStages; ++s) next = sched.Spawn(Stage(sched, next));
  int64_t expected_letters = 0;
  for (int64_t i = 0; i < n; ++i) {
    std::string word = "word number " + std::to_string(i) + " of the relay";
    expected_letters += static_cast<int64_t>(word.size());
    sched.Send(next, std::move(word)).IgnoreError();
  }
  sched.Send(next, std::string()).IgnoreError();
  coactor::comparison::Outcome outcome;
  const bool ran = sched.Run().ok();
  outcome.items = kStages * n;
  outcome.ok = ran && words == n && letters == expected_letters &&
               sched.live_actors() == 0;
  if (!outcome.ok) outcome.error = "lost words";
  return outcome;  // seconds == 0: RunnerMain times the whole call.
}

}  // namespace

int main(int argc, char** argv) {
  coactor::comparison::WorkloadRegistry workloads;
  workloads.Add(
      {.name = "word_relay",
       .unit = "msgs",
       .full_size = 200'000,
       .quick_size = 1'000,
       .description = "n words (std::strings of about 30 letters) pass "
                      "through 4 forwarding actors to a counting "
                      "one; counts 4n messages."},
      [](auto& sched, int64_t n) { return WordRelay(sched, n); });
  return coactor::comparison::RunnerMain(workloads, argc, argv);
}
