#include "runtime/metrics/prometheus.h"

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/metrics/metrics.h"

namespace coactor {
namespace {

void Family(std::string& out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ",
                  type, "\n");
}

std::string Seconds(uint64_t nanos) {
  return absl::StrFormat("%d.%09d", nanos / 1'000'000'000,
                         nanos % 1'000'000'000);
}

// One per-actor family: a line per actor with `value(actor)`.
template <typename Value>
void ActorFamily(std::string& out, const SchedulerMetrics& metrics,
                 absl::string_view name, absl::string_view type,
                 absl::string_view help, Value value) {
  if (metrics.actors.empty()) return;
  Family(out, name, type, help);
  for (const ActorMetrics& actor : metrics.actors) {
    absl::StrAppend(&out, name, "{actor=\"", EscapePrometheusLabel(actor.name),
                    "\",id=\"", actor.id, "\"} ", value(actor), "\n");
  }
}

}  // namespace

std::string EscapePrometheusLabel(absl::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\':
        escaped += "\\\\";
        break;
      case '"':
        escaped += "\\\"";
        break;
      case '\n':
        escaped += "\\n";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string RenderPrometheus(const SchedulerMetrics& metrics) {
  std::string out;
  const struct {
    absl::string_view name;
    absl::string_view help;
    uint64_t value;
  } counters[] = {
      {"coactor_messages_total", "Messages delivered to actors.",
       metrics.messages},
      {"coactor_spawns_total", "Actors spawned.", metrics.spawns},
      {"coactor_ends_total", "Actors that finished, normally or not.",
       metrics.ends},
      {"coactor_dead_letters_total", "Messages that reached no actor.",
       metrics.dead_letters},
      {"coactor_failures_total", "Actors ended by an exception.",
       metrics.failures},
      {"coactor_steals_total",
       "Actors a worker took from another worker's deque.", metrics.steals},
      {"coactor_parks_total", "Times a worker slept for lack of work.",
       metrics.parks},
      {"coactor_timers_fired_total", "Timers that fired.",
       metrics.timers_fired},
  };
  for (const auto& counter : counters) {
    Family(out, counter.name, "counter", counter.help);
    absl::StrAppend(&out, counter.name, " ", counter.value, "\n");
  }
  ActorFamily(out, metrics, "coactor_actor_messages_received_total", "counter",
              "Messages the actor received.",
              [](const ActorMetrics& a) { return absl::StrCat(a.received); });
  ActorFamily(out, metrics, "coactor_actor_mailbox_depth", "gauge",
              "Messages queued for the actor.",
              [](const ActorMetrics& a) { return absl::StrCat(a.depth); });
  ActorFamily(out, metrics, "coactor_actor_mailbox_peak_depth", "gauge",
              "The most messages ever queued for the actor.",
              [](const ActorMetrics& a) { return absl::StrCat(a.peak_depth); });
  ActorFamily(out, metrics, "coactor_actor_turns_timed_total", "counter",
              "Turns of the actor that were timed.",
              [](const ActorMetrics& a) { return absl::StrCat(a.turns); });
  ActorFamily(out, metrics, "coactor_actor_turn_seconds_total", "counter",
              "Time the actor's timed turns took.", [](const ActorMetrics& a) {
                return Seconds(a.turn_nanos_total);
              });
  ActorFamily(out, metrics, "coactor_actor_turn_max_seconds", "gauge",
              "The longest timed turn of the actor.",
              [](const ActorMetrics& a) { return Seconds(a.turn_nanos_max); });
  ActorFamily(
      out, metrics, "coactor_actor_oldest_wait_seconds", "gauge",
      "How long the actor's oldest message has waited (a lower "
      "bound, from successive snapshots).",
      [](const ActorMetrics& a) { return Seconds(a.oldest_wait_nanos); });
  ActorFamily(out, metrics, "coactor_actor_mailbox_capacity", "gauge",
              "The actor's mailbox capacity (0: unbounded).",
              [](const ActorMetrics& a) { return absl::StrCat(a.capacity); });
  ActorFamily(out, metrics, "coactor_actor_sends_rejected_total", "counter",
              "Sends refused because the actor's mailbox was full.",
              [](const ActorMetrics& a) { return absl::StrCat(a.rejected); });
  ActorFamily(out, metrics, "coactor_actor_sends_dropped_total", "counter",
              "Messages dropped because the actor's mailbox was full.",
              [](const ActorMetrics& a) { return absl::StrCat(a.dropped); });
  ActorFamily(out, metrics, "coactor_actor_sends_waited_total", "counter",
              "Sends that waited for room in the actor's mailbox.",
              [](const ActorMetrics& a) { return absl::StrCat(a.waited); });
  return out;
}

}  // namespace coactor
