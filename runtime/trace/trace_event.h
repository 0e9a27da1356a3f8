// TraceEvent is one record of a trace: what happened (its kind), when, on
// which thread's buffer, and the few numbers and texts that describe it. It
// is the decoded form of a recorded TraceRecord (trace_batch.h, which
// keeps texts apart), what TraceJson (trace_json.h) turns into a Chrome
// Trace Event, which Perfetto and Chromium's viewer open.
//
//   TraceEvent event;
//   event.kind = TraceEventKind::kSpawn;
//   event.ts_ns = now;
//   event.id = actor_id;
//   event.SetText("printer");
//
// Texts: `label` points to text that outlives the trace (a message type's
// name from TypeName<T>(), a literal); `text` and `text2` are copied into
// the event (actor names, error texts), cut at kTextCapacity bytes in all
// (on a UTF-8 character boundary).
//
// Thread-safety: a plain value.
#ifndef COACTOR_RUNTIME_TRACE_TRACE_EVENT_H_
#define COACTOR_RUNTIME_TRACE_TRACE_EVENT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace coactor::internal {

enum class TraceEventKind : uint8_t {
  kTurn,            // An actor's turn: ts_ns..ts_ns+dur_ns; id actor, value
                    // messages handled; text its name.
  kSpawn,           // id actor; text its name.
  kEnd,             // id actor; text its name, text2 what() (empty: normal).
  kFailure,         // id actor; text its name, text2 what().
  kDeadLetter,      // label message type; text recipient, text2 reason.
  kFlowStart,       // A send (or ask request): id flow; label its name.
  kFlowEnd,         // Its receipt: id flow; label its name; text2 outcome.
  kTimerArmed,      // id timer; value its deadline on the scheduler's
                    // clock, ns since the Unix epoch.
  kTimerFired,      // id timer.
  kTimerCancelled,  // id timer.
  kSteal,           // id thief worker; value victim worker.
  kPark,            // id worker.
  kWake,            // id worker.
  kDropped,         // value: events of this thread a bounded trace dropped.
  kOutside,         // A 2 ns slice for a flow end outside any turn to bind
                    // to; text "send" or "receive".
};

// What a flow connects: a message (send -> the turn that received it) or an
// ask (request -> reply or timeout). Perfetto pairs a flow's two ends by
// (category, name, id).
enum class TraceFlowKind : uint8_t { kMessage, kAsk };

struct TraceEvent {
  static constexpr size_t kTextCapacity = 80;  // 128 bytes in all.

  uint64_t ts_ns = 0;   // Since the trace started.
  uint64_t dur_ns = 0;  // kTurn only.
  uint64_t id = 0;
  uint64_t value = 0;
  const char* label = nullptr;  // Static text (see the file comment).
  uint32_t label_size = 0;
  TraceEventKind kind = TraceEventKind::kTurn;
  TraceFlowKind flow = TraceFlowKind::kMessage;
  uint8_t text_size = 0;
  uint8_t text2_size = 0;
  char text[kTextCapacity];  // text, then text2.

  void SetLabel(std::string_view s) {
    label = s.data();
    label_size = static_cast<uint32_t>(s.size());
  }
  // Copies `first` and `second` (each cut to what fits, `first` first).
  void SetText(std::string_view first, std::string_view second = {}) {
    text_size = Copy(first, text, kTextCapacity);
    text2_size = Copy(second, text + text_size, kTextCapacity - text_size);
  }
  std::string_view label_view() const { return {label, label_size}; }
  std::string_view text_view() const { return {text, text_size}; }
  std::string_view text2_view() const { return {text + text_size, text2_size}; }

  // How many bytes of `s` fit in `room` (at most kTextCapacity), cut on a
  // UTF-8 character boundary.
  static uint8_t Fit(std::string_view s, size_t room) {
    size_t n = s.size() < room ? s.size() : room;
    // Back off continuation bytes.
    if (n < s.size()) {
      while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    }
    return static_cast<uint8_t>(n);
  }

 private:
  static uint8_t Copy(std::string_view s, char* out, size_t room) {
    const uint8_t n = Fit(s, room);
    if (n != 0) std::memcpy(out, s.data(), n);
    return n;
  }
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_TRACE_TRACE_EVENT_H_
