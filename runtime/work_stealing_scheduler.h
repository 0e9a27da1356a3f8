// WorkStealingScheduler runs the same actors as DequeScheduler on several
// worker threads. Actor code, Spawn(), both Send()s, Find() and Run() behave
// as there; only the constructor differs, so a program can be measured on
// both (write the actor against `template <coactor::Scheduler Sched>`,
// runtime/scheduler.h).
//
//   coactor::WorkStealingScheduler sched(/*threads=*/2);
//   sched.Spawn("printer", Printer(sched)).IgnoreError();
//   sched.Send("printer", 42).IgnoreError();
//   sched.Run().IgnoreError();  // Returns when every actor is idle.
//
// How it runs: each actor has a mailbox, runs on one worker at a time, and
// the actor it wakes runs next on the same worker; idle workers steal, one
// keeps the timers, the rest sleep. Run() returns exactly when no actor is
// runnable or running. The details, with the route of one message, are in
// runtime/README.md ("WorkStealingScheduler").
//
// Guarantees: messages from one sender to one receiver arrive in the order
// they were sent (per-pair FIFO); there is no global order across senders.
// Every message is delivered exactly once or becomes a dead letter. Errors
// are those of DequeScheduler.
//
// Thread-safety: Spawn(), Send(), Find(), Stop() and Shutdown() are
// thread-safe. Run() is called by one thread at a time, never from an
// actor; nothing runs before Run() is called. Sends from threads that are
// not actors while Run() runs are delivered, by this Run() or the next;
// while no Run() runs they just queue. The records (failures(),
// TakeDeadLetters(), ...) are thread-safe but for dead_letters(), read
// while Run() is not running; so is messages_delivered().
//
// Shutdown and destruction. Destroying the scheduler while another thread
// may still call into it is a use after free, as for any object. To stop
// a scheduler that other threads keep sending to:
//   1. sched.Shutdown(): stops the workers (a Run() in progress returns
//      FailedPrecondition), destroys every actor frame and every queued
//      message and timer; from then on every Send(), Spawn() and Run()
//      (and SendError(), Find(), Monitor()), from any thread, returns
//      FailedPrecondition ("the scheduler has shut down"), a SendAfter()
//      sends at once, so it is refused, and a refused message is kept as
//      a dead letter (bounded: see SetRecordLimits()), so nothing points
//      into a destroyed frame;
//   2. stop (join) the threads that call into the scheduler;
//   3. destroy it. (The destructor calls Shutdown() itself, for programs
//      with no other threads.)
#ifndef COACTOR_RUNTIME_WORK_STEALING_SCHEDULER_H_
#define COACTOR_RUNTIME_WORK_STEALING_SCHEDULER_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/clock.h"
#include "actors/down.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/message_type.h"
#include "actors/internal/mutex.h"
#include "actors/internal/runtime.h"
#include "actors/join_handle.h"
#include "actors/task.h"
#include "runtime/dead_letter.h"
#include "runtime/erased_message.h"
#include "runtime/internal/actor_mailbox.h"
#include "runtime/internal/asymmetric_fence.h"
#include "runtime/internal/biased_lock.h"
#include "runtime/internal/cell_pool.h"
#include "runtime/internal/locked_records.h"
#include "runtime/internal/name_registry.h"
#include "runtime/internal/outbox.h"
#include "runtime/internal/record_keeper.h"
#include "runtime/internal/records.h"
#include "runtime/internal/send_errors.h"
#include "runtime/internal/worker.h"
#include "runtime/metrics/metrics.h"
#include "runtime/scheduler_api.h"
#include "runtime/timer_id.h"
#include "runtime/trace/trace_hook.h"
#include "runtime/trace/tracer.h"
#include "runtime/work_stealing/idle_workers.h"
#include "runtime/work_stealing/injection_queue.h"
#include "runtime/work_stealing/timer_keeper.h"
#include "runtime/work_stealing/trace_flows.h"
#include "runtime/work_stealing/trace_turns.h"

namespace coactor {

class WorkStealingScheduler final : public SchedulerApi<WorkStealingScheduler> {
 public:
  // Starts `threads` workers (0: one per hardware thread). They sleep until
  // Run() is called. Timers run by `clock` (which must outlive this).
  explicit WorkStealingScheduler(int threads = 0,
                                 Clock& clock = RealClock::Get());
  WorkStealingScheduler(const WorkStealingScheduler&) = delete;
  WorkStealingScheduler& operator=(const WorkStealingScheduler&) = delete;
  // Stops the workers, then destroys every pending message and actor frame.
  ~WorkStealingScheduler();

  // As DequeScheduler::Send().
  template <typename M>
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::Status
  Send(std::string_view name, M&& message);
  template <typename Msg, typename M>
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::Status
  Send(const ActorRef<Msg>& to, M&& message);

  // As DequeScheduler::Find().
  template <typename Msg>
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::StatusOr<
      ActorRef<Msg>>
  Find(std::string_view name) const;

  // As DequeScheduler's: tasks, delayed sends, timers, errors, monitors.
  bool CancelTimer(TimerId id);
  // Unlike on DequeScheduler, the error overtakes messages already queued
  // for the actor: it is rethrown by the Receive() that starts the actor's
  // next turn (an actor in the middle of a turn first handles the messages
  // it has already taken).
  template <typename Msg>
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::Status
  SendError(const ActorRef<Msg>& to, std::exception_ptr error);
  // Also: Spawn(), CreateTask(), RunUntilComplete(), SendAfter(), Monitor()
  // and IsAlive(), from SchedulerApi (runtime/scheduler_api.h).

  // Lets the workers run until no actor is runnable or running and no
  // timer is pending (sleeping on the clock for timers when idle), or
  // until Stop(). FailedPrecondition from inside an actor, while another
  // Run() runs, or once Shutdown() has begun.
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::Status
  Run();

  // Thread-safe, also from inside an actor: ends the Run() (or
  // RunUntilComplete()) in progress: each worker finishes the message it
  // is handling, then stops; every other message stays queued (and timers
  // pending) for the next Run(). With no run in progress, the next one
  // returns at once. A run that returns consumes the request (so a Stop()
  // that comes just as a Run() ends on its own may end the next one).
  void Stop();

  // Thread-safe, but not from inside an actor (FailedPrecondition: use
  // Stop()); safe against concurrent senders. What it does and what every
  // call returns afterwards: step 1 of "Shutdown and destruction" in the
  // header comment. A second call does nothing.
  absl::Status Shutdown();

  // As DequeScheduler::StartTrace(): a trace of what the actors do, each
  // worker a lane of turns (a turn: an actor's run on a worker, up to its
  // budget of messages). Thread-safe; from inside an actor too (each
  // worker starts tracing at its next turn).
  absl::Status StartTrace(std::string_view path,
                          const TraceOptions& options = {});
  // Completes the trace file. Not while Run() is under way (the workers
  // record without locks): FailedPrecondition. No trace: OK, a no-op.
  absl::Status StopTrace();

  absl::Time Now() override { return clock_.Now(); }

  int threads() const { return static_cast<int>(workers_.size()); }
  uint64_t messages_delivered() const;
  size_t live_actors() const {
    // Relaxed: a statistic.
    return live_actors_.load(std::memory_order_relaxed);
  }
  // The newest dead letters kept, oldest first (see SetRecordLimits()).
  // Not while Run() runs: a dead letter owns its message, which may not be
  // copyable, so this is the scheduler's own list, not a snapshot. While
  // it runs, take them (TakeDeadLetters()) or count them.
  // (The caller's promise that no Run() runs keeps it stable, not a lock.)
  const std::deque<DeadLetter>& dead_letters() const;
  // Thread-safe: hands over the dead letters kept so far. As
  // DequeScheduler::TakeDeadLetters(), destroy them before this scheduler
  // (one may hold an ask's ReplyTo).
  std::vector<DeadLetter> TakeDeadLetters();
  // Thread-safe: a copy of the failures kept, oldest first.
  std::vector<ActorFailure> failures() const;
  // Thread-safe: hands over the failures kept so far.
  std::vector<ActorFailure> TakeFailures();
  // Thread-safe: every dead letter and failure ever recorded, kept, taken
  // or dropped.
  uint64_t dead_letters_recorded() const;
  uint64_t failures_recorded() const;
  // Thread-safe, also while Run() runs: the scheduler's and every live
  // actor's metrics (runtime/metrics/metrics.h); takes each actor's lock
  // once, never a lock a message takes on its way.
  SchedulerMetrics Metrics() const;

  // Thread-safe: from now on keeps at most `limits` (dropping the oldest
  // records and names beyond them now). See runtime/dead_letter.h.
  void SetRecordLimits(const RecordLimits& limits);
  RecordLimits record_limits() const;

 private:
  friend class SchedulerApi<WorkStealingScheduler>;

  // Replies and timeouts race from different workers.
  static constexpr bool kSingleThreaded = false;

  // A worker thread and what it owns (runtime/internal/worker.h).
  using Worker = internal::Worker;
  friend class internal::Worker;

  // An actor's cell, with its mailbox and activation protocol
  // (runtime/internal/actor_mailbox.h).
  using Cell = internal::StealingCell;
  using RegistryEntry = internal::CellEntry;

  // A worker's sends, batched by receiver (runtime/internal/outbox.h).
  using Outbox = internal::Outbox<Cell>;

  // The calling thread's worker if it is one of this scheduler's (one
  // thread-local, read out of line: see Worker::Current()).
  Worker* CurrentWorker() const { return Worker::Current(this); }

  enum class PushResult { kQueued, kRefused, kLimited };  // See Limits.

  // Appends a message built from `args` if `cell` still holds the actor of
  // `generation` with message type `type`; otherwise leaves `args` alone.
  // From `locals`' turn (its first send) or another thread (null). (Out of
  // line: inlined it crowds the workers' other sends in Deliver().)
  template <typename Msg, typename... Args>
  ABSL_ATTRIBUTE_NOINLINE PushResult Push(Worker* locals, Cell* cell,
                                          uint32_t generation, Args&&... args);

  // Queues a message built from `args` for the actor of `generation` in
  // `cell`: batched through the outbox on this scheduler's workers (but a
  // turn's first send goes directly), pushed directly from other threads.
  template <typename Msg, typename... Args>
  PushResult Deliver(Cell* cell, uint32_t generation, Args&&... args);
  class Limits;  // Bounded mailboxes: work_stealing/limits.h.
  friend class Limits;
  std::atomic<bool> any_limited_{false};  // Limits::WaitingSendersError().
  template <typename Msg, typename... Args>
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool AppendToOutbox(Worker* worker,
                                                   Outbox& outbox, Cell* cell,
                                                   uint32_t generation,
                                                   Args&&... args);
  // Where a flush happens. At the end of a sender's turn (or where it may
  // end) a receiver it wakes goes to `runnext`: it runs next, here. A flush
  // forced by a full outbox is mid-turn; from the second in one turn on,
  // the sender is flooding and keeps this worker busy, so the receivers it
  // wakes (and the one waiting in `runnext`) go to the deque, where an
  // idle worker can take them and consume while the sender produces.
  enum class FlushPoint { kTurnEnd, kMidTurn };
  // Hands over everything in `outbox`; the receivers it wakes go to
  // `worker`, the calling one: the outbox's own (under its outbox_lock,
  // see FlushOwnOutbox()), or another visiting it (then kTurnEnd: the
  // receivers run on the visitor).
  void FlushOutbox(Outbox& outbox, FlushPoint point, Worker* worker);
  // Traced, each message's flow starts as it reaches its receiver.
  // `kCredited`: the outbox holds credits (Outbox::credited(); the flush
  // without tests that first and hands over to this one).
  template <bool kTraced, bool kCredited = false>
  void FlushOutboxOf(Outbox& outbox, FlushPoint point, Worker* worker);
  // The calling worker's flush of its own outbox, if it may hold anything,
  // before the sender looks at its mailbox and before its turn ends (it
  // never moves to another worker with messages pending: per-pair FIFO).
  // kTraced: -1 tests the trace hook; RunActor<kTraced>() passes its own.
  template <int kTraced = -1>
  ABSL_ATTRIBUTE_ALWAYS_INLINE void FlushOwnOutbox(
      Worker& locals, FlushPoint point = FlushPoint::kTurnEnd);
  // FlushOwnOutbox() when idle workers may visit: under outbox_lock.
  void FlushHeldOutbox(Worker& locals, FlushPoint point);

  bool LookUp(std::string_view name, RegistryEntry* entry) const;

  // LookUp() through the calling worker's cache.
  bool LookUpCached(std::string_view name, RegistryEntry* entry) const;
  // The cache missed: look `name` up and remember it, stamped with
  // `version` (read before the look-up; see NameCache::Fill()).
  ABSL_ATTRIBUTE_NOINLINE bool LookUpAndCache(std::string_view name,
                                              uint64_t version,
                                              Worker::NameCache& cache,
                                              RegistryEntry* entry) const;

  template <typename T, typename M>
  ABSL_ATTRIBUTE_NOINLINE absl::Status SendByNameSlow(std::string_view name,
                                                      M&& message);
  template <typename Msg, typename M>
  ABSL_ATTRIBUTE_NOINLINE absl::Status SendToDeadRef(const ActorRef<Msg>& to,
                                                     M&& message);

  // The slow path of a send: conversions to a variant and every error.
  // Queues `*object` (of type `sent`, moved from) or returns why not.
  absl::Status PushConverted(std::string_view name, const RegistryEntry& entry,
                             const internal::MessageType* sent, void* object);
  absl::StatusOr<Cell*> Admit(std::string_view name,
                              internal::ActorPromiseBase* promise,
                              std::coroutine_handle<> handle,
                              const internal::MessageType* type);
  // Admit()'s half without the registry: a free cell (or a new one), opened
  // for the actor, or ShutDownError() once Shutdown() has begun.
  absl::StatusOr<Cell*> OpenCell(std::string_view name,
                                 internal::ActorPromiseBase* promise,
                                 std::coroutine_handle<> handle,
                                 const internal::MessageType* type);
  absl::Status LookupError(std::string_view name) const;
  // Who a send through a dead reference was for, and why it was refused.
  internal::DeadReference DescribeDeadRef(internal::ActorCell* cell,
                                          uint32_t generation) const;
  absl::Status RecordDeadLetter(std::string recipient, absl::Status reason,
                                ErasedMessage message);
  // A send through the dead reference (`cell`, `generation`): `message`
  // becomes a dead letter, for who it was for and why it was refused (the
  // scheduler's shutdown, if that is why).
  absl::Status RecordDeadRefLetter(internal::ActorCell* cell,
                                   uint32_t generation, ErasedMessage message);
  // As DequeScheduler::RecordThrown().
  void RecordThrown(const char* doing, internal::ActorCell* to,
                    uint32_t generation, std::exception_ptr exception,
                    ErasedMessage message);

  // Counts `cell` as runnable and queues it: on the calling worker's
  // runnext slot (or, if `stealable`, its deque), or on the shared
  // injection queue from other threads.
  void MakeRunnable(Cell* cell, bool stealable = false);
  // The same on `worker`, the calling one.
  void MakeRunnableOn(Worker* worker, Cell* cell, bool stealable);
  // Moves the calling worker's `runnext` actor, if any, to its deque, where
  // idle workers can steal it.
  void SpillRunnext(Worker* worker);
  // A busy worker just put an actor in its runnext slot, or a first
  // message in its outbox, where it waits until the running turn ends:
  // makes sure that an idle worker, if any, watches (and takes the actor or
  // hands the messages over if the turn goes on).
  void NoteWaitingDuringTurn();
  // Under the calling worker's outbox hold, having put something in its
  // outbox: marks it pending (and, the first time, NoteWaitingDuringTurn()).
  void NoteOutboxPending(Worker& locals);
  // Slow path of the above: asks the standby worker to watch, or wakes a
  // sleeper to become it.
  void RequestWatch();
  // An idle worker's look at the other workers: one that has been in the
  // same handler for kStuckNanos (comparing with what `worker` saw before)
  // has its runnext actor taken and its outbox handed over, by `worker`,
  // which returns an actor to run (or nullptr). `*next_look_nanos` is when
  // a worker seen with something waiting will have been stuck that long
  // (steady clock; INT64_MAX if none has anything waiting).
  Cell* WatchBusyWorkers(Worker* worker, int64_t* next_look_nanos);

  // Run() in two halves, so that RunUntilComplete() creates its task only
  // once the run is sure to happen. EnterRun() refuses a run from inside
  // an actor (naming `caller`) or while another runs; otherwise it locks
  // `run_hold` on run_mutex_. RunEntered() then runs until quiescent.
  absl::Status EnterRun(std::string_view caller,
                        std::unique_lock<std::mutex>& run_hold);
  // If `stopped`, says whether a Stop() request was served.
  absl::Status RunEntered(bool* stopped = nullptr);
  // For SchedulerApi::RunUntilComplete(): refuses as Run() does (before
  // the task exists, so a refused call runs nothing), or starts `task` and
  // runs until quiescent.
  template <typename T>
  absl::StatusOr<JoinHandle<T>> RunTask(Task<T> task);

  // Worker side (work_stealing/worker_loop.cc; idle workers and parking
  // in work_stealing/idle.cc, timers in work_stealing/timers.cc).
  void WorkerMain(Worker* worker);
  Cell* FindWork(Worker* worker);
  // Looks for work a little longer before sleeping; at most one worker
  // spins at a time.
  Cell* Spin(Worker* worker);
  bool AnyQueuedWork() const;
  // Runs `cell` for up to a budget of messages; returns the next actor to
  // run on this worker, if there is an obvious one.
  template <bool kTraced>
  Cell* RunActor(Worker* worker, Cell* cell);
  // Tracing (work_stealing/trace.cc; flow ids: work_stealing/trace_flows.h).
  // This worker's tracer, its lane named.
  Tracer* TraceLane(Worker* worker);
  // The steal by `worker` from worker->robbed goes in the trace.
  void TraceSteal(Worker* worker);
  // Its place in workers_ (by a scan: for traces).
  size_t WorkerIndex(const Worker* worker) const;
  // A traced turn of `cell` begins (where `turns` says,
  // work_stealing/trace_turns.h); returns its inbox's count of appends.
  uint64_t BeginTracedTurn(Tracer* tracer, Cell* cell,
                           internal::PendingTurn& turns);
  // It ends, having handled `messages`: flow starts for what the actor
  // sent itself since `self_sends`; recorded by `turns` later.
  void EndTracedTurn(Tracer* tracer, Cell* cell, uint64_t self_sends,
                     int messages, internal::PendingTurn& turns);
  Cell* YieldActor(Worker* worker, Cell* cell);
  // The actor in `cell` ended: internal::EndActor() with EndHooks
  // (work_stealing/worker_loop.cc).
  void Finish(Cell* cell);
  struct EndHooks;
  // RunActor(), traced, or timed for metrics (Worker::turns_to_sample).
  ABSL_ATTRIBUTE_NOINLINE Cell* RunSlowTurn(Worker* worker, Cell* cell);
  // Resumes a blocked actor with the wake-up it was sent
  // (TakeWakeOrIdle()).
  void ResumeWoken(Cell* cell, std::coroutine_handle<> wake);
  // Registers `worker` as idle and sleeps until woken, or becomes the
  // standby; returns an actor to run if the standby found one.
  Cell* Park(Worker* worker);
  // Fires the timers due by the clock; true if any fired.
  bool FireDueTimers();
  // The standby role: the one idle worker that stays up while the others
  // sleep, for timers and busy workers (work_stealing/standby.h).
  class Standby;
  absl::Status AddMonitor(internal::ActorCell* watched, uint32_t generation,
                          absl::AnyInvocable<void(const Down&)> notify);

  friend struct internal::RuntimeAccess;
  // internal::Runtime
  void Wake(internal::ActorCell* cell, std::coroutine_handle<> handle) override;
  internal::TimerId AddTimer(absl::Time deadline,
                             absl::AnyInvocable<void()> fire) override;
  void AddGuardedTimer(int64_t timeout_nanos,
                       const internal::GuardedTimer& timer) override;

  Clock& clock_;
  // A virtual clock (ManualClock) moves only when told to or jumped, and
  // is jumped only when every worker is idle.
  const bool clock_is_virtual_;
  // Whether idle workers take over what a worker stuck in a long handler
  // holds back (its runnext actor, its outbox): with more than one worker,
  // where membarrier(2) is available (see internal::AsymmetricFence), on a
  // real clock (why: see the constructor).
  const bool takeover_;
  // The timers, and what the standby that keeps them waits for
  // (work_stealing/timer_keeper.h).
  internal::TimerKeeper timers_;

  // Filled by the constructor, then read-only: no lock.
  std::vector<std::unique_ptr<Worker>> workers_;

  // Registry of names; the map is read on every send by name.
  mutable internal::SharedMutex registry_mutex_;
  // An atomic: bumped (under the unique lock) whenever the registry
  // changes, read without it by the workers' name caches.
  std::atomic<uint64_t> registry_version_{0};
  // Named actors, live and finished.
  internal::NameRegistry<Cell> registry_ ABSL_GUARDED_BY(registry_mutex_);

  // Cells live here for the scheduler's lifetime (stable addresses, so a
  // stale reference can always be checked) and are reused when free.
  mutable internal::Mutex pool_mutex_;
  internal::CellPool<Cell> cells_ ABSL_GUARDED_BY(pool_mutex_);
  // For Shutdown() to walk without the lock (destroying what cells hold
  // may spawn, which takes it): unchecked, by protocol, as the pool grows
  // only under the lock (OpenCell()) until Shutdown() sets shut_down_.
  auto& CellsAfterShutdown() ABSL_NO_THREAD_SAFETY_ANALYSIS { return cells_; }

  // Actors made runnable by threads that are not workers (and yielded
  // ones): work_stealing/injection_queue.h.
  internal::InjectionQueue<Cell> injected_;

  // Stop() was called: workers stop at their next message; the run that
  // returns consumes it.
  std::atomic<bool> stop_requested_{false};
  bool StopRequested() const {
    // Relaxed: a flag read between messages; a late look costs a message.
    return stop_requested_.load(std::memory_order_relaxed);
  }
  // Puts `cell`, runnable, back on `worker`'s deque for the next run.
  Cell* PauseActor(Worker* worker, Cell* cell);
  // Set once Shutdown() has closed every actor (under pool_mutex_): sends
  // are refused with ShutDownError().
  std::atomic<bool> shut_down_{false};
  internal::Mutex shutdown_mutex_;  // One Shutdown() at a time.
  bool IsShutDown() const { return shut_down_.load(); }
  static absl::Status ShutDownError() {
    return absl::FailedPreconditionError("the scheduler has shut down");
  }
  // Held by the thread in Run() for the whole run, through a
  // std::unique_lock that EnterRun() locks and its caller keeps (the
  // analysis cannot follow a lock moved between functions): a plain
  // std::mutex. It guards no field.
  std::mutex run_mutex_;

  // Sleeping, spinning and standing by; runs and quiescence; the
  // standby's wake-up (work_stealing/idle_workers.h).
  internal::IdleWorkers idle_;
  // Whether the standby looks at busy workers every kWatchTick; a worker
  // that fills its runnext slot or starts an outbox batch during a turn and
  // finds this false asks for it (RequestWatch). Stopping is ordered with
  // that check by an AsymmetricFence (see Standby::Watch()).
  std::atomic<bool> watch_fast_{false};

  alignas(64) std::atomic<uint64_t> next_actor_id_{1};
  std::atomic<size_t> live_actors_{0};
  std::atomic<uint64_t> actors_ended_{0};  // Statistic (Metrics()).

  // Dead letters and failures, under their own mutex.
  internal::LockedRecords records_;

  // The trace, if one is started (see StartTrace()).
  internal::TraceHook trace_;
};

static_assert(Scheduler<WorkStealingScheduler>);  // runtime/scheduler.h

}  // namespace coactor

// The templates' and inline functions' definitions.
#include "runtime/work_stealing/send_inl.h"  // IWYU pragma: export

#endif  // COACTOR_RUNTIME_WORK_STEALING_SCHEDULER_H_
