#include "runtime/work_stealing/timer_keeper.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace coactor::internal {

TimerKeeper::Armed TimerKeeper::Add(absl::Time deadline,
                                    absl::AnyInvocable<void()> fire) {
  Armed armed;
  MutexLock hold(mutex_);
  const bool was_pending = pending_.load() != 0;
  armed.id = timers_.Add(deadline, std::move(fire));
  StorePending();
  armed.cuts_keeper_short = CutsKeeperShort(absl::ToUnixNanos(deadline));
  armed.unkept = !was_pending && !keeping_ && !timers_.empty();
  return armed;
}

TimerKeeper::Armed TimerKeeper::AddGuarded(int64_t deadline_nanos,
                                           const GuardedTimer& timer) {
  Armed armed;
  MutexLock hold(mutex_);
  // An infinite timeout arms nothing (see TimerQueue).
  if (!timers_.AddGuarded(deadline_nanos, timer)) return armed;
  armed.unkept = pending_.load() == 0 && !keeping_;
  pending_.store(1);
  armed.cuts_keeper_short = CutsKeeperShort(deadline_nanos);
  return armed;
}

bool TimerKeeper::Cancel(TimerId id) {
  MutexLock hold(mutex_);
  const bool cancelled = timers_.Cancel(id);
  StorePending();
  return cancelled;
}

std::vector<TimerQueue::Due> TimerKeeper::TakeDue(Clock& clock) {
  std::vector<TimerQueue::Due> due;
  MutexLock hold(mutex_);
  const absl::Time now = clock.Now();
  while (std::optional<TimerQueue::Due> fire = timers_.PopDue(now)) {
    due.push_back(std::move(*fire));
  }
  fired_ += due.size();
  StorePending();
  return due;
}

std::vector<absl::AnyInvocable<void()>> TimerKeeper::TakeAllCallbacks() {
  MutexLock hold(mutex_);
  std::vector<absl::AnyInvocable<void()>> callbacks =
      timers_.TakeAllCallbacks();
  pending_.store(0);
  return callbacks;
}

uint64_t TimerKeeper::fired() const {
  MutexLock hold(mutex_);
  return fired_;
}

void TimerKeeper::StartKeeping() {
  MutexLock hold(mutex_);
  keeping_ = true;
  keeper_deadline_nanos_ = std::numeric_limits<int64_t>::max();
}

std::optional<absl::Time> TimerKeeper::KeeperNext() {
  MutexLock hold(mutex_);
  std::optional<absl::Time> next = timers_.NextDeadline();  // Drops stale.
  pending_.store(next.has_value() ? 1 : 0);
  // A virtual clock's time stands still while actors run: nothing to wait
  // for until every worker sleeps (the last to park tells the standby), so
  // new timers need not interrupt.
  keeper_deadline_nanos_ =
      !next.has_value()   ? std::numeric_limits<int64_t>::max()
      : clock_is_virtual_ ? std::numeric_limits<int64_t>::min()
                          : absl::ToUnixNanos(*next);
  return next;
}

bool TimerKeeper::StopKeeping() {
  MutexLock hold(mutex_);
  keeping_ = false;
  return !timers_.empty();
}

}  // namespace coactor::internal
