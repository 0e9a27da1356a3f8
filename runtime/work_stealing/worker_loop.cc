// WorkStealingScheduler: a worker's loop. It finds an actor (its runnext
// slot, its deque, the shared injection queue, other workers' deques),
// runs it for a turn of up to kBudget messages, and hands the sends the
// turn held back in its outbox to their receivers' mailboxes, waking them
// onto its own runnext slot or deque. Idle workers and parking are in
// idle.cc, timers in timers.cc.

#include "runtime/work_stealing_scheduler.h"

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "runtime/internal/actor_end.h"
#include "runtime/internal/payload_relocator.h"
#include "runtime/internal/send_errors.h"
#include "runtime/internal/tick_clock.h"

namespace coactor {
namespace {

using internal::ActorState;

// Messages an actor handles before its worker looks at other actors.
constexpr int kBudget = 128;
// Every this many picks a worker serves the shared and its own oldest work
// first, so that two actors handing each other the runnext slot cannot
// starve the rest (Go uses 61 for its global queue).
constexpr uint32_t kFairnessInterval = 61;
// Timer slack for worker threads (Linux): the standby's short waits would
// otherwise end up to 50 us late.
constexpr unsigned long kTimerSlackNanos = 1'000;

// Why a flushed batch was refused (its cell's lock held).
internal::DeadReference RefusedBatch(const internal::StealingCell* cell,
                                     uint32_t generation, bool closed) {
  // The receiver finished after these were sent: named, as DequeScheduler
  // names a message queued for an actor that ends, unless its cell holds
  // another actor by now.
  if (closed && cell->Generation() == generation + 1) {
    return internal::DeadReference{cell->RecipientName(),
                                   internal::Undelivered(cell->DisplayName())};
  }
  return internal::DeadReference{
      "(finished actor)",
      absl::FailedPreconditionError(
          "the actor finished before this message was delivered")};
}

// A bounded actor's batch, sent on credits (FlushOutboxOf()): its messages
// go in and its credits back. Out of line, so that the flush of unbounded
// batches keeps its registers.
template <bool kTraced, typename ForEach>
ABSL_ATTRIBUTE_NOINLINE internal::Appended AppendCreditedBatch(
    const internal::Outbox<internal::StealingCell>::Batch& batch,
    ForEach& for_each_message, Tracer* tracer,
    std::optional<internal::DeadReference>* dead) {
  internal::StealingCell* cell = batch.target;
  const auto on_refused = [&](bool closed) {
    *dead = RefusedBatch(cell, batch.generation, closed);
  };
  const internal::PayloadRelocator relocate{batch.type};
  if constexpr (kTraced) {
    return internal::LimitedMailbox::AppendCredited(
        *cell, batch.generation, batch.count, batch.credits, relocate,
        for_each_message, on_refused,
        internal::SlotFlows{tracer, batch.type->name});
  } else {
    return internal::LimitedMailbox::AppendCredited(
        *cell, batch.generation, batch.count, batch.credits, relocate,
        for_each_message, on_refused);
  }
}

}  // namespace

void WorkStealingScheduler::MakeRunnable(Cell* cell, bool stealable) {
  if (Worker* worker = CurrentWorker()) {
    MakeRunnableOn(worker, cell, stealable);
    return;
  }
  injected_.Push(cell);
  idle_.WakeOne();
}

void WorkStealingScheduler::MakeRunnableOn(Worker* worker, Cell* cell,
                                           bool stealable) {
  if (stealable) {
    worker->deque.Push(cell);
    idle_.WakeOne();
    return;
  }
  if (Cell* displaced = worker->runnext.Exchange(cell)) {
    worker->deque.Push(displaced);
    idle_.WakeOne();
  }
  // Woken during a turn (a send, a reply, a spawn), it waits for the turn
  // to end; an idle worker takes it if that takes long.
  if (worker->running != nullptr) NoteWaitingDuringTurn();
}

void WorkStealingScheduler::SpillRunnext(Worker* worker) {
  if (worker->SpillRunnext()) idle_.WakeOne();
}

void WorkStealingScheduler::FlushHeldOutbox(Worker& locals, FlushPoint point) {
  internal::BiasedLock::OwnerHold hold(locals.outbox_lock);
  if (!locals.outbox.empty()) FlushOutbox(locals.outbox, point, &locals);
  // Relaxed: as above.
  locals.outbox_pending.store(false, std::memory_order_relaxed);
}

void WorkStealingScheduler::FlushOutbox(Outbox& outbox, FlushPoint point,
                                        Worker* worker) {
  if (ABSL_PREDICT_FALSE(trace_.get() != nullptr)) {
    FlushOutboxOf<true>(outbox, point, worker);
  } else {
    FlushOutboxOf<false>(outbox, point, worker);
  }
}

template <bool kTraced, bool kCredited>
void WorkStealingScheduler::FlushOutboxOf(Outbox& outbox, FlushPoint point,
                                          Worker* worker) {
  if constexpr (!kCredited) {
    if (ABSL_PREDICT_FALSE(outbox.credited())) {
      FlushOutboxOf<kTraced, true>(outbox, point, worker);
      return;
    }
  }
  bool stealable = false;
  if (point == FlushPoint::kMidTurn) {
    worker->Progress();  // A flood is progress.
    ++worker->mid_turn_flushes;
    if (worker->Flooding()) {
      stealable = true;
      SpillRunnext(worker);
    }
  }
  // Messages whose receiver finished after they were sent: recorded once
  // the flush is over, since recording may drop the oldest dead letter,
  // whose destructor may send (into this outbox, if on a worker). Rare:
  // allocated at the first, so that a flush that finds none (every one on
  // the hot path) does not pay for destroying an empty vector.
  std::unique_ptr<std::vector<DeadLetter>> undeliverable;
  // Flushing may wake actors, but never sends: the outbox is stable here.
  outbox.template Flush<kCredited>(
      [this, worker, stealable, &undeliverable](const Outbox::Batch& batch,
                                                auto for_each_message)
          ABSL_ATTRIBUTE_ALWAYS_INLINE {
            Cell* cell = batch.target;
            const internal::MessageType* type = batch.type;
            const internal::PayloadRelocator relocate{type};
            std::optional<internal::DeadReference> dead;  // Set when refused.
            // (Each branch passes its own on_refused: a named lambda shared by
            // both costs 9 instructions per flush untraced, building its
            // closure.)
            internal::Appended appended;
            if (kCredited && batch.credits != 0) {
              // A bounded actor's: its messages go in and its credits back.
              appended = AppendCreditedBatch<kTraced>(batch, for_each_message,
                                                      trace_.get(), &dead);
            } else if constexpr (kTraced) {
              appended = cell->AppendBatch(
                  batch.generation, batch.count, relocate, for_each_message,
                  [&](bool closed) {
                    dead = RefusedBatch(cell, batch.generation, closed);
                  },
                  internal::SlotFlows{trace_.get(), type->name});
            } else {
              appended = cell->AppendBatch(
                  batch.generation, batch.count, relocate, for_each_message,
                  [&](bool closed) {
                    dead = RefusedBatch(cell, batch.generation, closed);
                  });
            }
            if (appended == internal::Appended::kRefused) {
              if (undeliverable == nullptr) {
                undeliverable = std::make_unique<std::vector<DeadLetter>>();
              }
              for_each_message([&](internal::Payload* message) {
                undeliverable->push_back(
                    DeadLetter{dead->recipient, dead->reason,
                               ErasedMessage::Adopt(type, message)});
              });
            } else if (appended == internal::Appended::kScheduled) {
              // A bounded actor's sender streams to it (it took credits): the
              // receiver runs beside it at once, as a flood's does.
              MakeRunnableOn(worker, cell,
                             stealable || (kCredited && batch.credits != 0));
            }
          });
  if (undeliverable == nullptr) return;
  records_.With([&](internal::RecordKeeper& records,
                    internal::RecordKeeper::Dropped& dropped) {
    for (DeadLetter& letter : *undeliverable) {
      records.AddDeadLetter(std::move(letter), dropped);
    }
  });
  // What the destructors of dropped dead letters sent from this worker.
  if (!outbox.empty()) FlushOutbox(outbox, point, worker);
}

void WorkStealingScheduler::WorkerMain(Worker* worker) {
  Worker::SetCurrent(worker);
#if defined(__linux__)
  prctl(PR_SET_TIMERSLACK, kTimerSlackNanos, 0, 0, 0);
#endif
  while (!idle_.stopping()) {
    Cell* cell = nullptr;
    if (idle_.running() && !StopRequested()) {
      cell = FindWork(worker);
      if (cell == nullptr) {
        idle_.SetIdle(worker, true);
        // On a virtual clock with timers pending, the next work most
        // likely comes from jumping the clock, which waits until every
        // worker sleeps: spinning would only delay it.
        // A hint.
        if (!clock_is_virtual_ || !timers_.PendingHint()) {
          cell = Spin(worker);
        }
      }
    }
    if (cell == nullptr) {
      idle_.SetIdle(worker, true);
      // Traced only in a run: StopTrace() may write the buffers between
      // runs, when a worker may still come round here.
      Tracer* tracer = idle_.running() && trace_.get() != nullptr
                           ? TraceLane(worker)
                           : nullptr;
      if (ABSL_PREDICT_FALSE(tracer != nullptr))
        tracer->Park(WorkerIndex(worker));
      cell = Park(worker);
      // A trace started while it was idle (before a run, most often)
      // starts with its next turn.
      if (trace_.get() != nullptr) worker->turns_to_sample = 1;
      if (cell == nullptr) continue;
      if (ABSL_PREDICT_FALSE(tracer != nullptr))
        tracer->Wake(WorkerIndex(worker));
    }
    if (ABSL_PREDICT_FALSE(worker->idle)) idle_.SetIdle(worker, false);
    while (cell != nullptr) {
      // One turn in kTurnSampleInterval is timed, and every turn is traced
      // while a trace is on (RunSlowTurn()); one countdown tells both.
      // (RunActor() leaves nothing in the outbox.)
      cell = ABSL_PREDICT_FALSE(--worker->turns_to_sample == 0)
                 ? RunSlowTurn(worker, cell)
                 : RunActor<false>(worker, cell);
      // A worker that always has its next actor at hand (one that keeps
      // sending to itself, or two that trade the runnext slot) still
      // counts its picks, and at the fairness pick fires due timers and
      // serves the shared queue and its own oldest work first. The actor
      // in hand waits in the deque only if something else runs first: put
      // there for nothing, an idle worker looking for work (the standby, a
      // spinner) could take it and split a pair that talks.
      if (cell != nullptr && ++worker->picks % kFairnessInterval == 0) {
        // A hint; FireDueTimers() looks under the lock.
        if (timers_.PendingHint()) FireDueTimers();
        Cell* first = injected_.Pop();
        if (first == nullptr) {
          if (std::optional<Cell*> oldest = worker->deque.Steal()) {
            first = *oldest;
          }
        }
        if (first != nullptr) {
          worker->deque.Push(std::exchange(cell, first));
          idle_.WakeOne();
        }
      }
    }
  }
  Worker::SetCurrent(nullptr);
}

WorkStealingScheduler::Cell* WorkStealingScheduler::FindWork(Worker* worker) {
  if (++worker->picks % kFairnessInterval == 0) {
    // A hint; FireDueTimers() looks under the lock.
    if (timers_.PendingHint()) FireDueTimers();
    if (Cell* cell = injected_.Pop()) return cell;
    if (std::optional<Cell*> cell = worker->deque.Steal()) return *cell;
  }
  if (Cell* cell = worker->TakeOwnWork()) return cell;
  if (Cell* cell = injected_.Pop()) return cell;
  return worker->StealFromOthers(workers_);
}

template <bool kTraced>
WorkStealingScheduler::Cell* WorkStealingScheduler::RunActor(Worker* worker,
                                                             Cell* cell) {
  // While it lasts, the actor's sends to itself go straight to its inbox.
  const Worker::Turn turn(*worker, cell);
  worker->Progress();  // A new turn (see WatchBusyWorkers()).
  Worker& locals = *worker;
  // Traced (work_stealing/trace.cc), each resumption is a turn of its own
  // on this worker's lane; untraced, these are nothing.
  Tracer* const tracer = kTraced ? TraceLane(worker) : nullptr;
  // Stolen: the steal goes in the trace as the actor starts on its thief.
  if constexpr (kTraced) {
    if (worker->robbed != nullptr) TraceSteal(worker);
  }
  uint64_t self_sends = 0;  // The inbox's count of appends at the turn's start.
  // Traced, an ended turn is recorded at the next one's start, or as the
  // actor leaves (work_stealing/trace_turns.h): the flush after it is its.
  struct Untraced {
    explicit Untraced(Tracer*) {}
  };
  std::conditional_t<kTraced, internal::PendingTurn, Untraced> turns(tracer);
  auto finish = [&] {
    FlushOwnOutbox<kTraced>(locals);
    // The last turn is recorded before the end: the flows of messages the
    // actor never took end as dead letters outside it, not in it.
    if constexpr (kTraced) turns.Flush();
    Finish(cell);
    // What its end sent (monitors' Downs, destructors of what it never
    // received) must not wait in the outbox while this worker looks for
    // work. (Every other way out of a turn flushes before it leaves.)
    FlushOwnOutbox(locals);
    return nullptr;
  };
  const auto begin_turn = [&] {
    if constexpr (kTraced) self_sends = BeginTracedTurn(tracer, cell, turns);
  };
  const auto end_turn = [&](int messages) {
    if constexpr (kTraced) {
      EndTracedTurn(tracer, cell, self_sends, messages, turns);
    }
  };
  if (ABSL_PREDICT_FALSE(StopRequested())) return PauseActor(worker, cell);
  if (cell->State() == ActorState::kStarting) {
    cell->SetState(ActorState::kWaiting);
    begin_turn();
    cell->handle.resume();
    end_turn(0);
    if (cell->handle.done()) return finish();
  }
  for (int budget = kBudget;; --budget) {
    // Stop(): the message just handled was the last of this run.
    if (ABSL_PREDICT_FALSE(StopRequested())) {
      if constexpr (kTraced) turns.Flush();  // Before another can run it.
      return PauseActor(worker, cell);
    }
    if (ABSL_PREDICT_FALSE(cell->State() != ActorState::kWaiting)) {
      // Blocked on a sleep, task or ask: only its wake-up resumes it.
      FlushOwnOutbox<kTraced>(locals);
      // The last turn is recorded before the wake-up is looked for: found
      // idle, the actor may run on another worker at once.
      if constexpr (kTraced) turns.Flush();
      // (A bounded mailbox admits its waiting senders here: traced, each
      // message admitted starts its flow.)
      std::coroutine_handle<> wake;
      if constexpr (kTraced) {
        wake =
            cell->TakeWakeOrIdle(internal::SlotFlows{tracer, cell->type->name});
      } else {
        wake = cell->TakeWakeOrIdle();
      }
      if (!wake) return nullptr;  // Wake() schedules it again.
      // Begun once woken (one clock read), so that the turn starts after
      // the wake-up's flow did on the waker's thread.
      begin_turn();
      ResumeWoken(cell, wake);
      if constexpr (kTraced) {
        tracer->FlowEnd(TraceFlowKind::kMessage, internal::WakeFlowId(cell),
                        "wake-up");
      }
      end_turn(0);
      if (cell->handle.done()) return finish();
      // An actor that blocks and is woken at once (Yield(), Sleep(0))
      // uses up its budget like one that receives, and gives way.
      if (budget <= 0) {
        FlushOwnOutbox<kTraced>(locals);
        if constexpr (kTraced) turns.Flush();  // Before another can run it.
        return YieldActor(worker, cell);
      }
      continue;
    }
    // Look at `incoming` (and errors) when the inbox is empty, and at the
    // start of each turn if something may overtake what the inbox holds
    // (see ActorMailbox::SomethingMayOvertake()).
    if (cell->InboxEmpty() ||
        (budget == kBudget && cell->SomethingMayOvertake())) {
      FlushOwnOutbox<kTraced>(locals);
      std::exception_ptr error;
      bool refilled;
      if constexpr (kTraced) {
        refilled = cell->BeginTurn(
            &error, internal::SlotFlows{tracer, cell->type->name});
      } else {
        refilled = cell->BeginTurn(&error);
      }
      if (!refilled) return nullptr;
      if (error) {
        cell->promise->inbox = nullptr;  // Receive() rethrows instead.
        cell->promise->delivered_error = std::move(error);
        begin_turn();
        cell->handle.resume();
        end_turn(0);
        if (cell->handle.done()) return finish();
        continue;
      }
    }
    // At or below zero: blocked passes and errors count too, and may
    // step over zero.
    if (budget <= 0) {
      FlushOwnOutbox<kTraced>(locals);
      if constexpr (kTraced) turns.Flush();  // Before another can run it.
      return YieldActor(worker, cell);
    }
    // The actor moves the message out of its slot as soon as it resumes,
    // before it can send anything to itself (which goes to this queue).
    begin_turn();
    cell->promise->inbox = cell->TakeMessage();
    if constexpr (kTraced) {
      tracer->FlowEnd(TraceFlowKind::kMessage,
                      internal::SlotFlows::Id(cell->promise->inbox),
                      cell->type->name);
    }
    worker->CountDelivered();
    cell->handle.resume();
    end_turn(1);
    if (ABSL_PREDICT_FALSE(cell->handle.done())) return finish();
  }
}

WorkStealingScheduler::Cell* WorkStealingScheduler::RunSlowTurn(Worker* worker,
                                                                Cell* cell) {
  const bool traced = trace_.get() != nullptr;
  if (traced) {
    worker->turns_to_sample = 1;  // Every turn comes here while tracing.
    if (--worker->traced_turns_to_time != 0)
      return RunActor<true>(worker, cell);
    worker->traced_turns_to_time = Worker::kTurnSampleInterval;
  } else {
    worker->turns_to_sample = Worker::kTurnSampleInterval;
  }
  const uint32_t generation = cell->Generation();
  const uint64_t start = internal::TickClock::Now();
  Cell* next =
      traced ? RunActor<true>(worker, cell) : RunActor<false>(worker, cell);
  const uint64_t ticks = internal::TickClock::Now() - start;
  // Unless the actor ended (here, or on the worker it went on to): its
  // cell may hold another by now. AddTurn() checks under the cell's lock.
  cell->AddTurn(generation, ticks);
  return next;
}

void WorkStealingScheduler::ResumeWoken(Cell* cell,
                                        std::coroutine_handle<> wake) {
  cell->SetState(ActorState::kRunning);
  wake.resume();
  // Still kRunning: it came back to a Receive() (blocking sets kBlocked).
  if (!cell->handle.done() && cell->State() == ActorState::kRunning) {
    cell->SetState(ActorState::kWaiting);
  }
}

WorkStealingScheduler::Cell* WorkStealingScheduler::YieldActor(Worker* worker,
                                                               Cell* cell) {
  // The actor stays runnable. Hand the CPU to the actor it woke, keeping
  // both on this worker; with nothing else to do, just go on.
  if (Cell* next = worker->runnext.Take()) {
    worker->runnext.Exchange(cell);  // Was empty: displaces nothing.
    return next;
  }
  if (worker->deque.Empty() && injected_.EmptyHint()) return cell;
  injected_.Push(cell);
  return nullptr;
}

WorkStealingScheduler::Cell* WorkStealingScheduler::PauseActor(Worker* worker,
                                                               Cell* cell) {
  FlushOwnOutbox(*worker);
  // Still scheduled, with its messages (and start, or wake-up) waiting:
  // the next run finds it here. (This worker owns its deque.)
  worker->deque.Push(cell);
  return nullptr;
}

// Work stealing's side of an actor's end (see internal::ActorEndHooks).
struct WorkStealingScheduler::EndHooks {
  WorkStealingScheduler& sched;

  internal::ClosedCell Close(Cell* cell) {
    // Under the cell's lock: refuses appends, bumps the generation. Traced,
    // the flows of the messages it never took end (as dead letters).
    Tracer* const tracer = sched.trace_.get();
    internal::ClosedCell closed =
        tracer == nullptr
            ? cell->Close()
            : cell->Close(internal::UndeliveredFlows{tracer, cell->type->name});
    if (ABSL_PREDICT_FALSE(!closed.waiters.empty())) {
      // Named before the frame goes (the name stays with the cell).
      Limits::FailWaiters(sched, closed.waiters, cell->DisplayName(),
                          cell->RecipientName());
    }
    std::exchange(cell->handle, nullptr).destroy();
    cell->promise = nullptr;
    cell->SetState(ActorState::kFinished);
    sched.live_actors_.fetch_sub(1, std::memory_order_relaxed);   // Statistic.
    sched.actors_ended_.fetch_add(1, std::memory_order_relaxed);  // Statistic.
    return closed;
  }

  void Record(Cell& cell, const std::exception_ptr& exception,
              std::vector<ErasedMessage>& undelivered) {
    // Described outside the lock: what() is user code.
    internal::RecordKeeper::End end = internal::RecordKeeper::DescribeEnd(
        cell, exception, !undelivered.empty());
    sched.records_.With([&](internal::RecordKeeper& records,
                            internal::RecordKeeper::Dropped& dropped) {
      records.AddEnd(std::move(end), undelivered, dropped);
    });
  }

  // Close() ended the actor.
  void Finish(Cell* /*cell*/, uint32_t /*generation*/) {}

  void Release(Cell* cell, uint32_t generation) {
    // The registry remembers the name for a while (see NameRegistry).
    if (cell->name != nullptr) {
      internal::MutexLock hold(sched.registry_mutex_);
      if (sched.registry_.Retire(*cell->name,
                                 RegistryEntry{cell, generation})) {
        // Release: as in Admit(); workers' caches of the name refill.
        sched.registry_version_.fetch_add(1, std::memory_order_release);
      }
    }
    // The name stays with the cell until it is reused, for errors about
    // stale references to the actor. A retired cell is never reused.
    if (!cell->Reusable()) return;
    internal::MutexLock hold(sched.pool_mutex_);
    sched.cells_.Free(cell);
  }
};

void WorkStealingScheduler::Finish(Cell* cell) {
  internal::EndActor(cell, EndHooks{*this}, trace_.get());
}

}  // namespace coactor
