// DequeScheduler's tracing (StartTrace(), runtime/trace/tracer.h): the
// traced step and the flow starts of what a turn queued. Kept apart from
// the untraced loop, which never calls into it.
//
// Flows: the queue numbers its envelopes by position (SegmentQueue), so an
// envelope's flow id is its position + 1, known both where it is queued and
// where it is popped, with nothing stored beside it. After each traced turn
// (and before each, for what was queued outside any turn: before Run(), by
// a timer, a post) the envelopes queued since the last look get their flow
// starts; the pop of each gives its end, in the turn it starts.
//
// Run() steps through a loop of Step() or of StepTraced() (RunSteps<>()),
// chosen at its looks at timers and posts (every 256 steps, and right
// after a StartTrace() or StopTrace() from an actor), so that tracing off
// costs nothing per message. TraceQueued(tracer, ts) gives the envelopes
// queued since its last call their flow starts, stamped `ts` (in a turn:
// just before its end), or each read from the clock (`ts` 0: no turn).
// In RunSteps<true>, where turns follow each other with nothing between,
// a turn starts 1 ns after the last one's end, so a turn costs one clock
// read (its end); a turn there thus includes the loop's pop before it.
#include <algorithm>
#include <cstdint>
#include <string_view>
#include <thread>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "runtime/deque_scheduler.h"
#include "runtime/trace/tracer.h"

namespace coactor {

absl::Status DequeScheduler::StartTrace(std::string_view path,
                                        const TraceOptions& options) {
  // Positions: what is queued now was sent untraced.
  const uint64_t queued = queue_.back_position();
  if (absl::Status s = trace_.Start(path, options); !s.ok()) return s;
  SetTracingAsks(true);
  trace_first_ = traced_until_ = queued;
  trace_lane_named_ = false;
  // From an actor: Run() switches to traced steps after this one.
  // Relaxed: as in Stop().
  if (loop_thread_.load(std::memory_order_relaxed) ==
      std::this_thread::get_id()) {
    steps_to_check_ = 1;
  }
  return absl::OkStatus();
}

absl::Status DequeScheduler::StopTrace() {
  // Relaxed: as in Stop().
  if (loop_thread_.load(std::memory_order_relaxed) ==
      std::this_thread::get_id()) {
    steps_to_check_ = 1;  // Back to untraced steps after this one.
  }
  SetTracingAsks(false);
  return trace_.Stop();
}

std::string_view DequeScheduler::FlowName(const Envelope& envelope) {
  switch (envelope.target & kTagMask) {
    case 0:
    case Envelope::kLimitedTag:
      return reinterpret_cast<const Cell*>(envelope.target & ~kTagMask)
          ->type->name;
    case kStartTag:
      return "start";
    case kResumeTag:
    case Envelope::kLimitedResumeTag:
      return "wake-up";
    case Envelope::kDroppedTag:
      return "dropped";
    default:
      return "error";
  }
}

void DequeScheduler::TraceQueued(Tracer* tracer, uint64_t ts) {
  uint64_t position = std::max(traced_until_, queue_.front_position());
  queue_.ForEachFrom(position, [&](const Envelope& envelope) {
    tracer->FlowStart(TraceFlowKind::kMessage, ++position, FlowName(envelope),
                      ts != 0 ? ts : tracer->Now());
  });
  traced_until_ = queue_.back_position();
}

uint64_t DequeScheduler::StepTraced(uint64_t begin_ns) {
  Tracer* const tracer = trace_.get();
  if (tracer == nullptr) {  // StopTrace() from the last turn's actor.
    Step();
    return 0;
  }
  if (ABSL_PREDICT_FALSE(!trace_lane_named_)) {
    tracer->NameThread("DequeScheduler loop");
    trace_lane_named_ = true;
  }
  if (traced_until_ != queue_.back_position()) {
    TraceQueued(tracer, 0);
    begin_ns = 0;  // Stamped by the clock, so the turn is too.
  }
  Envelope* const envelope = queue_.PopFront();
  const uint64_t flow = queue_.front_position();  // Its position + 1.
  const auto* cell =
      reinterpret_cast<const Cell*>(envelope->target & ~kTagMask);
  // A message delivered now (not stashed for a blocked actor, nor a dead
  // letter for a finished one).
  const uintptr_t tag = envelope->target & kTagMask;
  const bool delivered = (tag == 0 || tag == Envelope::kLimitedTag) &&
                         cell->State() == internal::ActorState::kWaiting;
  tracer->BeginTurn(cell->id,
                    cell->name != nullptr ? std::string_view(*cell->name)
                                          : std::string_view(),
                    begin_ns);
  if (flow > trace_first_) {
    tracer->FlowEnd(TraceFlowKind::kMessage, flow, FlowName(*envelope));
  }
  Dispatch(envelope);
  Tracer* const after = trace_.get();
  if (after == nullptr) return 0;  // The actor called StopTrace().
  // One clock read for the turn's end and what it queued, just before.
  const uint64_t end = after->Now();
  if (traced_until_ != queue_.back_position()) TraceQueued(after, end - 1);
  const uint64_t recorded = after->EndTurn(delivered ? 1 : 0, end);
  return recorded != 0 ? recorded + 1 : 0;
}

}  // namespace coactor
