// The facade: construction, Run(), Shutdown(), admission, the registry
// and the records. A worker's loop is in work_stealing/worker_loop.cc,
// idle workers, parking, the standby and quiescence in
// work_stealing/idle.cc, timers in work_stealing/timers.cc.

#include "runtime/work_stealing_scheduler.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "actors/internal/frame_pool.h"
#include "runtime/internal/actor_end.h"
#include "runtime/internal/asymmetric_fence.h"
#include "runtime/internal/send_errors.h"

namespace coactor {

using internal::ActorState;

namespace {

// How many workers a scheduler asked for `threads` starts.
size_t WorkerCount(int threads) {
  if (threads > 0) return static_cast<size_t>(threads);
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

WorkStealingScheduler::WorkStealingScheduler(int threads, Clock& clock)
    : clock_(clock),
      clock_is_virtual_(clock.IsVirtual()),
      // Not on a virtual clock: time stands still there while a handler
      // runs, so nothing is late for it; watching only slowed each step of
      // time (10^5 asks at 2 workers took 4.4 s with it, 0.36 s without).
      takeover_((internal::AsymmetricFence::Init(),  // Before the workers.
                 internal::AsymmetricFence::available()) &&
                !clock_is_virtual_ &&
                (threads > 1 ||
                 (threads <= 0 && std::thread::hardware_concurrency() > 1))),
      timers_(clock_is_virtual_),
      idle_(WorkerCount(threads)) {
  threads = static_cast<int>(WorkerCount(threads));
  for (int i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(static_cast<const void*>(this),
                                                0x9E3779B97F4A7C15ull * (i + 1),
                                                static_cast<size_t>(threads)));
  }
  // Without take-overs nobody watches, and nobody need ask: "watching".
  // Relaxed: the workers start after this (thread creation orders it).
  watch_fast_.store(!takeover_, std::memory_order_relaxed);
  records_.With(
      [&](internal::RecordKeeper& records, internal::RecordKeeper::Dropped&) {
        records.TraceInto(&trace_);
      });
  trace_.StartFromEnvironment();
  SetTracingAsks(trace_.get() != nullptr);
  for (auto& worker : workers_) {
    worker->thread = std::thread([this, w = worker.get()] { WorkerMain(w); });
  }
}

WorkStealingScheduler::~WorkStealingScheduler() {
  Shutdown().IgnoreError();  // Refused only from inside an actor.
  // Then the timers (destroying a frame or a message may have added one),
  // while the cells and the registry a SendAfter's message (or a ReplyTo
  // in it) may point into still exist; and the dead letters destroying
  // them records. Either may make more of the other: until none.
  for (;;) {
    std::vector<absl::AnyInvocable<void()>> callbacks =
        timers_.TakeAllCallbacks();
    std::vector<DeadLetter> letters = records_.TakeDeadLetters();
    if (callbacks.empty() && letters.empty()) break;
    callbacks.clear();  // Outside the locks: they may add timers or send.
    letters.clear();
  }
}

absl::Status WorkStealingScheduler::Shutdown() {
  if (CurrentWorker() != nullptr) {
    return absl::FailedPreconditionError(
        "Shutdown() called from inside one of the scheduler's actors (use "
        "Stop())");
  }
  internal::MutexLock once(shutdown_mutex_);
  if (IsShutDown()) return absl::OkStatus();
  // 1. Stop the workers, each after the message it is handling, and end a
  // Run() in progress (RunEntered() sees stopping_ under the same mutex).
  idle_.StopForGood();
  stop_requested_.store(true);
  idle_.WakeAll();
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
  idle_.ReportQuiescent();
  // Sends a timer's callback made on a worker wait in no outbox: each
  // worker flushed after its last turn. (Flushed anyway: into mailboxes
  // emptied below.)
  for (auto& worker : workers_) {
    if (!worker->outbox.empty()) {
      FlushOutbox(worker->outbox, FlushPoint::kTurnEnd, worker.get());
    }
  }
  // 2. Close every actor: from here on, sends (from other threads, and
  // from destructors of locals in the frames below) are refused, and no
  // new cell is handed out (Admit() checks shut_down_ under pool_mutex_,
  // and again under the cell's lock).
  {
    internal::MutexLock hold(pool_mutex_);
    shut_down_.store(true);
  }
  for (Cell& cell : CellsAfterShutdown()) {
    if (cell.CloseForShutdown()) {  // Every reference is stale now.
      live_actors_.fetch_sub(1, std::memory_order_relaxed);  // Statistic.
    }
    // Senders waiting for room: threads fail now (not at their timeout,
    // after the cells are gone), actors' frames go below.
    if (any_limited_.load(std::memory_order_relaxed)) {
      Limits::EndWaitersAtShutdown(*this, cell);
    }
  }
  // 3. Destroy the frames and the messages no one can reach any more.
  for (Cell& cell : CellsAfterShutdown()) {
    if (cell.handle) {
      std::exchange(cell.handle, nullptr).destroy();
      cell.promise = nullptr;
    }
    cell.SetState(ActorState::kFinished);
    // Outside the lock: a message's destructor may send, even to this
    // actor (refused, and described under this lock).
    cell.DestroyContents();
  }
  std::vector<absl::AnyInvocable<void()>> callbacks =
      timers_.TakeAllCallbacks();
  callbacks.clear();  // Outside the lock: they may add timers or send.
  return absl::OkStatus();
}

void WorkStealingScheduler::Stop() {
  stop_requested_.store(true);
  // A worker keeping the timers waits on them: let it see the request.
  idle_.InterruptKeeper();
}

uint64_t WorkStealingScheduler::messages_delivered() const {
  uint64_t total = 0;
  for (const auto& worker : workers_) {
    total += worker->delivered.load(std::memory_order_relaxed);  // Statistic.
  }
  return total;
}

const std::deque<DeadLetter>& WorkStealingScheduler::dead_letters() const {
  return records_.dead_letters_unlocked();
}

std::vector<DeadLetter> WorkStealingScheduler::TakeDeadLetters() {
  return records_.TakeDeadLetters();
}

std::vector<ActorFailure> WorkStealingScheduler::failures() const {
  return records_.failures();
}

std::vector<ActorFailure> WorkStealingScheduler::TakeFailures() {
  return records_.TakeFailures();
}

uint64_t WorkStealingScheduler::dead_letters_recorded() const {
  return records_.dead_letters_recorded();
}

uint64_t WorkStealingScheduler::failures_recorded() const {
  return records_.failures_recorded();
}

RecordLimits WorkStealingScheduler::record_limits() const {
  return records_.limits();
}

void WorkStealingScheduler::SetRecordLimits(const RecordLimits& limits) {
  records_.With([&](internal::RecordKeeper& records,
                    internal::RecordKeeper::Dropped& dropped) {
    records.SetLimits(limits, dropped);
  });
  internal::MutexLock hold(registry_mutex_);
  if (registry_.SetFinishedLimit(limits.finished_names)) {
    // Release: as in Admit(); workers' caches of the names refill.
    registry_version_.fetch_add(1, std::memory_order_release);
  }
}

bool WorkStealingScheduler::LookUp(std::string_view name,
                                   RegistryEntry* entry) const {
  internal::ReaderLock hold(registry_mutex_);
  const RegistryEntry* found = registry_.Find(name);
  if (found == nullptr) return false;
  *entry = *found;
  return true;
}

absl::StatusOr<WorkStealingScheduler::Cell*> WorkStealingScheduler::Admit(
    std::string_view name, internal::ActorPromiseBase* promise,
    std::coroutine_handle<> handle, const internal::MessageType* type) {
  if (IsShutDown()) return ShutDownError();
  absl::StatusOr<Cell*> cell;
  if (name.empty()) {
    cell = OpenCell(name, promise, handle, type);
  } else {
    // The name is looked at and taken in one critical section.
    internal::MutexLock hold(registry_mutex_);
    if (const RegistryEntry* entry = registry_.Find(name)) {
      if (entry->cell->IsOpen(entry->generation)) {
        return internal::NameTaken(name);
      }
    }
    cell = OpenCell(name, promise, handle, type);
    if (cell.ok()) {
      registry_.Set(name, RegistryEntry{*cell, (*cell)->Generation()});
      // Release: a worker that sees the new version sees the new entry.
      registry_version_.fetch_add(1, std::memory_order_release);
    }
  }
  if (!cell.ok()) return cell;
  live_actors_.fetch_add(1, std::memory_order_relaxed);  // Statistic.
  if (Tracer* t = trace_.get(); ABSL_PREDICT_FALSE(t != nullptr)) {
    t->Spawn((*cell)->id, (*cell)->RecipientName());
  }
  MakeRunnable(*cell);
  return cell;
}

absl::StatusOr<WorkStealingScheduler::Cell*> WorkStealingScheduler::OpenCell(
    std::string_view name, internal::ActorPromiseBase* promise,
    std::coroutine_handle<> handle, const internal::MessageType* type) {
  Cell* cell;
  {
    internal::MutexLock hold(pool_mutex_);
    if (IsShutDown()) return ShutDownError();
    bool fresh;
    cell = cells_.Take(&fresh);
    if (fresh) {
      // Written once, before the cell is published: senders holding stale
      // references read it without a lock.
      cell->runtime = this;
    }
  }
  {
    internal::MutexLock hold(cell->mailbox_lock());
    // Shutdown() sets shut_down_, then closes each cell under its lock: if
    // it has passed this one already, refuse (the frame stays the
    // caller's); if not, it closes this actor with the others.
    if (!IsShutDown()) {
      cell->OpenLocked(
          handle, promise, type,
          name.empty() ? nullptr : std::make_unique<std::string>(name),
          // Relaxed: only uniqueness matters.
          next_actor_id_.fetch_add(1, std::memory_order_relaxed));
      if (const SpawnOptions* options = internal::SpawnOptionsScope::Current();
          options != nullptr && options->mailbox_capacity.has_value()) {
        internal::LimitedMailbox::SetLimitLocked(
            *cell, internal::MailboxLimit::For(options));
        // Relaxed: a hint for Run()'s look for waiting senders.
        any_limited_.store(true, std::memory_order_relaxed);
      }
      promise->cell = cell;
      return cell;
    }
  }
  // Back to the pool, the cell's lock let go first: Metrics() takes
  // pool_mutex_ and then each cell's lock, so holding them the other way
  // round could deadlock with it. (The cell was never opened: nothing
  // else uses it.)
  internal::MutexLock pool_hold(pool_mutex_);
  cells_.Free(cell);
  return ShutDownError();
}

absl::Status WorkStealingScheduler::LookupError(std::string_view name) const {
  internal::ReaderLock hold(registry_mutex_);
  return internal::NameNotLive(name, registry_.Contains(name));
}

absl::Status WorkStealingScheduler::RecordDeadRefLetter(
    internal::ActorCell* cell, uint32_t generation, ErasedMessage message) {
  internal::DeadReference dead = DescribeDeadRef(cell, generation);
  if (IsShutDown() && cell != nullptr && cell->runtime == Identity()) {
    dead.reason = ShutDownError();
  }
  return RecordDeadLetter(std::move(dead.recipient), std::move(dead.reason),
                          std::move(message));
}

internal::DeadReference WorkStealingScheduler::DescribeDeadRef(
    internal::ActorCell* cell, uint32_t generation) const {
  if (cell == nullptr || cell->runtime != Identity()) {
    return internal::DescribeDeadReference(cell, generation, Identity(),
                                           /*vacant=*/false);
  }
  // Under the lock: a closed cell keeps the finished actor's name until
  // Admit() reuses it (which reopens it, under the same lock).
  Cell* own = static_cast<Cell*>(cell);
  internal::MutexLock hold(own->mailbox_lock());
  return internal::DescribeDeadReference(cell, generation, Identity(),
                                         own->IsClosedLocked());
}

absl::Status WorkStealingScheduler::PushConverted(
    std::string_view name, const RegistryEntry& entry,
    const internal::MessageType* sent, void* object) {
  Cell* cell = entry.cell;
  if (ABSL_PREDICT_FALSE(cell->Limited())) {
    return Limits::PushConverted(*this, name, entry, sent, object);
  }
  // To itself, into its inbox, as Deliver() does: its order holds.
  Worker* locals = CurrentWorker();
  const bool to_self = locals != nullptr && locals->running == cell;
  absl::Status wrong_type;
  Tracer* const tracer = trace_.get();
  const internal::Appended appended = cell->AppendBuilt(
      entry.generation, to_self,
      [&](internal::Payload* slot, const internal::MessageType* type) {
        if (type == sent) {
          sent->construct_from_object(slot, object);
        } else if (const internal::Alternative* alternative =
                       internal::FindAlternative(*type, sent)) {
          alternative->construct_from(slot, object);
        } else {
          wrong_type = internal::WrongType(name, type->name, sent->name);
          return false;
        }
        // To itself: its turn's end starts the flow (EndTracedTurn()).
        if (tracer != nullptr && !to_self)
          internal::SlotFlows{tracer, type->name}(slot);
        return true;
      });
  if (appended == internal::Appended::kRefused) {
    return wrong_type.ok() ? internal::NameNotLive(name, /*registered=*/true)
                           : wrong_type;
  }
  if (appended == internal::Appended::kScheduled) MakeRunnable(cell);
  return absl::OkStatus();
}

absl::Status WorkStealingScheduler::RecordDeadLetter(std::string recipient,
                                                     absl::Status reason,
                                                     ErasedMessage message) {
  records_.With([&](internal::RecordKeeper& records,
                    internal::RecordKeeper::Dropped& dropped) {
    records.AddDeadLetter(
        DeadLetter{std::move(recipient), reason, std::move(message)}, dropped);
  });
  return reason;
}

void WorkStealingScheduler::RecordThrown(const char* doing,
                                         internal::ActorCell* to,
                                         uint32_t generation,
                                         std::exception_ptr exception,
                                         ErasedMessage message) {
  // Named as dead letters name it: its actor's name while it lives (read
  // under the cell's lock, which Admit() holds to rename a reused cell),
  // else as a dead reference is described.
  std::string recipient;
  bool live = false;
  if (to != nullptr && static_cast<const void*>(to->runtime) == Identity()) {
    Cell* cell = static_cast<Cell*>(to);
    internal::MutexLock hold(cell->mailbox_lock());
    if (cell->IsOpenLocked(generation)) {
      live = true;
      recipient = internal::RecordedName(cell->RecipientName());
    }
  }
  if (!live) recipient = DescribeDeadRef(to, generation).recipient;
  // Described outside the lock: what() is user code.
  internal::RecordKeeper::Thrown thrown =
      internal::RecordKeeper::DescribeThrown(doing, std::move(recipient),
                                             exception);
  records_.With([&](internal::RecordKeeper& records,
                    internal::RecordKeeper::Dropped& dropped) {
    records.AddThrown(std::move(thrown), std::move(message), dropped);
  });
}

absl::Status WorkStealingScheduler::Run() {
  std::unique_lock<std::mutex> run_hold;
  if (absl::Status entry = EnterRun("Run()", run_hold); !entry.ok()) {
    return entry;
  }
  return RunEntered();
}

absl::Status WorkStealingScheduler::EnterRun(
    std::string_view caller, std::unique_lock<std::mutex>& run_hold) {
  if (CurrentWorker() != nullptr) {
    return absl::FailedPreconditionError(
        std::string(caller) +
        " called from inside one of the scheduler's actors");
  }
  if (IsShutDown()) return ShutDownError();
  run_hold = std::unique_lock<std::mutex>(run_mutex_, std::try_to_lock);
  if (!run_hold.owns_lock()) {
    return absl::FailedPreconditionError("Run() is already running");
  }
  return absl::OkStatus();
}

absl::Status WorkStealingScheduler::RunEntered(bool* stopped) {
  // Start run N and wake the sleepers in one critical section: a worker
  // can only report run N quiescent after registering as asleep again.
  const internal::IdleWorkers::RunStart start = idle_.StartRun([&] {
    // A Stop() while no run ran ends this one at once.
    if (stop_requested_.exchange(false)) {
      if (stopped != nullptr) *stopped = true;
      return false;
    }
    return true;
  });
  if (start.stopping) return ShutDownError();
  if (start.run == 0) return absl::OkStatus();  // Stopped.
  idle_.FinishRun(start.run);
  // Frames spawned from this thread and freed by the workers go back.
  internal::ReturnFreedFrames();
  if (idle_.stopping()) return ShutDownError();  // Shutdown() ended it.
  // This run served it, if any.
  const bool served = stop_requested_.exchange(false);
  if (stopped != nullptr) *stopped = served;
  // Relaxed: set by a spawn this run (or before) happened before.
  if (!served && any_limited_.load(std::memory_order_relaxed)) {
    // OK unless senders wait in a cycle.
    return Limits::WaitingSendersError(*this);
  }
  return absl::OkStatus();
}

void WorkStealingScheduler::Wake(internal::ActorCell* base,
                                 std::coroutine_handle<> handle) {
  Cell* cell = static_cast<Cell*>(base);
  // Before the wake-up is seen: its flow ends in the turn it resumes.
  if (Tracer* t = trace_.get(); ABSL_PREDICT_FALSE(t != nullptr)) {
    t->FlowStart(TraceFlowKind::kMessage, internal::WakeFlowId(cell),
                 "wake-up");
  }
  if (cell->Wake(handle)) MakeRunnable(cell);
}

absl::Status WorkStealingScheduler::AddMonitor(
    internal::ActorCell* watched, uint32_t generation,
    absl::AnyInvocable<void(const Down&)> notify) {
  if (IsShutDown()) return ShutDownError();
  if (watched != nullptr && watched->runtime == Identity()) {
    if (static_cast<Cell*>(watched)->AddMonitor(generation, notify)) {
      return absl::OkStatus();
    }
  }
  return absl::FailedPreconditionError(
      "cannot monitor an actor that has finished");
}

}  // namespace coactor
