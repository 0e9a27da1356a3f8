// MetricsWatch (runtime/metrics/warnings.h): long turns, mailboxes that
// grow for longer than a window, and thresholds that are not positive.
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "runtime/metrics/metrics.h"
#include "runtime/metrics/warnings.h"

namespace coactor {
namespace {

SchedulerMetrics Depths(uint64_t a, uint64_t b) {
  SchedulerMetrics metrics;
  metrics.actors.push_back(ActorMetrics{.id = 1, .name = "a", .depth = a});
  metrics.actors.push_back(ActorMetrics{.id = 2, .name = "b", .depth = b});
  return metrics;
}

TEST(MetricsWatchTest, ThresholdsMustBePositive) {
  for (const WarningThresholds& bad : {
           WarningThresholds{.long_turn = absl::ZeroDuration()},
           WarningThresholds{.long_turn = absl::Milliseconds(-1)},
           WarningThresholds{.growth_window = absl::ZeroDuration()},
           WarningThresholds{.growth_window = absl::Seconds(-5)},
       }) {
    EXPECT_EQ(MetricsWatch::Create(bad).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  absl::StatusOr<MetricsWatch> watch = MetricsWatch::Create({});
  ASSERT_TRUE(watch.ok());
  EXPECT_EQ(watch->thresholds().long_turn, absl::Milliseconds(10));
  EXPECT_EQ(watch->thresholds().growth_window, absl::Seconds(5));
  const absl::Status status =
      watch->SetThresholds({.long_turn = absl::Milliseconds(0)});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "the long-turn threshold must be positive, not 0");
  EXPECT_EQ(watch->thresholds().long_turn, absl::Milliseconds(10));  // Kept.
}

TEST(MetricsWatchTest, MailboxGrowingForTheWindowIsReported) {
  absl::StatusOr<MetricsWatch> watch = MetricsWatch::Create(
      {.long_turn = absl::Seconds(1), .growth_window = absl::Seconds(2)});
  ASSERT_TRUE(watch.ok());
  const absl::Time t0 = absl::UnixEpoch();
  // `a` grows at every check; `b` grows, then stays.
  EXPECT_TRUE(watch->Check(Depths(1, 1), t0).empty());
  EXPECT_TRUE(watch->Check(Depths(3, 4), t0 + absl::Seconds(1)).empty());
  const std::vector<MetricsWarning> warnings =
      watch->Check(Depths(6, 4), t0 + absl::Seconds(2));
  ASSERT_EQ(warnings.size(), 1);
  EXPECT_EQ(warnings[0].kind, MetricsWarning::Kind::kGrowingMailbox);
  EXPECT_EQ(warnings[0].actor_id, 1);
  EXPECT_EQ(warnings[0].actor_name, "a");
  EXPECT_EQ(warnings[0].duration, absl::Seconds(2));
  EXPECT_EQ(warnings[0].depth, 6);
  EXPECT_EQ(warnings[0].text,
            "the mailbox of actor a (#1) has grown for 2s, to 6 messages "
            "(window 2s)");
  // `b` stayed at t0+2s, so its growth starts there; `a` shrinks, so its
  // starts afresh at t0+3s.
  EXPECT_TRUE(watch->Check(Depths(5, 9), t0 + absl::Seconds(3)).empty());
  const std::vector<MetricsWarning> at4 =
      watch->Check(Depths(6, 10), t0 + absl::Seconds(4));
  ASSERT_EQ(at4.size(), 1);
  EXPECT_EQ(at4[0].actor_name, "b");
  EXPECT_EQ(at4[0].duration, absl::Seconds(2));
  const std::vector<MetricsWarning> at5 =
      watch->Check(Depths(7, 11), t0 + absl::Seconds(5));
  ASSERT_EQ(at5.size(), 2);
  EXPECT_EQ(at5[0].actor_name, "a");
  EXPECT_EQ(at5[0].duration, absl::Seconds(2));
  EXPECT_EQ(at5[1].actor_name, "b");
  EXPECT_EQ(at5[1].duration, absl::Seconds(3));
  // An actor gone from the snapshot is forgotten.
  SchedulerMetrics only_b;
  only_b.actors.push_back(ActorMetrics{.id = 2, .name = "b", .depth = 1});
  EXPECT_TRUE(watch->Check(only_b, t0 + absl::Seconds(6)).empty());
  EXPECT_TRUE(watch->Check(Depths(8, 1), t0 + absl::Seconds(9)).empty());
}

TEST(MetricsWatchTest, LongTurnAboveThresholdOnly) {
  absl::StatusOr<MetricsWatch> watch =
      MetricsWatch::Create({.long_turn = absl::Milliseconds(10)});
  ASSERT_TRUE(watch.ok());
  SchedulerMetrics metrics;
  metrics.actors.push_back(
      ActorMetrics{.id = 4, .turn_nanos_max = 10'000'000});  // Not above.
  metrics.actors.push_back(ActorMetrics{.id = 5, .turn_nanos_max = 10'000'001});
  const std::vector<MetricsWarning> warnings =
      watch->Check(metrics, absl::UnixEpoch());
  ASSERT_EQ(warnings.size(), 1);
  EXPECT_EQ(warnings[0].kind, MetricsWarning::Kind::kLongTurn);
  EXPECT_EQ(warnings[0].actor_id, 5);
  EXPECT_EQ(warnings[0].text,
            "actor #5 ran 10.000001ms in one turn without yielding "
            "(threshold 10ms)");
}

}  // namespace
}  // namespace coactor
