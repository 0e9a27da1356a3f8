// TraceBuffer holds the events one thread has recorded and not yet written.
// It has two modes. Streaming: the thread appends until the buffer is full,
// then the trace writes the events out and empties it (Clear()), so memory
// stays at one buffer per thread however long the trace. Bounded (a ring):
// a full buffer overwrites its oldest event and counts it as dropped, so
// only the last `capacity` events are kept, written when the trace stops.
//
//   TraceBuffer buffer(/*tid=*/1, /*capacity=*/4096, /*ring=*/false);
//   if (buffer.full()) { ...write buffer.ForEach(...); buffer.Clear(); }
//   TraceEvent& e = buffer.Append();  // then fill it in
//
// Thread-safety: none. The thread that records into it owns it; the trace
// reads it only when that thread records nothing (Tracer::Stop()).
#ifndef COACTOR_RUNTIME_TRACE_TRACE_BUFFER_H_
#define COACTOR_RUNTIME_TRACE_TRACE_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/base/attributes.h"
#include "absl/container/node_hash_map.h"

#include "runtime/trace/trace_event.h"
#include "runtime/trace/trace_json.h"

namespace coactor::internal {

class TraceBuffer {
 public:
  TraceBuffer(uint32_t tid, size_t capacity, bool ring)
      : tid_(tid),
        capacity_(capacity == 0 ? 1 : capacity),
        ring_(ring),
        events_(new TraceEvent[capacity_]) {}

  // Streaming mode: Append() needs room (write out and Clear() first).
  // A ring is never full.
  bool full() const { return !ring_ && size_ == capacity_; }

  // The slot for the next event, to be filled in by the caller.
  TraceEvent& Append() {
    if (!ring_) return events_[size_++];
    TraceEvent& slot = events_[next_];
    if (++next_ == capacity_) next_ = 0;
    if (size_ == capacity_) {
      ++dropped_;
    } else {
      ++size_;
    }
    return slot;
  }

  // Every event held, oldest first.
  template <typename F>
  void ForEach(F&& f) const {
    const size_t first = (ring_ && size_ == capacity_) ? next_ : 0;
    for (size_t i = 0; i < size_; ++i) {
      size_t k = first + i;
      if (k >= capacity_) k -= capacity_;
      f(events_[k]);
    }
  }

  void Clear() { size_ = next_ = 0; }

  uint32_t tid() const { return tid_; }
  size_t size() const { return size_; }
  // Events a ring overwrote.
  uint64_t dropped() const { return dropped_; }

  // Names the thread's turns refer to by actor id (TraceEvent::id), kept
  // beside the events, so that a turn's event copies no text; true if
  // `actor` is (now) one of them. Up to kMaxNames actors; past that, false
  // for new ones: their turns carry their names.
  static constexpr size_t kMaxNames = 1 << 16;
  bool RememberName(uint64_t actor, std::string_view name) {
    if (recent_names_[actor % kRecentNames] == actor) return true;
    return RememberNewName(actor, name);
  }
  // The name a turn's event refers to, if it carries none (else empty), as
  // a JSON string (escaped once, when kept).
  std::string_view ActorNameJson(const TraceEvent& e) {
    if (e.kind != TraceEventKind::kTurn || e.text_size != 0) return {};
    // The writer's cache (node_hash_map: its values stay put).
    FoundName& found = found_names_[e.id % kRecentNames];
    if (found.actor != e.id || found.json == nullptr) {
      const auto it = names_.find(e.id);
      if (it == names_.end()) return {};
      found = FoundName{e.id, &it->second};
    }
    return *found.json;
  }

  // What the recording thread keeps beside its events.
  std::thread::id owner;
  std::string name;      // Its "thread_name" in the trace.
  std::string scratch;   // Text of a batch being written.
  bool named = false;    // By NameThread().
  bool in_turn = false;  // Between BeginTurn() and EndTurn().
  uint64_t turn_begin_ns = 0;
  // The turn under way, recorded at its end: its actor, and its name if
  // RememberName() had no room for it.
  uint64_t turn_actor = 0;
  uint8_t turn_name_size = 0;
  char turn_name[TraceEvent::kTextCapacity];
  uint64_t flows = 0;  // Flow ids handed out by this thread.

 private:
  const uint32_t tid_;
  const size_t capacity_;
  const bool ring_;
  std::unique_ptr<TraceEvent[]> events_;
  size_t size_ = 0;  // Events held.
  size_t next_ = 0;  // Ring: where the next one goes.
  uint64_t dropped_ = 0;
  // RememberName() past its cache.
  ABSL_ATTRIBUTE_NOINLINE bool RememberNewName(uint64_t actor,
                                               std::string_view name) {
    if (names_.size() >= kMaxNames && !names_.contains(actor)) return false;
    if (auto [it, added] = names_.try_emplace(actor); added && !name.empty()) {
      AppendJsonString(name, &it->second);
    }
    recent_names_[actor % kRecentNames] = actor;
    return true;
  }

  // A cache in front of names_ (actor ids start at 1: 0 is no entry).
  static constexpr size_t kRecentNames = 64;
  uint64_t recent_names_[kRecentNames] = {};
  absl::node_hash_map<uint64_t, std::string> names_;  // As JSON strings.
  struct FoundName {
    uint64_t actor = 0;
    const std::string* json = nullptr;
  };
  FoundName found_names_[kRecentNames];
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_TRACE_TRACE_BUFFER_H_
