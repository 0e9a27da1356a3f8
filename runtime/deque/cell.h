// DequeCell is an actor's cell on DequeScheduler: the shared ActorCell, the
// count of queue entries that name it (so that it is reused only once none
// does) and its metrics, its link in the free list, and what only some actors
// need (the messages and errors that came while it was blocked, its monitors),
// allocated on first use so that an idle actor stays small.
// DequeEnvelope is one entry of the scheduler's FIFO: a tagged cell
// pointer and a payload.
//
// DequeScheduler::EnqueueEnvelope() is the one place that queues one:
//
//   Envelope* envelope = queue_.ReserveBack();
//   build(envelope->payload);  // Nothing for a start.
//   if (cell->pending.AddReachesPeak()) ...  // Cold: AtPeak() (a new peak,
//   envelope->target = cell | tag;           // or a bounded mailbox).
//   queue_.CommitBack();
//
// A bounded actor (MailboxLimit) counts its entries in `pending` with the
// room held at zero, so every entry for it takes the cold path: that is
// where its capacity is checked, and its messages are tagged kLimitedTag,
// so that their delivery is counted out of line too (deque/limit.cc). An
// unbounded actor pays nothing for it.
//
// Thread-safety: the loop's thread only.
#ifndef COACTOR_RUNTIME_DEQUE_CELL_H_
#define COACTOR_RUNTIME_DEQUE_CELL_H_

#include <cstdint>
#include <exception>
#include <memory>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "actors/down.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/message_type.h"
#include "runtime/deque/entry_count.h"
#include "runtime/internal/mailbox_limit.h"
#include "runtime/internal/payload_relocator.h"
#include "runtime/internal/ring_queue.h"
#include "runtime/internal/sampled_turns.h"

namespace coactor::internal {

struct alignas(8) DequeCell : ActorCell {
  // Envelopes in the queue that name this cell; it is reused only after
  // it finished and this dropped to zero. Also its metrics' depth and peak.
  EntryCount pending;
  // Metrics (SchedulerMetrics): messages handed to this actor.
  uint64_t received = 0;
  // What only some actors need, allocated on first use so that an idle
  // actor stays small (see GetExtras()): 96 bytes a cell, where these
  // counts in the cell made it 152, and a spawn storm of 2.8M actors ran
  // 13% slower (more memory to fault in and to fill).
  struct Extras {
    explicit Extras(const MessageType* type)
        : stash(0, PayloadRelocator{type}) {}
    // Messages that arrived while the actor was blocked, in order.
    RingQueue<Payload, PayloadRelocator> stash;
    // Errors delivered while it was blocked; they go before the stash.
    std::vector<std::exception_ptr> stashed_errors;
    std::vector<absl::AnyInvocable<void(const Down&)>> monitors;
    // Metrics: its timed turns (one step in 256, DequeScheduler::
    // TimedStep(): an actor has these from its first timed turn) and
    // Metrics() calls' watch on how long its messages wait (from the
    // first call that finds some waiting).
    SampledTurns sampled;
  };
  std::unique_ptr<Extras> extras;
  // Bounded mailboxes only (SpawnOptions): the capacity, the waiting
  // senders, the counts, its messages queued in the FIFO and stash.
  std::unique_ptr<MailboxLimit> limit;

  Extras& GetExtras() {
    if (extras == nullptr) extras = std::make_unique<Extras>(type);
    return *extras;
  }
};

// A spawn storm holds millions of cells at once; what only some actors
// need goes in Extras or the limit, not here (a 64-bit build).
static_assert(sizeof(void*) != 8 || sizeof(DequeCell) <= 96,
              "DequeCell grew: every live actor pays for it");

// One entry of the FIFO. `target` is a DequeCell* tagged in its low bits:
// a message (payload: the message), the actor's start (no payload), a
// wake-up (payload: the coroutine handle to resume) or an error to deliver
// (payload: an exception_ptr); for a bounded actor, a message, a wake-up,
// or a message dropped from the queue (no payload) by kDropOldest.
struct DequeEnvelope {
  static constexpr uintptr_t kTagMask = 7;
  static constexpr uintptr_t kStartTag = 1;
  static constexpr uintptr_t kResumeTag = 2;
  static constexpr uintptr_t kErrorTag = 3;
  static constexpr uintptr_t kLimitedTag = 4;
  static constexpr uintptr_t kLimitedResumeTag = 5;
  static constexpr uintptr_t kDroppedTag = 6;

  uintptr_t target;
  Payload payload;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_DEQUE_CELL_H_
