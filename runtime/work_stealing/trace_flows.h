// The flow ids WorkStealingScheduler gives messages and wake-ups in a trace
// (runtime/trace/tracer.h; work_stealing/trace.cc records the turns).
//
// A message's flow id is the address of its slot in the receiver's
// mailbox, where it is appended (the flow starts, under the cell's lock)
// and taken (it ends, in the turn it starts); a slot is reused only after
// its message was taken, and a message moved to another slot relays its
// flow from the old to the new. SlotFlows is what the mailbox calls on
// each (internal/actor_mailbox.h's AppendWith(), BeginTurn()):
//
//   cell->BeginTurn(&error, SlotFlows{tracer, cell->type->name});
//
// Thread-safety: as the Tracer it records into (its worker's, or under the
// receiver's lock).
#ifndef COACTOR_RUNTIME_WORK_STEALING_TRACE_FLOWS_H_
#define COACTOR_RUNTIME_WORK_STEALING_TRACE_FLOWS_H_

#include <cstdint>
#include <string_view>

#include "actors/internal/message_type.h"
#include "runtime/trace/tracer.h"

namespace coactor::internal {

struct SlotFlows {
  static uint64_t Id(const Payload* slot) {
    return reinterpret_cast<uintptr_t>(slot);
  }
  // Each start reads the clock as its slot is filled (under the
  // receiver's lock): a slot reused after another worker took its last
  // message starts its next flow after that one ended. (One clock read
  // for a whole flush, taken before its appends, broke that order.)
  void operator()(Payload* slot) const {
    tracer->FlowStart(TraceFlowKind::kMessage, Id(slot), name);
  }
  void operator()(Payload* from, Payload* to) const {
    tracer->FlowEnd(TraceFlowKind::kMessage, Id(from), name, "moved");
    tracer->FlowStart(TraceFlowKind::kMessage, Id(to), name);
  }
  Tracer* tracer;
  std::string_view name;  // The receiver's message type's.
};

// What an ended actor's mailbox calls on each message it never took
// (Close()): its flow ends there, as a dead letter.
struct UndeliveredFlows {
  void operator()(Payload* slot) const {
    tracer->FlowEnd(TraceFlowKind::kMessage, SlotFlows::Id(slot), name,
                    "dead letter");
  }
  Tracer* tracer;
  std::string_view name;  // The receiver's message type's.
};

// What a bounded mailbox calls on the oldest message it drops (kDropOldest,
// LimitedMailbox::AppendAs()), under its lock: the flow ends there, stamped
// now (the dropping turn may have started that flow itself). Untraced
// (`tracer` null), nothing.
struct DroppedFlows {
  void operator()(Payload* slot) const {
    if (tracer == nullptr) return;
    tracer->FlowEnd(TraceFlowKind::kMessage, SlotFlows::Id(slot), name,
                    "dropped", tracer->Now());
  }
  Tracer* tracer;
  std::string_view name;  // The receiver's message type's.
};

// A wake-up's flow id: the cell's address + 1, odd, so never a slot's (an
// actor has one wake-up pending at a time).
inline uint64_t WakeFlowId(const void* cell) {
  return reinterpret_cast<uintptr_t>(cell) + 1;
}

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_WORK_STEALING_TRACE_FLOWS_H_
