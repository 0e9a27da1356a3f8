// How a work-stealing worker records the traced turns of an actor it runs
// (runtime/trace/tracer.h; work_stealing/worker_loop.cc's RunActor<true>).
// A turn that ends is not recorded at once: what the worker does right
// after it (flushing the messages the turn sent, which starts their flows)
// still belongs to it, so those flow starts bind to the turn's slice
// instead of a "send" slice each. The actor's end does not: Flush()
// records the turn first, so that the flows of the messages it never took
// end as dead letters outside it. The next turn's start reads
// the clock once, which ends the pending turn too (the next starts 1 ns
// later); leaving the actor ends it 1 ns after the last flow the flush
// after it stamped (each flow start reads the clock), or by one more read
// if there was none. (A turn after the
// worker picked another actor reads the clock to start: messages from
// other workers may have come in the meantime, and a turn must start after
// what it receives was sent.)
//
//   PendingTurn turns{tracer};
//   tracer->BeginTurn(id, name, turns.Begin());  // 0: reads the clock
//   ... the turn runs ...
//   turns.End(messages);  // recorded at the next Begin() or on leaving
//
// Thread-safety: the worker's own (as its Tracer lane).
#ifndef COACTOR_RUNTIME_WORK_STEALING_TRACE_TURNS_H_
#define COACTOR_RUNTIME_WORK_STEALING_TRACE_TURNS_H_

#include <cstdint>

#include "runtime/trace/tracer.h"

namespace coactor::internal {

class PendingTurn {
 public:
  explicit PendingTurn(Tracer* tracer) : tracer_(tracer) {}
  PendingTurn(const PendingTurn&) = delete;
  PendingTurn& operator=(const PendingTurn&) = delete;
  // Leaving the actor: records the pending turn, if any, ending now.
  ~PendingTurn() { Flush(); }

  // Records the pending turn, if any, ending now (before the actor's end,
  // whose dead letters' flows must not end in it).
  // Leaving the actor, the flush after the turn has just read the clock
  // for each flow start: the turn ends 1 ns after the last, with no clock
  // read of its own (a ping-pong message read it three times, now twice).
  void Flush() {
    if (messages_ < 0) return;
    tracer_->EndTurnAfterStamps(messages_);
    messages_ = -1;
  }

  // The turn begun in the tracer has ended, having handled `messages`;
  // recorded by Begin() or the destructor.
  void End(int messages) {
    messages_ = messages;
    tracer_->MarkTurnHandled();
  }
  // The time the next turn begins at: 1 ns after the pending turn's end,
  // recorded now (one clock read); 0 (read the clock) if none is pending.
  uint64_t Begin() {
    if (messages_ < 0) return 0;
    const uint64_t end = tracer_->EndTurn(messages_, tracer_->Now());
    messages_ = -1;
    return end != 0 ? end + 1 : 0;
  }

 private:
  Tracer* const tracer_;
  int messages_ = -1;  // -1: no turn pending.
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_WORK_STEALING_TRACE_TURNS_H_
