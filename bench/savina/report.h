// What every comparison runner (//bench/savina, //bench/caf) prints: one JSON
// line per run, read by bench/compare.py. Also the process's memory figures
// (current and peak resident set size) and a wall-clock stopwatch.
//
//   bench::RunReport report{.system = "caf", .workload = "ping_pong",
//                           .threads = 2, .size = n};
//   bench::Stopwatch watch;
//   ... run, verify ...
//   report.seconds = watch.Seconds();
//   report.items = n;
//   report.ok = hits == n;
//   bench::PrintJson(report);  // {"system": "caf", ..., "ok": true}
//
// One process per run keeps the RSS figures of different runs apart.
//
// Thread-safety: plain functions and values; PrintJson writes to stdout.
#ifndef COACTOR_BENCH_SAVINA_REPORT_H_
#define COACTOR_BENCH_SAVINA_REPORT_H_

#include <sys/resource.h>

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace bench {

struct RunReport {
  std::string system;    // "coactor-deque", "coactor-stealing", "caf".
  std::string workload;  // "ping_pong", ...
  int threads = 1;
  int64_t size = 0;         // The workload's size parameter, as given.
  int64_t repetitions = 1;  // Runs of the workload in this process.
  int64_t items = 0;        // Messages (or actors), all repetitions'.
  double seconds = 0;       // Wall clock of the measured parts, summed.
  bool ok = false;          // The workload verified its own result.
  std::string error;        // Why not ok.
  // Extra numeric fields, e.g. {"bytes_per_actor", 312.5}.
  std::vector<std::pair<std::string, double>> extra;
  // Extra text fields, e.g. {"caf_version", "0.17.6"}.
  std::vector<std::pair<std::string, std::string>> labels;
};

// The compiler this runner was built with, e.g. "g++ 12.2.0".
inline std::string CompilerName() {
#if defined(__clang__)
  return __VERSION__;  // "Debian Clang 14.0.6"
#elif defined(__GNUC__)
  return std::string("g++ ") + __VERSION__;
#else
  return "unknown";
#endif
}

// Whether this runner was built with optimization (bazel -c opt).
inline bool Optimized() {
#if defined(__OPTIMIZE__)
  return true;
#else
  return false;
#endif
}

// The value of the `field` line ("VmRSS:", "VmHWM:") of /proc/self/status,
// in KiB, or -1.
inline int64_t ProcStatusKib(const char* field) {
  std::FILE* status = std::fopen("/proc/self/status", "r");
  if (status == nullptr) return -1;
  const size_t length = std::strlen(field);
  char line[256];
  int64_t kib = -1;
  while (std::fgets(line, sizeof(line), status) != nullptr) {
    if (std::strncmp(line, field, length) == 0) {
      std::sscanf(line + length, "%" SCNd64, &kib);
      break;
    }
  }
  std::fclose(status);
  return kib;
}

// Peak resident set size of this process so far, in KiB. VmHWM rather than
// getrusage()'s ru_maxrss: Linux carries ru_maxrss over execve(), so a
// runner started by a bigger parent (compare.py) would report the
// parent's peak.
inline int64_t PeakRssKib() {
  const int64_t kib = ProcStatusKib("VmHWM:");
  if (kib >= 0) return kib;
  rusage usage;
  std::memset(&usage, 0, sizeof(usage));
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // Linux reports KiB.
}

// Current resident set size of this process, in KiB (VmRSS), or -1.
inline int64_t CurrentRssKib() { return ProcStatusKib("VmRSS:"); }

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// JSON string literal for `text` (names and error messages only).
inline std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Prints `report` as one JSON line on stdout, with items_per_second,
// peak_rss_kib, compiler and optimized filled in.
inline void PrintJson(const RunReport& report) {
  const double rate = report.seconds > 0 ? report.items / report.seconds : 0;
  std::printf(
      "{\"system\": %s, \"workload\": %s, \"threads\": %d, \"size\": %" PRId64
      ", \"repetitions\": %" PRId64 ", \"items\": %" PRId64
      ", \"seconds\": %.6f, \"items_per_second\": %.1f, "
      "\"peak_rss_kib\": %" PRId64,
      JsonString(report.system).c_str(), JsonString(report.workload).c_str(),
      report.threads, report.size, report.repetitions, report.items,
      report.seconds, rate, PeakRssKib());
  for (const auto& [name, value] : report.extra) {
    if (std::isfinite(value)) {
      std::printf(", %s: %.3f", JsonString(name).c_str(), value);
    }
  }
  for (const auto& [name, value] : report.labels) {
    std::printf(", %s: %s", JsonString(name).c_str(),
                JsonString(value).c_str());
  }
  std::printf(", \"compiler\": %s, \"optimized\": %s",
              JsonString(CompilerName()).c_str(),
              Optimized() ? "true" : "false");
  if (!report.error.empty()) {
    std::printf(", \"error\": %s", JsonString(report.error).c_str());
  }
  std::printf(", \"ok\": %s}\n", report.ok ? "true" : "false");
  std::fflush(stdout);
}

// The small fixed computation Savina's fork-join workloads give each
// message (its performComputation: one sine, squared), so there is some
// work to spread over the workers; the bounded buffer uses it too. Defined
// out of line so it is not folded away.
double Compute(double theta);

}  // namespace bench

#endif  // COACTOR_BENCH_SAVINA_REPORT_H_
