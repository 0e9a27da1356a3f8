// LockedRecords is a RecordKeeper (runtime/internal/record_keeper.h) behind
// a mutex, for a scheduler whose records are written from several threads
// (WorkStealingScheduler). Each call takes the mutex; With() runs a change
// under it and destroys what the limits pushed out only after letting go
// (a dropped message's destructor may send, and so record again).
//
//   internal::LockedRecords records;
//   records.With([&](internal::RecordKeeper& keeper,
//                    internal::RecordKeeper::Dropped& dropped) {
//     keeper.AddDeadLetter(std::move(letter), dropped);
//   });
//   std::vector<DeadLetter> letters = records.TakeDeadLetters();
//
// Thread-safety: thread-safe, but for dead_letters_unlocked().
#ifndef COACTOR_RUNTIME_INTERNAL_LOCKED_RECORDS_H_
#define COACTOR_RUNTIME_INTERNAL_LOCKED_RECORDS_H_

#include <cstdint>
#include <deque>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "actors/internal/mutex.h"
#include "runtime/dead_letter.h"
#include "runtime/internal/record_keeper.h"

namespace coactor::internal {

class LockedRecords {
 public:
  // Calls `change(keeper, dropped)` under the mutex; `dropped` is
  // destroyed after the mutex is let go.
  template <typename Change>
  void With(Change change) ABSL_LOCKS_EXCLUDED(mutex_) {
    RecordKeeper::Dropped dropped;
    MutexLock hold(mutex_);
    change(keeper_, dropped);
  }

  std::vector<DeadLetter> TakeDeadLetters() {
    MutexLock hold(mutex_);
    return keeper_.TakeDeadLetters();
  }
  // A copy of the failures kept, oldest first.
  std::vector<ActorFailure> failures() const {
    MutexLock hold(mutex_);
    return std::vector<ActorFailure>(keeper_.failures().begin(),
                                     keeper_.failures().end());
  }
  std::vector<ActorFailure> TakeFailures() {
    MutexLock hold(mutex_);
    return keeper_.TakeFailures();
  }
  uint64_t dead_letters_recorded() const {
    MutexLock hold(mutex_);
    return keeper_.dead_letters_recorded();
  }
  uint64_t failures_recorded() const {
    MutexLock hold(mutex_);
    return keeper_.failures_recorded();
  }
  RecordLimits limits() const {
    MutexLock hold(mutex_);
    return keeper_.limits();
  }

  // The dead letters kept, without the mutex: only while no other thread
  // records (the caller's promise, unchecked by the analysis).
  const std::deque<DeadLetter>& dead_letters_unlocked() const
      ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return keeper_.dead_letters();
  }

 private:
  mutable Mutex mutex_;
  RecordKeeper keeper_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_LOCKED_RECORDS_H_
