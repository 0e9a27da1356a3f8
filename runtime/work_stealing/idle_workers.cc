// IdleWorkers: the idle workers' state; the invariants it keeps are
// numbered at the top of work_stealing/idle.cc.

#include "runtime/work_stealing/idle_workers.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace coactor::internal {

void IdleWorkers::FinishRun(uint64_t run) {
  // Acquire: see everything the actors did before the workers slept.
  for (uint64_t done = quiesced_run_.load(std::memory_order_acquire);
       done != run; done = quiesced_run_.load(std::memory_order_acquire)) {
    quiesced_run_.wait(done, std::memory_order_acquire);
  }
  running_.store(false);
}

uint64_t IdleWorkers::run() const {
  MutexLock hold(mutex_);
  return run_number_;
}

void IdleWorkers::ReportQuiescent() {
  MutexLock hold(mutex_);
  ReportQuiescentLocked();
}

void IdleWorkers::ReportQuiescentLocked() {
  // Release: Run() acquires what every actor did.
  quiesced_run_.store(run_number_, std::memory_order_release);
  quiesced_run_.notify_all();
}

void IdleWorkers::StopForGood() {
  // Under the mutex: StartRun() sees it under the same one.
  MutexLock hold(mutex_);
  stopping_.store(true);
}

uint64_t IdleWorkers::List(Worker* worker) {
  MutexLock hold(mutex_);
  // Never listed twice (see Unlist()).
  if (std::find(sleeping_.begin(), sleeping_.end(), worker) ==
      sleeping_.end()) {
    sleeping_.push_back(worker);
    ++lists_;
  }
  // Relaxed: ordered by the caller's seq_cst fence (and the mutex).
  sleepers_.store(sleeping_.size(), std::memory_order_relaxed);
  return lists_;
}

void IdleWorkers::Unlist(Worker* worker) {
  MutexLock hold(mutex_);
  auto it = std::find(sleeping_.begin(), sleeping_.end(), worker);
  if (it != sleeping_.end()) {
    sleeping_.erase(it);
    // Relaxed: as in List().
    sleepers_.store(sleeping_.size(), std::memory_order_relaxed);
  }
}

IdleWorkers::AfterLook IdleWorkers::AfterEmptyLook(Worker* worker, bool timers,
                                                   uint64_t listed) {
  MutexLock hold(mutex_);
  auto it = std::find(sleeping_.begin(), sleeping_.end(), worker);
  // (Not listed: a waker took it off the list; its bump ends the sleep.)
  if (it == sleeping_.end()) return AfterLook::kSleep;
  const bool all_idle =
      sleeping_.size() + (standby_ != nullptr ? 1 : 0) == workers_;
  if (standby_ == nullptr && (timers || !all_idle)) {
    // Someone must keep the timers, or look at the workers still busy
    // (whose long handlers could hold back what they woke or sent): this
    // worker stays up to do it.
    sleeping_.erase(it);
    // Relaxed: as in List().
    sleepers_.store(sleeping_.size(), std::memory_order_relaxed);
    standby_ = worker;
    return AfterLook::kStandBy;
  }
  if (!all_idle) return AfterLook::kSleep;
  // If every worker is now asleep, this one was the last to register and
  // found no queued work after every other worker had stopped making any:
  // nothing is runnable or running, so Run() may return. (A worker still
  // in the list that found work waits for this mutex to leave it, and that
  // work was queued before we looked, so we saw it too.) The standby
  // counts as asleep only while it waits; if it is up, it decides when it
  // next waits.
  // Only the last to list itself may decide: a worker that listed itself
  // after this one's List() may have armed a timer (or queued work) after
  // this one's look, and it decides from its own look. (Its parking
  // interrupts a standby, but one that said it waits may have looked
  // before; and a new timer wakes nobody while a standby keeps timers.)
  const bool last_to_list = listed == kAsListedLast || listed == lists_;
  if (!timers && last_to_list && (standby_ == nullptr || standby_asleep_)) {
    ReportQuiescentLocked();
  }
  // Every other worker sleeps: the standby may jump a virtual clock now,
  // or find that the timers it waits for are stale (asks this worker
  // answered) and the run is over.
  return standby_ != nullptr ? AfterLook::kInterruptStandbyAndSleep
                             : AfterLook::kSleep;
}

Worker* IdleWorkers::PopSleeperLocked() {
  if (sleeping_.empty()) return nullptr;
  Worker* worker = sleeping_.back();
  sleeping_.pop_back();
  // Relaxed: as in List().
  sleepers_.store(sleeping_.size(), std::memory_order_relaxed);
  return worker;
}

Worker* IdleWorkers::PopSleeper() {
  MutexLock hold(mutex_);
  return PopSleeperLocked();
}

void IdleWorkers::WakeOne() {
  // Pairs with the fence in Park() and in Standby::Wait(): our queue push is
  // before these loads.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // Relaxed: ordered by the fence above. A spinning worker will find the
  // work; if it gives up first, its Park() re-check finds it (the same
  // fence argument as for sleepers).
  if (spinning_.load(std::memory_order_relaxed) != 0) return;
  // Relaxed: as above. A sleeper rather than the standby, which keeps its
  // timers and watch.
  if (sleepers_.load(std::memory_order_relaxed) != 0) {
    if (Worker* worker = PopSleeper()) {
      worker->Unpark(/*as_heir=*/false);
      return;
    }
  }
  // Relaxed: ordered by the fence above. If the standby is not waiting, it
  // looks for work before it does (after the same fence).
  if (keeper_waiting_.load(std::memory_order_relaxed)) InterruptKeeper();
}

void IdleWorkers::WakeAll() {
  InterruptKeeper();
  std::vector<Worker*> sleeping;
  {
    MutexLock hold(mutex_);
    sleeping.swap(sleeping_);
    // Relaxed: as in List().
    sleepers_.store(0, std::memory_order_relaxed);
  }
  for (Worker* worker : sleeping) worker->Unpark();
}

void IdleWorkers::EnsureStandby() {
  // Pairs with the fence in Park(): either the worker going to sleep sees
  // the timer pending (and becomes the standby), or we see it asleep here.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // Relaxed: ordered by the fence above.
  if (sleepers_.load(std::memory_order_relaxed) == 0) return;
  // Even if standby_ is set: it may be leaving without having seen this
  // timer (Standby::Leave() reads the timers, then clears standby_). A
  // sleeper woken in vain goes back to sleep.
  if (Worker* heir = PopSleeper()) heir->Unpark(/*as_heir=*/true);
}

void IdleWorkers::CallStandby() {
  Worker* heir = nullptr;
  bool interrupt = false;
  {
    MutexLock hold(mutex_);
    if (standby_ != nullptr) {
      interrupt = true;
    } else {
      heir = PopSleeperLocked();
    }
  }
  // (No standby and no sleeper: the idle workers are looking for work,
  // and look at the slots too, or become the standby.)
  if (interrupt) InterruptKeeper();
  if (heir != nullptr) heir->Unpark(/*as_heir=*/true);
}

IdleWorkers::StandbySnapshot IdleWorkers::SnapshotBeforeLook() const {
  MutexLock hold(mutex_);
  return StandbySnapshot{run_number_, lists_};
}

IdleWorkers::StandbyDecision IdleWorkers::StandbyWaits(
    const StandbySnapshot& before, bool running, bool timer_pending,
    bool clock_is_virtual) {
  MutexLock hold(mutex_);
  StandbyDecision decision = StandbyDecision::kWait;
  const bool others_asleep = sleeping_.size() + 1 == workers_;
  if (running && others_asleep && before.run == run_number_) {
    if (before.lists != lists_) {
      // One of them listed itself after the standby's snapshot: a timer
      // it armed, or work it queued, before it did may have come after the
      // look (on a virtual clock a new timer does not interrupt, and the
      // interruption of the last worker to park comes too late for a jump
      // decided now). Had each been listed since before the snapshot, all
      // they did came before it, and the look saw it.
      decision = StandbyDecision::kLookAgain;
    } else if (!timer_pending) {
      // Every other worker sleeps, the standby found no work after they
      // stopped making any, and no timer is pending: the run is over.
      ReportQuiescentLocked();
    } else if (clock_is_virtual) {
      decision = StandbyDecision::kJump;
    }
  }
  standby_asleep_ = decision == StandbyDecision::kWait;
  return decision;
}

void IdleWorkers::StandbyWoke() {
  MutexLock hold(mutex_);
  standby_asleep_ = false;
}

Worker* IdleWorkers::LeaveStandby(bool want_heir, bool* others_busy) {
  MutexLock hold(mutex_);
  standby_ = nullptr;
  standby_asleep_ = false;
  *others_busy = sleeping_.size() + 1 < workers_;
  return want_heir ? PopSleeperLocked() : nullptr;
}

bool IdleWorkers::WaitForInterrupt(std::optional<absl::Duration> wait) {
  MutexLock hold(keeper_mutex_);
  if (wait.has_value()) {
    const auto deadline =
        std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(*wait);
    while (!keeper_interrupted_ &&
           keeper_wakeup_.WaitUntil(keeper_mutex_, deadline)) {
    }
  } else {
    while (!keeper_interrupted_) keeper_wakeup_.Wait(keeper_mutex_);
  }
  // An interruption that comes after this only ends a later wait early.
  return std::exchange(keeper_interrupted_, false);
}

void IdleWorkers::InterruptKeeper() {
  MutexLock hold(keeper_mutex_);
  keeper_interrupted_ = true;
  keeper_wakeup_.NotifyOne();
}

}  // namespace coactor::internal
