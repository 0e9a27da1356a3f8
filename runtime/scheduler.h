// coactor::Scheduler is the promise "one actor code, two schedulers" in the
// language: the API actor code and its drivers may use on any scheduler,
// as a C++20 concept that DequeScheduler and WorkStealingScheduler both
// satisfy (each header static_asserts it). Constrain scheduler-generic code
// with it, and a type that is not a scheduler is refused at the call, with
// the requirement it misses, instead of deep inside the template:
//
//   template <coactor::Scheduler Sched>
//   coactor::Actor<int> Counter(Sched& sched) {
//     for (;;) {
//       int n = co_await coactor::Receive<int>();
//       sched.Send("printer", n).IgnoreError();
//     }
//   }
//
// What the concept covers (see each scheduler for the semantics, which
// SchedulerApi's and DequeScheduler's comments give once):
//   - actors: Spawn(name, actor) and Spawn(actor), Find<Msg>(name) (or the
//     free coactor::Find<Msg>(sched, name)), IsAlive(ref), Monitor();
//   - messages: Send() by reference and by name, SendError(),
//     SendAfter() and CancelTimer();
//   - tasks: CreateTask(), RunUntilComplete();
//   - running: Run(), Stop(), Now();
//   - records and statistics: messages_delivered(), live_actors(),
//     dead_letters(), failures(), TakeDeadLetters(), TakeFailures(), the
//     *_recorded() totals, SetRecordLimits() and record_limits().
// What only one scheduler has stays out: Post(), RunOnce(), RunFor() ...
// (deque), threads() and Shutdown() (work stealing). A requirement names a
// message type of its own (internal::ProbeMessage); schedulers take every
// message type alike.
//
// Thread-safety: a concept, checked at compile time.
#ifndef COACTOR_RUNTIME_SCHEDULER_H_
#define COACTOR_RUNTIME_SCHEDULER_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <ranges>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/down.h"
#include "actors/join_handle.h"
#include "actors/task.h"
#include "runtime/dead_letter.h"
#include "runtime/timer_id.h"

namespace coactor {
namespace internal {

// The message type the concept's requirements send and receive.
struct ProbeMessage {};

// A list of records: what dead_letters() and failures() return (a
// reference to the scheduler's own list, or a copy).
// (clang-format 14 and 16 lay out concepts and requires-clauses
// differently; kept as written so both accept the file.)
// clang-format off
template <typename List, typename Record>
concept RecordList =
    std::ranges::sized_range<List> &&
    std::same_as<std::ranges::range_value_t<std::remove_cvref_t<List>>, Record>;
// clang-format on

}  // namespace internal

// (clang-format 14 and 16 lay out concepts and requires-clauses
// differently; kept as written so both accept the file.)
// clang-format off
template <typename S>
concept Scheduler =
    std::is_class_v<S> &&
    requires(S& sched, const S& csched, std::string_view name,
             Actor<internal::ProbeMessage> actor,
             const ActorRef<internal::ProbeMessage>& ref,
             const ActorRef<Down>& watcher, internal::ProbeMessage message,
             Task<void> task, absl::Duration delay, TimerId timer,
             std::exception_ptr error, const RecordLimits& limits) {
      // Actors.
      {
        sched.Spawn(name, std::move(actor))
      } -> std::same_as<absl::StatusOr<ActorRef<internal::ProbeMessage>>>;
      {
        sched.Spawn(std::move(actor))
      } -> std::same_as<ActorRef<internal::ProbeMessage>>;
      {
        csched.template Find<internal::ProbeMessage>(name)
      } -> std::same_as<absl::StatusOr<ActorRef<internal::ProbeMessage>>>;
      { csched.IsAlive(ref) } -> std::same_as<bool>;
      { sched.Monitor(ref, watcher) } -> std::same_as<absl::Status>;
      // Messages.
      { sched.Send(ref, std::move(message)) } -> std::same_as<absl::Status>;
      { sched.Send(name, std::move(message)) } -> std::same_as<absl::Status>;
      { sched.SendError(ref, error) } -> std::same_as<absl::Status>;
      {
        sched.SendAfter(delay, ref, std::move(message))
      } -> std::same_as<TimerId>;
      { sched.CancelTimer(timer) } -> std::same_as<bool>;
      // Tasks.
      { sched.CreateTask(std::move(task)) } -> std::same_as<JoinHandle<void>>;
      { sched.RunUntilComplete(std::move(task)) } -> std::same_as<absl::Status>;
      // Running.
      { sched.Run() } -> std::same_as<absl::Status>;
      sched.Stop();
      { sched.Now() } -> std::same_as<absl::Time>;
      // Records and statistics.
      { csched.messages_delivered() } -> std::convertible_to<uint64_t>;
      { csched.live_actors() } -> std::convertible_to<size_t>;
      { csched.dead_letters() } -> internal::RecordList<DeadLetter>;
      { csched.failures() } -> internal::RecordList<ActorFailure>;
      { sched.TakeDeadLetters() } -> std::same_as<std::vector<DeadLetter>>;
      { sched.TakeFailures() } -> std::same_as<std::vector<ActorFailure>>;
      { csched.dead_letters_recorded() } -> std::convertible_to<uint64_t>;
      { csched.failures_recorded() } -> std::convertible_to<uint64_t>;
      sched.SetRecordLimits(limits);
      { csched.record_limits() } -> std::convertible_to<RecordLimits>;
    };
// clang-format on

}  // namespace coactor

#endif  // COACTOR_RUNTIME_SCHEDULER_H_
