// TraceBuffer is what one thread records into: its batch of records
// (trace_batch.h), and what the thread keeps beside them (its lane's name,
// the turn under way, the names of the actors its turns refer to).
// Streaming, the buffer is two batches of half its events: a full batch is
// handed to the trace's writer thread (TraceWriter), which formats and
// writes it (flushed to the file) and gives it back as the thread's spare,
// so memory stays at one buffer per thread however long the trace, and
// what a crash loses at most that buffer.
// Bounded, the batch is a ring written when the trace stops.
//
//   TraceBuffer buffer(/*tid=*/1, /*capacity=*/4096, /*ring=*/false);
//   if (buffer.batch().full()) { ...hand it on, take the spare... }
//   TraceRecord& r = buffer.batch().Append();  // then fill it in
//
// Thread-safety: the recording thread owns it, except: `spare` belongs to
// the writer's mutex, and the names to names_mutex_ (the recording thread
// adds one, the writer looks one up). Tracer::Stop() reads the rest only
// when the thread records nothing.
#ifndef COACTOR_RUNTIME_TRACE_TRACE_BUFFER_H_
#define COACTOR_RUNTIME_TRACE_TRACE_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/container/node_hash_map.h"

#include "runtime/trace/trace_batch.h"
#include "runtime/trace/trace_event.h"
#include "runtime/trace/trace_json.h"

namespace coactor::internal {

class TraceBuffer {
 public:
  // `capacity` events: a ring of that many, or (streaming) two batches of
  // half as many each, the one recorded into and the spare.
  TraceBuffer(uint32_t tid, size_t capacity, bool ring)
      : tid_(tid),
        batch_(std::make_unique<TraceBatch>(ring ? capacity : Half(capacity),
                                            ring)) {
    if (!ring) spare = std::make_unique<TraceBatch>(Half(capacity), ring);
  }

  TraceBatch& batch() { return *batch_; }
  const TraceBatch& batch() const { return *batch_; }
  // Swaps in `next` (empty) for the batch, which it returns.
  std::unique_ptr<TraceBatch> Exchange(std::unique_ptr<TraceBatch> next) {
    batch_.swap(next);
    return next;
  }

  uint32_t tid() const { return tid_; }
  // A streaming batch's events for a buffer of `capacity` (at least 1).
  static size_t Half(size_t capacity) { return (capacity + 1) / 2; }

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
      std::lock_guard<std::mutex> lock(names_mutex_);
      const auto it = names_.find(e.id);
      if (it == names_.end()) return {};
      // Its value stays put (a node) and is never changed.
      found = FoundName{e.id, &it->second};
    }
    return *found.json;
  }

  // What the recording thread keeps beside its events.
  std::thread::id owner;
  std::string name;      // Its "thread_name" in the trace.
  bool named = false;    // By NameThread().
  bool in_turn = false;  // Between BeginTurn() and EndTurn().
  uint64_t turn_begin_ns = 0;
  // The last clock-stamped flow event of the turn under way since
  // Tracer::MarkTurnHandled() (0: none): an end that needs no clock read.
  uint64_t turn_stamp_ns = 0;
  // The turn under way, recorded at its end: its actor, and its name if
  // RememberName() had no room for it.
  uint64_t turn_actor = 0;
  uint8_t turn_name_size = 0;
  char turn_name[TraceEvent::kTextCapacity];
  uint64_t flows = 0;  // Flow ids handed out by this thread.
  // Streaming: the empty batch to take when this one is full; null while
  // the writer has it (TraceWriter's mutex guards it).
  std::unique_ptr<TraceBatch> spare;

 private:
  const uint32_t tid_;
  std::unique_ptr<TraceBatch> batch_;
  // RememberName() past its cache.
  ABSL_ATTRIBUTE_NOINLINE bool RememberNewName(uint64_t actor,
                                               std::string_view name) {
    // Unlocked: only this thread changes names_.
    if (!names_.contains(actor)) {
      if (names_.size() >= kMaxNames) return false;
      std::string json;
      if (!name.empty()) AppendJsonString(name, &json);
      std::lock_guard<std::mutex> lock(names_mutex_);
      names_.emplace(actor, std::move(json));
    }
    recent_names_[actor % kRecentNames] = actor;
    return true;
  }

  // A cache in front of names_ (actor ids start at 1: 0 is no entry),
  // for a thread that runs up to some hundreds of actors (8 KiB; at 64,
  // thread ring's 503 actors missed it at every turn).
  static constexpr size_t kRecentNames = 1024;
  uint64_t recent_names_[kRecentNames] = {};
  std::mutex names_mutex_;
  // As JSON strings. Changed by the recording thread only, with
  // names_mutex_ held; others read it with the mutex held.
  absl::node_hash_map<uint64_t, std::string> names_;
  struct FoundName {
    uint64_t actor = 0;
    const std::string* json = nullptr;
  };
  FoundName found_names_[kRecentNames];
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_TRACE_TRACE_BUFFER_H_
