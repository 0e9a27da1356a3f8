// Runtime is what awaitables other than Receive() need from a scheduler:
// the time, timers, waking a suspended actor, and spawning the runner of a
// task. Each scheduler implements it; actor code never sees it. Every call
// here is off the message hot path, so a virtual interface costs nothing
// that matters and keeps awaitables independent of the scheduler type.
//
// ExecutionContext names where a coroutine runs: its scheduler and the cell
// (actor) that owns the chain of coroutines it belongs to. Awaitables that
// suspend bind to it through the promise's await_transform.
//
// Thread-safety: Wake() and AddTimer() are thread-safe on schedulers that
// are; see each scheduler.
#ifndef COACTOR_ACTORS_INTERNAL_RUNTIME_H_
#define COACTOR_ACTORS_INTERNAL_RUNTIME_H_

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace coactor {

template <typename Msg>
class Actor;

namespace internal {

struct ActorCell;
struct SendWaiter;
struct SendTarget;

// Stands for "no messages" in actors that only run a task.
struct NoMessage {};

using TimerId = uint64_t;

// A timer that is never cancelled: when due, it calls `fire(*this)` only if
// `*word` still holds `token` (fire must re-check, racing whoever changes
// the word). Changing the word (an ask's reply does) disarms the timer
// without touching the timer queue.
struct GuardedTimer {
  std::atomic<uint64_t>* word = nullptr;
  uint64_t token = 0;
  void (*fire)(const GuardedTimer& timer) = nullptr;
  void* argument = nullptr;
};

// The timeout, in nanoseconds, of an ask whose timeout is infinite (or too
// long for int64 nanoseconds): the timer queue never keeps its timer.
inline constexpr int64_t kInfiniteTimeout = std::numeric_limits<int64_t>::max();

// Whether `timer` still guards a pending ask. Relaxed: a stale answer errs
// only towards keeping the timer, and its fire function re-checks with a
// compare-and-swap.
inline bool IsArmed(const GuardedTimer& timer) {
  return timer.word->load(std::memory_order_relaxed) == timer.token;
}

// Copies `from` into `to` field by field: copying a whole struct that was
// just built from narrower stores stalls store-to-load forwarding.
inline void CopyGuardedTimer(const GuardedTimer& from, GuardedTimer& to) {
  to.word = from.word;
  to.token = from.token;
  to.fire = from.fire;
  to.argument = from.argument;
}

class Runtime {
 public:
  virtual ~Runtime() = default;

  virtual absl::Time Now() = 0;

  // Resumes `handle` (suspended inside the actor of `cell`, which must be
  // blocked on it) from the scheduler's loop, never inline.
  virtual void Wake(ActorCell* cell, std::coroutine_handle<> handle) = 0;

  // Calls `fire` from the scheduler's loop once the clock reaches
  // `deadline`, unless cancelled first (the schedulers' public
  // CancelTimer(), by the coactor::TimerId made of this id). Timers due at
  // the same time fire in the order they were added.
  virtual TimerId AddTimer(absl::Time deadline,
                           absl::AnyInvocable<void()> fire) = 0;
  // Arms `timer` to be due `timeout_nanos` from now (see GuardedTimer):
  // never earlier by the clock that fires it, possibly a little later (the
  // deque scheduler takes the time at its next timer check, at most 256
  // deliveries on). A stale one is dropped without firing and does not keep
  // the scheduler from quiescence.
  virtual void AddGuardedTimer(int64_t timeout_nanos,
                               const GuardedTimer& timer) = 0;

  // Admits an anonymous actor that runs a task (see join_handle.h).
  virtual void SpawnRunner(Actor<NoMessage> runner) = 0;

  // Bounded mailboxes (actors/send_when_room.h): queues the message
  // `waiter` holds for the actor of (`to`, `generation`) as a send does,
  // or, that mailbox being full with WhenFull::kBackpressure, links
  // `waiter` to be woken once it is queued (or refused): true, suspend.
  // False: done, waiter->result says how.
  virtual bool SendOrWait(ActorCell* to, uint32_t generation,
                          SendWaiter* waiter) = 0;
  // SendOrWait()'s first try, before the sender suspends: queues the
  // message as SendOrWait() does unless it would wait (then false, and
  // nothing was done: not even counted). True: done, waiter->result says
  // how.
  virtual bool SendIfRoom(ActorCell* to, uint32_t generation,
                          SendWaiter* waiter) = 0;
  // SendWhenRoom() by name: the live actor registered as `name` if it takes
  // the message `waiter` holds (of its type, or an alternative of its
  // variant): true, `target` set. False: none (no such name, finished, the
  // wrong type, shut down): waiter->result is the error Send(name) would
  // return, and the message a dead letter.
  virtual bool FindForSend(std::string_view name, SendWaiter* waiter,
                           SendTarget* target) = 0;
  // Unlinks `waiter` (its owner gives up: its frame is destroyed); true if
  // it was still linked, so that nothing will wake it.
  virtual bool WithdrawWaiter(ActorCell* to, SendWaiter* waiter) = 0;

  // An ask's arrow in the scheduler's trace (ask.h). TracingAsks(): one
  // relaxed load, so that an ask pays a load and a branch when no trace is
  // on. From the asker's turn: TraceAskSent() once its request (named
  // `request`, a type's name, which outlives the trace) went out and it
  // waits; TraceAskAnswered() in the turn its answer resumed, `outcome`
  // OK for a reply, DeadlineExceeded for a timeout, else the error. `id`
  // tells the asks apart while they wait (below 2^53).
  bool TracingAsks() const {
    // Relaxed: a hint; an ask that sees it late is traced in part (see
    // StartTrace()).
    return tracing_asks_.load(std::memory_order_relaxed);
  }
  virtual void TraceAskSent(uint64_t id, std::string_view request) = 0;
  virtual void TraceAskAnswered(uint64_t id, std::string_view request,
                                const absl::Status& outcome) = 0;

 protected:
  // For the scheduler, as its trace starts and stops.
  void SetTracingAsks(bool on) {
    // Relaxed: see TracingAsks().
    tracing_asks_.store(on, std::memory_order_relaxed);
  }

 private:
  std::atomic<bool> tracing_asks_{false};
};

// For awaitables that know their scheduler's type (an ask): calls its
// Runtime methods directly, so that a final scheduler's are not virtual
// calls, and tells whether it runs every actor on one thread
// (Sched::kSingleThreaded). Schedulers befriend it.
struct RuntimeAccess {
  template <typename Sched>
  static constexpr bool kSingleThreaded = Sched::kSingleThreaded;
  template <typename Sched>
  static Runtime* AsRuntime(Sched& sched) {
    return &sched;
  }

  template <typename Sched>
  static void AddGuardedTimer(Sched& sched, int64_t timeout_nanos,
                              const GuardedTimer& timer) {
    sched.AddGuardedTimer(timeout_nanos, timer);
  }
};

struct ExecutionContext {
  Runtime* runtime = nullptr;
  ActorCell* cell = nullptr;
};

// Base of awaitables that need the context of the coroutine awaiting them;
// promises call Bind() from await_transform.
class ContextBound {
 public:
  void Bind(const ExecutionContext& context) { context_ = context; }

 protected:
  ExecutionContext context_;
};

// Base of awaitables that only describe what to await (an ask): the
// promise's await_transform returns `std::move(x).AwaitIn(context)`, an
// awaiter built in place in the coroutine frame. g++ 12 copies an awaiter
// that await_transform returns by reference (ContextBound's way), which
// for an ask meant building, moving and destroying its state twice.
class DescribesAwait {};

template <typename T>
concept AwaitDescription =
    std::is_base_of_v<DescribesAwait, std::remove_cvref_t<T>>;

// What the promises' await_transform makes of a description: its awaiter,
// a prvalue (so built in place in the awaiting frame).
template <AwaitDescription Description>
auto AwaitDescribed(Description&& description,
                    const ExecutionContext& context) {
  static_assert(!std::is_lvalue_reference_v<Description>,
                "an Ask(...) request is used up when awaited: co_await it "
                "directly, or std::move it");
  return std::forward<Description>(description).AwaitIn(context);
}

// Whether await_transform passes `T` on by reference (ContextBound) or
// turns it into an awaiter (DescribesAwait).
template <typename T>
concept NeedsContext =
    std::is_base_of_v<ContextBound, std::remove_cvref_t<T>> ||
    AwaitDescription<T>;

}  // namespace internal
}  // namespace coactor

#endif  // COACTOR_ACTORS_INTERNAL_RUNTIME_H_
