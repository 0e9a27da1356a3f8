#include "runtime/deque_scheduler.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <limits>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/internal/actor_end.h"
#include "runtime/internal/records.h"
#include "runtime/internal/send_errors.h"

namespace coactor {
namespace {

using internal::ActorState;

}  // namespace

DequeScheduler::DequeScheduler(Clock& clock) : clock_(clock) {}

DequeScheduler::~DequeScheduler() {
  shutting_down_ = true;
  // Mark every actor finished and make every reference to it stale first
  // (its generation, and the name cache, which holds live actors only), so
  // that a send from a destructor that runs below (of a local in a frame,
  // or of a message) becomes a dead letter instead of a queue entry for an
  // actor that is going away.
  for (Cell& cell : cells_) {
    if (cell.State() != ActorState::kFinished) {
      cell.SetState(ActorState::kFinished);
      cell.BumpGeneration();
      --live_actors_;
    }
  }
  name_cache_.Clear();
  for (Cell& cell : cells_) {
    if (cell.handle) {
      std::coroutine_handle<> handle = std::exchange(cell.handle, nullptr);
      handle.destroy();
      cell.promise = nullptr;
    }
  }
  // Then every message, wherever it waits; destroying one may send another
  // (a dead letter by now), so until none is left.
  do {
    DestroyPendingMessages();
    std::vector<absl::AnyInvocable<void()>> posted;
    {
      std::lock_guard<std::mutex> hold(posted_mutex_);
      posted.swap(posted_);
    }
    posted.clear();  // Posted messages, unsent.
    std::vector<DeadLetter> letters = records_.TakeDeadLetters();
    letters.clear();  // Their destructors' sends land in records_.
  } while (!queue_.empty() || timers_.size() != 0 ||
           !records_.dead_letters().empty() ||
           !posted_.empty());
}

void DequeScheduler::DestroyPendingMessages() {
  // A SendAfter() timer's callback holds its message: dropped unfired,
  // never-timers (an infinite delay) included.
  timers_.TakeAllCallbacks().clear();
  while (!queue_.empty()) {
    Envelope* envelope = queue_.PopFront();
    const uintptr_t tag = envelope->target & kTagMask;
    if (tag == 0) {
      reinterpret_cast<Cell*>(envelope->target)->type->destroy(
          &envelope->payload);
    } else if (tag == kErrorTag) {
      std::launder(reinterpret_cast<std::exception_ptr*>(
                       envelope->payload.bytes))
          ->~exception_ptr();
    }
  }
  for (Cell& cell : cells_) {
    if (cell.extras == nullptr) continue;
    auto& stash = cell.extras->stash;
    while (!stash.empty()) cell.type->destroy(stash.PopFront());
    cell.extras->stashed_errors.clear();
  }
}

absl::StatusOr<DequeScheduler::Cell*> DequeScheduler::Admit(
    std::string_view name, internal::ActorPromiseBase* promise,
    std::coroutine_handle<> handle, const internal::MessageType* type) {
  if (shutting_down_) {
    return absl::FailedPreconditionError(
        "cannot spawn while the scheduler is being destroyed");
  }
  if (!name.empty() && FindLive(name) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat(
        "an actor named '", internal::RecordedName(name), "' already exists"));
  }
  Cell* cell = free_cells_;
  if (cell != nullptr) {
    free_cells_ = cell->next_free;
    cell->next_free = nullptr;
  } else {
    cell = &cells_.emplace_back();
  }
  cell->handle = handle;
  cell->promise = promise;
  cell->type = type;
  cell->SetState(ActorState::kStarting);
  cell->name = name.empty() ? nullptr : std::make_unique<std::string>(name);
  cell->id = next_actor_id_++;
  cell->runtime = this;
  cell->pending = 0;
  cell->extras.reset();  // Sized for the previous actor's message type.
  promise->cell = cell;
  if (!name.empty()) registry_.Set(name, {cell, cell->Generation()});
  ++live_actors_;

  EnqueueSpecial(cell, kStartTag);
  return cell;
}

void DequeScheduler::EnqueueSpecial(Cell* cell, uintptr_t tag) {
  Envelope* envelope = queue_.ReserveBack();
  envelope->target = reinterpret_cast<uintptr_t>(cell) | tag;
  queue_.CommitBack();
  ++cell->pending;
}

absl::Status DequeScheduler::LookupError(std::string_view name) const {
  return internal::NameNotLive(name, registry_.Contains(name));
}

absl::Status DequeScheduler::WrongTypeError(std::string_view name,
                                            const internal::MessageType& wanted,
                                            std::string_view sent) const {
  return internal::WrongType(name, wanted.name, sent);
}

internal::DeadReference DequeScheduler::DescribeDeadRef(
    internal::ActorCell* cell, uint32_t generation) const {
  return internal::DescribeDeadReference(
      cell, generation, Identity(),
      cell != nullptr && cell->State() == ActorState::kFinished);
}

void DequeScheduler::EnqueueAlternative(Cell* cell,
                                        const internal::Alternative& alternative,
                                        void* source) {
  Envelope* envelope = queue_.ReserveBack();
  alternative.construct_from(&envelope->payload, source);
  envelope->target = reinterpret_cast<uintptr_t>(cell);
  queue_.CommitBack();
  ++cell->pending;
}

absl::Status DequeScheduler::RecordDeadLetter(std::string recipient,
                                              absl::Status reason,
                                              ErasedMessage message) {
  internal::RecordKeeper::Dropped dropped;
  records_.AddDeadLetter(
      DeadLetter{std::move(recipient), reason, std::move(message)}, dropped);
  // `dropped` goes here, the log whole again: a message's destructor may
  // send, and so record.
  return reason;
}

void DequeScheduler::SetRecordLimits(const RecordLimits& limits) {
  internal::RecordKeeper::Dropped dropped;
  records_.SetLimits(limits, dropped);
  registry_.SetFinishedLimit(limits.finished_names);
}

void DequeScheduler::RecordThrown(const char* doing, internal::ActorCell* to,
                                  uint32_t generation,
                                  std::exception_ptr exception,
                                  ErasedMessage message) {
  // Named as dead letters name it: its actor's name while it lives, else
  // as a dead reference is described.
  const bool live = to != nullptr &&
                    static_cast<const void*>(to->runtime) == Identity() &&
                    to->Generation() == generation;
  std::string recipient =
      live ? internal::RecordedName(to->RecipientName())
           : DescribeDeadRef(to, generation).recipient;
  internal::RecordKeeper::Dropped dropped;
  records_.AddThrown(doing, std::move(recipient), exception,
                     std::move(message), dropped);
}

absl::Status DequeScheduler::Run() { return RunLoop(/*until_stopped=*/false); }

absl::Status DequeScheduler::RunUntilStopped() {
  return RunLoop(/*until_stopped=*/true);
}

absl::Status DequeScheduler::RunLoop(bool until_stopped) {
  if (running_) {
    return absl::FailedPreconditionError(
        until_stopped
            ? "RunUntilStopped() called from inside one of the scheduler's "
              "actors"
            : "Run() called from inside one of the scheduler's actors");
  }
  RunScope running(*this);
  // Relaxed: only Stop() on this thread compares it with its own id.
  loop_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  // A Stop() while no run ran ends this one at once.
  bool stopped = TakeStop();
  while (!stopped) {
    steps_to_check_ = kTimerCheckInterval;
    while (!queue_.empty()) {
      Step();
      // Every kTimerCheckInterval steps, or right after a Stop() from an
      // actor (which sets steps_to_check_ to 1): a decrement of memory,
      // as cheap as of a register, where a stop flag tested per step
      // would cost 2-4% of counter/printer.
      if (--steps_to_check_ == 0) {
        steps_to_check_ = kTimerCheckInterval;
        if (HasTimers()) FireDueTimers();
        DrainPosted();
        // Relaxed: a flag (see TakeStop()).
        if (stop_requested_.load(std::memory_order_relaxed)) break;
      }
    }
    if ((stopped = TakeStop())) break;
    if (DrainPosted()) {
      // A posted call runs as an actor's handler does: if it called
      // Stop(), what it queued waits for the next run.
      stopped = TakeStop();
      continue;
    }
    if (HasTimers()) {
      // Only timers are left: wait until the next one is due (or a post).
      if (!FireDueTimers()) WaitForPosts(timers_.NextDeadline());
      continue;
    }
    if (!until_stopped) break;
    WaitForPosts(std::nullopt);
  }
  // Relaxed: a flag; this run served any request made during it.
  stop_requested_.store(false, std::memory_order_relaxed);
  loop_thread_.store(std::thread::id(), std::memory_order_relaxed);
  ArmDeferredTimers();
  return absl::OkStatus();
}

void DequeScheduler::Stop() {
  stop_requested_.store(true);
  // Relaxed: compared with this thread's own id, which only this thread
  // stores.
  if (loop_thread_.load(std::memory_order_relaxed) ==
      std::this_thread::get_id()) {
    steps_to_check_ = 1;  // From an actor: the loop looks after this step.
    return;
  }
  std::lock_guard<std::mutex> hold(posted_mutex_);
  if (loop_waiting_) posted_wakeup_.notify_one();
}

void DequeScheduler::Post(absl::AnyInvocable<void()> call) {
  std::lock_guard<std::mutex> hold(posted_mutex_);
  posted_.push_back(std::move(call));
  // Release: the loop's acquire load sees the call (it also takes the
  // lock, but the hint must not be seen before the call is there).
  posted_pending_.store(true, std::memory_order_release);
  if (loop_waiting_) posted_wakeup_.notify_one();
}

bool DequeScheduler::DrainPosted() {
  // Acquire: pairs with the release in Post().
  if (!posted_pending_.load(std::memory_order_acquire)) return false;
  std::vector<absl::AnyInvocable<void()>> calls;
  {
    std::lock_guard<std::mutex> hold(posted_mutex_);
    calls.swap(posted_);
    // Relaxed: under the lock, which the next Post() takes.
    posted_pending_.store(false, std::memory_order_relaxed);
  }
  for (absl::AnyInvocable<void()>& call : calls) {
    try {
      call();
    } catch (...) {
      std::exception_ptr exception = std::current_exception();
      internal::RecordKeeper::Dropped dropped;
      records_.AddFailure(ActorFailure{"(posted call)",
                                       internal::DescribeException(exception),
                                       exception},
                          dropped);
    }
  }
  return !calls.empty();
}

void DequeScheduler::WaitForPosts(std::optional<absl::Time> deadline) {
  // A virtual clock jumps to the deadline here and waits for nothing.
  const absl::Duration wait = deadline.has_value()
                                  ? clock_.RealWaitUntil(*deadline)
                                  : absl::InfiniteDuration();
  if (wait <= absl::ZeroDuration()) return;
  std::unique_lock<std::mutex> hold(posted_mutex_);
  loop_waiting_ = true;
  const auto ready = [this] {
    return posted_pending_.load() || stop_requested_.load();
  };
  if (wait == absl::InfiniteDuration()) {
    posted_wakeup_.wait(hold, ready);
  } else {
    // A day at most: an early end only sends the loop round again, and
    // libstdc++ overflows on huge waits.
    posted_wakeup_.wait_for(
        hold, absl::ToChronoNanoseconds(std::min(wait, absl::Hours(24))),
        ready);
  }
  loop_waiting_ = false;
}

bool DequeScheduler::RunOnce() {
  if (running_) return false;
  RunScope running(*this);
  if (HasTimers()) FireDueTimers();
  DrainPosted();
  if (!queue_.empty()) Step();
  ArmDeferredTimers();
  return has_pending();
}

size_t DequeScheduler::RunReady() {
  if (running_) return 0;
  RunScope running(*this);
  if (HasTimers()) FireDueTimers();
  DrainPosted();
  const size_t ready = queue_.size();
  for (size_t i = 0; i < ready; ++i) Step();
  ArmDeferredTimers();
  return ready;
}

size_t DequeScheduler::RunFor(size_t budget) {
  if (running_) return 0;
  RunScope running(*this);
  size_t delivered = 0;
  while (delivered < budget) {
    if (delivered % kTimerCheckInterval == 0) {
      if (HasTimers()) FireDueTimers();
      DrainPosted();
    }
    if (queue_.empty()) break;
    Step();
    ++delivered;
  }
  ArmDeferredTimers();
  return delivered;
}

size_t DequeScheduler::RunUntil(absl::Time deadline) {
  if (running_) return 0;
  RunScope running(*this);
  size_t delivered = 0;
  while (clock_.Now() < deadline) {
    if (HasTimers()) FireDueTimers();
    DrainPosted();
    if (queue_.empty()) break;
    Step();
    ++delivered;
  }
  ArmDeferredTimers();
  return delivered;
}

bool DequeScheduler::FireDueTimers() {
  bool fired = false;
  const absl::Time now = clock_.Now();
  while (std::optional<internal::TimerQueue::Due> due = timers_.PopDue(now)) {
    due->Fire();
    fired = true;
  }
  return fired;
}

// ---- internal::Runtime ---------------------------------------------------------

void DequeScheduler::Wake(internal::ActorCell* cell,
                          std::coroutine_handle<> handle) {
  // Not on the loop's thread (or outside any run): a JoinHandle or
  // BoundedQueue shared with a work-stealing scheduler wakes its waiter from
  // a worker thread, where pushing into queue_ would race the loop (and not
  // wake it from WaitForPosts()). The waiter cannot go away meanwhile: its
  // frame is destroyed only with this scheduler, which drops unrun posts.
  if (ABSL_PREDICT_FALSE(current_loop_ != this)) {
    Post([this, cell, handle] { Wake(cell, handle); });
    return;
  }
  Envelope* envelope = queue_.ReserveBack();
  void* address = handle.address();
  std::memcpy(envelope->payload.bytes, &address, sizeof address);
  envelope->target = reinterpret_cast<uintptr_t>(cell) | kResumeTag;
  queue_.CommitBack();
  ++static_cast<Cell*>(cell)->pending;
}

internal::TimerId DequeScheduler::AddTimer(absl::Time deadline,
                                           absl::AnyInvocable<void()> fire) {
  return timers_.Add(deadline, std::move(fire));
}

void DequeScheduler::ArmDeferredTimers() {
  if (deferred_timers_.empty()) return;
  const int64_t now = clock_.DeadlineNanosAfter(0);
  for (const DeferredTimer& deferred : deferred_timers_) {
    if (!internal::IsArmed(deferred.timer)) continue;  // Answered already.
    const int64_t deadline =
        deferred.timeout_nanos > std::numeric_limits<int64_t>::max() - now
            ? std::numeric_limits<int64_t>::max()
            : now + deferred.timeout_nanos;
    timers_.AddGuarded(deadline, deferred.timer);
  }
  deferred_timers_.clear();
}

size_t DequeScheduler::pending_timers() const {
  size_t deferred = 0;
  for (const DeferredTimer& timer : deferred_timers_) {
    // An infinite timeout is dropped when armed (see TimerQueue): not
    // counted meanwhile either. (Not checked on the ask's path: it costs.)
    deferred += internal::IsArmed(timer.timer) &&
                timer.timeout_nanos != internal::kInfiniteTimeout;
  }
  return timers_.size() + deferred;
}

bool DequeScheduler::CancelTimer(TimerId id) {
  return timers_.Cancel(internal::TimerIdAccess::Value(id));
}

void DequeScheduler::SpawnRunner(Actor<internal::NoMessage> runner) {
  Spawn(std::move(runner));
}

void DequeScheduler::AfterWake(Cell* cell) {
  while (!cell->handle.done() && cell->State() == ActorState::kRunning) {
    cell->SetState(ActorState::kWaiting);  // Back in a Receive().
    Cell::Extras* extras = cell->extras.get();
    if (extras != nullptr && !extras->stashed_errors.empty()) {
      cell->promise->inbox = nullptr;
      cell->promise->delivered_error = extras->stashed_errors.front();
      extras->stashed_errors.erase(extras->stashed_errors.begin());
    } else if (extras != nullptr && !extras->stash.empty()) {
      cell->promise->inbox = extras->stash.PopFront();
      ++messages_delivered_;
    } else {
      return;
    }
    // Afterwards it has either blocked again (kBlocked ends the loop) or
    // come back to a Receive() still kRunning (look again).
    cell->SetState(ActorState::kRunning);
    cell->handle.resume();
  }
  if (cell->handle.done()) OnFinished(cell);
}

absl::Status DequeScheduler::AddMonitor(
    internal::ActorCell* watched, uint32_t generation,
    absl::AnyInvocable<void(const Down&)> notify) {
  if (watched == nullptr || watched->runtime != Identity() ||
      watched->Generation() != generation) {
    return absl::FailedPreconditionError(
        "cannot monitor an actor that has finished");
  }
  static_cast<Cell*>(watched)->GetExtras().monitors.push_back(
      std::move(notify));
  return absl::OkStatus();
}

void DequeScheduler::StepSpecial(uintptr_t tag, Cell* cell,
                                 internal::Payload* payload) {
  if (tag == kStartTag) {
    Start(cell);
    return;
  }
  --cell->pending;
  // kErrorTag
  auto* slot = std::launder(reinterpret_cast<std::exception_ptr*>(payload->bytes));
  std::exception_ptr error = std::move(*slot);
  slot->~exception_ptr();
  DeliverError(cell, std::move(error));
}

void DequeScheduler::DeliverError(Cell* cell, std::exception_ptr error) {
  switch (cell->State()) {
    case ActorState::kWaiting:
      cell->promise->inbox = nullptr;
      cell->promise->delivered_error = std::move(error);
      cell->SetState(ActorState::kRunning);
      cell->handle.resume();
      AfterWake(cell);
      break;
    case ActorState::kFinished:
      RecordDeadLetter(internal::RecordedName(cell->RecipientName()),
                       internal::Undelivered(cell->DisplayName()),
                       ErasedMessage::Of(std::move(error)))
          .IgnoreError();
      if (cell->pending == 0) FreeCell(cell);
      break;
    default:  // Blocked: delivered at its next Receive().
      cell->GetExtras().stashed_errors.push_back(std::move(error));
      break;
  }
}

void DequeScheduler::Stash(Cell* cell, internal::Payload* payload) {
  auto& stash = cell->GetExtras().stash;
  internal::PayloadRelocator{cell->type}(stash.ReserveBack(), payload);
  stash.CommitBack();
}

void DequeScheduler::Start(Cell* cell) {
  --cell->pending;
  if (cell->State() != ActorState::kStarting) return;
  cell->SetState(ActorState::kWaiting);
  cell->handle.resume();
  if (cell->handle.done()) OnFinished(cell);
}

void DequeScheduler::DeliverToFinished(Cell* cell,
                                       internal::Payload* payload) {
  RecordDeadLetter(internal::RecordedName(cell->RecipientName()),
                   internal::Undelivered(cell->DisplayName()),
                   ErasedMessage::Adopt(cell->type, payload))
      .IgnoreError();
  if (cell->pending == 0) FreeCell(cell);
}

// The deque's side of an actor's end (see internal::ActorEndHooks).
struct DequeScheduler::EndHooks {
  DequeScheduler& sched;

  internal::ClosedCell Close(Cell* cell) {
    internal::ClosedCell closed{cell->Generation()};
    if (cell->extras != nullptr) {
      Cell::Extras& extras = *cell->extras;
      for (std::exception_ptr& error : extras.stashed_errors) {
        closed.undelivered.push_back(ErasedMessage::Of(std::move(error)));
      }
      extras.stashed_errors.clear();
      while (!extras.stash.empty()) {
        closed.undelivered.push_back(
            ErasedMessage::Adopt(cell->type, extras.stash.PopFront()));
      }
      closed.monitors = std::exchange(extras.monitors, {});
    }
    std::exchange(cell->handle, nullptr).destroy();
    cell->promise = nullptr;
    cell->SetState(ActorState::kFinished);
    // From now on every reference to and registry entry for this actor is
    // stale; the generation alone tells (typed sends check nothing else),
    // and the name cache forgets it.
    cell->BumpGeneration();
    if (cell->name != nullptr) sched.name_cache_.Forget(*cell->name, cell);
    --sched.live_actors_;
    return closed;
  }

  void Record(Cell& cell, const std::exception_ptr& exception,
              std::vector<ErasedMessage>& undelivered) {
    internal::RecordKeeper::Dropped dropped;
    sched.records_.AddEnd(cell, exception, undelivered, dropped);
  }

  void Release(Cell* cell, uint32_t generation) {
    // The entry stays a while, so that a send names the actor finished.
    if (cell->name != nullptr) sched.registry_.Retire(*cell->name, {cell, generation});
    // Freed once no envelope in the queue names it.
    if (cell->pending == 0) sched.FreeCell(cell);
  }
};

void DequeScheduler::OnFinished(Cell* cell) {
  internal::EndActor(cell, EndHooks{*this});
}

void DequeScheduler::FreeCell(Cell* cell) {
  if (!cell->Reusable()) {  // Retired: it stays, for stale references.
    cell->extras.reset();
    return;
  }
  // The name stays until the cell is reused, for errors about stale
  // references to the actor.
  cell->next_free = free_cells_;
  free_cells_ = cell;
}

}  // namespace coactor
