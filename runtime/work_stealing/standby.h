// WorkStealingScheduler::Standby is the standby role, which one idle worker
// at a time holds (invariants 6, 7, 9 and 10 at the top of
// work_stealing/idle.cc): while the other idle workers sleep it stays up,
// fires timers when they are due, watches busy workers (see
// WatchBusyWorkers()) and takes new work; on a virtual clock it jumps to
// the next deadline once every other worker sleeps. Its loop, its look at
// busy workers and its leaving are in idle.cc; its wait, for the timers, in
// timers.cc. Park() makes a worker the standby:
//
//   if (after == AfterLook::kStandBy) {
//     if (Cell* cell = Standby(*this, worker).Run()) return cell;
//   }
//
// Thread-safety: the standby worker's own, for as long as it holds the
// role.
#ifndef COACTOR_RUNTIME_WORK_STEALING_STANDBY_H_
#define COACTOR_RUNTIME_WORK_STEALING_STANDBY_H_

#include <cstdint>

#include "runtime/work_stealing_scheduler.h"

namespace coactor {

class WorkStealingScheduler::Standby {
 public:
  // `worker` (the calling one) becomes the standby of `sched`.
  Standby(WorkStealingScheduler& sched, Worker* worker)
      : sched_(sched), worker_(worker) {}
  Standby(const Standby&) = delete;
  Standby& operator=(const Standby&) = delete;

  // Stands by. Returns the first actor it finds to run (giving up the
  // role), or nullptr when stopping.
  Cell* Run();

  // While busy workers may have something waiting (runnext, outbox), the
  // standby looks at them this often (a timed wait; this VM makes it about
  // 40 us); a worker seen with something waiting is looked at again once it
  // could be stuck. So what a long handler woke or sent starts on another
  // worker within about a tick and the stuck time (when one is idle).
  static constexpr int64_t kWatchTickNanos = 20'000;

 private:
  // The look at busy workers: an actor to run, or nullptr. Stops watching
  // after a quiet spell (see watch_fast_).
  Cell* Watch();
  // The wait: for the next timer (on a real clock), the next look at busy
  // workers (if `watching`), or an interruption; jumps a virtual clock once
  // every other worker sleeps, and reports the run quiescent when nothing
  // is left. True if interrupted, or if work was queued. It waits on the
  // scheduler's IdleWorkers, not on the clock, so that new work, an earlier
  // timer or a cancelled one cuts it short (InterruptKeeper()).
  bool Wait(bool running, bool watching);
  // Gives up the role; wakes a sleeper to take it over if timers or busy
  // workers still need one.
  void Leave();

  WorkStealingScheduler& sched_;
  Worker* const worker_;
  // Kept between looks at busy workers.
  bool watching_ = false;  // Looking every kWatchTick.
  int quiet_ticks_ = 0;    // Looks in a row that saw nothing waiting.
};

}  // namespace coactor

#endif  // COACTOR_RUNTIME_WORK_STEALING_STANDBY_H_
