// Worker is one of WorkStealingScheduler's threads and what it owns: its
// Chase-Lev deque of runnable actors and its `runnext` slot, its outbox of
// held-back sends (with the lock an idle worker takes to hand them over),
// its cache of name look-ups, its picks and random numbers for stealing,
// and the counters that tell idle workers whether it is stuck in one
// handler. StealingCell is an actor's cell on that scheduler.
//
//   Worker* worker = Worker::Current(scheduler);  // Null off its workers.
//   if (worker != nullptr && worker->running == cell) ...
//
// Thread-safety: a Worker belongs to its thread ("owner only" below) but
// for what other workers read or take: deque (steal), runnext (TrySteal),
// outbox under outbox_lock (visits), outbox_pending, progress, delivered,
// steals, parks (relaxed hints and statistics), and Unpark().
#ifndef COACTOR_RUNTIME_INTERNAL_WORKER_H_
#define COACTOR_RUNTIME_INTERNAL_WORKER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/internal/actor_mailbox.h"
#include "runtime/internal/biased_lock.h"
#include "runtime/internal/chase_lev_deque.h"
#include "runtime/internal/name_cache.h"
#include "runtime/internal/name_registry.h"
#include "runtime/internal/outbox.h"
#include "runtime/internal/runnext_slot.h"

namespace coactor::internal {

// An actor's cell on the work-stealing scheduler: its mailbox and
// activation protocol.
struct StealingCell : ActorMailbox {};
// A spawn storm holds millions of cells at once; what only bounded actors
// need goes in their MailboxLimit, sampled metrics out of line
// (ActorCounters), not here (a 64-bit build).
static_assert(sizeof(void*) != 8 || sizeof(StealingCell) <= 160,
              "StealingCell grew: every live actor pays for it");

// A cell and the generation of the actor meant (a registry entry).
using CellEntry = NameEntry<StealingCell>;

class Worker {
 public:
  // A worker's cache of registry look-ups, so that sends by name take no
  // lock: a slot is valid while the registry's version is the one it was
  // filled at. (Liveness is still checked when the message is handed
  // over.)
  using NameCache = internal::NameCache<CellEntry, /*kVersioned=*/true>;

  // How this worker last saw another, while idle (see
  // WorkStealingScheduler::WatchBusyWorkers()).
  struct Sighting {
    uint32_t progress = 0;
    uint64_t delivered = 0;
    // When to take over what it holds back if it has not moved on by then,
    // and how long to wait after that if the take-over finds the worker in
    // the middle of a send (or the OS has it off its CPU).
    int64_t act_at_nanos = 0;
    int64_t backoff_nanos = 0;
  };

  // `owner` identifies the scheduler (Current() matches it); `workers`
  // counts them all; `seed` starts the random numbers.
  Worker(const void* owner, uint64_t seed, size_t workers)
      : seen(workers), owner_(owner), random_state_(seed) {}
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The calling thread's worker if it is one of `owner`'s, else nullptr.
  // Out of line on purpose: inlined into an actor's coroutine, clang 16
  // -O2 computes the thread-local's address once, keeps it in the
  // coroutine frame and uses it after a co_await that resumed the actor on
  // another worker: sends then went into the first worker's outbox, racing
  // with it (messages delivered twice, corrupted outboxes). That is
  // llvm-project issues #47179 and #63022; tests/actor_migration_test
  // guards it.
  static Worker* Current(const void* owner);
  // Makes this the calling thread's worker (nullptr: none), for its
  // thread's main function.
  static void SetCurrent(Worker* worker);

  // Owner only: a new turn, or a flush a flood forced (see `progress`).
  void Progress() {
    // Relaxed: owner-only writes; readers only ask "has it moved on?".
    progress.store(progress.load(std::memory_order_relaxed) + 1,
                   std::memory_order_relaxed);
  }
  // Owner only: counts a delivered message.
  void CountDelivered() {
    // Relaxed: a statistic written only by this worker.
    delivered.store(delivered.load(std::memory_order_relaxed) + 1,
                    std::memory_order_relaxed);
  }
  // Owner only: one more of `counter` (steals, parks).
  static void Count(std::atomic<uint64_t>& counter) {
    // Relaxed: a statistic written only by this worker.
    counter.store(counter.load(std::memory_order_relaxed) + 1,
                  std::memory_order_relaxed);
  }
  // Owner only: xorshift64, to pick where to start stealing.
  uint64_t NextRandom() {
    random_state_ ^= random_state_ << 13;
    random_state_ ^= random_state_ >> 7;
    random_state_ ^= random_state_ << 17;
    return random_state_;
  }
  // Owner only: the actor to run from this worker's own queues (runnext,
  // then the deque's new end), or nullptr.
  StealingCell* TakeOwnWork() {
    if (StealingCell* cell = runnext.Take()) return cell;
    if (std::optional<StealingCell*> cell = deque.Pop()) return *cell;
    return nullptr;
  }
  // Owner only: moves the runnext actor, if any, to the deque, where idle
  // workers can steal it; true if it moved one.
  bool SpillRunnext() {
    StealingCell* cell = runnext.Take();
    if (cell == nullptr) return false;
    deque.Push(cell);
    return true;
  }
  // Owner only: an actor stolen from the old end of another worker's deque
  // (trying each of `workers`, this one among them, from a random one,
  // twice: a steal can lose a race with the owner or another thief), or
  // nullptr. `robbed` says from whom (for a trace).
  StealingCell* StealFromOthers(
      const std::vector<std::unique_ptr<Worker>>& workers) {
    const size_t n = workers.size();
    if (n < 2) return nullptr;
    for (int round = 0; round < 2; ++round) {
      const size_t start = NextRandom() % n;
      for (size_t i = 0; i < n; ++i) {
        Worker* victim = workers[(start + i) % n].get();
        if (victim == this) continue;
        if (std::optional<StealingCell*> cell = victim->deque.Steal()) {
          robbed = victim;
          Count(steals);
          return *cell;
        }
      }
    }
    return nullptr;
  }

  // Owner only: `cell` is the running actor while this lives (its sends to
  // itself go straight to its inbox), the turn's forced flushes count from
  // zero, and its first send to another actor may skip the outbox.
  class Turn {
   public:
    Turn(Worker& worker, StealingCell* cell) : worker_(worker) {
      worker_.running = cell;
      worker_.mid_turn_flushes = 0;
      worker_.direct_send = 1;
    }
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;
    // (direct_send may stay set: a send from outside a turn that finds the
    // outbox empty may go directly too, as a flush right after would.)
    ~Turn() {
      worker_.running = nullptr;
      worker_.mid_turn_flushes = 0;  // Sends from timers start afresh.
    }

   private:
    Worker& worker_;
  };

  // Parking (the scheduler's idle protocol, work_stealing/idle.cc). The
  // owner reads a ticket before it lists itself as asleep, then sleeps
  // until a waker's Unpark() changes it; a ticket read before an Unpark()
  // never waits for it.
  uint32_t ParkTicket() const {
    // Acquire: pairs with the release increment of a waker.
    return wake_sequence_.load(std::memory_order_acquire);
  }
  void Sleep(uint32_t ticket) {
    Count(parks);
    // Acquire: see what the waker published before waking us.
    wake_sequence_.wait(ticket, std::memory_order_acquire);
  }
  // Any thread: wakes the owner from Sleep(); `as_heir`: to take over the
  // standby role (TakeHeir() tells it).
  void Unpark(bool as_heir = false) {
    // Relaxed: published by the release bump below.
    if (as_heir) heir_.store(true, std::memory_order_relaxed);
    // Release: the sleeper's acquire wait sees what we published.
    wake_sequence_.fetch_add(1, std::memory_order_release);
    wake_sequence_.notify_one();
  }
  // Owner only, after Sleep(): whether it was woken as heir (and clears it).
  bool TakeHeir() {
    // Relaxed: ordered by the wake_sequence_ acquire in Sleep().
    return heir_.exchange(false, std::memory_order_relaxed);
  }

  // Whether this worker may have an actor in its runnext slot or messages
  // in its outbox (a hint).
  bool HasSomethingWaiting() const {
    // Relaxed: read after a heavy fence by the callers that need an
    // answer.
    return runnext.Peek() != nullptr ||
           outbox_pending.load(std::memory_order_relaxed);
  }

  // ---- Run queues --------------------------------------------------------
  ChaseLevDeque<StealingCell*> deque{256};
  // The actor to run next: the owner's, unless it waits there behind a
  // long handler; then an idle worker may take it.
  RunnextSlot<StealingCell> runnext;

  // ---- The running turn (owner only) ---------------------------------------
  // The actor this worker is running (its inbox is this worker's).
  StealingCell* running = nullptr;
  // Flushes its turn has forced so far (see FlushPoint).
  uint32_t mid_turn_flushes = 0;
  // The turn floods (two forced flushes or more): the actors its sends
  // wake go where idle workers can steal them at once.
  bool Flooding() const { return mid_turn_flushes >= 2; }
  // Nonzero: the turn has not yet sent to another actor, and its first
  // such send goes straight to the receiver's mailbox if the outbox is
  // empty (see WorkStealingScheduler::Deliver(): the outbox declines it).
  // (32 bits, beside mid_turn_flushes: a turn's start sets both with one
  // store.)
  uint32_t direct_send = 0;
  // The bounded actor (cell and generation) this worker last sent to with
  // SendWhenRoom() under its lock, and `progress` then: a second such send
  // to it before the next turn or forced flush asks for credits
  // (WorkStealingScheduler::Limits), a single one does not (the credits
  // would go back unused, a second lock).
  const StealingCell* credit_hint = nullptr;
  uint32_t credit_hint_generation = 0;
  uint32_t credit_hint_progress = 0;
  // The worker its last steal took from, until a trace records it (owner
  // only).
  const Worker* robbed = nullptr;
  // Turns until the next one that takes the worker's slow path: timed for
  // the actors' metrics, or traced (the first is). Untraced, one turn in
  // kTurnSampleInterval comes there: two clock reads and three
  // read-modify-writes per turn would cost more than a ping-pong message's
  // whole budget for metrics (runtime/README.md, "Metrics"). Traced,
  // every turn does (the countdown stays at 1) and `traced_turns_to_time`
  // counts down to the next timed one. One countdown for both, so an
  // untraced turn costs a decrement and a branch, not two tests. A worker
  // sees a trace started at its next slow turn, or when it leaves Park()
  // (as every worker does when a run starts).
  static constexpr uint32_t kTurnSampleInterval = 64;
  uint32_t turns_to_sample = 1;
  uint32_t traced_turns_to_time = 1;

  // ---- Sends held back ------------------------------------------------------
  // Not guarded, by protocol: used by this worker under outbox_lock (a
  // BiasedLock, which the analysis does not see) while idle workers may
  // take over (WorkStealingScheduler's takeover_), and with no hold when
  // none can; another worker may hand over what it holds, inside a visit,
  // when this one is stuck in a long handler.
  Outbox<StealingCell> outbox;
  BiasedLock outbox_lock;
  // Set (under outbox_lock) when the outbox may hold messages; a hint for
  // idle workers and for skipping empty flushes.
  std::atomic<bool> outbox_pending{false};

  // ---- What idle workers read to tell a stuck worker ------------------------
  // Turns this worker has started and flushes a flood has forced.
  std::atomic<uint32_t> progress{0};
  // Owner writes, others read; relaxed throughout.
  std::atomic<uint64_t> delivered{0};
  // Metrics (SchedulerMetrics): owner writes, others read; relaxed.
  std::atomic<uint64_t> steals{0};
  std::atomic<uint64_t> parks{0};
  // Owner only: how this worker last saw each other worker, while idle.
  std::vector<Sighting> seen;

  // ---- Idle and parking
  // ------------------------------------------------------- Owner only: counted
  // in the scheduler's idle workers.
  bool idle = true;

  // Owner only: picks made (every kFairnessInterval-th serves shared and
  // old work first), and the name cache.
  uint32_t picks = 0;
  NameCache names;
  std::thread thread;

 private:
  // Set by the worker that wakes this one to take over the standby role:
  // it parks again at once instead of spinning. (Relaxed: ordered by the
  // wake_sequence_ bump that wakes it.)
  std::atomic<bool> heir_{false};
  // Bumped to wake the worker from its park.
  std::atomic<uint32_t> wake_sequence_{0};
  const void* const owner_;
  uint64_t random_state_;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_WORKER_H_
