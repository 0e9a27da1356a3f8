#include "runtime/metrics/warnings.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/metrics/metrics.h"

namespace coactor {
namespace {

absl::Status Validate(const WarningThresholds& thresholds) {
  if (thresholds.long_turn <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the long-turn threshold must be positive, not ",
                     absl::FormatDuration(thresholds.long_turn)));
  }
  if (thresholds.growth_window <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the mailbox growth window must be positive, not ",
                     absl::FormatDuration(thresholds.growth_window)));
  }
  return absl::OkStatus();
}

std::string Who(const ActorMetrics& actor) {
  return actor.name.empty()
             ? absl::StrCat("actor #", actor.id)
             : absl::StrCat("actor ", actor.name, " (#", actor.id, ")");
}

}  // namespace

absl::StatusOr<MetricsWatch> MetricsWatch::Create(
    const WarningThresholds& thresholds) {
  if (absl::Status valid = Validate(thresholds); !valid.ok()) return valid;
  return MetricsWatch(thresholds);
}

absl::Status MetricsWatch::SetThresholds(const WarningThresholds& thresholds) {
  if (absl::Status valid = Validate(thresholds); !valid.ok()) return valid;
  thresholds_ = thresholds;
  return absl::OkStatus();
}

std::vector<MetricsWarning> MetricsWatch::Check(const SchedulerMetrics& metrics,
                                                absl::Time now) {
  std::vector<MetricsWarning> warnings;
  for (const ActorMetrics& actor : metrics.actors) {
    const absl::Duration longest = absl::Nanoseconds(actor.turn_nanos_max);
    if (longest > thresholds_.long_turn) {
      warnings.push_back(MetricsWarning{
          MetricsWarning::Kind::kLongTurn, actor.id, actor.name, longest,
          actor.depth,
          absl::StrCat(Who(actor), " ran ", absl::FormatDuration(longest),
                       " in one turn without yielding (threshold ",
                       absl::FormatDuration(thresholds_.long_turn), ")")});
    }
  }
  absl::flat_hash_map<uint64_t, Growth> growth;  // Actors gone are dropped.
  for (const ActorMetrics& actor : metrics.actors) {
    Growth now_growth{actor.depth, now};
    if (auto before = growth_.find(actor.id);
        before != growth_.end() && actor.depth > before->second.depth) {
      now_growth.since = before->second.since;  // Still growing.
      const absl::Duration growing = now - now_growth.since;
      if (growing >= thresholds_.growth_window) {
        warnings.push_back(MetricsWarning{
            MetricsWarning::Kind::kGrowingMailbox, actor.id, actor.name,
            growing, actor.depth,
            absl::StrCat("the mailbox of ", Who(actor), " has grown for ",
                         absl::FormatDuration(growing), ", to ", actor.depth,
                         " messages (window ",
                         absl::FormatDuration(thresholds_.growth_window),
                         ")")});
      }
    }
    growth.emplace(actor.id, now_growth);
  }
  growth_ = std::move(growth);
  return warnings;
}

}  // namespace coactor
