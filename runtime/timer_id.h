// TimerId names a delayed send, for cancelling it: SendAfter() returns one
// and CancelTimer() takes it. A default-constructed TimerId names no timer;
// cancelling it does nothing (false).
//
//   coactor::TimerId reminder =
//       sched.SendAfter(absl::Seconds(5), ref, Ping{});
//   ...
//   if (sched.CancelTimer(reminder)) { /* Ping will not be sent */ }
//
// Thread-safety: a plain value; copy it freely. It means something only to
// the scheduler that returned it.
#ifndef COACTOR_RUNTIME_TIMER_ID_H_
#define COACTOR_RUNTIME_TIMER_ID_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <cstdint>
#include <utility>

namespace coactor {
namespace internal {
struct TimerIdAccess;
}  // namespace internal

class TimerId {
 public:
  constexpr TimerId() = default;

  friend constexpr bool operator==(TimerId, TimerId) = default;
  // For absl::flat_hash_map and friends.
  template <typename H>
  friend H AbslHashValue(H state, TimerId id) {
    return H::combine(std::move(state), id.value_);
  }

 private:
  friend struct internal::TimerIdAccess;
  explicit constexpr TimerId(uint64_t value) : value_(value) {}

  // The scheduler's timer queue numbers timers from 1; 0 is none.
  uint64_t value_ = 0;
};

namespace internal {

// Lets schedulers make and read TimerIds; not for users. (Qualified:
// internal::TimerId is the timer queue's plain number.)
struct TimerIdAccess {
  static constexpr coactor::TimerId Make(uint64_t value) {
    return coactor::TimerId(value);
  }
  static constexpr uint64_t Value(coactor::TimerId id) { return id.value_; }
};

}  // namespace internal
}  // namespace coactor

#endif  // COACTOR_RUNTIME_TIMER_ID_H_
