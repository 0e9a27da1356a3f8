#include "runtime/work_stealing_scheduler.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "absl/strings/str_cat.h"
#include "runtime/internal/actor_end.h"
#include "runtime/internal/asymmetric_fence.h"
#include "runtime/internal/send_errors.h"
#include "runtime/internal/chase_lev_deque.h"

namespace coactor {
namespace {

using internal::ActorState;

// Messages an actor handles before its worker looks at other actors.
constexpr int kBudget = 128;
// Every this many picks a worker serves the shared and its own oldest work
// first, so that two actors handing each other the runnext slot cannot
// starve the rest (Go uses 61 for its global queue).
constexpr uint32_t kFairnessInterval = 61;
// How long an idle worker keeps looking before it sleeps: rounds of a full
// search with a short pause between (some tens of microseconds in all).
constexpr int kSpinRounds = 64;
constexpr int kPausesPerSpinRound = 32;
// A worker that has been this long in one handler (it delivered nothing,
// started no turn and flushed nothing meanwhile) is stuck: an idle worker
// takes the actor waiting in its runnext slot and hands over the messages
// waiting in its outbox (Go's thieves wait 3 us before they take a running
// P's runnext). Shorter handlers keep the actors that trade the slot, or a
// sender and its receiver, on one CPU.
constexpr int64_t kStuckNanos = 5'000;
// The longest wait between two attempts at a worker that stays stuck.
constexpr int64_t kMaxBackoffNanos = 1'000'000;
// While busy workers may have something waiting (runnext, outbox), the
// standby looks at them this often (a timed wait; this VM makes it about
// 40 us); a worker seen with something waiting is looked at again once it
// could be stuck. So what a long handler woke or sent starts on another
// worker within about a tick and kStuckNanos (when one is idle).
constexpr int64_t kWatchTickNanos = 20'000;
// Looks in a row that saw nothing waiting, after which the standby stops
// looking (and busy workers ask again when something waits).
constexpr int kQuietTicks = 50;
// Timer slack for worker threads (Linux): the standby's short waits would
// otherwise end up to 50 us late.
constexpr unsigned long kTimerSlackNanos = 1'000;

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

WorkStealingScheduler::WorkStealingScheduler(int threads, Clock& clock)
    : clock_(clock),
      clock_is_virtual_(clock.IsVirtual()),
      takeover_((internal::AsymmetricFence::Init(),  // Before the workers.
                 internal::AsymmetricFence::available()) &&
                !clock_is_virtual_ &&
                (threads > 1 ||
                 (threads <= 0 && std::thread::hardware_concurrency() > 1))) {
  if (threads <= 0) {
    threads = std::max(1u, std::thread::hardware_concurrency());
  }
  for (int i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(
        static_cast<const void*>(this), 0x9E3779B97F4A7C15ull * (i + 1), static_cast<size_t>(threads)));
  }
  // Relaxed: the workers start after this (thread creation orders it).
  idle_workers_.store(threads, std::memory_order_relaxed);
  // Without take-overs nobody watches, and nobody need ask: "watching".
  // Relaxed: as above.
  watch_fast_.store(!takeover_, std::memory_order_relaxed);
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
    std::vector<absl::AnyInvocable<void()>> callbacks;
    {
      std::lock_guard<std::mutex> hold(timers_mutex_);
      callbacks = timers_.TakeAllCallbacks();
    }
    std::vector<DeadLetter> letters;
    {
      std::lock_guard<std::mutex> hold(records_mutex_);
      letters = dead_letters_.Take();
    }
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
  std::lock_guard<std::mutex> once(shutdown_mutex_);
  if (IsShutDown()) return absl::OkStatus();
  // 1. Stop the workers, each after the message it is handling, and end a
  // Run() in progress (RunEntered() sees stopping_ under the same mutex).
  {
    std::lock_guard<std::mutex> hold(idle_mutex_);
    stopping_.store(true);
  }
  stop_requested_.store(true);
  WakeAllWorkers();
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
  {
    std::lock_guard<std::mutex> hold(idle_mutex_);
    // Release: as in Park().
    quiesced_run_.store(run_number_, std::memory_order_release);
    quiesced_run_.notify_all();
  }
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
    std::lock_guard<std::mutex> hold(pool_mutex_);
    shut_down_.store(true);
  }
  for (Cell& cell : cells_) {
    if (cell.CloseForShutdown()) {  // Every reference is stale now.
      live_actors_.fetch_sub(1, std::memory_order_relaxed);  // Statistic.
    }
  }
  // 3. Destroy the frames and the messages no one can reach any more.
  for (Cell& cell : cells_) {
    if (cell.handle) {
      std::exchange(cell.handle, nullptr).destroy();
      cell.promise = nullptr;
    }
    cell.SetState(ActorState::kFinished);
    // Outside the lock: a message's destructor may send, even to this
    // actor (refused, and described under this lock).
    cell.DestroyContents();
  }
  std::vector<absl::AnyInvocable<void()>> callbacks;
  {
    std::lock_guard<std::mutex> hold(timers_mutex_);
    callbacks = timers_.TakeAllCallbacks();
    timers_pending_.store(0);
  }
  callbacks.clear();  // Outside the lock: they may add timers or send.
  return absl::OkStatus();
}

void WorkStealingScheduler::Stop() {
  stop_requested_.store(true);
  // A worker keeping the timers waits on them: let it see the request.
  InterruptKeeper();
}

WorkStealingScheduler::Cell* WorkStealingScheduler::PauseActor(Worker* worker,
                                                               Cell* cell) {
  FlushOwnOutbox(*worker);
  // Still scheduled, with its messages (and start, or wake-up) waiting:
  // the next run finds it here. (This worker owns its deque.)
  worker->deque.Push(cell);
  return nullptr;
}

uint64_t WorkStealingScheduler::messages_delivered() const {
  uint64_t total = 0;
  for (const auto& worker : workers_) {
    total += worker->delivered.load(std::memory_order_relaxed);  // Statistic.
  }
  return total;
}

std::vector<DeadLetter> WorkStealingScheduler::TakeDeadLetters() {
  std::lock_guard<std::mutex> hold(records_mutex_);
  return dead_letters_.Take();
}

std::vector<ActorFailure> WorkStealingScheduler::failures() const {
  std::lock_guard<std::mutex> hold(records_mutex_);
  return std::vector<ActorFailure>(failures_.items().begin(),
                                   failures_.items().end());
}

std::vector<ActorFailure> WorkStealingScheduler::TakeFailures() {
  std::lock_guard<std::mutex> hold(records_mutex_);
  return failures_.Take();
}

uint64_t WorkStealingScheduler::dead_letters_recorded() const {
  std::lock_guard<std::mutex> hold(records_mutex_);
  return dead_letters_.total();
}

uint64_t WorkStealingScheduler::failures_recorded() const {
  std::lock_guard<std::mutex> hold(records_mutex_);
  return failures_.total();
}

RecordLimits WorkStealingScheduler::record_limits() const {
  std::lock_guard<std::mutex> hold(records_mutex_);
  return limits_;
}

void WorkStealingScheduler::SetRecordLimits(const RecordLimits& limits) {
  std::vector<DeadLetter> dropped_letters;
  std::vector<ActorFailure> dropped_failures;
  {
    std::lock_guard<std::mutex> hold(records_mutex_);
    limits_ = limits;
    dead_letters_.Trim(limits.dead_letters, dropped_letters);
    failures_.Trim(limits.failures, dropped_failures);
  }
  std::unique_lock<std::shared_mutex> hold(registry_mutex_);
  finished_names_limit_ = limits.finished_names;
  ForgetOldFinishedNames();
}

void WorkStealingScheduler::Record(std::optional<ActorFailure> failure,
                                   std::vector<DeadLetter> letters) {
  std::vector<ActorFailure> dropped_failures;
  std::vector<DeadLetter> dropped_letters;
  {
    std::lock_guard<std::mutex> hold(records_mutex_);
    if (failure.has_value()) {
      failures_.Add(std::move(*failure), limits_.failures, dropped_failures);
    }
    for (DeadLetter& letter : letters) {
      dead_letters_.Add(std::move(letter), limits_.dead_letters,
                        dropped_letters);
    }
  }
  // The dropped ones go here, outside the lock.
}

void WorkStealingScheduler::ForgetOldFinishedNames() {
  bool forgot = false;
  while (finished_names_.size() > finished_names_limit_) {
    const FinishedName& oldest = finished_names_.front();
    auto it = registry_.find(Key(oldest.name));
    // Unless the name was taken again since.
    if (it != registry_.end() && it->second.cell == oldest.entry.cell &&
        it->second.generation == oldest.entry.generation) {
      registry_.erase(it);
      forgot = true;
    }
    finished_names_.pop_front();
  }
  // Release: as in Admit(); workers' caches of the name refill.
  if (forgot) registry_version_.fetch_add(1, std::memory_order_release);
}

// ---- Registry and admission --------------------------------------------------

bool WorkStealingScheduler::LookUp(std::string_view name,
                                   RegistryEntry* entry) const {
  std::shared_lock<std::shared_mutex> hold(registry_mutex_);
  auto it = registry_.find(Key(name));
  if (it == registry_.end()) return false;
  *entry = it->second;
  return true;
}

absl::StatusOr<WorkStealingScheduler::Cell*> WorkStealingScheduler::Admit(
    std::string_view name, internal::ActorPromiseBase* promise,
    std::coroutine_handle<> handle, const internal::MessageType* type) {
  if (IsShutDown()) return ShutDownError();
  std::unique_lock<std::shared_mutex> registry_hold(registry_mutex_,
                                                    std::defer_lock);
  if (!name.empty()) {
    registry_hold.lock();
    auto it = registry_.find(Key(name));
    if (it != registry_.end()) {
      const RegistryEntry& entry = it->second;
      if (entry.cell->IsOpen(entry.generation)) {
        return absl::AlreadyExistsError(
            absl::StrCat("an actor named '", internal::RecordedName(name),
                         "' already exists"));
      }
    }
  }
  Cell* cell;
  {
    std::lock_guard<std::mutex> hold(pool_mutex_);
    if (IsShutDown()) return ShutDownError();
    cell = free_cells_;
    if (cell != nullptr) {
      free_cells_ = cell->next_free;
      cell->next_free = nullptr;
    } else {
      cell = &cells_.emplace_back();
      // Written once, before the cell is published: senders holding stale
      // references read it without a lock.
      cell->runtime = this;
    }
  }
  {
    auto hold = cell->Lock();
    // Shutdown() sets shut_down_, then closes each cell under its lock: if
    // it has passed this one already, refuse (the frame stays the
    // caller's); if not, it closes this actor with the others.
    if (IsShutDown()) {
      std::lock_guard<std::mutex> pool_hold(pool_mutex_);
      cell->next_free = free_cells_;
      free_cells_ = cell;
      return ShutDownError();
    }
    cell->OpenLocked(
        handle, promise, type,
        name.empty() ? nullptr : std::make_unique<std::string>(name),
        // Relaxed: only uniqueness matters.
        next_actor_id_.fetch_add(1, std::memory_order_relaxed));
    promise->cell = cell;
  }
  if (!name.empty()) {
    registry_.insert_or_assign(std::string(name),
                               RegistryEntry{cell, cell->Generation()});
    // Release: a worker that sees the new version sees the new entry.
    registry_version_.fetch_add(1, std::memory_order_release);
    registry_hold.unlock();
  }
  live_actors_.fetch_add(1, std::memory_order_relaxed);  // Statistic.
  MakeRunnable(cell);
  return cell;
}

absl::Status WorkStealingScheduler::LookupError(std::string_view name) const {
  std::shared_lock<std::shared_mutex> hold(registry_mutex_);
  return internal::NameNotLive(name, registry_.contains(Key(name)));
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
  auto hold = own->Lock();
  return internal::DescribeDeadReference(cell, generation, Identity(),
                                         own->IsClosedLocked());
}

absl::Status WorkStealingScheduler::PushConverted(
    std::string_view name, const RegistryEntry& entry,
    const internal::MessageType* sent, void* object) {
  Cell* cell = entry.cell;
  // To itself, into its inbox, as Deliver() does: its order holds.
  Worker* locals = CurrentWorker();
  const bool to_self = locals != nullptr && locals->running == cell;
  absl::Status wrong_type;
  const Appended appended = cell->AppendBuilt(
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
        return true;
      });
  if (appended == Appended::kRefused) {
    return wrong_type.ok() ? internal::NameNotLive(name, /*registered=*/true)
                           : wrong_type;
  }
  if (appended == Appended::kScheduled) MakeRunnable(cell);
  return absl::OkStatus();
}

absl::Status WorkStealingScheduler::RecordDeadLetter(std::string recipient,
                                                     absl::Status reason,
                                                     ErasedMessage message) {
  std::vector<DeadLetter> dropped;
  {
    std::lock_guard<std::mutex> hold(records_mutex_);
    dead_letters_.Add(
        DeadLetter{std::move(recipient), reason, std::move(message)},
        limits_.dead_letters, dropped);
  }
  return reason;  // `dropped` goes outside the lock.
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
    auto hold = cell->Lock();
    if (cell->IsOpenLocked(generation)) {
      live = true;
      recipient = internal::RecordedName(cell->RecipientName());
    }
  }
  if (!live) recipient = DescribeDeadRef(to, generation).recipient;
  const std::string thrown_by = internal::ThrownBy(doing, recipient);
  ActorFailure failure{thrown_by, internal::DescribeException(exception),
                       exception};
  std::vector<DeadLetter> letters;
  letters.push_back(DeadLetter{std::move(recipient),
                               internal::ThrownReason(thrown_by, exception),
                               std::move(message)});
  Record(std::move(failure), std::move(letters));
}

// ---- Scheduling ------------------------------------------------------------

void WorkStealingScheduler::MakeRunnable(Cell* cell, bool stealable) {
  if (Worker* worker = CurrentWorker()) {
    MakeRunnableOn(worker, cell, stealable);
    return;
  }
  {
    std::lock_guard<std::mutex> hold(injection_mutex_);
    injected_.push_back(cell);
    // Relaxed: a hint read without the lock; PopInjected() re-checks.
    injected_size_.store(injected_.size(), std::memory_order_relaxed);
  }
  WakeOneWorker();
}

void WorkStealingScheduler::MakeRunnableOn(Worker* worker, Cell* cell,
                                           bool stealable) {
  if (stealable) {
    worker->deque.Push(cell);
    WakeOneWorker();
    return;
  }
  if (Cell* displaced = worker->runnext.Exchange(cell)) {
    worker->deque.Push(displaced);
    WakeOneWorker();
  }
  // Woken during a turn (a send, a reply, a spawn), it waits for the turn
  // to end; an idle worker takes it if that takes long.
  if (worker->running != nullptr) NoteWaitingDuringTurn();
}

void WorkStealingScheduler::SpillRunnext(Worker* worker) {
  if (worker->SpillRunnext()) WakeOneWorker();
}

void WorkStealingScheduler::SetIdle(Worker* worker, bool idle) {
  if (worker->idle == idle) return;
  worker->idle = idle;
  // Relaxed: a hint for senders (AnyWorkerIdle()); nothing is published.
  idle_workers_.fetch_add(idle ? 1 : -1, std::memory_order_relaxed);
}

void WorkStealingScheduler::RequestWatch() {
  watch_fast_.store(true);
  Worker* heir = nullptr;
  bool interrupt = false;
  {
    std::lock_guard<std::mutex> hold(idle_mutex_);
    if (standby_ != nullptr) {
      interrupt = true;
    } else {
      heir = PopSleeperLocked();
    }
  }
  // (No standby and no sleeper: the idle workers are looking for work,
  // and look at the slots too, or become the standby.)
  if (interrupt) InterruptKeeper();
  if (heir != nullptr) WakeSleeper(heir, /*as_heir=*/true);
}

WorkStealingScheduler::Cell* WorkStealingScheduler::WatchBusyWorkers(
    Worker* worker, int64_t* next_look_nanos) {
  *next_look_nanos = std::numeric_limits<int64_t>::max();
  const int64_t now = SteadyNanos();
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker* other = workers_[i].get();
    if (other == worker) continue;
    Worker::Sighting& seen = worker->seen[i];
    // Relaxed: hints; TrySteal() and TryVisit() order what they take.
    const uint32_t progress =
        other->progress.load(std::memory_order_relaxed);
    const uint64_t delivered =
        other->delivered.load(std::memory_order_relaxed);
    if (seen.progress != progress || seen.delivered != delivered) {
      seen = Worker::Sighting{progress, delivered, now + kStuckNanos,
                              kStuckNanos};
    }
    Cell* next = other->runnext.Peek();
    // Relaxed: as above.
    const bool sent = other->outbox_pending.load(
        std::memory_order_relaxed);
    if (next == nullptr && !sent) continue;
    if (now < seen.act_at_nanos) {
      *next_look_nanos = std::min(*next_look_nanos, seen.act_at_nanos);
      continue;
    }
    // Each attempt costs a heavy fence (an interrupt to the worker's CPU):
    // the next one waits twice as long, until the worker moves on.
    seen.backoff_nanos = std::min(2 * seen.backoff_nanos, kMaxBackoffNanos);
    seen.act_at_nanos = now + seen.backoff_nanos;
    // Stuck in one handler: take over what it holds back. The receivers
    // its messages wake come here (our runnext slot and deque).
    if (sent && other->outbox_lock.TryVisit()) {
      FlushOutbox(other->outbox, FlushPoint::kTurnEnd, worker);
      // Relaxed: published by EndVisit().
      other->outbox_pending.store(false, std::memory_order_relaxed);
      other->outbox_lock.EndVisit();
      // What the flush itself sent from here (destructors of dead letters
      // it had to drop) must not wait in our outbox while we stay idle.
      FlushOwnOutbox(*worker);
    }
    if (next != nullptr && other->runnext.TrySteal(next)) {
      if (Cell* woken = worker->runnext.Exchange(next)) {
        worker->deque.Push(woken);
        WakeOneWorker();
      }
    }
    if (Cell* cell = worker->runnext.Take()) return cell;
  }
  return nullptr;
}

void WorkStealingScheduler::FlushHeldOutbox(Worker& locals,
                                            FlushPoint point) {
  internal::BiasedLock::OwnerHold hold(locals.outbox_lock);
  if (!locals.outbox.empty()) FlushOutbox(locals.outbox, point, &locals);
  // Relaxed: as above.
  locals.outbox_pending.store(false, std::memory_order_relaxed);
}

void WorkStealingScheduler::FlushOutbox(Outbox& outbox, FlushPoint point,
                                        Worker* worker) {
  bool stealable = false;
  if (point == FlushPoint::kMidTurn) {
    worker->Progress();  // A flood is progress.
    if (++worker->mid_turn_flushes >= 2) {
      stealable = true;
      SpillRunnext(worker);
    }
  }
  // Messages whose receiver finished after they were sent: recorded once
  // the flush is over, since recording may drop the oldest dead letter,
  // whose destructor may send (into this outbox, if on a worker).
  std::vector<DeadLetter> undeliverable;
  // Flushing may wake actors, but never sends: the outbox is stable here.
  outbox.Flush([this, worker, stealable, &undeliverable](
                   const Outbox::Batch& batch, auto for_each_message) {
    Cell* cell = batch.target;
    const internal::MessageType* type = batch.type;
    const internal::PayloadRelocator relocate{type};
    std::optional<internal::DeadReference> dead;  // Set when refused.
    const Appended appended = cell->AppendBatch(
        batch.generation, relocate, for_each_message, [&] {
          // The receiver finished after these were sent: named, as
          // DequeScheduler names a message queued for an actor that ends,
          // unless its cell holds another actor by now.
          dead = cell->IsClosedLocked() &&
                         cell->Generation() == batch.generation + 1
                     ? internal::DeadReference{cell->RecipientName(),
                                               internal::Undelivered(
                                                   cell->DisplayName())}
                     : internal::DeadReference{
                           "(finished actor)",
                           absl::FailedPreconditionError(
                               "the actor finished before this message was "
                               "delivered")};
        });
    if (appended == Appended::kRefused) {
      for_each_message([&](internal::Payload* message) {
        undeliverable.push_back(DeadLetter{
            dead->recipient, dead->reason, ErasedMessage::Adopt(type, message)});
      });
    } else if (appended == Appended::kScheduled) {
      MakeRunnableOn(worker, cell, stealable);
    }
  });
  if (undeliverable.empty()) return;
  Record(std::nullopt, std::move(undeliverable));
  // What the destructors of dropped dead letters sent from this worker.
  if (!outbox.empty()) FlushOutbox(outbox, point, worker);
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
  uint64_t run;
  std::vector<Worker*> sleeping;
  {
    std::lock_guard<std::mutex> hold(idle_mutex_);
    if (stopping_.load()) return ShutDownError();
    // A Stop() while no run ran ends this one at once.
    if (stop_requested_.exchange(false)) {
      if (stopped != nullptr) *stopped = true;
      return absl::OkStatus();
    }
    run = ++run_number_;
    running_.store(true);
    sleeping.swap(idle_);
    // Relaxed: as in Park().
    sleepers_.store(0, std::memory_order_relaxed);
  }
  for (Worker* worker : sleeping) {
    // Release: as in WakeOneWorker().
    worker->wake_sequence.fetch_add(1, std::memory_order_release);
    worker->wake_sequence.notify_one();
  }
  InterruptKeeper();  // The standby, if any, looks again (a new run).
  // Acquire: see everything the actors did before the workers slept.
  for (uint64_t done = quiesced_run_.load(std::memory_order_acquire);
       done != run; done = quiesced_run_.load(std::memory_order_acquire)) {
    quiesced_run_.wait(done, std::memory_order_acquire);
  }
  running_.store(false);
  if (stopping_.load()) return ShutDownError();  // Shutdown() ended it.
  // This run served it, if any.
  const bool served = stop_requested_.exchange(false);
  if (stopped != nullptr) *stopped = served;
  return absl::OkStatus();
}

// ---- Workers -------------------------------------------------------------------

void WorkStealingScheduler::WorkerMain(Worker* worker) {
  Worker::SetCurrent(worker);
#if defined(__linux__)
  prctl(PR_SET_TIMERSLACK, kTimerSlackNanos, 0, 0, 0);
#endif
  while (!stopping_.load()) {
    Cell* cell = nullptr;
    if (running_.load() && !StopRequested()) {
      cell = FindWork(worker);
      if (cell == nullptr) {
        SetIdle(worker, true);
        // On a virtual clock with timers pending, the next work most
        // likely comes from jumping the clock, which waits until every
        // worker sleeps: spinning would only delay it.
        // Relaxed: a hint.
        if (!clock_is_virtual_ ||
            timers_pending_.load(std::memory_order_relaxed) == 0) {
          cell = Spin(worker);
        }
      }
    }
    if (cell == nullptr) {
      SetIdle(worker, true);
      cell = Park(worker);
      if (cell == nullptr) continue;
    }
    if (ABSL_PREDICT_FALSE(worker->idle)) SetIdle(worker, false);
    while (cell != nullptr) {
      cell = RunActor(worker, cell);
      // Sends made outside an actor's turn (monitors' Downs when it ended)
      // must not wait in the outbox while this worker looks for work.
      FlushOwnOutbox(*worker);
      // A worker that always has its next actor at hand (one that keeps
      // sending to itself, or two that trade the runnext slot) still
      // counts its picks, and at the fairness pick fires due timers and
      // serves the shared queue and its own oldest work first. The actor
      // in hand waits in the deque only if something else runs first: put
      // there for nothing, an idle worker looking for work (the standby, a
      // spinner) could take it and split a pair that talks.
      if (cell != nullptr &&
          ++worker->picks % kFairnessInterval == 0) {
        // Relaxed: a hint; FireDueTimers() looks under the lock.
        if (timers_pending_.load(std::memory_order_relaxed) != 0) {
          FireDueTimers();
        }
        Cell* first = PopInjected();
        if (first == nullptr) {
          if (std::optional<Cell*> oldest = worker->deque.Steal()) {
            first = *oldest;
          }
        }
        if (first != nullptr) {
          worker->deque.Push(std::exchange(cell, first));
          WakeOneWorker();
        }
      }
    }
  }
  Worker::SetCurrent(nullptr);
}

WorkStealingScheduler::Cell* WorkStealingScheduler::PopInjected() {
  // Relaxed: a hint; the queue itself is read under the lock.
  if (injected_size_.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard<std::mutex> hold(injection_mutex_);
  if (injected_.empty()) return nullptr;
  Cell* cell = injected_.front();
  injected_.pop_front();
  // Relaxed: as above.
  injected_size_.store(injected_.size(), std::memory_order_relaxed);
  return cell;
}

WorkStealingScheduler::Cell* WorkStealingScheduler::FindWork(Worker* worker) {
  if (++worker->picks % kFairnessInterval == 0) {
    // Relaxed: a hint; FireDueTimers() looks under the lock.
    if (timers_pending_.load(std::memory_order_relaxed) != 0) FireDueTimers();
    if (Cell* cell = PopInjected()) return cell;
    if (std::optional<Cell*> cell = worker->deque.Steal()) return *cell;
  }
  if (Cell* cell = worker->TakeOwnWork()) return cell;
  if (Cell* cell = PopInjected()) return cell;
  return StealFromOthers(worker);
}

WorkStealingScheduler::Cell* WorkStealingScheduler::StealFromOthers(
    Worker* worker) {
  const size_t n = workers_.size();
  if (n < 2) return nullptr;
  // Two rounds: a steal can lose a race with the owner or another thief.
  for (int round = 0; round < 2; ++round) {
    const size_t start = worker->NextRandom() % n;
    for (size_t i = 0; i < n; ++i) {
      Worker* victim = workers_[(start + i) % n].get();
      if (victim == worker) continue;
      if (std::optional<Cell*> cell = victim->deque.Steal()) return *cell;
    }
  }
  return nullptr;
}

WorkStealingScheduler::Cell* WorkStealingScheduler::Spin(Worker* worker) {
  size_t none = 0;
  if (!spinning_.compare_exchange_strong(none, 1)) return nullptr;
  Cell* found = nullptr;
  for (int round = 0; round < kSpinRounds && found == nullptr; ++round) {
    // Relaxed: only a hint to stop early.
    if (stopping_.load(std::memory_order_relaxed)) break;
    for (int i = 0; i < kPausesPerSpinRound; ++i) {
      internal::SpinLock::CpuRelax();
    }
    found = FindWork(worker);
    int64_t next_look;
    if (found == nullptr && takeover_) {
      found = WatchBusyWorkers(worker, &next_look);
    }
  }
  spinning_.store(0);
  // A waker that saw us spinning woke nobody. Either its fence (in
  // WakeOneWorker) comes after this one and it sees spinning_ == 0, or
  // this one comes after its push and AnyQueuedWork() sees the work. (The
  // seq_cst store alone would not keep the relaxed loads after it.)
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // More may be waiting than this worker can take: let a sleeper help.
  if (found != nullptr && AnyQueuedWork()) WakeOneWorker();
  return found;
}

bool WorkStealingScheduler::AnyQueuedWork() const {
  // Relaxed: re-checked after the seq_cst fence in Park().
  if (injected_size_.load(std::memory_order_relaxed) != 0) return true;
  for (const auto& worker : workers_) {
    if (!worker->deque.Empty()) return true;
  }
  return false;
}

WorkStealingScheduler::Cell* WorkStealingScheduler::RunActor(Worker* worker,
                                                             Cell* cell) {
  // While set, the actor's sends to itself go straight to its inbox.
  struct RunningScope {
    RunningScope(Worker& locals, Cell* cell) : locals(locals) {
      locals.running = cell;
      locals.mid_turn_flushes = 0;
    }
    ~RunningScope() {
      locals.running = nullptr;
      locals.mid_turn_flushes = 0;  // Sends from timers start afresh.
    }
    Worker& locals;
  } running(*worker, cell);
  worker->Progress();  // A new turn (see WatchBusyWorkers()).
  Worker& locals = *worker;
  auto finish = [&] {
    FlushOwnOutbox(locals);
    Finish(cell);
    return nullptr;
  };
  if (ABSL_PREDICT_FALSE(StopRequested())) return PauseActor(worker, cell);
  if (cell->State() == ActorState::kStarting) {
    cell->SetState(ActorState::kWaiting);
    cell->handle.resume();
    if (cell->handle.done()) return finish();
  }
  for (int budget = kBudget;; --budget) {
    // Stop(): the message just handled was the last of this run.
    if (ABSL_PREDICT_FALSE(StopRequested())) return PauseActor(worker, cell);
    if (ABSL_PREDICT_FALSE(cell->State() != ActorState::kWaiting)) {
      // Blocked on a sleep, task or ask: only its wake-up resumes it.
      FlushOwnOutbox(locals);
      if (!ResumeIfWoken(cell)) return nullptr;
      if (cell->handle.done()) return finish();
      // An actor that blocks and is woken at once (Yield(), Sleep(0))
      // uses up its budget like one that receives, and gives way.
      if (budget <= 0) {
        FlushOwnOutbox(locals);
        return YieldActor(worker, cell);
      }
      continue;
    }
    // Look at `incoming` (and errors) when the inbox is empty, and at the
    // start of each turn if something may overtake what the inbox holds
    // (see ActorMailbox::SomethingMayOvertake()).
    if (cell->InboxEmpty() ||
        (budget == kBudget && cell->SomethingMayOvertake())) {
      FlushOwnOutbox(locals);
      std::exception_ptr error;
      if (!cell->BeginTurn(&error)) return nullptr;
      if (error) {
        cell->promise->inbox = nullptr;  // Receive() rethrows instead.
        cell->promise->delivered_error = std::move(error);
        cell->handle.resume();
        if (cell->handle.done()) return finish();
        continue;
      }
    }
    // At or below zero: blocked passes and errors count too, and may
    // step over zero.
    if (budget <= 0) {
      FlushOwnOutbox(locals);
      return YieldActor(worker, cell);
    }
    // The actor moves the message out of its slot as soon as it resumes,
    // before it can send anything to itself (which goes to this queue).
    cell->promise->inbox = cell->TakeMessage();
    worker->CountDelivered();
    cell->handle.resume();
    if (ABSL_PREDICT_FALSE(cell->handle.done())) return finish();
  }
}

bool WorkStealingScheduler::ResumeIfWoken(Cell* cell) {
  std::coroutine_handle<> wake = cell->TakeWakeOrIdle();
  if (!wake) return false;  // Wake() schedules it again.
  cell->SetState(ActorState::kRunning);
  wake.resume();
  // Still kRunning: it came back to a Receive() (blocking sets kBlocked).
  if (!cell->handle.done() && cell->State() == ActorState::kRunning) {
    cell->SetState(ActorState::kWaiting);
  }
  return true;
}

WorkStealingScheduler::Cell* WorkStealingScheduler::YieldActor(Worker* worker,
                                                               Cell* cell) {
  // The actor stays runnable. Hand the CPU to the actor it woke, keeping
  // both on this worker; with nothing else to do, just go on.
  if (Cell* next = worker->runnext.Take()) {
    worker->runnext.Exchange(cell);  // Was empty: displaces nothing.
    return next;
  }
  if (worker->deque.Empty() &&
      // Relaxed: a hint.
      injected_size_.load(std::memory_order_relaxed) == 0) {
    return cell;
  }
  {
    std::lock_guard<std::mutex> hold(injection_mutex_);
    injected_.push_back(cell);
    // Relaxed: a hint read without the lock.
    injected_size_.store(injected_.size(), std::memory_order_relaxed);
  }
  return nullptr;
}

void WorkStealingScheduler::Finish(Cell* cell) {
  internal::ActorMailbox::Closed closed = cell->Close();
  const uint32_t generation = closed.generation;  // The actor's.
  std::vector<ErasedMessage>& undelivered = closed.undelivered;
  std::vector<internal::ActorMailbox::Monitor>& monitors = closed.monitors;
  std::exception_ptr exception = cell->promise->exception;
  std::exchange(cell->handle, nullptr).destroy();
  cell->promise = nullptr;
  cell->SetState(ActorState::kFinished);
  live_actors_.fetch_sub(1, std::memory_order_relaxed);  // Statistic.
  // The common end (no failure, nothing undelivered, no monitor) builds no
  // display name and takes no lock but the pool's (and the registry's for
  // a named actor).
  if (exception || !undelivered.empty() || !monitors.empty()) {
    const std::string display_name = cell->DisplayName();
    const std::string recipient =
        internal::RecordedName(cell->RecipientName());
    std::optional<ActorFailure> failure;
    if (exception) {
      failure = ActorFailure{internal::RecordedName(display_name),
                             internal::DescribeException(exception),
                             exception};
    }
    std::vector<DeadLetter> letters;
    if (!undelivered.empty()) {
      const absl::Status reason = internal::Undelivered(display_name);
      letters.reserve(undelivered.size());
      for (ErasedMessage& message : undelivered) {
        letters.push_back(DeadLetter{recipient, reason, std::move(message)});
      }
    }
    Record(std::move(failure), std::move(letters));
    if (!monitors.empty()) {
      const Down down = internal::DownNotice(*cell, generation, exception);
      for (auto& notify : monitors) notify(down);
    }
  }
  // The registry remembers the name for a while (see finished_names_).
  if (cell->name != nullptr) {
    std::unique_lock<std::shared_mutex> hold(registry_mutex_);
    finished_names_.push_back(FinishedName{
        *cell->name, RegistryEntry{cell, generation}});
    ForgetOldFinishedNames();
  }
  // The name stays with the cell until it is reused, for errors about
  // stale references to the actor. A retired cell is never reused.
  if (!cell->Reusable()) return;
  {
    std::lock_guard<std::mutex> hold(pool_mutex_);
    cell->next_free = free_cells_;
    free_cells_ = cell;
  }
}

// ---- Timers and the Runtime interface --------------------------------------------

internal::TimerId WorkStealingScheduler::AddTimer(
    absl::Time deadline, absl::AnyInvocable<void()> fire) {
  if (IsShutDown()) {
    // No worker will ever fire it: fire now. (A SendAfter()'s send is
    // refused and its message kept as a dead letter, as for any send
    // after Shutdown(), instead of waiting in a timer until destruction.)
    fire();
    return 0;  // No timer.
  }
  internal::TimerId id;
  bool earlier_than_kept;
  bool unkept;
  {
    std::lock_guard<std::mutex> hold(timers_mutex_);
    const bool was_pending = timers_pending_.load() != 0;
    id = timers_.Add(deadline, std::move(fire));
    timers_pending_.store(timers_.empty() ? 0 : 1);
    earlier_than_kept = CutsKeeperShort(absl::ToUnixNanos(deadline));
    unkept = !was_pending && !keeping_timers_ && !timers_.empty();
  }
  if (earlier_than_kept) InterruptKeeper();
  if (unkept) EnsureStandby();
  return id;
}

void WorkStealingScheduler::AddGuardedTimer(
    int64_t timeout_nanos, const internal::GuardedTimer& timer) {
  const int64_t deadline = clock_.DeadlineNanosAfter(timeout_nanos);
  bool earlier_than_kept;
  bool unkept;
  {
    std::lock_guard<std::mutex> hold(timers_mutex_);
    // An infinite timeout arms nothing (see internal::TimerQueue).
    if (!timers_.AddGuarded(deadline, timer)) return;
    unkept = timers_pending_.load() == 0 && !keeping_timers_;
    timers_pending_.store(1);
    earlier_than_kept = CutsKeeperShort(deadline);
  }
  if (earlier_than_kept) InterruptKeeper();
  if (unkept) EnsureStandby();
}

bool WorkStealingScheduler::CancelTimer(TimerId id) {
  bool cancelled;
  {
    std::lock_guard<std::mutex> hold(timers_mutex_);
    cancelled = timers_.Cancel(internal::TimerIdAccess::Value(id));
    timers_pending_.store(timers_.empty() ? 0 : 1);
  }
  // The standby may be waiting for it: let it look again (and let Run()
  // return if it was the last).
  if (cancelled && keeper_waiting_.load()) InterruptKeeper();
  return cancelled;
}

bool WorkStealingScheduler::FireDueTimers() {
  std::vector<internal::TimerQueue::Due> due;
  {
    std::lock_guard<std::mutex> hold(timers_mutex_);
    const absl::Time now = clock_.Now();
    while (std::optional<internal::TimerQueue::Due> fire =
               timers_.PopDue(now)) {
      due.push_back(std::move(*fire));
    }
    timers_pending_.store(timers_.empty() ? 0 : 1);
  }
  // Run outside the lock: they wake actors and send, which may add timers.
  for (internal::TimerQueue::Due& fire : due) fire.Fire();
  // Their sends (SendAfter) must not wait in this worker's outbox.
  if (Worker* locals = CurrentWorker(); locals != nullptr) {
    FlushOwnOutbox(*locals);
  }
  return !due.empty();
}

void WorkStealingScheduler::EnsureStandby() {
  // Pairs with the fence in Park(): either the worker going to sleep sees
  // the timer pending (and becomes the standby), or we see it asleep here.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // Relaxed: ordered by the fence above.
  if (sleepers_.load(std::memory_order_relaxed) == 0) return;
  Worker* heir;
  {
    // Even if standby_ is set: it may be leaving without having seen this
    // timer (LeaveStandby() reads the timers, then clears standby_). A
    // sleeper woken in vain goes back to sleep.
    std::lock_guard<std::mutex> hold(idle_mutex_);
    heir = PopSleeperLocked();
  }
  if (heir != nullptr) WakeSleeper(heir, /*as_heir=*/true);
}

WorkStealingScheduler::Cell* WorkStealingScheduler::Standby(Worker* worker) {
  {
    std::lock_guard<std::mutex> hold(timers_mutex_);
    // Under the lock: a timer added from now on looks at the deadline we
    // wait for (none yet: every new timer interrupts).
    keeping_timers_ = true;
    keeper_deadline_nanos_ = std::numeric_limits<int64_t>::max();
  }
  // Watch the busy workers' slots from the start: one may have filled its
  // slot while this worker was on its way here, and not asked.
  StandbyWatch watch;
  watch.watching = takeover_;
  if (watch.watching) watch_fast_.store(true);
  // Whether to look in the queues: at first, and when woken (wakers that
  // queue work interrupt us). A look at the slots or a timer's deadline
  // does not: polling busy workers' deques would take from them what they
  // are about to pop themselves.
  bool look = true;
  while (!stopping_.load()) {
    const bool running = running_.load();
    // Stopping (Stop()): fire nothing and take nothing (what is queued, and
    // the timers, wait for the next run), and watch nobody; just wait, for
    // the run to end (StandbyWait() reports it quiescent) or a new one.
    // Taking work here would only pause it again and come back for it, at
    // full speed until the last handler ends.
    const bool stop = StopRequested();
    if (running && !stop) {
      // Relaxed: a hint; FireDueTimers() looks under the lock.
      if (timers_pending_.load(std::memory_order_relaxed) != 0) {
        FireDueTimers();
      }
      Cell* cell = worker->runnext.Take();  // Woken by a timer we fired.
      if (cell == nullptr && look) cell = FindWork(worker);
      if (cell == nullptr) cell = WatchAsStandby(worker, watch);
      if (cell != nullptr) {
        LeaveStandby();
        return cell;
      }
    }
    look = StandbyWait(running, watch.watching && !stop);
  }
  LeaveStandby();
  return nullptr;
}

WorkStealingScheduler::Cell* WorkStealingScheduler::WatchAsStandby(
    Worker* worker, StandbyWatch& watch) {
  // Relaxed: RequestWatch() sets it after a quiet spell (and interrupts
  // us); the fences below order it where it matters.
  if (!takeover_) return nullptr;
  if (!watch.watching && watch_fast_.load(std::memory_order_relaxed)) {
    watch.watching = true;
    watch.quiet_ticks = 0;
  }
  if (!watch.watching) return nullptr;
  int64_t next_look;
  Cell* cell = WatchBusyWorkers(worker, &next_look);
  const bool any_waiting = next_look != std::numeric_limits<int64_t>::max();
  if (cell == nullptr && any_waiting) {
    // Something waits behind a busy worker: keep looking (a few
    // microseconds, shorter than any timed wait: spin) until that worker
    // is stuck, and stop as soon as it moves on (a later deadline) or
    // nothing waits any more; two actors that trade a slot do that within
    // a fraction of a microsecond.
    // Only when that is less than a tick away: after a few take-overs of
    // a handler that stays stuck, the backoff puts the next one up to
    // kMaxBackoffNanos away, and spinning all that time (a handler that
    // sends every few hundred microseconds kept the standby spinning
    // nearly all the time) is the timed wait's job.
    const int64_t deadline = next_look;
    while (cell == nullptr && next_look == deadline &&
           deadline - SteadyNanos() <= kWatchTickNanos &&
           !stopping_.load(std::memory_order_relaxed)) {  // Relaxed: a hint.
      for (int i = 0; i < kPausesPerSpinRound; ++i) {
        internal::SpinLock::CpuRelax();
      }
      cell = WatchBusyWorkers(worker, &next_look);
    }
  }
  if (cell != nullptr) return cell;
  watch.quiet_ticks = any_waiting ? 0 : watch.quiet_ticks + 1;
  if (watch.quiet_ticks < kQuietTicks) return nullptr;
  // Stop looking, unless a slot filled meanwhile: a worker that fills one
  // from now on sees false and asks (the fences pair as in
  // NoteRunnextDuringTurn()).
  // Relaxed: ordered by the heavy fence.
  watch_fast_.store(false, std::memory_order_relaxed);
  internal::AsymmetricFence::Heavy();
  watch.watching = false;
  for (const auto& other : workers_) {
    if (other.get() != worker && other->HasSomethingWaiting()) {
      watch.watching = true;
    }
  }
  if (watch.watching) {
    watch_fast_.store(true, std::memory_order_relaxed);  // Relaxed: as above.
    watch.quiet_ticks = 0;
  }
  return nullptr;
}

bool WorkStealingScheduler::StandbyWait(bool running, bool watching) {
  // The run we may find quiescent is the one going on before we look for
  // work (a later one may have work we do not see; RunEntered() interrupts
  // us then).
  uint64_t run;
  {
    std::lock_guard<std::mutex> hold(idle_mutex_);
    run = run_number_;
  }
  keeper_waiting_.store(true);
  // As in Park(): either a waker's fence (WakeOneWorker) comes after ours
  // and it sees keeper_waiting_, or ours comes after its push and we see
  // the work here. (And CancelTimer() either sees keeper_waiting_ or we
  // see its cancellation here.) The same pairing with the fence of a
  // worker that parks while we stand by: either it interrupts us, or we
  // see here every ask it answered before parking, whose timers are now
  // stale and must not be waited for.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // Stopping (Stop()): queued work and timers wait for the next run.
  const bool stop = stop_requested_.load();
  if (stopping_.load() || (running && !stop && AnyQueuedWork())) {
    keeper_waiting_.store(false);
    return true;
  }
  std::optional<absl::Time> next;
  if (running && !stop) {
    std::lock_guard<std::mutex> hold(timers_mutex_);
    next = timers_.NextDeadline();  // Drops stale guarded timers.
    timers_pending_.store(next.has_value() ? 1 : 0);
    // A virtual clock's time stands still while actors run: nothing to
    // wait for until every worker sleeps (the last to park tells us), so
    // new timers need not interrupt.
    keeper_deadline_nanos_ = !next.has_value()
                                 ? std::numeric_limits<int64_t>::max()
                             : clock_is_virtual_
                                 ? std::numeric_limits<int64_t>::min()
                                 : absl::ToUnixNanos(*next);
  }
  bool jump = false;
  {
    std::lock_guard<std::mutex> hold(idle_mutex_);
    const bool others_asleep = idle_.size() + 1 == workers_.size();
    if (running && others_asleep && run == run_number_) {
      if (!next.has_value()) {
        // Every other worker sleeps, we found no work after they stopped
        // making any, and no timer is pending: the run is over.
        // Release: Run() acquires what every actor did.
        quiesced_run_.store(run_number_, std::memory_order_release);
        quiesced_run_.notify_all();
      } else {
        jump = clock_is_virtual_;
      }
    }
    standby_asleep_ = !jump;
  }
  bool interrupted = false;
  if (jump) {
    clock_.RealWaitUntil(*next);  // Jumps; the caller fires the timers.
  } else {
    // How long, in real time (none: until interrupted).
    std::optional<absl::Duration> wait;
    if (next.has_value() && !clock_is_virtual_) {
      // A day at most: a wait that ends early only sends us round the
      // loop, and libstdc++ overflows on huge waits.
      wait = std::min(clock_.RealWaitUntil(*next), absl::Hours(24));
    }
    if (running && watching) {
      const absl::Duration tick = absl::Nanoseconds(kWatchTickNanos);
      wait = wait.has_value() ? std::min(*wait, tick) : tick;
    }
    if (wait != absl::ZeroDuration()) {
      std::unique_lock<std::mutex> hold(keeper_mutex_);
      auto is_interrupted = [this] { return keeper_interrupted_; };
      if (wait.has_value()) {
        keeper_wakeup_.wait_for(hold, absl::ToChronoNanoseconds(*wait),
                                is_interrupted);
      } else {
        keeper_wakeup_.wait(hold, is_interrupted);
      }
      // An interruption that comes after this only ends a later wait
      // early.
      interrupted = std::exchange(keeper_interrupted_, false);
    }
  }
  {
    std::lock_guard<std::mutex> hold(idle_mutex_);
    standby_asleep_ = false;
  }
  keeper_waiting_.store(false);
  return interrupted;
}

void WorkStealingScheduler::LeaveStandby() {
  bool timers;
  {
    std::lock_guard<std::mutex> hold(timers_mutex_);
    keeping_timers_ = false;
    timers = !timers_.empty();
  }
  // Busy workers ask for a watcher again when they fill their slot (before
  // we look at who is busy: one woken later sees this).
  const bool was_watching = takeover_ && watch_fast_.exchange(false);
  Worker* heir = nullptr;
  bool others_busy;
  {
    std::lock_guard<std::mutex> hold(idle_mutex_);
    standby_ = nullptr;
    standby_asleep_ = false;
    others_busy = idle_.size() + 1 < workers_.size();
    // Someone must keep the timers while this worker runs an actor, which
    // may take long. (On a virtual clock no time passes meanwhile: the last
    // worker to go idle keeps the timers.)
    if (timers && !clock_is_virtual_) heir = PopSleeperLocked();
  }
  if (heir == nullptr && was_watching && others_busy) {
    // A busy worker may have filled its slot having seen true: as when the
    // standby stops looking (see Standby()), look once more after a fence
    // that pairs with its light one, and hand the watch on if so.
    internal::AsymmetricFence::Heavy();
    bool waiting = false;
    for (const auto& other : workers_) {
      if (other->HasSomethingWaiting()) waiting = true;
    }
    if (waiting) {
      watch_fast_.store(true);
      std::lock_guard<std::mutex> hold(idle_mutex_);
      heir = PopSleeperLocked();
    }
  }
  if (heir != nullptr) {
    if (takeover_) watch_fast_.store(true);  // It watches from the start.
    WakeSleeper(heir, /*as_heir=*/true);
  }
}

void WorkStealingScheduler::InterruptKeeper() {
  std::lock_guard<std::mutex> hold(keeper_mutex_);
  keeper_interrupted_ = true;
  keeper_wakeup_.notify_one();
}

void WorkStealingScheduler::Wake(internal::ActorCell* base,
                                 std::coroutine_handle<> handle) {
  Cell* cell = static_cast<Cell*>(base);
  if (cell->Wake(handle)) MakeRunnable(cell);
}

void WorkStealingScheduler::SpawnRunner(Actor<internal::NoMessage> runner) {
  Spawn(std::move(runner));
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

// ---- Parking ---------------------------------------------------------------------

WorkStealingScheduler::Cell* WorkStealingScheduler::Park(Worker* worker) {
  for (;;) {
    // Acquire: pairs with the release increment of a waker.
    const uint32_t sequence =
        worker->wake_sequence.load(std::memory_order_acquire);
    {
      std::lock_guard<std::mutex> hold(idle_mutex_);
      // Never listed twice (see the end of this function).
      if (std::find(idle_.begin(), idle_.end(), worker) == idle_.end()) {
        idle_.push_back(worker);
      }
      // Relaxed: ordered by the seq_cst fence below (and the mutex).
      sleepers_.store(idle_.size(), std::memory_order_relaxed);
    }
    // Either a waker's fence comes after ours and it sees us in sleepers_,
    // or ours comes after its push and we see the work below. (The same
    // with EnsureStandby() for a new timer.)
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const bool running = running_.load();
    // Stopping (Stop()), queued work waits for the next run.
    const bool stop = stop_requested_.load();
    if (stopping_.load() || (running && !stop && AnyQueuedWork())) {
      std::lock_guard<std::mutex> hold(idle_mutex_);
      auto it = std::find(idle_.begin(), idle_.end(), worker);
      if (it != idle_.end()) idle_.erase(it);
      // Relaxed: as above.
      sleepers_.store(idle_.size(), std::memory_order_relaxed);
      return nullptr;
    }
    bool stand_by = false;
    bool interrupt_standby = false;
    if (running) {
      std::lock_guard<std::mutex> hold(idle_mutex_);
      auto it = std::find(idle_.begin(), idle_.end(), worker);
      // (Not listed: a waker took us off the list; its bump ends the wait.)
      if (it != idle_.end()) {
        const bool all_idle =
            idle_.size() + (standby_ != nullptr ? 1 : 0) == workers_.size();
        // Stopping (Stop()): timers wait for the next run.
        const bool timers = timers_pending_.load() != 0 && !stop;
        if (standby_ == nullptr && (timers || !all_idle)) {
          // Someone must keep the timers, or look at the workers still busy
          // (whose long handlers could hold back what they woke or sent):
          // this worker stays up to do it.
          idle_.erase(it);
          // Relaxed: as above.
          sleepers_.store(idle_.size(), std::memory_order_relaxed);
          standby_ = worker;
          stand_by = true;
        } else if (all_idle) {
          // If every worker is now asleep, this one was the last to
          // register and found no queued work after every other worker had
          // stopped making any: nothing is runnable or running, so Run()
          // may return. (A worker still in the list that found work waits
          // for this mutex to leave it, and that work was queued before we
          // looked, so we saw it too.) The standby counts as asleep only
          // while it waits; if it is up, it decides when it next waits.
          if (!timers && (standby_ == nullptr || standby_asleep_)) {
            // Release: Run() acquires what every actor did.
            quiesced_run_.store(run_number_, std::memory_order_release);
            quiesced_run_.notify_all();
          }
          // Every other worker sleeps: the standby may jump a virtual
          // clock now, or find that the timers it waits for are stale
          // (asks this worker answered) and the run is over.
          interrupt_standby = standby_ != nullptr;
        }
      }
    }
    if (stand_by) {
      if (Cell* cell = Standby(worker)) return cell;
      continue;  // Stopping.
    }
    if (interrupt_standby) InterruptKeeper();
    // Acquire: see what the waker published before waking us.
    worker->wake_sequence.wait(sequence, std::memory_order_acquire);
    // A waker pops a worker from idle_ and bumps its sequence after letting
    // go of the lock; a bump meant for an earlier Park() can end this one
    // while the worker is still listed. A listed worker counts as asleep
    // for quiescence, so leave the list before doing anything else.
    {
      std::lock_guard<std::mutex> hold(idle_mutex_);
      auto it = std::find(idle_.begin(), idle_.end(), worker);
      if (it != idle_.end()) {
        idle_.erase(it);
        // Relaxed: as above.
        sleepers_.store(idle_.size(), std::memory_order_relaxed);
      }
    }
    // Woken to take over the standby role: park again at once (looking for
    // queued work first), without spinning.
    // Relaxed: ordered by the wake_sequence acquire above.
    if (!worker->heir.exchange(false, std::memory_order_relaxed)) {
      return nullptr;
    }
  }
}

WorkStealingScheduler::Worker* WorkStealingScheduler::PopSleeperLocked() {
  if (idle_.empty()) return nullptr;
  Worker* worker = idle_.back();
  idle_.pop_back();
  // Relaxed: as in Park().
  sleepers_.store(idle_.size(), std::memory_order_relaxed);
  return worker;
}

void WorkStealingScheduler::WakeSleeper(Worker* worker, bool as_heir) {
  // Relaxed: published by the release bump below.
  if (as_heir) worker->heir.store(true, std::memory_order_relaxed);
  // Release: the sleeper's acquire wait sees what we published.
  worker->wake_sequence.fetch_add(1, std::memory_order_release);
  worker->wake_sequence.notify_one();
}

void WorkStealingScheduler::WakeOneWorker() {
  // Pairs with the fence in Park() and in Standby(): our queue push is
  // before these loads.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // Relaxed: ordered by the fence above. A spinning worker will find the
  // work; if it gives up first, its Park() re-check finds it (the same
  // fence argument as for sleepers).
  if (spinning_.load(std::memory_order_relaxed) != 0) return;
  // Relaxed: as above. A sleeper rather than the standby, which keeps its
  // timers and watch.
  if (sleepers_.load(std::memory_order_relaxed) != 0) {
    Worker* worker;
    {
      std::lock_guard<std::mutex> hold(idle_mutex_);
      worker = PopSleeperLocked();
    }
    if (worker != nullptr) {
      WakeSleeper(worker, /*as_heir=*/false);
      return;
    }
  }
  // Relaxed: ordered by the fence above. If the standby is not waiting, it
  // looks for work before it does (after the same fence).
  if (keeper_waiting_.load(std::memory_order_relaxed)) InterruptKeeper();
}

void WorkStealingScheduler::WakeAllWorkers() {
  InterruptKeeper();
  std::vector<Worker*> sleeping;
  {
    std::lock_guard<std::mutex> hold(idle_mutex_);
    sleeping.swap(idle_);
    // Relaxed: as in Park().
    sleepers_.store(0, std::memory_order_relaxed);
  }
  for (Worker* worker : sleeping) {
    // Release: as in WakeOneWorker().
    worker->wake_sequence.fetch_add(1, std::memory_order_release);
    worker->wake_sequence.notify_one();
  }
}

}  // namespace coactor
