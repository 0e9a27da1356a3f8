// DequeScheduler runs actors on one thread, exactly in the manner of David
// Beazley's ActorScheduler: a single FIFO of (actor, message) pairs; Send()
// only appends to it and never runs the receiver; Run() pops the front pair
// and resumes that actor with that message until the FIFO is empty. Because
// no actor ever resumes another inline, the stack does not grow however long
// actors keep messaging each other.
//
//   coactor::DequeScheduler sched;
//   sched.Spawn("printer", Printer()).IgnoreError();
//   sched.Spawn("counter", Counter(sched)).IgnoreError();
//   sched.Send("counter", 100).IgnoreError();  // Or check the status.
//   sched.Run().IgnoreError();
//
// Messages are delivered in the order they were sent (one global FIFO). An
// actor suspended at something other than Receive() (a Sleep, a task, an
// ask) is blocked: messages for it wait, in order, for its next Receive().
// Timers (sleeps, SendAfter, ask timeouts) fire from the loop by the
// scheduler's Clock; Run() sleeps until the next deadline when only timers
// are left, so with a ManualClock tests run in virtual time.
// Bad input never crashes the scheduler and never loses a message: a send
// that cannot be delivered returns an error and the message is kept as a
// DeadLetter; an exception escaping an actor ends that actor only and is
// kept as an ActorFailure. Destroying the scheduler destroys every actor
// frame, then every pending message (queued, stashed, in a SendAfter timer
// or a dead letter), including those that destructors send meanwhile: every
// actor counts as finished by then, so such a send is a dead letter.
//
// Thread-safety: a DequeScheduler and its actors belong to the thread that
// runs it; Send() from another thread is a data race. Other threads use
// Post() (a locked inbox the loop drains: messages, or calls to run on the
// loop's thread) and Stop(), which are thread-safe:
//
//   std::thread loop([&] { sched.RunUntilStopped().IgnoreError(); });
//   sched.Post("counter", 100);   // from any thread
//   sched.Stop();                 // from any thread, or from an actor
//   loop.join();
//
// Run() still returns when nothing is queued or timed: a post that comes
// while no Run() runs just waits for the next one. RunUntilStopped()
// instead waits for posts (and timers) until Stop().
//
// An actor here may wait on a JoinHandle or BoundedQueue that an actor of a
// WorkStealingScheduler completes on a worker thread: that wake-up is
// posted too (so it also waits for, or wakes, the loop; a Run() with only
// such waiters left returns, as with nothing queued).
#ifndef COACTOR_RUNTIME_DEQUE_SCHEDULER_H_
#define COACTOR_RUNTIME_DEQUE_SCHEDULER_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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
#include "runtime/deque/cell.h"
#include "runtime/deque/deferred_timers.h"
#include "runtime/erased_message.h"
#include "runtime/internal/cell_pool.h"
#include "runtime/internal/mailbox_limit.h"
#include "runtime/internal/name_cache.h"
#include "runtime/internal/name_registry.h"
#include "runtime/internal/record_keeper.h"
#include "runtime/internal/records.h"
#include "runtime/internal/segment_queue.h"
#include "runtime/internal/send_errors.h"
#include "runtime/internal/timer_queue.h"
#include "runtime/metrics/metrics.h"
#include "runtime/scheduler_api.h"
#include "runtime/timer_id.h"
#include "runtime/trace/trace_hook.h"
#include "runtime/trace/tracer.h"

namespace coactor {

class DequeScheduler final : public SchedulerApi<DequeScheduler> {
 public:
  // Times sleeps and timers with `clock` (which must outlive the scheduler).
  explicit DequeScheduler(Clock& clock = RealClock::Get());
  DequeScheduler(const DequeScheduler&) = delete;
  DequeScheduler& operator=(const DequeScheduler&) = delete;
  ~DequeScheduler();

  // Queues `message` for the actor called `name`; never runs it inline.
  // NotFound for an unknown name, FailedPrecondition if that actor has
  // finished, InvalidArgument if it receives another type (a variant
  // actor accepts each of its alternatives). On error the message becomes
  // a dead letter.
  template <typename M>
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::Status
  Send(std::string_view name, M&& message);

  // Queues `message` for `to`, with no name lookup; the message type is
  // checked at compile time. FailedPrecondition (and a dead letter) if the
  // actor has finished.
  template <typename Msg, typename M>
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::Status
  Send(const ActorRef<Msg>& to, M&& message);

  // A typed reference to the live actor called `name`; errors as for Send.
  template <typename Msg>
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::StatusOr<
      ActorRef<Msg>>
  Find(std::string_view name) const;

  // True if the timer was pending and now will not fire; cancelling a timer
  // that fired or was cancelled, or an empty TimerId, is a no-op (false).
  bool CancelTimer(TimerId id);
  // Also: Spawn(), CreateTask(), RunUntilComplete(), SendAfter(), Monitor()
  // and IsAlive(), from SchedulerApi (runtime/scheduler_api.h).

  // Delivers `error` instead of a message: the actor's pending (or next)
  // Receive() rethrows it, where the actor may catch it (Python's
  // gen.throw()). FailedPrecondition (and a dead letter) if it has finished.
  // InvalidArgument for a null `error`, whatever the actor's state: nothing
  // is delivered and, there being nothing to keep, no dead letter recorded.
  template <typename Msg>
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::Status
  SendError(const ActorRef<Msg>& to, std::exception_ptr error);

  // Delivers queued messages until none is left, firing timers as they
  // come due and sleeping on the clock until the next one when only timers
  // remain (a Post() cuts the sleep short). Returns early after Stop().
  // FailedPrecondition if called from inside one of its actors.
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::Status
  Run();
  // As Run(), but when nothing is left it waits for posts instead of
  // returning, until Stop(). For a loop fed from other threads.
  absl::Status RunUntilStopped();

  // Thread-safe, also from inside an actor: ends the Run() (or
  // RunUntilStopped(), RunUntilComplete()) in progress once the message
  // being handled has been handled; everything else stays queued for the
  // next run. With no run in progress, the next one returns at once. A
  // run that returns consumes the request (so a Stop() that comes just as
  // a Run() ends on its own may end the next one instead).
  void Stop();

  // Thread-safe: queues `message` for the actor called `name` (or `to`),
  // to be sent from the loop's thread at its next look at its inbox of
  // posts (every 256 deliveries, and whenever the queue runs dry; it wakes
  // a loop that sleeps for a timer or waits in RunUntilStopped()). The send
  // happens there, so its errors are dead letters, not returned. Posts
  // from one thread are sent in the order they were posted.
  template <typename M>
  void Post(std::string_view name, M&& message);
  template <typename Msg, typename M>
  void Post(const ActorRef<Msg>& to, M&& message);
  // Thread-safe: runs `call` on the loop's thread, as a posted message is
  // sent (so it may Spawn, Send, ...). An exception it throws is recorded
  // as a failure of "(posted call)".
  void Post(absl::AnyInvocable<void()> call);

  // Delivers exactly one queued message (or actor start or wake-up), after
  // firing the timers that are due; returns whether more is pending
  // (queued or timed). For driving the loop from a game or GUI frame. Does
  // nothing and returns false inside one of its actors.
  bool RunOnce();

  // One round of the loop, as asyncio's: fires due timers, then delivers
  // what was queued when called (not what that queues). Returns the number
  // delivered.
  size_t RunReady();

  // Delivers up to `budget` entries, or until the clock reaches `deadline`
  // (checked between entries): a frame's time budget. Neither waits for a
  // timer: both fire those already due and return early once nothing is
  // queued (a ManualClock is not advanced). Returns the number delivered.
  size_t RunFor(size_t budget);
  size_t RunUntil(absl::Time deadline);

  absl::Time Now() override { return clock_.Now(); }

  // Whether anything is queued, timed or posted (a post, or a wake-up from
  // outside a run, waits in the posts until the loop's next look).
  bool has_pending() const {
    // Acquire: as DrainPosted()'s.
    return !queue_.empty() || !deferred_timers_.empty() || !timers_.empty() ||
           posted_pending_.load(std::memory_order_acquire);
  }
  size_t pending_timers() const;
  size_t pending() const { return queue_.size(); }
  // Queue slots allocated; the queue never shrinks, so this bounds its
  // memory (it stays small when actors keep up).
  size_t queue_capacity() const { return queue_.capacity(); }
  uint64_t messages_delivered() const;
  size_t live_actors() const { return live_actors_; }

  // The newest dead letters and failures, oldest first, up to the limits
  // set by SetRecordLimits() (runtime/dead_letter.h).
  const std::deque<DeadLetter>& dead_letters() const {
    return records_.dead_letters();
  }
  const std::deque<ActorFailure>& failures() const {
    return records_.failures();
  }
  // Hands over the dead letters kept so far. The caller must destroy
  // them before this scheduler: one may hold an ask's ReplyTo, whose
  // destructor reaches into the scheduler (see runtime/dead_letter.h).
  std::vector<DeadLetter> TakeDeadLetters() {
    return records_.TakeDeadLetters();
  }
  std::vector<ActorFailure> TakeFailures() { return records_.TakeFailures(); }
  // Every dead letter and failure ever recorded, kept, taken or dropped.
  uint64_t dead_letters_recorded() const {
    return records_.dead_letters_recorded();
  }
  uint64_t failures_recorded() const { return records_.failures_recorded(); }
  // The scheduler's and every live actor's metrics
  // (runtime/metrics/metrics.h).
  SchedulerMetrics Metrics() const;

  // From now on keeps at most `limits` (dropping the oldest records and
  // names beyond them now).
  void SetRecordLimits(const RecordLimits& limits);
  const RecordLimits& record_limits() const { return records_.limits(); }

  // Starts writing a trace of what the actors do to `path`, in the Chrome
  // Trace Event JSON format that Perfetto opens (runtime/trace/tracer.h):
  // each turn a slice on the loop's thread, each message, start and
  // wake-up an arrow from the turn that queued it (or a "send" slice, if
  // no actor did) to the turn it starts. The error of opening `path`
  // (nothing is traced then); FailedPrecondition if a trace is started.
  // COACTOR_TRACE=FILE in the environment starts one at construction.
  // On the loop's thread (also from an actor: it takes effect after the
  // message being handled), or while no run is under way.
  absl::Status StartTrace(std::string_view path,
                          const TraceOptions& options = {});
  // Writes what remains and closes the file (complete JSON). No trace:
  // OK, a no-op. The destructor stops a trace too. As StartTrace().
  absl::Status StopTrace();

 private:
  friend class SchedulerApi<DequeScheduler>;

  // Every actor, timer and reply runs on the thread that runs the loop.
  static constexpr bool kSingleThreaded = true;

  // An actor's cell and the queue's entries (runtime/deque/cell.h).
  using Cell = internal::DequeCell;
  using Envelope = internal::DequeEnvelope;
  static constexpr uintptr_t kTagMask = internal::DequeEnvelope::kTagMask;
  static constexpr uintptr_t kStartTag = internal::DequeEnvelope::kStartTag;
  static constexpr uintptr_t kResumeTag = internal::DequeEnvelope::kResumeTag;
  static constexpr uintptr_t kErrorTag = internal::DequeEnvelope::kErrorTag;

  using Registry = internal::NameRegistry<Cell>;
  using RegistryEntry = Registry::Entry;
  // Live named actors only: an actor's end (EndHooks::Finish()) forgets
  // its name.
  using NameCache = internal::NameCache<Cell*, /*kVersioned=*/false>;

  // Marks the scheduler running on this thread for a scope (running_ and
  // current_loop_), also when it ends by exception (deque/step_inl.h).
  class RunScope;
  // The scheduler whose loop runs on this thread, if any (the innermost).
  // Constant-initialized: a plain thread-local load.
  static inline thread_local constinit const DequeScheduler* current_loop_ =
      nullptr;

  // How many entries the loops deliver between looks at the timers.
  static constexpr uint32_t kTimerCheckInterval = 256;

  // The live actor called `name`, or nullptr. Names of up to 16 bytes go
  // through the name cache first: a send by name costs a hash and three
  // compares instead of a hash-map probe and a string compare.
  // (Both defined in deque/send_inl.h.)
  ABSL_ATTRIBUTE_ALWAYS_INLINE Cell* FindLive(std::string_view name) const;
  // The cache missed (or the name is long): look `name` up and remember
  // it. Cold: otherwise clang lays its call out on the hit's path.
  ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD Cell* FindLiveAndCache(
      std::string_view name) const;

  // The one way into the FIFO: reserves the next envelope, lets `build`
  // construct its payload (a start has none), addresses it to `cell` with
  // `tag` (0: a message; Envelope::k*Tag), commits it and counts it as
  // pending for `cell`. If `build` throws, nothing was queued. False: a
  // bounded mailbox did not take it as it came (AtPeak()).
  // (Both defined in deque/send_inl.h.)
  template <typename Build>
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool EnqueueEnvelope(Cell* cell, uintptr_t tag,
                                                    Build&& build);
  // A message of type Msg built from `args`.
  template <typename Msg, typename... Args>
  bool Enqueue(Cell* cell, Args&&... args);
  // Bounded mailboxes (deque/limits.h). The entry `envelope`, just
  // committed, passed its cell's peak: records it (an unbounded actor's: a
  // leaf, no frame; a flood reaches a new peak with every send), or
  // AtLimit() decides by the cell's limit (may take it back). One
  // argument: a second spilled a register.
  ABSL_ATTRIBUTE_NOINLINE bool AtPeak(Envelope* envelope);
  ABSL_ATTRIBUTE_NOINLINE bool AtLimit(Envelope* envelope);
  // Cold: inlined, it kept Send() out of its callers.
  ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD absl::Status TakeLimitStatus();
  class Limits;
  friend class Limits;
  internal::LimitState limits_;

  template <typename T, typename M>
  ABSL_ATTRIBUTE_NOINLINE absl::Status SendByNameSlow(std::string_view name,
                                                      Cell* cell, M&& message);
  template <typename Msg, typename M>
  ABSL_ATTRIBUTE_NOINLINE absl::Status SendToDeadRef(const ActorRef<Msg>& to,
                                                     M&& message);

  absl::StatusOr<Cell*> Admit(std::string_view name,
                              internal::ActorPromiseBase* promise,
                              std::coroutine_handle<> handle,
                              const internal::MessageType* type);
  // Why `name` has no live actor: NotFound or FailedPrecondition.
  absl::Status LookupError(std::string_view name) const;
  absl::Status WrongTypeError(std::string_view name,
                              const internal::MessageType& wanted,
                              std::string_view sent) const;
  // Who a send through a dead reference was for, and why it was refused.
  internal::DeadReference DescribeDeadRef(internal::ActorCell* cell,
                                          uint32_t generation) const;
  bool EnqueueAlternative(Cell* cell, const internal::Alternative& alternative,
                          void* source);
  absl::Status RecordDeadLetter(std::string recipient, absl::Status reason,
                                ErasedMessage message);
  // For SchedulerApi: user code run outside any actor (`doing`: a timer's
  // send, a monitor's Down) threw `exception` on its way to the actor of
  // (`to`, `generation`): a failure, and `message` kept as a dead letter.
  void RecordThrown(const char* doing, internal::ActorCell* to,
                    uint32_t generation, std::exception_ptr exception,
                    ErasedMessage message);

  // Always inline: in each loop that steps (Run, RunWhileNot, ...), g++
  // otherwise calls one shared copy, +20 instructions per ask round trip.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Step() { Dispatch(queue_.PopFront()); }
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Dispatch(Envelope* envelope);
  // Tracing: runtime/deque/trace.cc says how. RunSteps() steps until the
  // queue is empty or a Stop() (true), or tracing started or stopped
  // (false); the other run calls test per step (StepMaybeTraced()).
  // `begin_ns`: as Tracer::BeginTurn()'s; returns 1 ns past the end of
  // the turn it recorded (0 if none), for a next step that follows at once.
  uint64_t StepTraced(uint64_t begin_ns = 0);
  void StepMaybeTraced() {
    if (ABSL_PREDICT_FALSE(trace_.get() != nullptr)) {
      StepTraced();
      return;
    }
    Step();
  }
  template <bool kTraced>
  bool RunSteps();
  void TraceQueued(Tracer* tracer, uint64_t ts);
  static std::string_view FlowName(const Envelope& envelope);
  // Step(), timed into the actor's metrics (one step in
  // kTimerCheckInterval: reading a clock per step would cost more than a
  // step).
  ABSL_ATTRIBUTE_NOINLINE void TimedStep();
  // A wake-up (an ask's reply, a sleep's end, a joined task's result)
  // resumes the actor: inline in Step(), the most frequent envelope after
  // messages.
  void ResumeWoken(Cell* cell, const internal::Payload& payload);
  void ResumeWokenRemoved(Cell* cell, const internal::Payload& payload);
  // Actor starts and errors.
  void StepSpecial(uintptr_t tag, Cell* cell, internal::Payload* payload);
  void Start(Cell* cell);
  void Stash(Cell* cell, internal::Payload* payload);
  void DeliverToFinished(Cell* cell, internal::Payload* payload);
  void DeliverError(Cell* cell, std::exception_ptr error);
  // The actor in `cell` ended: internal::EndActor() with EndHooks.
  void OnFinished(Cell* cell);
  struct EndHooks;
  void FreeCell(Cell* cell);
  // For the destructor: destroys the messages in the queue, the stashes and
  // the timers.
  void DestroyPendingMessages();
  // Gives deferred timers their deadlines (see deferred_timers_).
  void ArmDeferredTimers();
  // Whether any timer is pending; arms deferred ones first.
  bool HasTimers() {
    if (!deferred_timers_.empty()) ArmDeferredTimers();
    return !timers_.empty();
  }
  void EnqueueSpecial(Cell* cell, uintptr_t tag);
  // Fires every timer that is due by the clock; true if any fired.
  bool FireDueTimers();
  absl::Status AddMonitor(internal::ActorCell* watched, uint32_t generation,
                          absl::AnyInvocable<void(const Down&)> notify);
  // Runs until `done()`, out of work (sleeping on the clock for timers) or
  // stopped, and says which came first. Consumes a Stop() request, as
  // RunLoop() does. A template, so that the check inlines into the loop.
  enum class RunEnd { kDone, kOutOfWork, kStopped };
  template <typename Done>
  RunEnd RunWhileNot(const Done& done);
  // For SchedulerApi::RunUntilComplete(): refuses from inside an actor, or
  // starts `task` and runs until it ends or nothing is left.
  template <typename T>
  absl::StatusOr<JoinHandle<T>> RunTask(Task<T> task);

  friend struct internal::RuntimeAccess;
  // internal::Runtime
  // Thread-safe: from a thread not running this scheduler's loop (a task
  // or BoundedQueue on a work-stealing scheduler ending or handing over on
  // a worker), the wake-up is posted, as Post() does, and the loop's
  // thread queues it.
  void Wake(internal::ActorCell* cell, std::coroutine_handle<> handle) override;
  internal::TimerId AddTimer(absl::Time deadline,
                             absl::AnyInvocable<void()> fire) override;
  void AddGuardedTimer(int64_t timeout_nanos,
                       const internal::GuardedTimer& timer) override {
    deferred_timers_.Add(timeout_nanos, timer);  // See deferred_timers_.
  }
  // After resuming `cell` other than with a message: if it came back to a
  // Receive(), marks it waiting and hands it what waited meanwhile.
  void AfterWake(Cell* cell);

  Clock& clock_;
  internal::TimerQueue timers_;
  uint64_t timers_fired_ = 0;  // Metrics.
  // Guarded timers (one per ask) whose deadlines are not resolved yet:
  // resolved together, from one clock read (runtime/deque/deferred_timers.h).
  internal::DeferredTimers deferred_timers_;
  internal::SegmentQueue<Envelope> queue_{64};
  // Named actors, live and finished (see RecordLimits::finished_names).
  Registry registry_;
  mutable NameCache name_cache_;
  internal::CellPool<Cell> cells_;  // Stable addresses, freed cells reused.
  uint64_t next_actor_id_ = 1;
  // Messages delivered to actors that have ended; each live actor counts
  // its own (Cell::received).
  uint64_t messages_delivered_ = 0;
  size_t live_actors_ = 0;
  bool running_ = false;
  bool shutting_down_ = false;

  // Posts from any thread (see Post()); drained by the loop.
  internal::Mutex posted_mutex_;
  internal::CondVar posted_wakeup_;
  std::vector<absl::AnyInvocable<void()>> posted_
      ABSL_GUARDED_BY(posted_mutex_);
  bool loop_waiting_ ABSL_GUARDED_BY(posted_mutex_) = false;
  // An atomic: posted_ is not empty, stored under the lock, a hint read by
  // the loop without it.
  std::atomic<bool> posted_pending_{false};
  std::atomic<bool> stop_requested_{false};
  // The thread in RunLoop(), if any, so that a Stop() from one of its
  // actors can shorten steps_to_check_.
  std::atomic<std::thread::id> loop_thread_{};
  // RunLoop()'s count of steps to its next look at timers, posts and
  // Stop(); only its thread touches it.
  uint32_t steps_to_check_ = 0;
  // Runs the posts waiting; true if there were any.
  bool DrainPosted();
  // Whether Stop() was called; if so, consumes the request.
  bool TakeStop() {
    // Relaxed: a flag; what Stop()'s caller did before it needs no order.
    return stop_requested_.load(std::memory_order_relaxed) &&
           stop_requested_.exchange(false);
  }
  // Waits until a post or Stop() comes, or `deadline` (on the clock), if
  // any, passes.
  void WaitForPosts(std::optional<absl::Time> deadline);
  absl::Status RunLoop(bool until_stopped);
  internal::RecordKeeper records_;

  // The trace, if any; the queue positions of the first envelope it covers
  // and of the first it has not given a flow start yet (deque/trace.cc).
  internal::TraceHook trace_;
  uint64_t trace_first_ = 0;
  uint64_t traced_until_ = 0;
  bool trace_lane_named_ = false;  // The loop's thread, in this trace.
};

static_assert(Scheduler<DequeScheduler>);  // runtime/scheduler.h

}  // namespace coactor

// The templates' and inline functions' definitions.
#include "runtime/deque/limits.h"    // IWYU pragma: export
#include "runtime/deque/send_inl.h"  // IWYU pragma: export
#include "runtime/deque/step_inl.h"  // IWYU pragma: export

#endif  // COACTOR_RUNTIME_DEQUE_SCHEDULER_H_
