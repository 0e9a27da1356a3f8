// RepeatUntil(): runs a comparison workload again and again within one
// process until its measured seconds add up to a minimum, so that a run
// whose size is too small for the machine of the moment still lasts long
// enough to measure. Each repetition is a call of `once`, which builds a
// fresh scheduler (or actor system), runs the workload on it and returns
// its verified Outcome; the totals add the repetitions up.
//
//   Repeated run = RepeatUntil(0.3, [&] {
//     DequeScheduler sched;  // Fresh for every repetition.
//     return PingPong(sched, n);
//   });
//   // run.outcome.items: all repetitions' items; .seconds: their measured
//   // seconds; items per second = items / seconds.
//
// Repetitions stop at the first that fails its verification; the totals
// then carry its error, naming the repetition. A minimum of 0 (or less)
// runs the workload once. The extra figures are the first repetition's: a
// later one reuses the memory the first one freed, so a figure such as RSS
// growth per actor would say nothing.
//
// Thread-safety: runs `once` on the calling thread; a plain function.
#ifndef COACTOR_BENCH_RUNNER_REPEAT_H_
#define COACTOR_BENCH_RUNNER_REPEAT_H_

#include <cstdint>
#include <string>
#include <utility>

#include "bench/runner/outcome.h"

namespace coactor::comparison {

struct Repeated {
  Outcome outcome;          // The totals (items, seconds) and the verdict.
  int64_t repetitions = 0;  // How many times the workload ran.
};

// RepeatUntil() calls once() -> Outcome until the outcomes' seconds add up
// to at least `min_seconds`, or one of them is not ok.
template <typename Once>
Repeated RepeatUntil(double min_seconds, Once once) {
  Repeated total;
  do {
    Outcome outcome = once();
    ++total.repetitions;
    total.outcome.items += outcome.items;
    total.outcome.seconds += outcome.seconds;
    if (total.repetitions == 1) total.outcome.extra = std::move(outcome.extra);
    total.outcome.ok = outcome.ok;
    if (!outcome.ok) {
      total.outcome.error = "repetition " + std::to_string(total.repetitions) +
                            ": " + outcome.error;
      break;
    }
    // A repetition that measured no time (a clock that did not move)
    // cannot make progress towards the minimum: stop rather than spin.
    if (outcome.seconds <= 0) break;
  } while (total.outcome.seconds < min_seconds);
  return total;
}

}  // namespace coactor::comparison

#endif  // COACTOR_BENCH_RUNNER_REPEAT_H_
