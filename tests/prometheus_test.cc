// RenderPrometheus() (runtime/metrics/prometheus.h), line by line, with
// the escaping of actor names holding `"`, `\` and a newline.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "actors/actor.h"
#include "actors/receive.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/metrics/metrics.h"
#include "runtime/metrics/prometheus.h"

namespace coactor {
namespace {

TEST(PrometheusTest, RendersEveryMetricLineByLine) {
  SchedulerMetrics metrics;
  metrics.messages = 12;
  metrics.spawns = 3;
  metrics.ends = 1;
  metrics.dead_letters = 4;
  metrics.failures = 1;
  metrics.steals = 5;
  metrics.parks = 6;
  metrics.timers_fired = 7;
  metrics.actors.push_back(ActorMetrics{.id = 2,
                                        .name = "a\"b\\c\nd",
                                        .received = 10,
                                        .depth = 2,
                                        .peak_depth = 9,
                                        .turns = 3,
                                        .turn_nanos_total = 1'500'000'123,
                                        .turn_nanos_max = 20'000'000,
                                        .oldest_wait_nanos = 3'000'000'007,
                                        .capacity = 64,
                                        .rejected = 11,
                                        .dropped = 12,
                                        .waited = 13});
  metrics.actors.push_back(ActorMetrics{.id = 3, .received = 1});
  const std::vector<std::string> lines =
      absl::StrSplit(RenderPrometheus(metrics), '\n');
  const std::vector<std::string> expected = {
      "# HELP coactor_messages_total Messages delivered to actors.",
      "# TYPE coactor_messages_total counter",
      "coactor_messages_total 12",
      "# HELP coactor_spawns_total Actors spawned.",
      "# TYPE coactor_spawns_total counter",
      "coactor_spawns_total 3",
      "# HELP coactor_ends_total Actors that finished, normally or not.",
      "# TYPE coactor_ends_total counter",
      "coactor_ends_total 1",
      "# HELP coactor_dead_letters_total Messages that reached no actor.",
      "# TYPE coactor_dead_letters_total counter",
      "coactor_dead_letters_total 4",
      "# HELP coactor_failures_total Actors ended by an exception.",
      "# TYPE coactor_failures_total counter",
      "coactor_failures_total 1",
      "# HELP coactor_steals_total Actors a worker took from another "
      "worker's deque.",
      "# TYPE coactor_steals_total counter",
      "coactor_steals_total 5",
      "# HELP coactor_parks_total Times a worker slept for lack of work.",
      "# TYPE coactor_parks_total counter",
      "coactor_parks_total 6",
      "# HELP coactor_timers_fired_total Timers that fired.",
      "# TYPE coactor_timers_fired_total counter",
      "coactor_timers_fired_total 7",
      "# HELP coactor_actor_messages_received_total Messages the actor "
      "received.",
      "# TYPE coactor_actor_messages_received_total counter",
      R"(coactor_actor_messages_received_total{actor="a\"b\\c\nd",id="2"} 10)",
      R"(coactor_actor_messages_received_total{actor="",id="3"} 1)",
      "# HELP coactor_actor_mailbox_depth Messages queued for the actor.",
      "# TYPE coactor_actor_mailbox_depth gauge",
      R"(coactor_actor_mailbox_depth{actor="a\"b\\c\nd",id="2"} 2)",
      R"(coactor_actor_mailbox_depth{actor="",id="3"} 0)",
      "# HELP coactor_actor_mailbox_peak_depth The most messages ever queued "
      "for the actor.",
      "# TYPE coactor_actor_mailbox_peak_depth gauge",
      R"(coactor_actor_mailbox_peak_depth{actor="a\"b\\c\nd",id="2"} 9)",
      R"(coactor_actor_mailbox_peak_depth{actor="",id="3"} 0)",
      "# HELP coactor_actor_turns_timed_total Turns of the actor that were "
      "timed.",
      "# TYPE coactor_actor_turns_timed_total counter",
      R"(coactor_actor_turns_timed_total{actor="a\"b\\c\nd",id="2"} 3)",
      R"(coactor_actor_turns_timed_total{actor="",id="3"} 0)",
      "# HELP coactor_actor_turn_seconds_total Time the actor's timed turns "
      "took.",
      "# TYPE coactor_actor_turn_seconds_total counter",
      R"(coactor_actor_turn_seconds_total{actor="a\"b\\c\nd",id="2"} 1.500000123)",
      R"(coactor_actor_turn_seconds_total{actor="",id="3"} 0.000000000)",
      "# HELP coactor_actor_turn_max_seconds The longest timed turn of the "
      "actor.",
      "# TYPE coactor_actor_turn_max_seconds gauge",
      R"(coactor_actor_turn_max_seconds{actor="a\"b\\c\nd",id="2"} 0.020000000)",
      R"(coactor_actor_turn_max_seconds{actor="",id="3"} 0.000000000)",
      "# HELP coactor_actor_oldest_wait_seconds How long the actor's oldest "
      "message has waited (a lower bound, from successive snapshots).",
      "# TYPE coactor_actor_oldest_wait_seconds gauge",
      R"(coactor_actor_oldest_wait_seconds{actor="a\"b\\c\nd",id="2"} 3.000000007)",
      R"(coactor_actor_oldest_wait_seconds{actor="",id="3"} 0.000000000)",
      "# HELP coactor_actor_mailbox_capacity The actor's mailbox capacity "
      "(0: unbounded).",
      "# TYPE coactor_actor_mailbox_capacity gauge",
      R"(coactor_actor_mailbox_capacity{actor="a\"b\\c\nd",id="2"} 64)",
      R"(coactor_actor_mailbox_capacity{actor="",id="3"} 0)",
      "# HELP coactor_actor_sends_rejected_total Sends refused because the "
      "actor's mailbox was full.",
      "# TYPE coactor_actor_sends_rejected_total counter",
      R"(coactor_actor_sends_rejected_total{actor="a\"b\\c\nd",id="2"} 11)",
      R"(coactor_actor_sends_rejected_total{actor="",id="3"} 0)",
      "# HELP coactor_actor_sends_dropped_total Messages dropped because the "
      "actor's mailbox was full.",
      "# TYPE coactor_actor_sends_dropped_total counter",
      R"(coactor_actor_sends_dropped_total{actor="a\"b\\c\nd",id="2"} 12)",
      R"(coactor_actor_sends_dropped_total{actor="",id="3"} 0)",
      "# HELP coactor_actor_sends_waited_total Sends that waited for room in "
      "the actor's mailbox.",
      "# TYPE coactor_actor_sends_waited_total counter",
      R"(coactor_actor_sends_waited_total{actor="a\"b\\c\nd",id="2"} 13)",
      R"(coactor_actor_sends_waited_total{actor="",id="3"} 0)",
      "",  // The text ends with a newline.
  };
  ASSERT_EQ(lines.size(), expected.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i], expected[i]) << "line " << i + 1;
  }
}

TEST(PrometheusTest, NoActorsNoActorFamilies) {
  const std::string text = RenderPrometheus(SchedulerMetrics{});
  EXPECT_EQ(text.find("coactor_actor_"), std::string::npos);
  EXPECT_NE(text.find("\ncoactor_timers_fired_total 0\n"), std::string::npos);
}

TEST(PrometheusTest, EscapesBackslashQuoteAndNewlineOnly) {
  EXPECT_EQ(EscapePrometheusLabel("plain name_1"), "plain name_1");
  EXPECT_EQ(EscapePrometheusLabel("\\"), "\\\\");
  EXPECT_EQ(EscapePrometheusLabel("\""), "\\\"");
  EXPECT_EQ(EscapePrometheusLabel("\n"), "\\n");
  EXPECT_EQ(EscapePrometheusLabel("tab\there"), "tab\there");
}

Actor<int> Sink() {
  for (;;) co_await Receive<int>();
}

// A name with every character that needs escaping, from a real scheduler.
TEST(PrometheusTest, ActorNamedWithQuoteBackslashAndNewline) {
  DequeScheduler sched;
  auto sink = sched.Spawn("we\"ird\\na\nme", Sink());
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE(sched.Send(*sink, 1).ok());
  ASSERT_TRUE(sched.Send(*sink, 2).ok());
  ASSERT_TRUE(sched.Run().ok());
  const std::vector<std::string> lines =
      absl::StrSplit(RenderPrometheus(sched.Metrics()), '\n');
  const std::string want =
      R"(coactor_actor_messages_received_total{actor="we\"ird\\na\nme",id="1"} 2)";
  EXPECT_EQ(std::count(lines.begin(), lines.end(), want), 1);
}

}  // namespace
}  // namespace coactor
