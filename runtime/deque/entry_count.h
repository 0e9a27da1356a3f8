// EntryCount counts the entries of DequeScheduler's FIFO that name one
// cell (its messages, and its start, wake-up or errors) and remembers the
// most there ever were: the actor's mailbox depth and peak depth
// (SchedulerMetrics). It keeps the peak and the room below it (plus one)
// rather than the count, so that an append is a decrement of memory and a
// branch on its result, not taken (two instructions), where the bare
// count's increment was one and a compare against a peak would add three.
//
//   cell->pending.Add();                  // An entry naming it queued.
//   cell->pending.Remove();               // Popped.
//   if (cell->pending.empty()) FreeCell(cell);
//
// Thread-safety: the loop's thread only.
#ifndef COACTOR_RUNTIME_DEQUE_ENTRY_COUNT_H_
#define COACTOR_RUNTIME_DEQUE_ENTRY_COUNT_H_

#include <cstdint>

#include "absl/base/optimization.h"

namespace coactor::internal {

class EntryCount {
 public:
  void Add() {
    if (ABSL_PREDICT_FALSE(AddReachesPeak())) RaisePeak();
  }
  void Remove() { ++room_; }
  // Add() in two halves, for a caller with its own cold path: the first
  // says whether the count passed the peak, the second (then) records the
  // new peak, or UndoAdd() takes the entry back.
  bool AddReachesPeak() { return --room_ == 0; }
  void RaisePeak() {
    room_ = 1;
    ++peak_;
  }
  void UndoAdd() { room_ = 1; }
  // Counted mode (a bounded actor's, runtime/deque/cell.h): no room is ever
  // left, so every Add() reaches the peak, which is the count; an entry
  // leaves by RemoveCounted(), never Remove().
  void RemoveCounted() { --peak_; }
  // Add() in counted mode: AddReachesPeak() and RaisePeak() in one.
  void AddCounted() { ++peak_; }

  bool empty() const { return room_ == peak_ + 1; }
  uint32_t count() const { return peak_ + 1 - room_; }
  uint32_t peak() const { return peak_; }

  // Forgets the peak so far: the peak is the count now. (At an actor's
  // start: its start entry was one of the count, its messages were not
  // yet delivered, so the peak of its messages alone is what remains.)
  void RestartPeak() {
    peak_ = count();
    room_ = 1;
  }
  void Reset() {
    room_ = 1;
    peak_ = 0;
  }

 private:
  // peak_ - count() + 1: at least 1 between calls.
  uint32_t room_ = 1;
  uint32_t peak_ = 0;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_DEQUE_ENTRY_COUNT_H_
