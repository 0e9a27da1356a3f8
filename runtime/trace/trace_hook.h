// TraceHook is what a scheduler holds to trace: a pointer to the Tracer in
// use, or null. The schedulers test it before every event, so tracing that
// is off costs one load and one well-predicted branch:
//
//   if (Tracer* t = trace_.get(); t != nullptr) [[unlikely]] t->Spawn(...);
//
// Start() and Stop() back the schedulers' StartTrace()/StopTrace();
// StartFromEnvironment() starts a trace when COACTOR_TRACE names a file
// (COACTOR_TRACE_RING=N for the bounded mode), so any program can be traced
// without changing it: the first scheduler the process constructs writes to
// that file, the n-th to "FILE.n". An error there is printed to stderr and
// the program runs untraced.
//
// Thread-safety: get() from any thread. Start(), Stop() and
// StartFromEnvironment() are thread-safe with each other; Stop() must
// follow every recording call it ends (see Tracer).
#ifndef COACTOR_RUNTIME_TRACE_TRACE_HOOK_H_
#define COACTOR_RUNTIME_TRACE_TRACE_HOOK_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>

#include "absl/status/status.h"
#include "runtime/trace/tracer.h"

namespace coactor::internal {

class TraceHook {
 public:
  TraceHook() = default;
  TraceHook(const TraceHook&) = delete;
  TraceHook& operator=(const TraceHook&) = delete;
  ~TraceHook() { Stop().IgnoreError(); }

  // The tracer to record into, or nullptr when not tracing.
  Tracer* get() const {
    // Acquire: the tracer Start() published is seen set up (on x86 and
    // ARMv8 as cheap as a relaxed load).
    return tracer_.load(std::memory_order_acquire);
  }

  // As Tracer::Start(); FailedPrecondition if tracing already.
  absl::Status Start(std::string_view path, const TraceOptions& options = {});
  // As Tracer::Stop(); a no-op (OK) when not tracing.
  absl::Status Stop();
  // Starts a trace if the environment asks for one (see above).
  void StartFromEnvironment();

  // An ask's arrow, for the schedulers' internal::Runtime::TraceAskSent()
  // and TraceAskAnswered() (actors/internal/runtime.h): a flow of the
  // "ask" category from the request to the asker's turn it resumes, its
  // outcome "reply", "timeout" or "error: " and the error's message.
  void AskSent(uint64_t id, std::string_view request) const;
  void AskAnswered(uint64_t id, std::string_view request,
                   const absl::Status& outcome) const;

 private:
  std::mutex mutex_;  // Start and Stop.
  std::atomic<Tracer*> tracer_{nullptr};
  std::unique_ptr<Tracer> storage_;  // Guarded by mutex_.
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_TRACE_TRACE_HOOK_H_
