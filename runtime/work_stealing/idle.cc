// WorkStealingScheduler: idle workers, parking, the standby and
// quiescence (the timers and the standby's wait for them are in
// timers.cc, their state in internal::TimerKeeper, timer_keeper.h; a
// worker's loop in worker_loop.cc).
//
// A worker that finds no work spins (one at a time), then parks: it sleeps
// on its futex (Worker::Sleep()), or, if no other worker does and
// timers are pending or some worker is busy, it becomes the standby and
// waits for an interruption instead. The state (who sleeps, spins, stands
// by; the runs; the standby's wake-up) is internal::IdleWorkers's, in
// idle_workers.h: the fields below are its, changed only by it, and
// "the mutex" is its mutex. The protocol, as invariants:
//
//  1. Sleepers: no lost wake-up. Park() lists the worker (List():
//     sleeping_, sleepers_), then fence P, then looks at every queue. A
//     waker (WakeOne()) queues the actor, then fence W, then reads
//     spinning_, sleepers_ and keeper_waiting_. The seq_cst fences are
//     totally ordered: if W comes after P the waker sees the sleeper and
//     wakes it; if P comes after W the sleeper's look sees the actor.
//  2. Spinners: wakers skip waking anyone while a worker spins (a futex
//     wake costs microseconds). Spin() stores spinning_ = 0, then fence S
//     (StopSpinning()), then looks at the queues: with W, either the waker
//     sees no spinner (and wakes a sleeper) or the spinner sees the work;
//     a spinner that gives up without it parks, and 1. applies.
//  3. A worker is counted asleep exactly while it is listed in sleeping_,
//     and it leaves the list (Unlist()) whenever it leaves its sleep,
//     whoever woke it: a bump meant for an earlier Park() may end a later
//     one while the worker is still listed.
//  4. Quiescence. The last worker to list itself (every other one listed,
//     or the standby, asleep) found, after fence P, no queued work: every
//     other worker was already asleep and produces no work, and what they
//     queued before they slept was queued before P, so the look was final.
//     "Last" is checked, not assumed: List() returns the count of listings
//     (lists_), and AfterEmptyLook() decides only if none came since; a
//     worker that listed itself later (having armed a timer after this
//     one's look, say) decides from its own look.
//     It stores the run's number in quiesced_run_ (AfterEmptyLook();
//     release: Run() acquires what every actor did). A worker still listed
//     that found work waits for the mutex to leave the list, so it cannot
//     be miscounted.
//  5. Runs are numbered: StartRun() starts run N and wakes the sleepers
//     under the mutex, so a worker can report N quiescent only after
//     listing itself again; a late report of N-1 cannot end run N.
//  6. At most one standby (standby_, under the mutex). A parking worker
//     becomes it when there is none and timers are pending (read after
//     fence P: TimerKeeper::pending()) or some worker is busy (whose long
//     handler may hold back what it woke or sent). The standby (the role:
//     Standby, standby.h) counts as asleep for 4. only while it waits
//     (standby_asleep_); while it is up it decides itself: Standby::Wait()
//     (timers.cc, through StandbyWaits()) reports the run quiescent when
//     every other worker sleeps and no timer is pending.
//  7. The standby and the last sleeper. Standby::Wait() takes a snapshot
//     (the run, and lists_: how often a worker listed itself), stores
//     keeper_waiting_, then fence K, then looks at the queues and timers;
//     with W (1.) a waker interrupts it or it sees the work. It decides
//     (quiescent, or a jump) only if every other worker sleeps and none
//     listed itself since the snapshot: then each listed itself before
//     the snapshot (both under the mutex), so every timer it armed and
//     everything it queued before came before the look, which saw them;
//     otherwise it looks again. (It once jumped a virtual clock over a timer
//     that a worker armed after the look and before it listed itself: new
//     timers do not interrupt on a virtual clock, and the interruption of the
//     last worker to park came after the jump.) The last worker to park while
//     the standby stands by interrupts it after its own fence P, for a standby
//     that waits: either that interruption comes, or the standby's look after K
//     sees every ask that worker answered (whose timers are then stale and are
//     not waited for).
//  8. A new timer with no keeper (TimerKeeper::Armed::unkept):
//     EnsureStandby() (from timers.cc) fences, then reads sleepers_; with
//     P either the parking worker sees the timer pending (and becomes the
//     standby, 6.) or EnsureStandby() sees it listed and wakes it as heir.
//  9. Watching busy workers (take-overs). A busy worker that fills its
//     runnext slot or starts an outbox batch during a turn stores it,
//     then a light fence (AsymmetricFence::Light()), then reads
//     watch_fast_. The standby that stops watching stores watch_fast_ =
//     false, then the heavy fence, then looks at every slot and outbox
//     once more; so does Standby::Leave(). Either the busy worker sees
//     false and asks (RequestWatch()), or the standby sees what waits.
// 10. Leaving the role (Standby::Leave(), when the standby found an actor to
//     run): a sleeper is woken as heir to take it over if timers remain
//     (on a real clock) or something waits behind a busy worker (9.). An
//     heir parks again at once, without spinning, and becomes the standby
//     by 6.

#include "runtime/work_stealing_scheduler.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <vector>

#include "actors/internal/frame_pool.h"
#include "runtime/internal/asymmetric_fence.h"
#include "runtime/internal/spin_lock.h"
#include "runtime/work_stealing/standby.h"

namespace coactor {
namespace {

// How long an idle worker keeps looking before it sleeps: rounds of a full
// search with a short pause between (some tens of microseconds in all).
constexpr int kSpinRounds = 64;
constexpr int kPausesPerSpinRound = 32;
// A worker that has been this long in one handler (it delivered nothing,
// started no turn and flushed nothing meanwhile) is stuck: an idle worker
// takes the actor waiting in its runnext slot and hands over the messages
// waiting in its outbox (Go's thieves wait 3 us before they take a running
// P's runnext). Shorter handlers keep the actors that trade the slot, or a
// sender and its receiver, on one CPU.
constexpr int64_t kStuckNanos = 5'000;
// The longest wait between two attempts at a worker that stays stuck.
constexpr int64_t kMaxBackoffNanos = 1'000'000;
// Looks in a row that saw nothing waiting, after which the standby stops
// looking (and busy workers ask again when something waits).
constexpr int kQuietTicks = 50;
int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

WorkStealingScheduler::Cell* WorkStealingScheduler::Spin(Worker* worker) {
  if (!idle_.StartSpinning()) return nullptr;
  Cell* found = nullptr;
  for (int round = 0; round < kSpinRounds && found == nullptr; ++round) {
    // Relaxed: only a hint to stop early.
    if (idle_.StoppingHint()) break;
    for (int i = 0; i < kPausesPerSpinRound; ++i) {
      internal::SpinLock::CpuRelax();
    }
    found = FindWork(worker);
    int64_t next_look;
    if (found == nullptr && takeover_) {
      found = WatchBusyWorkers(worker, &next_look);
    }
  }
  // A waker that saw us spinning woke nobody. Either its fence (in
  // IdleWorkers::WakeOne()) comes after this one and it sees no spinner,
  // or this one comes after its push and AnyQueuedWork() sees the work.
  idle_.StopSpinning();
  // More may be waiting than this worker can take: let a sleeper help.
  if (found != nullptr && AnyQueuedWork()) idle_.WakeOne();
  return found;
}

bool WorkStealingScheduler::AnyQueuedWork() const {
  // A hint, re-checked after the seq_cst fence in Park().
  if (!injected_.EmptyHint()) return true;
  for (const auto& worker : workers_) {
    if (!worker->deque.Empty()) return true;
  }
  return false;
}

WorkStealingScheduler::Cell* WorkStealingScheduler::Park(Worker* worker) {
  for (;;) {
    const uint32_t ticket = worker->ParkTicket();
    const uint64_t listed = idle_.List(worker);
    // Either a waker's fence comes after ours and it sees us listed, or
    // ours comes after its push and we see the work below. (The same with
    // EnsureStandby() for a new timer.)
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const bool running = idle_.running();
    // Stopping (Stop()), queued work waits for the next run.
    const bool stop = stop_requested_.load();
    if (idle_.stopping() || (running && !stop && AnyQueuedWork())) {
      idle_.Unlist(worker);
      return nullptr;
    }
    using AfterLook = internal::IdleWorkers::AfterLook;
    AfterLook after = AfterLook::kSleep;
    if (running) {
      // Stopping (Stop()): timers wait for the next run.
      after = idle_.AfterEmptyLook(worker, timers_.pending() && !stop, listed);
    }
    if (after == AfterLook::kStandBy) {
      if (Cell* cell = Standby(*this, worker).Run()) return cell;
      continue;  // Stopping.
    }
    if (after == AfterLook::kInterruptStandbyAndSleep) {
      idle_.InterruptKeeper();
    }
    // Frames of actors that ended on other workers go back first.
    internal::ReturnFreedFrames();
    worker->Sleep(ticket);
    // A waker takes a worker off the list and bumps its sequence after
    // letting go of the lock; a bump meant for an earlier Park() can end
    // this one while the worker is still listed. A listed worker counts
    // as asleep for quiescence, so leave the list before anything else.
    idle_.Unlist(worker);
    // Woken to take over the standby role: park again at once (looking for
    // queued work first), without spinning.
    if (!worker->TakeHeir()) return nullptr;
  }
}

void WorkStealingScheduler::RequestWatch() {
  watch_fast_.store(true);
  idle_.CallStandby();
}

WorkStealingScheduler::Cell* WorkStealingScheduler::WatchBusyWorkers(
    Worker* worker, int64_t* next_look_nanos) {
  *next_look_nanos = std::numeric_limits<int64_t>::max();
  const int64_t now = SteadyNanos();
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker* other = workers_[i].get();
    if (other == worker) continue;
    Worker::Sighting& seen = worker->seen[i];
    // Relaxed: hints; TrySteal() and TryVisit() order what they take.
    const uint32_t progress = other->progress.load(std::memory_order_relaxed);
    const uint64_t delivered = other->delivered.load(std::memory_order_relaxed);
    if (seen.progress != progress || seen.delivered != delivered) {
      seen =
          Worker::Sighting{progress, delivered, now + kStuckNanos, kStuckNanos};
    }
    Cell* next = other->runnext.Peek();
    // Relaxed: as above.
    const bool sent = other->outbox_pending.load(std::memory_order_relaxed);
    if (next == nullptr && !sent) continue;
    if (now < seen.act_at_nanos) {
      *next_look_nanos = std::min(*next_look_nanos, seen.act_at_nanos);
      continue;
    }
    // Each attempt costs a heavy fence (an interrupt to the worker's CPU):
    // the next one waits twice as long, until the worker moves on.
    seen.backoff_nanos = std::min(2 * seen.backoff_nanos, kMaxBackoffNanos);
    seen.act_at_nanos = now + seen.backoff_nanos;
    // Stuck in one handler: take over what it holds back. The receivers
    // its messages wake come here (our runnext slot and deque).
    if (sent && other->outbox_lock.TryVisit()) {
      FlushOutbox(other->outbox, FlushPoint::kTurnEnd, worker);
      // Relaxed: published by EndVisit().
      other->outbox_pending.store(false, std::memory_order_relaxed);
      other->outbox_lock.EndVisit();
      // What the flush itself sent from here (destructors of dead letters
      // it had to drop) must not wait in our outbox while we stay idle.
      FlushOwnOutbox(*worker);
    }
    if (next != nullptr && other->runnext.TrySteal(next)) {
      if (Cell* woken = worker->runnext.Exchange(next)) {
        worker->deque.Push(woken);
        idle_.WakeOne();
      }
    }
    if (Cell* cell = worker->runnext.Take()) return cell;
  }
  return nullptr;
}

WorkStealingScheduler::Cell* WorkStealingScheduler::Standby::Run() {
  // A timer added from now on looks at the deadline we wait for (none
  // yet: every new timer interrupts).
  sched_.timers_.StartKeeping();
  // Watch the busy workers' slots from the start: one may have filled its
  // slot while this worker was on its way here, and not asked.
  watching_ = sched_.takeover_;
  if (watching_) sched_.watch_fast_.store(true);
  // Whether to look in the queues: at first, and when woken (wakers that
  // queue work interrupt us). A look at the slots or a timer's deadline
  // does not: polling busy workers' deques would take from them what they
  // are about to pop themselves.
  bool look = true;
  while (!sched_.idle_.stopping()) {
    const bool running = sched_.idle_.running();
    // Stopping (Stop()): fire nothing and take nothing (what is queued, and
    // the timers, wait for the next run), and watch nobody; just wait, for
    // the run to end (Wait() reports it quiescent) or a new one.
    // Taking work here would only pause it again and come back for it, at
    // full speed until the last handler ends.
    const bool stop = sched_.StopRequested();
    if (running && !stop) {
      // A hint; FireDueTimers() looks under the lock.
      if (sched_.timers_.PendingHint()) sched_.FireDueTimers();
      Cell* cell = worker_->runnext.Take();  // Woken by a timer we fired.
      if (cell == nullptr && look) cell = sched_.FindWork(worker_);
      if (cell == nullptr) cell = Watch();
      if (cell != nullptr) {
        Leave();
        return cell;
      }
    }
    look = Wait(running, watching_ && !stop);
  }
  Leave();
  return nullptr;
}

WorkStealingScheduler::Cell* WorkStealingScheduler::Standby::Watch() {
  // Relaxed: RequestWatch() sets it after a quiet spell (and interrupts
  // us); the fences below order it where it matters.
  if (!sched_.takeover_) return nullptr;
  if (!watching_ && sched_.watch_fast_.load(std::memory_order_relaxed)) {
    watching_ = true;
    quiet_ticks_ = 0;
  }
  if (!watching_) return nullptr;
  int64_t next_look;
  Cell* cell = sched_.WatchBusyWorkers(worker_, &next_look);
  const bool any_waiting = next_look != std::numeric_limits<int64_t>::max();
  if (cell == nullptr && any_waiting) {
    // Something waits behind a busy worker: keep looking (a few
    // microseconds, shorter than any timed wait: spin) until that worker
    // is stuck, and stop as soon as it moves on (a later deadline) or
    // nothing waits any more; two actors that trade a slot do that within
    // a fraction of a microsecond.
    // Only when that is less than a tick away: after a few take-overs of
    // a handler that stays stuck, the backoff puts the next one up to
    // kMaxBackoffNanos away, and spinning all that time (a handler that
    // sends every few hundred microseconds kept the standby spinning
    // nearly all the time) is the timed wait's job.
    const int64_t deadline = next_look;
    while (cell == nullptr && next_look == deadline &&
           deadline - SteadyNanos() <= kWatchTickNanos &&
           !sched_.idle_.StoppingHint()) {
      for (int i = 0; i < kPausesPerSpinRound; ++i) {
        internal::SpinLock::CpuRelax();
      }
      cell = sched_.WatchBusyWorkers(worker_, &next_look);
    }
  }
  if (cell != nullptr) return cell;
  quiet_ticks_ = any_waiting ? 0 : quiet_ticks_ + 1;
  if (quiet_ticks_ < kQuietTicks) return nullptr;
  // Stop looking, unless a slot filled meanwhile: a worker that fills one
  // from now on sees false and asks (the fences pair as in
  // NoteWaitingDuringTurn()).
  // Relaxed: ordered by the heavy fence.
  sched_.watch_fast_.store(false, std::memory_order_relaxed);
  internal::AsymmetricFence::Heavy();
  watching_ = false;
  for (const auto& other : sched_.workers_) {
    if (other.get() != worker_ && other->HasSomethingWaiting()) {
      watching_ = true;
    }
  }
  if (watching_) {
    sched_.watch_fast_.store(true,
                             std::memory_order_relaxed);  // Relaxed: as above.
    quiet_ticks_ = 0;
  }
  return nullptr;
}

void WorkStealingScheduler::Standby::Leave() {
  const bool timers = sched_.timers_.StopKeeping();
  // Busy workers ask for a watcher again when they fill their slot (before
  // we look at who is busy: one woken later sees this).
  const bool was_watching =
      sched_.takeover_ && sched_.watch_fast_.exchange(false);
  bool others_busy;
  // Someone must keep the timers while this worker runs an actor, which
  // may take long. (On a virtual clock no time passes meanwhile: the last
  // worker to go idle keeps the timers.)
  Worker* heir = sched_.idle_.LeaveStandby(timers && !sched_.clock_is_virtual_,
                                           &others_busy);
  if (heir == nullptr && was_watching && others_busy) {
    // A busy worker may have filled its slot having seen true: as when the
    // standby stops looking (see Watch()), look once more after a fence
    // that pairs with its light one, and hand the watch on if so.
    internal::AsymmetricFence::Heavy();
    bool waiting = false;
    for (const auto& other : sched_.workers_) {
      if (other->HasSomethingWaiting()) waiting = true;
    }
    if (waiting) {
      sched_.watch_fast_.store(true);
      heir = sched_.idle_.PopSleeper();
    }
  }
  if (heir != nullptr) {
    if (sched_.takeover_)
      sched_.watch_fast_.store(true);  // It watches from the start.
    heir->Unpark(/*as_heir=*/true);
  }
}

}  // namespace coactor
