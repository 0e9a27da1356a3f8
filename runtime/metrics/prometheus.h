// RenderPrometheus() writes a SchedulerMetrics (metrics.h) in the
// Prometheus text exposition format (version 0.0.4), for a program to
// serve from its own HTTP endpoint (Content-Type: text/plain;
// version=0.0.4): one `# HELP` and one `# TYPE` line per metric, counters
// named `..._total`, times in seconds, and per-actor series labelled with
// the actor's name and id (`actor="printer",id="2"`; a name's `\`, `"` and
// newlines escaped as `\\`, `\"` and `\n`).
//
//   std::string body = coactor::RenderPrometheus(sched.Metrics());
//   // # HELP coactor_messages_total Messages delivered to actors.
//   // # TYPE coactor_messages_total counter
//   // coactor_messages_total 200
//   // ...
//
// Thread-safety: a pure function of its argument.
#ifndef COACTOR_RUNTIME_METRICS_PROMETHEUS_H_
#define COACTOR_RUNTIME_METRICS_PROMETHEUS_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <string>
#include "absl/strings/string_view.h"

#include "runtime/metrics/metrics.h"

namespace coactor {

// The metrics in the text exposition format, every line ending in '\n'.
std::string RenderPrometheus(const SchedulerMetrics& metrics);

// `value` as a label value's contents: `\` → `\\`, `"` → `\"`, newline →
// `\n`.
std::string EscapePrometheusLabel(absl::string_view value);

}  // namespace coactor

#endif  // COACTOR_RUNTIME_METRICS_PROMETHEUS_H_
