// Sleep(duration) suspends the awaiting actor or task until the scheduler's
// clock has advanced by `duration`; the rest of the system keeps running
// (asyncio.sleep). Yield() (= Sleep(0)) gives way to everything already
// queued and continues in the next round of the loop. While an actor
// sleeps, messages sent to it wait for its next Receive().
// Sleep(absl::InfiniteDuration()) never ends, even on a ManualClock, and
// Run() does not wait for it.
//
//   co_await coactor::Sleep(absl::Milliseconds(10));
//
// Thread-safety: awaited inside a coroutine on a scheduler.
#ifndef COACTOR_ACTORS_SLEEP_H_
#define COACTOR_ACTORS_SLEEP_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <coroutine>

#include "absl/time/time.h"
#include "actors/internal/actor_blocking.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/runtime.h"

namespace coactor {

class [[nodiscard]] Sleep : public internal::ContextBound {
 public:
  explicit Sleep(absl::Duration duration) : duration_(duration) {}

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> handle) {
    internal::Runtime* runtime = context_.runtime;
    internal::ActorCell* cell = context_.cell;
    internal::BlockActor(*cell);
    if (duration_ <= absl::ZeroDuration()) {
      internal::WakeActor(*runtime, *cell, handle);
    } else {
      runtime->AddTimer(runtime->Now() + duration_, [runtime, cell, handle] {
        internal::WakeActor(*runtime, *cell, handle);
      });
    }
  }
  void await_resume() const noexcept {}

 private:
  absl::Duration duration_;
};

inline Sleep Yield() { return Sleep(absl::ZeroDuration()); }

}  // namespace coactor

#endif  // COACTOR_ACTORS_SLEEP_H_
