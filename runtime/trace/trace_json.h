// The Chrome Trace Event JSON format, which Perfetto (ui.perfetto.dev) and
// Chromium's trace viewer (chrome://tracing) open: one JSON object whose
// "traceEvents" array holds the events. These functions append the text of
// a whole trace in pieces, so that a trace is written as it is recorded:
//
//   std::string out;
//   AppendTraceHeader(pid, &out);             // {"traceEvents":[ + a first
//   event AppendTraceEvent(event, pid, tid, &out);  // ,\n{...}, any number of
//   times AppendThreadName(pid, tid, "worker 0", &out);
//   AppendTraceFooter(dropped, &out);         // ]... }
//
// How each TraceEventKind is written: turns are complete events ("X") on
// the thread that ran them, named after the actor; a message or ask is a
// flow, "s" where it was sent and "f" with "bp":"e" (bound to the slice that
// encloses it, the receiver's turn) where it was received, both named after
// the message type and matched by (category, name, id); everything else is
// a thread-scoped instant event ("i") with its numbers in "args". Times are
// microseconds with three decimals (the format's unit; ns resolution).
// Strings are escaped; bytes that are not UTF-8 become U+FFFD.
//
// Thread-safety: pure functions.
#ifndef COACTOR_RUNTIME_TRACE_TRACE_JSON_H_
#define COACTOR_RUNTIME_TRACE_TRACE_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/trace/trace_event.h"

namespace coactor::internal {

// The opening of the trace object and its first event (the process name),
// so that every later event is appended with a leading comma.
void AppendTraceHeader(uint32_t pid, std::string* out);
// `actor_name_json`: a turn's actor's name as a JSON string (quoted, by
// AppendJsonString()), when its event carries no name (TraceBuffer keeps
// the names apart); a turn with neither is "actor <id>".
void AppendTraceEvent(const TraceEvent& event, uint32_t pid, uint32_t tid,
                      std::string* out, std::string_view actor_name_json = {});
// A metadata event ("M") naming thread `tid`.
void AppendThreadName(uint32_t pid, uint32_t tid, std::string_view name,
                      std::string* out);
// Closes the array and the object; "otherData" says how many events a
// bounded trace dropped.
void AppendTraceFooter(uint64_t dropped_events, std::string* out);
// `s` as a JSON string literal, quotes included.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_TRACE_TRACE_JSON_H_
