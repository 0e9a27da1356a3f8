// RunnerMain: flags, one run (repeated up to --min-seconds), one JSON line
// (bench/savina/report.h).
#include "bench/runner/runner.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bench/runner/repeat.h"
#include "bench/savina/report.h"

namespace coactor::comparison {

const WorkloadRegistry::Entry* WorkloadRegistry::Find(
    const std::string& name) const {
  for (const Entry& entry : entries_) {
    if (entry.info.name == name) return &entry;
  }
  return nullptr;
}

namespace {

struct Flags {
  std::string workload;
  std::string scheduler = "stealing";
  int64_t size = 0;
  int threads = 1;
  double min_seconds = 0;
  bool list = false;
};

// Parses --name=value flags; false (with a message) on anything else.
bool ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--list") {
      flags->list = true;
      continue;
    }
    const size_t equals = arg.find('=');
    if (arg.substr(0, 2) != "--" || equals == std::string_view::npos) {
      std::fprintf(stderr, "unexpected argument: %s\n", argv[i]);
      return false;
    }
    const std::string_view name = arg.substr(2, equals - 2);
    const std::string value(arg.substr(equals + 1));
    char* end = nullptr;
    if (name == "workload") {
      flags->workload = value;
    } else if (name == "scheduler") {
      flags->scheduler = value;
    } else if (name == "size") {
      flags->size = std::strtoll(value.c_str(), &end, 10);
    } else if (name == "threads") {
      flags->threads = static_cast<int>(std::strtol(value.c_str(), &end, 10));
    } else if (name == "min-seconds") {
      flags->min_seconds = std::strtod(value.c_str(), &end);
    } else {
      std::fprintf(stderr, "unknown flag: %s\n", argv[i]);
      return false;
    }
    if (end != nullptr && (*end != '\0' || value.empty())) {
      std::fprintf(stderr, "not a number: %s\n", argv[i]);
      return false;
    }
  }
  return true;
}

void List(const WorkloadRegistry& workloads, const Flags& flags) {
  for (const auto& entry : workloads.entries()) {
    const WorkloadInfo& info = entry.info;
    std::printf(
        "{\"workload\": %s, \"unit\": %s, \"full_size\": %lld, "
        "\"quick_size\": %lld, \"max_size\": %lld, "
        "\"description\": %s}\n",
        bench::JsonString(info.name).c_str(),
        bench::JsonString(info.unit).c_str(),
        static_cast<long long>(info.full_size),
        static_cast<long long>(info.quick_size),
        static_cast<long long>(info.max_size),
        bench::JsonString(info.description).c_str());
  }
  if (flags.scheduler == "deque") std::printf("{\"threads\": [1]}\n");
  std::printf("{\"min_seconds\": true}\n");
}

template <typename Sched, typename Run>
Outcome Timed(Sched& sched, const Run& run, int64_t size) {
  bench::Stopwatch watch;
  Outcome outcome = run(sched, size);
  if (outcome.seconds <= 0) outcome.seconds = watch.Seconds();
  return outcome;
}

}  // namespace

int RunnerMain(const WorkloadRegistry& workloads, int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 2;
  if (flags.scheduler != "deque" && flags.scheduler != "stealing") {
    std::fprintf(stderr, "--scheduler must be deque or stealing\n");
    return 2;
  }
  if (flags.list) {
    List(workloads, flags);
    return 0;
  }
  const WorkloadRegistry::Entry* entry = workloads.Find(flags.workload);
  if (entry == nullptr || flags.size <= 0 || flags.threads <= 0 ||
      !std::isfinite(flags.min_seconds) || flags.min_seconds < 0) {
    std::fprintf(stderr,
                 "need --workload=NAME (see --list), --size > 0, "
                 "--threads > 0, --min-seconds >= 0\n");
    return 2;
  }
  if (flags.scheduler == "deque") flags.threads = 1;
  // A fresh scheduler for every repetition.
  const Repeated run = RepeatUntil(flags.min_seconds, [&] {
    if (flags.scheduler == "deque") {
      DequeScheduler sched;
      return Timed(sched, entry->on_deque, flags.size);
    }
    WorkStealingScheduler sched(flags.threads);
    return Timed(sched, entry->on_stealing, flags.size);
  });
  const Outcome& outcome = run.outcome;
  bench::RunReport report;
  report.system = "coactor-" + flags.scheduler;
  report.workload = flags.workload;
  report.threads = flags.threads;
  report.size = flags.size;
  report.repetitions = run.repetitions;
  report.items = outcome.items;
  report.seconds = outcome.seconds;
  report.ok = outcome.ok;
  report.error = outcome.error;
  report.extra = outcome.extra;
  bench::PrintJson(report);
  return outcome.ok ? 0 : 1;
}

}  // namespace coactor::comparison
