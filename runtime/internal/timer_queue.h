// TimerQueue keeps timers ordered by deadline for a scheduler's loop.
// A binary heap of (deadline, id) orders them (ids grow, so timers due at
// the same time fire in the order they were added). Two kinds of timer:
//
//  - Callback timers (Add): the callback lives in a hash map by id, so
//    cancelling is an erase and the heap entry is skipped when it surfaces
//    (the heap is compacted once most of it is cancelled).
//  - Guarded timers (AddGuarded): a plain function pointer that fires only
//    if a word still holds the value it had when the timer was armed. They
//    are never cancelled: whoever changes the word (an ask's reply) makes
//    the timer stale, at no cost to the hot path. Stale entries are dropped
//    when they surface, and the containers are compacted whenever they
//    double, so memory stays within about twice the live timers. Guarded
//    timers armed in deadline order (asks with one timeout) go to a FIFO,
//    O(1) in and out; the rare others to a heap of their own.
//
// Deadlines are kept in Unix nanoseconds: absl's time arithmetic is out of
// line in the system library, and the ask path is hot.
//
// Stale entries never count as pending: a scheduler whose only timers are
// stale is quiescent.
//
// A deadline at the end of time (absl::InfiniteFuture(); an ask's infinite
// timeout saturates to the same, and so does any deadline after the year
// 2262, the end of int64 nanoseconds) never comes, even on a ManualClock
// that could jump to it: such a timer never fires and never makes the loop
// wait.
// A callback timer is still kept, until cancelled or the queue is destroyed
// (a SendAfter's message with it), and counts in size(); a guarded one is
// not kept at all.
//
// Thread-safety: none; the owner serializes access. A guard word may be
// changed by any thread at any time (it is only loaded here).
#ifndef COACTOR_RUNTIME_INTERNAL_TIMER_QUEUE_H_
#define COACTOR_RUNTIME_INTERNAL_TIMER_QUEUE_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "actors/internal/runtime.h"
#include "runtime/internal/ring_queue.h"

namespace coactor::internal {

class TimerQueue {
 public:
  // A timer that is due: call Fire() outside the owner's lock if need be.
  class Due {
   public:
    Due(absl::AnyInvocable<void()> callback, TimerId id)
        : callback_(std::move(callback)), id_(id) {}
    explicit Due(const GuardedTimer& guarded) : guarded_(guarded) {}
    // The id Add() returned; 0 for a guarded timer (which has none).
    TimerId id() const { return id_; }
    void Fire() {
      if (callback_) {
        callback_();
      } else {
        guarded_.fire(guarded_);
      }
    }

   private:
    absl::AnyInvocable<void()> callback_;
    GuardedTimer guarded_{};
    TimerId id_ = 0;
  };

  TimerId Add(absl::Time deadline, absl::AnyInvocable<void()> fire) {
    const TimerId id = next_id_++;
    const int64_t nanos = absl::ToUnixNanos(deadline);
    if (nanos != kNever) {
      callback_heap_.push_back(CallbackEntry{nanos, id});
      std::push_heap(callback_heap_.begin(), callback_heap_.end(), Later());
    }
    callbacks_.emplace(id, std::move(fire));
    return id;
  }

  // `deadline` in Unix nanoseconds. False if it is never (nothing kept).
  bool AddGuarded(int64_t deadline, const GuardedTimer& guarded) {
    if (ABSL_PREDICT_FALSE(deadline == kNever)) return false;
    if (!in_order_.empty() && deadline < last_in_order_) {
      if (guarded_heap_.size() >= compact_guarded_heap_at_) {
        CompactGuardedHeap();
      }
      guarded_heap_.push_back(GuardedEntry{deadline, next_id_++, guarded});
      std::push_heap(guarded_heap_.begin(), guarded_heap_.end(), Later());
      return true;
    }
    if (in_order_.size() >= compact_in_order_at_) CompactInOrder();
    // Filled in place: copying a whole entry built from narrower stores
    // stalls store-to-load forwarding.
    GuardedEntry* entry = in_order_.ReserveBack();
    entry->deadline = deadline;
    entry->id = next_id_++;
    CopyGuardedTimer(guarded, entry->guarded);
    in_order_.CommitBack();
    last_in_order_ = deadline;
    return true;
  }

  // Empties the queue and hands back every callback unfired, never-timers
  // included, for the owner's destructor: the caller destroys them (with
  // any SendAfter message they hold) outside its lock, while what they may
  // point into still exists. Destroying one may add timers again.
  std::vector<absl::AnyInvocable<void()>> TakeAllCallbacks() {
    std::vector<absl::AnyInvocable<void()>> taken;
    taken.reserve(callbacks_.size());
    for (auto& [id, callback] : callbacks_)
      taken.push_back(std::move(callback));
    callbacks_.clear();
    callback_heap_.clear();
    guarded_heap_.clear();
    while (!in_order_.empty()) in_order_.PopFront();
    return taken;
  }

  bool Cancel(TimerId id) {
    if (callbacks_.erase(id) == 0) return false;
    // Its heap entry stays until it surfaces; compact once most are such.
    if (callbacks_.size() < callback_heap_.size() / 2) CompactCallbackHeap();
    return true;
  }

  bool empty() const { return Earliest().kind == Kind::kNone; }

  // Live timers; counts by a scan, for diagnostics and tests.
  size_t size() const {
    size_t live = callbacks_.size();
    for (const GuardedEntry& entry : guarded_heap_) live += Live(entry);
    for (size_t i = 0; i < in_order_.size(); ++i) {
      live += Live(*in_order_.At(i));
    }
    return live;
  }

  // The earliest deadline of a pending timer.
  std::optional<absl::Time> NextDeadline() const {
    const Top top = Earliest();
    if (top.kind == Kind::kNone) return std::nullopt;
    return absl::FromUnixNanos(top.deadline);
  }

  // Removes and returns the earliest live timer due by `now`.
  std::optional<Due> PopDue(absl::Time now) {
    const Top top = Earliest();
    if (top.kind == Kind::kNone || top.deadline > absl::ToUnixNanos(now)) {
      return std::nullopt;
    }
    switch (top.kind) {
      case Kind::kInOrder:
        return Due(in_order_.PopFront()->guarded);
      case Kind::kGuardedHeap: {
        const GuardedTimer guarded = guarded_heap_.front().guarded;
        std::pop_heap(guarded_heap_.begin(), guarded_heap_.end(), Later());
        guarded_heap_.pop_back();
        return Due(guarded);
      }
      default: {
        const TimerId id = callback_heap_.front().id;
        std::pop_heap(callback_heap_.begin(), callback_heap_.end(), Later());
        callback_heap_.pop_back();
        auto it = callbacks_.find(id);
        Due due(std::move(it->second), id);
        callbacks_.erase(it);
        return due;
      }
    }
  }

 private:
  struct CallbackEntry {
    int64_t deadline;  // Unix nanoseconds, saturated.
    TimerId id;
  };
  struct GuardedEntry {
    int64_t deadline;
    TimerId id;
    GuardedTimer guarded;
  };
  // Heap order: the earliest (then the oldest) on top.
  struct Later {
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return a.deadline != b.deadline ? a.deadline > b.deadline : a.id > b.id;
    }
  };
  enum class Kind { kNone, kCallback, kGuardedHeap, kInOrder };
  struct Top {
    Kind kind = Kind::kNone;
    int64_t deadline = 0;
    TimerId id = 0;
  };
  struct Copy {  // Entries are plain data.
    void operator()(GuardedEntry* destination, GuardedEntry* source) const {
      *destination = *source;
    }
  };
  static constexpr size_t kMinCompaction = 64;
  // absl::ToUnixNanos(absl::InfiniteFuture()), and any later deadline.
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

  bool Live(const CallbackEntry& entry) const {
    return callbacks_.contains(entry.id);
  }
  static bool Live(const GuardedEntry& entry) { return IsArmed(entry.guarded); }

  // Drops stale entries from the top of each container, then returns the
  // earliest live entry of all three.
  Top Earliest() const {
    while (!callback_heap_.empty() && !Live(callback_heap_.front())) {
      std::pop_heap(callback_heap_.begin(), callback_heap_.end(), Later());
      callback_heap_.pop_back();
    }
    while (!guarded_heap_.empty() && !Live(guarded_heap_.front())) {
      std::pop_heap(guarded_heap_.begin(), guarded_heap_.end(), Later());
      guarded_heap_.pop_back();
    }
    while (!in_order_.empty() && !Live(*in_order_.Front())) {
      in_order_.PopFront();
    }
    Top top;
    auto consider = [&top](Kind kind, const auto& entry) {
      if (top.kind == Kind::kNone || Later()(top, entry)) {
        top = Top{kind, entry.deadline, entry.id};
      }
    };
    if (!callback_heap_.empty())
      consider(Kind::kCallback, callback_heap_.front());
    if (!guarded_heap_.empty())
      consider(Kind::kGuardedHeap, guarded_heap_.front());
    if (!in_order_.empty()) consider(Kind::kInOrder, *in_order_.Front());
    return top;
  }

  void CompactCallbackHeap() {
    std::erase_if(callback_heap_,
                  [this](const CallbackEntry& e) { return !Live(e); });
    std::make_heap(callback_heap_.begin(), callback_heap_.end(), Later());
  }

  void CompactGuardedHeap() {
    std::erase_if(guarded_heap_,
                  [](const GuardedEntry& e) { return !Live(e); });
    std::make_heap(guarded_heap_.begin(), guarded_heap_.end(), Later());
    compact_guarded_heap_at_ =
        std::max(kMinCompaction, 2 * guarded_heap_.size());
  }

  void CompactInOrder() {
    const size_t count = in_order_.size();
    for (size_t i = 0; i < count; ++i) {
      const GuardedEntry entry = *in_order_.PopFront();
      if (Live(entry)) {
        *in_order_.ReserveBack() = entry;
        in_order_.CommitBack();
      }
    }
    compact_in_order_at_ = std::max(kMinCompaction, 2 * in_order_.size());
  }

  // Mutable: dropping stale entries changes no observable state.
  mutable std::vector<CallbackEntry> callback_heap_;
  mutable std::vector<GuardedEntry> guarded_heap_;
  mutable RingQueue<GuardedEntry, Copy> in_order_{0};
  int64_t last_in_order_ = 0;  // Deadline of in_order_'s last entry.
  absl::flat_hash_map<TimerId, absl::AnyInvocable<void()>> callbacks_;
  TimerId next_id_ = 1;
  size_t compact_guarded_heap_at_ = kMinCompaction;
  size_t compact_in_order_at_ = kMinCompaction;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_TIMER_QUEUE_H_
