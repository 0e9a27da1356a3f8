// TickClock reads a cheap, monotonic tick counter for timing actor turns:
// the processor's time-stamp counter on x86-64 (one instruction, no system
// call; invariant on the processors Linux trusts it on), the steady clock
// elsewhere. Ticks become nanoseconds only when a snapshot is taken, with a
// rate measured once against the steady clock.
//
//   const uint64_t start = TickClock::Now();
//   ...  // The turn.
//   counters.AddTurn(TickClock::Now() - start);
//   uint64_t nanos = TickClock::ToNanos(ticks);
//
// Thread-safety: all thread-safe. ToNanos() measures the rate at its first
// call (about 10 ms, once per process).
#ifndef COACTOR_RUNTIME_INTERNAL_TICK_CLOCK_H_
#define COACTOR_RUNTIME_INTERNAL_TICK_CLOCK_H_

#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace coactor::internal {

class TickClock {
 public:
  static uint64_t Now() {
#if defined(__x86_64__)
    return __rdtsc();
#else
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
#endif
  }

  static uint64_t ToNanos(uint64_t ticks) {
    return static_cast<uint64_t>(static_cast<double>(ticks) * NanosPerTick());
  }

 private:
  static double NanosPerTick() {
#if defined(__x86_64__)
    static const double rate = [] {
      using Steady = std::chrono::steady_clock;
      const Steady::time_point start = Steady::now();
      const uint64_t start_ticks = Now();
      Steady::time_point end;
      do {
        end = Steady::now();
      } while (end - start < std::chrono::milliseconds(10));
      const uint64_t ticks = Now() - start_ticks;
      const double nanos = static_cast<double>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(end - start)
              .count());
      return ticks == 0 ? 1.0 : nanos / static_cast<double>(ticks);
    }();
    return rate;
#else
    return 1.0;
#endif
  }
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_TICK_CLOCK_H_
