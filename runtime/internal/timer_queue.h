// TimerQueue keeps callbacks ordered by deadline for a scheduler's loop.
// A binary heap of (deadline, id) orders them (ids grow, so timers due at
// the same time fire in the order they were added); the callbacks live in a
// hash map by id, so cancelling is an erase and the heap entry is skipped
// when it surfaces.
//
// Thread-safety: none; the owner serializes access.
#ifndef COACTOR_RUNTIME_INTERNAL_TIMER_QUEUE_H_
#define COACTOR_RUNTIME_INTERNAL_TIMER_QUEUE_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "actors/internal/runtime.h"

namespace coactor::internal {

class TimerQueue {
 public:
  TimerId Add(absl::Time deadline, absl::AnyInvocable<void()> fire) {
    const TimerId id = next_id_++;
    heap_.push_back(Entry{deadline, id});
    std::push_heap(heap_.begin(), heap_.end(), Later());
    callbacks_.emplace(id, std::move(fire));
    return id;
  }

  bool Cancel(TimerId id) { return callbacks_.erase(id) > 0; }

  bool empty() const { return callbacks_.empty(); }
  size_t size() const { return callbacks_.size(); }

  // The earliest deadline of a pending timer.
  std::optional<absl::Time> NextDeadline() {
    DropCancelled();
    if (heap_.empty()) return std::nullopt;
    return heap_.front().deadline;
  }

  // Removes and returns the callback of the earliest timer due by `now`.
  std::optional<absl::AnyInvocable<void()>> PopDue(absl::Time now) {
    DropCancelled();
    if (heap_.empty() || heap_.front().deadline > now) return std::nullopt;
    const TimerId id = heap_.front().id;
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    heap_.pop_back();
    auto it = callbacks_.find(id);
    absl::AnyInvocable<void()> fire = std::move(it->second);
    callbacks_.erase(it);
    return fire;
  }

 private:
  struct Entry {
    absl::Time deadline;
    TimerId id;
  };
  // Heap order: the earliest (then the oldest) on top.
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.deadline != b.deadline ? a.deadline > b.deadline : a.id > b.id;
    }
  };

  void DropCancelled() {
    while (!heap_.empty() && !callbacks_.contains(heap_.front().id)) {
      std::pop_heap(heap_.begin(), heap_.end(), Later());
      heap_.pop_back();
    }
  }

  std::vector<Entry> heap_;
  absl::flat_hash_map<TimerId, absl::AnyInvocable<void()>> callbacks_;
  TimerId next_id_ = 1;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_TIMER_QUEUE_H_
