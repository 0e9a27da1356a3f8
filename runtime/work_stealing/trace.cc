// WorkStealingScheduler's tracing (StartTrace(), runtime/trace/tracer.h):
// each worker records its turns into its own buffer, with no lock; a
// worker names its lane "worker N" at its first traced turn.
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/trace/tracer.h"
#include "runtime/work_stealing/trace_turns.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {

absl::Status WorkStealingScheduler::StartTrace(std::string_view path,
                                               const TraceOptions& options) {
  absl::Status started = trace_.Start(path, options);
  SetTracingAsks(trace_.get() != nullptr);
  return started;
}

absl::Status WorkStealingScheduler::StopTrace() {
  if (idle_.running()) {
    return absl::FailedPreconditionError(
        "StopTrace() while Run() is under way: stop the trace after it");
  }
  SetTracingAsks(false);
  return trace_.Stop();
}

size_t WorkStealingScheduler::WorkerIndex(const Worker* worker) const {
  size_t index = 0;
  while (workers_[index].get() != worker) ++index;
  return index;
}

Tracer* WorkStealingScheduler::TraceLane(Worker* worker) {
  Tracer* const tracer = trace_.get();
  if (!tracer->thread_named()) {  // This worker's first event in the trace.
    tracer->NameThread(absl::StrCat("worker ", WorkerIndex(worker)));
    worker->robbed = nullptr;  // A steal from before the trace.
  }
  return tracer;
}

void WorkStealingScheduler::TraceSteal(Worker* worker) {
  TraceLane(worker)->Steal(WorkerIndex(worker), WorkerIndex(worker->robbed));
  worker->robbed = nullptr;
}

uint64_t WorkStealingScheduler::BeginTracedTurn(Tracer* tracer, Cell* cell,
                                                internal::PendingTurn& turns) {
  tracer->BeginTurn(cell->id,
                    cell->name != nullptr ? std::string_view(*cell->name)
                                          : std::string_view(),
                    turns.Begin());
  return cell->InboxBackPosition();
}

void WorkStealingScheduler::EndTracedTurn(Tracer* tracer, Cell* cell,
                                          uint64_t self_sends, int messages,
                                          internal::PendingTurn& turns) {
  if (cell->InboxBackPosition() != self_sends) {
    const internal::SlotFlows flows{tracer, cell->type->name};
    cell->ForEachInboxSlotFrom(self_sends,
                               [&](internal::Payload& slot) { flows(&slot); });
  }
  turns.End(messages);
}

}  // namespace coactor
