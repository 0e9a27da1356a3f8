// IdleWorkers is the state of WorkStealingScheduler's idle workers and the
// only code that changes it: which workers sleep (listed under its mutex,
// counted in an atomic for wakers), which one spins, which one is the
// standby, which run is going on and which one was found quiescent, and
// the standby's wake-up (a condition variable its waits end on). The
// protocol it serves, as numbered invariants, is at the top of
// work_stealing/idle.cc, where the scheduler parks its workers through it.
//
//   const uint32_t ticket = worker->ParkTicket();
//   idle.List(worker);                      // 1: list, then fence, then
//   std::atomic_thread_fence(seq_cst);      //    look at every queue.
//   if (found work) { idle.Unlist(worker); return; }
//   ... idle.AfterEmptyLook(worker, timers) ...   // 4, 6: decide.
//   worker->Sleep(ticket);
//   idle.Unlist(worker);                    // 3: whoever woke it.
//
// Thread-safety: thread-safe. Each method takes the mutex itself when it
// needs it (none is called with it held); the atomics are hints whose
// orderings are explained where they are read.
#ifndef COACTOR_RUNTIME_WORK_STEALING_IDLE_WORKERS_H_
#define COACTOR_RUNTIME_WORK_STEALING_IDLE_WORKERS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "actors/internal/mutex.h"
#include "runtime/internal/worker.h"

namespace coactor::internal {

class IdleWorkers {
 public:
  // For a scheduler of `workers` workers, all of them idle.
  explicit IdleWorkers(size_t workers)
      : workers_(workers), idle_count_(static_cast<int>(workers)) {}
  IdleWorkers(const IdleWorkers&) = delete;
  IdleWorkers& operator=(const IdleWorkers&) = delete;

  // ---- Idle workers (a hint) ------------------------------------------------
  // Counts `worker` as not running an actor (or as running one again); the
  // worker's own call.
  void SetIdle(Worker* worker, bool idle) {
    if (worker->idle == idle) return;
    worker->idle = idle;
    // Relaxed: a hint for senders (AnyIdle()); nothing is published.
    idle_count_.fetch_add(idle ? 1 : -1, std::memory_order_relaxed);
  }
  // Whether some worker is not running an actor.
  bool AnyIdle() const {
    // Relaxed: a hint; a worker that gets idle looks at the others anyway.
    return idle_count_.load(std::memory_order_relaxed) != 0;
  }

  // ---- Runs (invariants 4, 5) -----------------------------------------------
  struct RunStart {
    bool stopping;  // Stopped for good (StopForGood()): nothing started.
    uint64_t run;   // The run started, or 0 if `start` said no.
  };
  // Starts the next run and wakes every sleeper, in one critical section
  // (5.), unless stopping or `start()` (called under the lock) returns
  // false.
  template <typename Start>
  RunStart StartRun(Start&& start) ABSL_LOCKS_EXCLUDED(mutex_) {
    uint64_t run;
    std::vector<Worker*> sleeping;
    {
      MutexLock hold(mutex_);
      if (stopping_.load()) return RunStart{true, 0};
      if (!start()) return RunStart{false, 0};
      run = ++run_number_;
      running_.store(true);
      sleeping.swap(sleeping_);
      // Relaxed: as in List().
      sleepers_.store(0, std::memory_order_relaxed);
    }
    for (Worker* worker : sleeping) worker->Unpark();
    InterruptKeeper();  // The standby, if any, looks again (a new run).
    return RunStart{false, run};
  }
  // Waits until `run` is reported quiescent, then ends it.
  void FinishRun(uint64_t run);
  // A run is going on (between StartRun() and FinishRun()).
  bool running() const { return running_.load(); }
  // The run going on (or the last one).
  uint64_t run() const ABSL_LOCKS_EXCLUDED(mutex_);
  // Ends the run going on, whatever the workers do (Shutdown()).
  void ReportQuiescent() ABSL_LOCKS_EXCLUDED(mutex_);

  // For good: the workers leave their loops (set under the mutex, so that
  // no run starts after it).
  void StopForGood() ABSL_LOCKS_EXCLUDED(mutex_);
  bool stopping() const { return stopping_.load(); }
  // Relaxed: for loops that stop early if they see it.
  bool StoppingHint() const {
    return stopping_.load(std::memory_order_relaxed);
  }

  // ---- Spinning (invariant 2) -----------------------------------------------
  // True if the caller may spin (no other worker does).
  bool StartSpinning() {
    size_t none = 0;
    return spinning_.compare_exchange_strong(none, 1);
  }
  // Ends the caller's spin, then fences (S, pairing with a waker's W).
  void StopSpinning() {
    spinning_.store(0);
    // (The seq_cst store alone would not keep the caller's relaxed loads
    // after it.)
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }

  // ---- Sleepers (invariants 1, 3, 4, 6) -------------------------------------
  // Lists `worker` as asleep (once, however often called). Returns how
  // many times List() has listed a worker, this one included: pass it to
  // AfterEmptyLook().
  uint64_t List(Worker* worker) ABSL_LOCKS_EXCLUDED(mutex_);
  // Takes `worker` off the list, if listed.
  void Unlist(Worker* worker) ABSL_LOCKS_EXCLUDED(mutex_);
  // What a listed worker does after its look at the queues found nothing
  // (and, if `timers`, timers pending).
  enum class AfterLook {
    kSleep,
    // It was the last to list itself and a standby stands by: interrupt
    // the standby (7.), then sleep.
    kInterruptStandbyAndSleep,
    kStandBy,  // It is the standby now, off the list (6.).
  };
  // `listed`: what its List() returned. It reports the run quiescent
  // only if no worker listed itself since (else the later one, whose look
  // came later, decides: a timer armed or work queued by another before it
  // parked may have come after this look). kAsListedLast: no such check
  // (tests that replay one worker's steps).
  static constexpr uint64_t kAsListedLast = ~uint64_t{0};
  AfterLook AfterEmptyLook(Worker* worker, bool timers,
                           uint64_t listed = kAsListedLast)
      ABSL_LOCKS_EXCLUDED(mutex_);

  // Wakes one sleeper to take work just queued, unless a worker spins;
  // with no sleeper, interrupts the standby's wait (1., 2.).
  void WakeOne() ABSL_LOCKS_EXCLUDED(mutex_);
  // Wakes every sleeper and the standby (Shutdown()).
  void WakeAll() ABSL_LOCKS_EXCLUDED(mutex_);

  // ---- The standby (invariants 6-10) ----------------------------------------
  // A new timer is pending and no standby keeps timers: wakes a sleeper,
  // if any, as heir, to become the standby (8.).
  void EnsureStandby() ABSL_LOCKS_EXCLUDED(mutex_);
  // Asks the standby to look at busy workers (interrupting its wait), or
  // wakes a sleeper as heir to become it (9.).
  void CallStandby() ABSL_LOCKS_EXCLUDED(mutex_);
  // What the standby reads before its look at the queues and timers (before
  // its fence K): the run going on, and how often a worker has listed
  // itself as asleep so far.
  struct StandbySnapshot {
    uint64_t run;
    uint64_t lists;
  };
  StandbySnapshot SnapshotBeforeLook() const ABSL_LOCKS_EXCLUDED(mutex_);
  enum class StandbyDecision {
    kWait,  // Counted asleep until StandbyWoke(); wait for an interruption.
    kJump,  // Jump the virtual clock to the pending timer.
    // Every other worker sleeps, but one listed itself after the look: what
    // it did before (a timer it armed, work it queued) may be missing from
    // the look. Look again; do not wait.
    kLookAgain,
  };
  // The standby, which took `before` and then found no work while
  // `running` (and a timer pending if `timer_pending`), is about to wait.
  // If every other worker sleeps, and has since before the look, the look
  // was final: it reports the run quiescent (no timer; kWait), or kJump
  // (when `clock_is_virtual`). Otherwise kWait.
  StandbyDecision StandbyWaits(const StandbySnapshot& before, bool running,
                               bool timer_pending, bool clock_is_virtual)
      ABSL_LOCKS_EXCLUDED(mutex_);
  void StandbyWoke() ABSL_LOCKS_EXCLUDED(mutex_);
  // The standby gives up its role (10.). `*others_busy`: some other worker
  // runs an actor. Returns a sleeper woken from the list, to be unparked as
  // heir, if `want_heir`.
  Worker* LeaveStandby(bool want_heir, bool* others_busy)
      ABSL_LOCKS_EXCLUDED(mutex_);
  // A sleeper taken off the list (to be unparked as heir), or nullptr.
  Worker* PopSleeper() ABSL_LOCKS_EXCLUDED(mutex_);

  // ---- The standby's wait ---------------------------------------------------
  // Set while the standby waits (or is about to); read by wakers (7.).
  void SetKeeperWaiting(bool waiting) { keeper_waiting_.store(waiting); }
  bool keeper_waiting() const { return keeper_waiting_.load(); }
  // Waits for InterruptKeeper(), for `wait` at most (none: for ever); true
  // if interrupted. An interruption that came before the wait ends it at
  // once; one that comes after it ends the next one.
  bool WaitForInterrupt(std::optional<absl::Duration> wait)
      ABSL_LOCKS_EXCLUDED(keeper_mutex_);
  void InterruptKeeper() ABSL_LOCKS_EXCLUDED(keeper_mutex_);

 private:
  // Takes the most recently listed sleeper off the list, or nullptr.
  Worker* PopSleeperLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Stores run_number_ for RunEntered() to see (release: it acquires what
  // every actor did).
  void ReportQuiescentLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const size_t workers_;

  mutable Mutex mutex_;
  // Sleeping workers (the standby is not among them: a waker prefers a
  // sleeper, and the standby is asleep for quiescence only while
  // `standby_asleep_`).
  std::vector<Worker*> sleeping_ ABSL_GUARDED_BY(mutex_);
  Worker* standby_ ABSL_GUARDED_BY(mutex_) = nullptr;
  bool standby_asleep_ ABSL_GUARDED_BY(mutex_) = false;
  // Runs are numbered (changed together with waking the sleepers); the
  // last worker to fall asleep during run N stores N in quiesced_run_. A
  // late signal from an earlier run cannot end a later one.
  uint64_t run_number_ ABSL_GUARDED_BY(mutex_) = 0;
  // How often List() has listed a worker (see StandbySnapshot).
  uint64_t lists_ ABSL_GUARDED_BY(mutex_) = 0;
  // Atomics, stored under mutex_ (but quiesced_run_ by Shutdown() too),
  // read without it.
  std::atomic<uint64_t> quiesced_run_{0};
  std::atomic<bool> running_{false};
  std::atomic<bool> stopping_{false};
  // An atomic: sleeping_.size(), stored under mutex_, read by wakers
  // without it (ordered by the fences of invariant 1).
  std::atomic<size_t> sleepers_{0};
  // Workers looking for work before they sleep: while one spins, wakers
  // leave sleepers alone (a futex wake costs microseconds).
  std::atomic<size_t> spinning_{0};

  std::atomic<bool> keeper_waiting_{false};
  Mutex keeper_mutex_;
  CondVar keeper_wakeup_;
  bool keeper_interrupted_ ABSL_GUARDED_BY(keeper_mutex_) = false;

  // Workers not running an actor: looking for work, spinning, sleeping or
  // standing by. Written when a worker's state changes, read often (its
  // own cache line).
  alignas(64) std::atomic<int> idle_count_;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_WORK_STEALING_IDLE_WORKERS_H_
