// Tracer records what actors do into a file in the Chrome Trace Event JSON
// format, which opens in Perfetto (ui.perfetto.dev, "Open trace file") and
// in Chromium's trace viewer: a lane per thread with each actor turn as a
// slice, arrows from each send to the turn that received it, and instant
// events for spawns, ends, failures, dead letters, timers, steals, parks and
// wake-ups. The schedulers call it (see StartTrace() on each); a test or a
// tool may drive it directly:
//
//   coactor::Tracer tracer;
//   if (absl::Status s = tracer.Start("/tmp/out.json"); !s.ok()) ...;
//   tracer.BeginTurn(/*actor=*/7, "counter");
//   tracer.FlowStart(TraceFlowKind::kMessage, tracer.NewFlowId(), "int");
//   tracer.EndTurn(/*messages=*/1);
//   tracer.Stop().IgnoreError();  // the file is now complete JSON
//
// Recording costs no lock and formats nothing: each thread appends compact
// binary records (32 bytes an event, texts apart; trace_batch.h) to its
// own buffer (TraceBuffer). Streaming (the default), a thread whose batch
// is full hands it to the trace's writer thread (TraceWriter), which
// formats it as JSON and appends it to the file while the thread records
// on into its spare, so a long trace is written as it goes and memory
// stays at one buffer per thread (TraceOptions::buffer_events, in two
// halves); a crash loses at most each thread's buffer. Bounded
// (TraceOptions::ring_events), each thread keeps only its last N events,
// formatted and written at Stop() with a count of what was dropped ("events
// dropped" per thread, "otherData.dropped_events" in all).
//
// Times are the steady clock's, in ns since Start(). Flow ids must be below
// 2^53 (JSON numbers); NewFlowId() makes ids unique within the trace. A
// flow end binds to the turn that encloses it, so call FlowEnd() between
// BeginTurn() and EndTurn() (it is stamped 1 ns after the turn's start); a
// flow start or end outside any turn gets a 2 ns slice of its own ("send"
// / "receive", category "outside") to bind to.
//
// Thread-safety: Start() and Stop() are thread-safe with each other. The
// recording calls are thread-safe with each other (each thread writes its
// own buffer), but not with Stop(): Stop() must happen after every
// recording call has returned (join the threads, or stop a scheduler's
// trace only while it does not run). A recording call while no trace is
// started does nothing.
#ifndef COACTOR_RUNTIME_TRACE_TRACER_H_
#define COACTOR_RUNTIME_TRACE_TRACER_H_

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "runtime/internal/tick_clock.h"
#include "runtime/trace/trace_batch.h"
#include "runtime/trace/trace_buffer.h"
#include "runtime/trace/trace_event.h"
#include "runtime/trace/trace_writer.h"

namespace coactor {

using TraceFlowKind = internal::TraceFlowKind;

struct TraceOptions {
  // 0: stream every event to the file. N > 0: bounded; keep only the last N
  // events of each thread (32 bytes each, and up to 80 of text apart for
  // the few that copy a text), written at Stop().
  size_t ring_events = 0;
  // Streaming: events in a thread's buffer, kept in two halves: the thread
  // records into one while the writer thread writes out the other (and
  // flushes it to the file). A crash loses at most this buffer of each
  // thread: the half being recorded and the half being written. (8,192:
  // halves of 4,096 events, the batch that keeps the writer's hand-overs
  // rare: with halves of 2,048, a streamed ping-pong on the deque cost 234
  // ns a message against 182.)
  size_t buffer_events = 8192;
};

class Tracer {
 public:
  Tracer() = default;
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;
  // Stops a trace in progress (its errors are lost: call Stop() to see them).
  ~Tracer();

  // Creates (truncates) the file at `path` and starts recording. The
  // error of the open if it fails (nothing is recorded then);
  // FailedPrecondition if a trace is already started.
  absl::Status Start(std::string_view path, const TraceOptions& options = {});
  // Writes what the threads hold and closes the file, leaving it complete
  // JSON. The first write error of the trace, if any. No trace: OK, a no-op.
  absl::Status Stop();
  bool started() const {
    // Relaxed: a hint; see the thread-safety note.
    return serial_.load(std::memory_order_relaxed) != 0;
  }

  // Recording; every call is for the calling thread's lane.
  // Names the calling thread's lane (default "thread N").
  void NameThread(std::string_view name);
  // Whether NameThread() was called on this thread in this trace (true
  // without a trace: there is nothing to name).
  bool thread_named();
  // Nanoseconds since Start() (0 without a trace).
  uint64_t Now() const { return started() ? Clock() : 0; }
  // Starts a turn of `actor` on this thread: a slice named `actor_name`
  // (copied; "actor <id>" if empty), recorded by EndTurn(), which gives
  // the number of messages handled. An EndTurn() with no turn begun on
  // this thread in this trace does nothing. `begin_ns`, if not 0, is the
  // turn's start instead of now: a loop that runs turns back to back may
  // start one where the last ended (EndTurn()'s value), a clock read less.
  // (The recording calls made per message are inline, below.)
  ABSL_ATTRIBUTE_ALWAYS_INLINE inline void BeginTurn(
      uint64_t actor, std::string_view actor_name, uint64_t begin_ns = 0);
  void EndTurn(uint64_t messages);
  // The turn's handler is done; what the thread records next still belongs
  // to the turn (work stealing flushes the messages it sent), and
  // EndTurnAfterStamps() may end the turn at the last of those.
  ABSL_ATTRIBUTE_ALWAYS_INLINE inline void MarkTurnHandled();
  // As EndTurn(messages), ending the turn 1 ns after the last flow event
  // stamped since MarkTurnHandled() if there was one, without a clock read
  // (a flush's flow starts read it as they go), else now.
  ABSL_ATTRIBUTE_ALWAYS_INLINE inline void EndTurnAfterStamps(
      uint64_t messages);
  // As EndTurn(), at `end_ns` (from Now(): one clock read may stamp a
  // turn's end and the flow starts just before it). Returns the end it
  // recorded (at least 2 ns after the start), 0 if none.
  ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint64_t EndTurn(uint64_t messages,
                                                       uint64_t end_ns);
  // Ends the turn begun without recording it (nothing ran after all).
  void AbandonTurn();
  void Spawn(uint64_t actor, std::string_view name);
  // An actor's end: normal, or by an exception with `what`.
  void End(uint64_t actor, std::string_view name);
  void EndByException(uint64_t actor, std::string_view name,
                      std::string_view what);
  void Failure(uint64_t actor, std::string_view name, std::string_view what);
  // `type_name` must outlive the trace (TypeName<T>() does).
  void DeadLetter(std::string_view recipient, std::string_view reason,
                  std::string_view type_name);
  // A flow id no other thread of this trace hands out.
  uint64_t NewFlowId();
  // The two ends of a flow; `name` (which must outlive the trace, as a
  // TypeName<T>() does) must be the same at both. `outcome` (copied), if
  // not empty, is shown on the end ("reply", "timeout").
  void FlowStart(TraceFlowKind kind, uint64_t id, std::string_view name);
  // As FlowStart(), at `ts_ns` (from Now(); in a turn, at least 1 ns after
  // its start).
  ABSL_ATTRIBUTE_ALWAYS_INLINE inline void FlowStart(TraceFlowKind kind,
                                                     uint64_t id,
                                                     std::string_view name,
                                                     uint64_t ts_ns);
  ABSL_ATTRIBUTE_ALWAYS_INLINE inline void FlowEnd(
      TraceFlowKind kind, uint64_t id, std::string_view name,
      std::string_view outcome = {});
  // As FlowEnd(), at `ts_ns` (from Now()) rather than at the turn's start:
  // for an end that a turn records after starts it recorded itself (a
  // message it drops that it had sent).
  void FlowEnd(TraceFlowKind kind, uint64_t id, std::string_view name,
               std::string_view outcome, uint64_t ts_ns);
  // `deadline_unix_ns`: on the scheduler's clock (virtual, for a
  // ManualClock), in ns since the Unix epoch.
  void TimerArmed(uint64_t timer, uint64_t deadline_unix_ns);
  void TimerFired(uint64_t timer);
  void TimerCancelled(uint64_t timer);
  void Steal(uint64_t worker, uint64_t victim);
  void Park(uint64_t worker);
  void Wake(uint64_t worker);

 private:
  // This thread's buffer for the current trace, or nullptr without one.
  ABSL_ATTRIBUTE_ALWAYS_INLINE inline internal::TraceBuffer* Buffer();
  ABSL_ATTRIBUTE_NOINLINE internal::TraceBuffer* RegisterThread(
      uint64_t serial);
  // BeginTurn() of an actor whose name this thread has no room to keep.
  ABSL_ATTRIBUTE_NOINLINE static void KeepTurnName(internal::TraceBuffer* b,
                                                   std::string_view name);
  // A flow's end at `ts_ns`, with its `outcome` (if any) as its text.
  ABSL_ATTRIBUTE_ALWAYS_INLINE inline void RecordFlowEnd(
      internal::TraceBuffer* b, TraceFlowKind kind, uint64_t id,
      std::string_view name, std::string_view outcome, uint64_t ts_ns);
  // Records one more event (trace_batch.h says what `value` and `extra`
  // hold for each kind); returns it, for a text to be put.
  ABSL_ATTRIBUTE_ALWAYS_INLINE inline internal::TraceRecord* Record(
      internal::TraceBuffer* buffer, internal::TraceEventKind kind,
      uint64_t ts_ns, uint64_t id = 0, uint64_t value = 0, uint32_t extra = 0,
      TraceFlowKind flow = TraceFlowKind::kMessage);
  // Gives `record`, just recorded by Record(), its text. (A call of its
  // own: in `b->batch().PutText(Record(...))` the batch would be taken
  // before Record() hands a full one on.)
  static void RecordText(internal::TraceBuffer* buffer,
                         internal::TraceRecord* record, std::string_view first,
                         std::string_view second = {});
  // A 2 ns slice at `ts_ns` named `name` (static text) for a flow end
  // outside a turn to bind to; returns the time to give the flow event.
  ABSL_ATTRIBUTE_NOINLINE uint64_t OutsideSlice(internal::TraceBuffer* buffer,
                                                uint64_t ts_ns,
                                                const char* name);
  // Hands a full streaming batch to the writer (its owner's call).
  ABSL_ATTRIBUTE_NOINLINE void Flush(internal::TraceBuffer* buffer);
  // Formats `batch` of `buffer`'s and appends it to the file (the writer
  // thread's, or Stop()'s).
  void WriteBatch(internal::TraceBuffer& buffer,
                  const internal::TraceBatch& batch, std::string* text);
  // `batch` of `buffer`'s as JSON, appended to `text`. `write`: with the
  // file's mutex held, written out whenever it passes 1 MiB (a ring's at
  // Stop(), whose whole text may be tens of MiB).
  void AppendBatch(internal::TraceBuffer& buffer,
                   const internal::TraceBatch& batch, std::string* text,
                   bool write = false);
  // Appends `text` to the file; file_mutex_ held.
  void Write(const std::string& text);
  // Now(), for a caller that knows the trace is started: the time-stamp
  // counter (internal::TickClock; a vDSO clock_gettime() cost twice as
  // much here), in ns since Start(): ticks times the rate in 32.32 fixed
  // point, one 64x64->128-bit multiply (converting through a double cost
  // 4 ns a read).
  uint64_t Clock() const {
    const unsigned __int128 ticks = internal::TickClock::Now() - start_ticks_;
    return static_cast<uint64_t>((ticks * nanos_per_tick_32_) >> 32);
  }

  // The current trace's number (0: none); a thread's cached buffer is
  // for the trace whose serial it notes.
  std::atomic<uint64_t> serial_{0};
  uint64_t start_ticks_ = 0;
  uint64_t nanos_per_tick_32_ = uint64_t{1} << 32;  // 32.32 fixed point.
  uint32_t pid_ = 0;
  TraceOptions options_;

  std::mutex registry_mutex_;  // Start, Stop, registering threads.
  // Guarded by registry_mutex_.
  std::vector<std::unique_ptr<internal::TraceBuffer>> buffers_;

  internal::TraceWriter writer_;  // Streaming.
  std::string writer_text_;       // The writer thread's.

  std::mutex file_mutex_;  // Writes to the file.
  // Guarded by file_mutex_ (both mutexes to open or close it).
  std::FILE* file_ = nullptr;
  absl::Status write_error_;
};

namespace internal {

// The calling thread's buffer in the trace numbered `serial` (Tracer's).
struct TraceThreadCache {
  uint64_t serial = 0;
  TraceBuffer* buffer = nullptr;
};
inline thread_local constinit TraceThreadCache trace_thread_cache;

}  // namespace internal

inline internal::TraceBuffer* Tracer::Buffer() {
  // Acquire: pairs with Start()'s release (free on x86: a plain load).
  const uint64_t serial = serial_.load(std::memory_order_acquire);
  internal::TraceThreadCache& cache = internal::trace_thread_cache;
  if (cache.serial == serial && serial != 0) [[likely]] {
    return cache.buffer;
  }
  return RegisterThread(serial);
}

inline internal::TraceRecord* Tracer::Record(internal::TraceBuffer* buffer,
                                             internal::TraceEventKind kind,
                                             uint64_t ts_ns, uint64_t id,
                                             uint64_t value, uint32_t extra,
                                             TraceFlowKind flow) {
  if (ABSL_PREDICT_FALSE(buffer->batch().full())) Flush(buffer);
  internal::TraceRecord& r = buffer->batch().Append();
  r = internal::TraceRecord{ts_ns, id, value, extra, kind, flow, 0, 0};
  return &r;
}

inline void Tracer::BeginTurn(uint64_t actor, std::string_view actor_name,
                              uint64_t begin_ns) {
  internal::TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  b->in_turn = true;
  b->turn_begin_ns = begin_ns != 0 ? begin_ns : Clock();
  b->turn_actor = actor;
  // Named by id once this thread knows the name (so a turn's event copies
  // no text); else the name goes with the turn.
  b->turn_name_size = 0;
  if (ABSL_PREDICT_FALSE(!b->RememberName(actor, actor_name))) {
    KeepTurnName(b, actor_name);
  }
}

inline uint64_t Tracer::EndTurn(uint64_t messages, uint64_t now) {
  internal::TraceBuffer* b = Buffer();
  if (b == nullptr || !b->in_turn) return 0;
  b->in_turn = false;
  const uint64_t begin = b->turn_begin_ns;
  // At least 2 ns, so that a flow end stamped begin + 1 lies inside.
  const uint64_t dur = now > begin + 2 ? now - begin : 2;
  internal::TraceRecord* r = Record(
      b, internal::TraceEventKind::kTurn, begin, b->turn_actor, dur,
      messages < UINT32_MAX ? static_cast<uint32_t>(messages) : UINT32_MAX);
  if (ABSL_PREDICT_FALSE(b->turn_name_size != 0)) {
    b->batch().PutText(r, {b->turn_name, b->turn_name_size});
  }
  return begin + dur;
}

inline void Tracer::MarkTurnHandled() {
  internal::TraceBuffer* b = Buffer();
  if (b != nullptr) b->turn_stamp_ns = 0;
}

inline void Tracer::EndTurnAfterStamps(uint64_t messages) {
  internal::TraceBuffer* b = Buffer();
  if (b == nullptr || !b->in_turn) return;
  EndTurn(messages, b->turn_stamp_ns != 0 ? b->turn_stamp_ns + 1 : Clock());
}

inline void Tracer::FlowStart(TraceFlowKind kind, uint64_t id,
                              std::string_view name, uint64_t ts) {
  internal::TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  if (ABSL_PREDICT_FALSE(!b->in_turn)) {
    ts = OutsideSlice(b, ts, "send");
  } else {
    if (ts <= b->turn_begin_ns) {
      ts = b->turn_begin_ns + 1;  // Inside the turn's slice (at least 2 ns).
    }
    b->turn_stamp_ns = ts;
  }
  Record(b, internal::TraceEventKind::kFlowStart, ts, id,
         reinterpret_cast<uint64_t>(name.data()),
         static_cast<uint32_t>(name.size()), kind);
}

inline void Tracer::FlowEnd(TraceFlowKind kind, uint64_t id,
                            std::string_view name, std::string_view outcome) {
  internal::TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  // In a turn, stamped just inside its start (not at its edge, where a
  // viewer may not count it as inside): a receipt is what starts a turn,
  // and this saves a clock read per message.
  const uint64_t ts = ABSL_PREDICT_TRUE(b->in_turn)
                          ? b->turn_begin_ns + 1
                          : OutsideSlice(b, Clock(), "receive");
  RecordFlowEnd(b, kind, id, name, outcome, ts);
}

inline void Tracer::FlowEnd(TraceFlowKind kind, uint64_t id,
                            std::string_view name, std::string_view outcome,
                            uint64_t ts) {
  internal::TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  if (ABSL_PREDICT_FALSE(!b->in_turn)) {
    ts = OutsideSlice(b, ts, "receive");
  } else {
    if (ts <= b->turn_begin_ns) {
      ts = b->turn_begin_ns + 1;  // Inside the turn's slice.
    }
    if (ts > b->turn_stamp_ns) b->turn_stamp_ns = ts;
  }
  RecordFlowEnd(b, kind, id, name, outcome, ts);
}

inline void Tracer::RecordFlowEnd(internal::TraceBuffer* b, TraceFlowKind kind,
                                  uint64_t id, std::string_view name,
                                  std::string_view outcome, uint64_t ts) {
  internal::TraceRecord* r = Record(b, internal::TraceEventKind::kFlowEnd, ts,
                                    id, reinterpret_cast<uint64_t>(name.data()),
                                    static_cast<uint32_t>(name.size()), kind);
  if (ABSL_PREDICT_FALSE(!outcome.empty())) {
    b->batch().PutText(r, {}, outcome);
  }
}

}  // namespace coactor

#endif  // COACTOR_RUNTIME_TRACE_TRACER_H_
