#include "runtime/trace/trace_hook.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/trace/tracer.h"

namespace coactor::internal {

absl::Status TraceHook::Start(std::string_view path,
                              const TraceOptions& options) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Relaxed: Start and Stop are ordered by the mutex.
  if (tracer_.load(std::memory_order_relaxed) != nullptr) {
    return absl::FailedPreconditionError(
        "a trace is already started; StopTrace() first");
  }
  if (storage_ == nullptr) storage_ = std::make_unique<Tracer>();
  if (absl::Status s = storage_->Start(path, options); !s.ok()) return s;
  // Release: as get()'s acquire.
  tracer_.store(storage_.get(), std::memory_order_release);
  return absl::OkStatus();
}

absl::Status TraceHook::Stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  // Relaxed: recording has ended (Tracer's contract), so nobody reads it.
  Tracer* tracer = tracer_.exchange(nullptr, std::memory_order_relaxed);
  if (tracer == nullptr) return absl::OkStatus();
  return tracer->Stop();
}

void TraceHook::StartFromEnvironment() {
  const char* path = std::getenv("COACTOR_TRACE");
  if (path == nullptr || *path == '\0') return;
  // The schedulers of this process, in the order they were constructed.
  static std::atomic<uint64_t> schedulers{0};
  // Relaxed: only a count.
  const uint64_t n = schedulers.fetch_add(1, std::memory_order_relaxed) + 1;
  const std::string file =
      n == 1 ? std::string(path) : absl::StrCat(path, ".", n);
  TraceOptions options;
  if (const char* ring = std::getenv("COACTOR_TRACE_RING"); ring != nullptr) {
    if (!absl::SimpleAtoi(ring, &options.ring_events)) {
      std::fprintf(stderr,
                   "coactor: COACTOR_TRACE_RING=\"%s\" is not a count; "
                   "tracing every event\n",
                   ring);
    }
  }
  if (absl::Status s = Start(file, options); !s.ok()) {
    std::fprintf(stderr, "coactor: COACTOR_TRACE: %s\n",
                 std::string(s.message()).c_str());
  }
}

void TraceHook::AskSent(uint64_t id, std::string_view request) const {
  if (Tracer* tracer = get()) {
    tracer->FlowStart(TraceFlowKind::kAsk, id, request);
  }
}

void TraceHook::AskAnswered(uint64_t id, std::string_view request,
                            const absl::Status& outcome) const {
  Tracer* tracer = get();
  if (tracer == nullptr) return;
  if (outcome.ok()) {
    tracer->FlowEnd(TraceFlowKind::kAsk, id, request, "reply");
  } else if (absl::IsDeadlineExceeded(outcome)) {
    tracer->FlowEnd(TraceFlowKind::kAsk, id, request, "timeout");
  } else {
    tracer->FlowEnd(TraceFlowKind::kAsk, id, request,
                    absl::StrCat("error: ", outcome.message()));
  }
}

}  // namespace coactor::internal
