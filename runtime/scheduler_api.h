// SchedulerApi<Scheduler> is the part of the schedulers' API that is the
// same on every scheduler, written once: spawning, starting tasks, delayed
// sends, monitors, liveness. DequeScheduler and WorkStealingScheduler derive
// from it (CRTP: no virtual calls) and provide the hooks it uses (Admit,
// AddTimer, AddMonitor, Send, RecordThrown). It is also where a scheduler
// becomes the internal::Runtime its actors reach it through (a protected
// base: actor code never sees it), with what is the same there on both:
// Identity() and SpawnRunner().
//
// Every call here and in the schedulers that returns an absl::Status or
// StatusOr is [[nodiscard]] (whatever the Abseil in use says about those
// types): an ignored refusal is a lost message or actor, so check it, or
// say .IgnoreError() where dropping it is meant.
//
//   coactor::DequeScheduler sched;            // or WorkStealingScheduler
//   auto printer = sched.Spawn("printer", Printer());  // Check printer.ok().
//   coactor::JoinHandle<int> job = sched.CreateTask(Compute());
//   coactor::TimerId timer = sched.SendAfter(absl::Seconds(1), *printer, 42);
//
// In code templated on the scheduler, a member template called with an
// explicit argument needs the `template` keyword (`sched.template
// Find<int>("printer")`); the free coactor::Find<int>(sched, "printer")
// below does not.
//
// Thread-safety: that of the scheduler.
#ifndef COACTOR_RUNTIME_SCHEDULER_API_H_
#define COACTOR_RUNTIME_SCHEDULER_API_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/down.h"
#include "actors/internal/runtime.h"
#include "actors/internal/send_waiter.h"
#include "actors/join_handle.h"
#include "actors/task.h"
#include "runtime/erased_message.h"
#include "runtime/internal/held_message.h"
#include "runtime/internal/mailbox_limit.h"
#include "runtime/internal/send_errors.h"
#include "runtime/scheduler.h"
#include "runtime/spawn_options.h"
#include "runtime/timer_id.h"

namespace coactor {
namespace internal {

// What RunUntilComplete() returns when Stop() ended its run first.
inline absl::Status StoppedBeforeTaskEnded() {
  return absl::FailedPreconditionError(
      "RunUntilComplete() was stopped (Stop()) before the task ended");
}

}  // namespace internal

template <typename Scheduler>
class SchedulerApi : protected internal::Runtime {
 public:
  // Admits `actor` under `name` and queues its start, which runs it up to
  // its first Receive(). AlreadyExists if a live actor has the name;
  // InvalidArgument for an empty name or an empty Actor. The name of a
  // finished actor may be reused.
  template <typename Msg>
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::StatusOr<
      ActorRef<Msg>>
  Spawn(std::string_view name, Actor<Msg> actor) {
    if (name.empty()) {
      return absl::InvalidArgumentError("actor names must not be empty");
    }
    if (!actor.valid()) {
      return absl::InvalidArgumentError("cannot spawn an empty Actor as '" +
                                        internal::RecordedName(name) + "'");
    }
    return Admit(name, actor);
  }

  // As above, with `options` (runtime/spawn_options.h): a bounded mailbox.
  // InvalidArgument for a capacity of zero or less (the actor is not run).
  template <typename Msg>
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::StatusOr<
      ActorRef<Msg>>
  Spawn(std::string_view name, Actor<Msg> actor, const SpawnOptions& options) {
    if (absl::Status bad = internal::CheckSpawnOptions(
            options, "'" + internal::RecordedName(name) + "'");
        !bad.ok()) {
      return bad;
    }
    internal::SpawnOptionsScope scope(&options);
    return Spawn(name, std::move(actor));
  }
  // An anonymous actor with `options`; errors as above (and as Spawn()).
  template <typename Msg>
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::StatusOr<
      ActorRef<Msg>>
  Spawn(Actor<Msg> actor, const SpawnOptions& options) {
    if (absl::Status bad =
            internal::CheckSpawnOptions(options, "an anonymous actor");
        !bad.ok()) {
      return bad;
    }
    if (!actor.valid()) {
      return absl::InvalidArgumentError("cannot spawn an empty Actor");
    }
    internal::SpawnOptionsScope scope(&options);
    return Admit("", actor);
  }

  // Sends `message` to `to` as Send() does, but if `to` has a full mailbox
  // with WhenFull::kBackpressure, the calling thread waits up to `timeout`
  // for room: DeadlineExceeded then, the message kept as a dead letter.
  // For plain threads: inside an actor it would block a worker (use
  // co_await SendWhenRoom(), actors/send_when_room.h), and DequeScheduler
  // cannot wait at all (nothing runs its actors while this thread waits):
  // both refuse a wait with FailedPrecondition (and a dead letter).
  template <typename Msg, typename M>
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::Status
  SendBlocking(const ActorRef<Msg>& to, M&& message, absl::Duration timeout) {
    internal::CheckSendable<Msg, M>();
    internal::SendWaiter waiter;
    waiter.type = internal::MessageTypeOf<Msg>();
    internal::ConstructPayload<Msg>(&waiter.message, std::forward<M>(message));
    waiter.holds_message = true;
    return Scheduler::Limits::SendBlocking(
        self(), internal::ActorRefAccess::Cell(to),
        internal::ActorRefAccess::Generation(to), &waiter, timeout);
  }

  // Admits an anonymous actor, reachable through the returned reference
  // only. Returns an empty reference if `actor` is empty.
  template <typename Msg>
  ActorRef<Msg> Spawn(Actor<Msg> actor) {
    if (!actor.valid()) return ActorRef<Msg>();
    absl::StatusOr<ActorRef<Msg>> ref = Admit("", actor);
    return ref.ok() ? *ref : ActorRef<Msg>();  // Fails only at shutdown.
  }

  // Runs the scheduler until `task` ends and returns its result (rethrows
  // its exception): asyncio's run_until_complete. InvalidArgument for an
  // empty (moved-from) task; FailedPrecondition from inside one of the
  // scheduler's actors (nothing is run then), while another run is under
  // way, if the scheduler runs out of work before the task ends, or if
  // Stop() ends the run first ("RunUntilComplete() was stopped").
  template <typename T>
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::StatusOr<T>
  RunUntilComplete(Task<T> task) {
    absl::StatusOr<JoinHandle<T>> ended = RunToEnd(std::move(task));
    if (!ended.ok()) return ended.status();
    return ended->TakeResult();
  }
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::Status
  RunUntilComplete(Task<void> task) {
    absl::StatusOr<JoinHandle<void>> ended = RunToEnd(std::move(task));
    if (!ended.ok()) return ended.status();
    ended->TakeResult();  // Rethrows the task's exception.
    return absl::OkStatus();
  }

  // Starts `task` concurrently (asyncio's create_task); join it through
  // the handle, from a coroutine (`co_await handle`) or after Run(). An
  // empty (moved-from) task ends as soon as it runs, and joining it
  // rethrows std::invalid_argument. A task this scheduler destroys before
  // it ends (destroyed, or shut down), or never starts (created after
  // Shutdown()), ends with a std::runtime_error.
  template <typename T>
  JoinHandle<T> CreateTask(Task<T> task) {
    auto [runner, handle] = internal::MakeRunner(std::move(task));
    SpawnRunner(std::move(runner));
    return std::move(handle);
  }

  // Sends `message` to `to` once `delay` has passed on the clock; the
  // returned TimerId cancels it with CancelTimer() until then. An infinite
  // delay never comes: the message is kept with its timer until cancelled or
  // the scheduler is destroyed, and Run() does not wait for it. If the send
  // throws when the timer fires (the message's move constructor does), the
  // exception is recorded in failures() and the message kept as a dead
  // letter (reason Aborted), and the run goes on.
  template <typename Msg, typename M>
  TimerId SendAfter(absl::Duration delay, const ActorRef<Msg>& to,
                    M&& message) {
    internal::CheckSendable<Msg, M>();
    Scheduler* scheduler = &self();
    return internal::TimerIdAccess::Make(scheduler->AddTimer(
        scheduler->Now() + delay, [scheduler, to,
                                   message = internal::HeldMessage<Msg>(
                                       std::forward<M>(message))]() mutable {
          try {
            scheduler->Send(to, std::move(message.get())).IgnoreError();
          } catch (...) {
            KeepThrown(*scheduler, "SendAfter", to,
                       std::move(message).ToErased());
          }
        }));
  }

  // When `watched` ends, `watcher` receives a Down saying how.
  // FailedPrecondition if `watched` has already finished; InvalidArgument
  // if either reference is empty or belongs to another scheduler. If
  // building the watcher's message from the Down throws, the exception is
  // recorded in failures() and the Down kept as a dead letter (reason
  // Aborted); other watchers are still told.
  template <typename Watched, typename Watcher>
  [[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::Status
  Monitor(const ActorRef<Watched>& watched, const ActorRef<Watcher>& watcher) {
    static_assert(std::is_constructible_v<Watcher, Down>,
                  "the watcher's message type must accept a coactor::Down");
    if (!watched.valid() || !watcher.valid()) {
      return absl::InvalidArgumentError(
          !watched.valid() ? "Monitor: the watched reference is empty"
                           : "Monitor: the watcher reference is empty");
    }
    if (!IsOwn(watched) || !IsOwn(watcher)) {
      return absl::InvalidArgumentError(
          !IsOwn(watched)
              ? "Monitor: the watched ActorRef belongs to another scheduler"
              : "Monitor: the watcher ActorRef belongs to another scheduler");
    }
    Scheduler* scheduler = &self();
    return scheduler->AddMonitor(
        internal::ActorRefAccess::Cell(watched),
        internal::ActorRefAccess::Generation(watched),
        [scheduler, watcher](const Down& down) {
          try {
            internal::UnlimitedSends unlimited;  // Never refused for room.
            scheduler->Send(watcher, Down(down)).IgnoreError();
          } catch (...) {
            KeepThrown(*scheduler, "Down", watcher,
                       ErasedMessage::Of(Down(down)));
          }
        });
  }

  // Whether the actor `ref` refers to is still running (Erlang's
  // is_process_alive); false for an empty or another scheduler's reference.
  template <typename Msg>
  bool IsAlive(const ActorRef<Msg>& ref) const {
    return internal::ActorRefAccess::LiveCell(ref, Identity()) != nullptr;
  }

 protected:
  // Who this scheduler is to its cells and references (ActorCell::runtime).
  const void* Identity() const {
    return static_cast<const internal::Runtime*>(this);
  }

 private:
  // internal::Runtime: a task's runner (join_handle.h) is an anonymous
  // actor.
  void SpawnRunner(Actor<internal::NoMessage> runner) final {
    Spawn(std::move(runner));
  }
  // internal::Runtime: an ask's arrow in the scheduler's trace (its
  // TraceHook, trace_).
  void TraceAskSent(uint64_t id, std::string_view request) final {
    self().trace_.AskSent(id, request);
  }
  void TraceAskAnswered(uint64_t id, std::string_view request,
                        const absl::Status& outcome) final {
    self().trace_.AskAnswered(id, request, outcome);
  }
  // internal::Runtime: SendWhenRoom() (actors/send_when_room.h), by each
  // scheduler's bounded mailboxes (its Limits).
  bool SendOrWait(internal::ActorCell* to, uint32_t generation,
                  internal::SendWaiter* waiter) final {
    return Scheduler::Limits::SendOrWait(self(), to, generation, waiter);
  }
  bool SendIfRoom(internal::ActorCell* to, uint32_t generation,
                  internal::SendWaiter* waiter) final {
    return Scheduler::Limits::SendIfRoom(self(), to, generation, waiter);
  }
  bool FindForSend(std::string_view name, internal::SendWaiter* waiter,
                   internal::SendTarget* target) final {
    return Scheduler::Limits::FindForSend(self(), name, waiter, target);
  }
  bool WithdrawWaiter(internal::ActorCell* to,
                      internal::SendWaiter* waiter) final {
    return Scheduler::Limits::Withdraw(self(), to, waiter);
  }

  Scheduler& self() { return static_cast<Scheduler&>(*this); }
  const Scheduler& self() const { return static_cast<const Scheduler&>(*this); }

  // From a catch handler: user code that `scheduler` ran outside any actor
  // (`doing`: "SendAfter", "Down") threw while sending to `to`. Records the
  // exception as a failure and keeps `message` as a dead letter.
  template <typename Msg>
  static void KeepThrown(Scheduler& scheduler, const char* doing,
                         const ActorRef<Msg>& to, ErasedMessage message) {
    scheduler.RecordThrown(doing, internal::ActorRefAccess::Cell(to),
                           internal::ActorRefAccess::Generation(to),
                           std::current_exception(), std::move(message));
  }

  // Whether the non-empty `ref` was made by this scheduler. (A cell's
  // scheduler never changes, so this needs no lock.)
  template <typename Msg>
  bool IsOwn(const ActorRef<Msg>& ref) const {
    return static_cast<const void*>(
               internal::ActorRefAccess::Cell(ref)->runtime) == Identity();
  }

  // RunUntilComplete() up to its result: the handle of the ended task. The
  // scheduler's RunTask(task) refuses or starts the task and runs.
  template <typename T>
  absl::StatusOr<JoinHandle<T>> RunToEnd(Task<T> task) {
    if (!task.valid()) {
      return absl::InvalidArgumentError(
          "RunUntilComplete: the Task is empty (moved from)");
    }
    absl::StatusOr<JoinHandle<T>> handle = self().RunTask(std::move(task));
    if (handle.ok() && !handle->done()) {
      return absl::FailedPreconditionError(
          "the task cannot finish: nothing is left to run");
    }
    return handle;
  }

  template <typename Msg>
  absl::StatusOr<ActorRef<Msg>> Admit(std::string_view name,
                                      Actor<Msg>& actor) {
    auto cell = self().Admit(name, internal::ActorAccess::Promise(actor),
                             internal::ActorAccess::Handle(actor),
                             internal::MessageTypeOf<Msg>());
    if (!cell.ok()) return cell.status();  // `actor` frees its frame.
    internal::ActorAccess::Release(actor);
    return internal::ActorRefAccess::Make<Msg>(*cell);
  }
};

// sched.Find<Msg>(name), spelled without `template` in code templated on
// the scheduler: a typed reference to the live actor called `name`, or
// NotFound, FailedPrecondition (it has finished) or InvalidArgument (it
// receives another type).
//
//   template <coactor::Scheduler Sched>
//   void Greet(Sched& sched) {
//     auto printer = coactor::Find<std::string>(sched, "printer");
//     if (printer.ok()) sched.Send(*printer, "hello").IgnoreError();
//   }
template <typename Msg, Scheduler Sched>
[[nodiscard("check it, or call .IgnoreError() on purpose")]] absl::StatusOr<
    ActorRef<Msg>>
Find(const Sched& sched, std::string_view name) {
  return sched.template Find<Msg>(name);
}

}  // namespace coactor

#endif  // COACTOR_RUNTIME_SCHEDULER_API_H_
