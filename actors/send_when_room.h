// SendWhenRoom(to, message) sends `message` to the actor `to` from inside an
// actor (or a task it runs) and, if `to` has a full mailbox spawned with
// WhenFull::kBackpressure (runtime/spawn_options.h), suspends the sending
// actor (not its thread: the scheduler runs other actors meanwhile) until
// there is room. Waiting senders get room in the order they began to wait.
//
//   absl::Status sent = co_await coactor::SendWhenRoom(writer, Line{text});
//   sent = co_await coactor::SendWhenRoom("writer", Line{text});  // By name.
//
// The status is what Send() would return, after any wait: OK once queued;
// FailedPrecondition if `to` has finished, or finishes while the sender
// waits (the message is then a dead letter, as for every refusal). By
// name, as Send(name, message): NotFound for a name no actor bears,
// FailedPrecondition for a finished one, InvalidArgument for an actor that
// receives another type (the message, of its own type, may be an
// alternative of the actor's variant); the message is a dead letter. For a
// mailbox of another policy, that policy's answer (ResourceExhausted for
// kReject, OK for the drops). A cycle of actors waiting on each other's
// full mailboxes makes Run() return an error naming them.
//
// Thread-safety: awaited inside a coroutine on a scheduler.
#ifndef COACTOR_ACTORS_SEND_WHEN_ROOM_H_
#define COACTOR_ACTORS_SEND_WHEN_ROOM_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <coroutine>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "actors/actor_ref.h"
#include "actors/internal/actor_blocking.h"
#include "actors/internal/actor_cell.h"
#include "actors/internal/message_type.h"
#include "actors/internal/runtime.h"
#include "actors/internal/send_waiter.h"

namespace coactor {

template <typename Msg>
class [[nodiscard]] SendWhenRoom : public internal::ContextBound {
 public:
  template <typename M>
  SendWhenRoom(const ActorRef<Msg>& to, M&& message)
      : to_(internal::ActorRefAccess::Cell(to)),
        generation_(internal::ActorRefAccess::Generation(to)) {
    static_assert(std::is_constructible_v<Msg, M&&>,
                  "SendWhenRoom: the message must convert to the actor's "
                  "message type");
    Hold(std::forward<M>(message));
  }
  // By name: `name` must outlive the co_await (a temporary string in the
  // same expression does).
  template <typename M>
  SendWhenRoom(std::string_view name, M&& message)
      : name_(name), by_name_(true) {
    Hold(std::forward<M>(message));
  }
  SendWhenRoom(const SendWhenRoom&) = delete;
  SendWhenRoom& operator=(const SendWhenRoom&) = delete;
  ~SendWhenRoom() {
    // The frame is destroyed while it waits (its scheduler goes away).
    if (waiting_) context_.runtime->WithdrawWaiter(to_, &waiter_);
    if (waiter_.holds_message) waiter_.type->destroy(&waiter_.message);
  }

  // Room (the common case): queued at once, without suspending.
  bool await_ready() {
    if (by_name_ && !FindByName()) return true;
    return context_.runtime->SendIfRoom(to_, generation_, &waiter_);
  }
  bool await_suspend(std::coroutine_handle<> handle) {
    internal::ActorCell& cell = *context_.cell;
    handle_ = handle;
    waiter_.sender = &cell;
    waiter_.wake = &WakeSender;
    waiter_.wake_argument = this;
    const internal::ActorState handling = cell.State();
    internal::BlockActor(cell);  // Before another thread can wake it.
    waiting_ = true;
    if (context_.runtime->SendOrWait(to_, generation_, &waiter_)) {
      return true;
    }
    waiting_ = false;
    internal::UnblockActor(cell, handling);
    return false;
  }
  absl::Status await_resume() {
    waiting_ = false;
    return std::move(waiter_.result);
  }

 private:
  static void WakeSender(internal::SendWaiter* waiter) {
    auto* self = static_cast<SendWhenRoom*>(waiter->wake_argument);
    internal::WakeActor(self->context_, self->handle_);
  }

  template <typename M>
  void Hold(M&& message) {
    internal::ConstructPayload<Msg>(&waiter_.message, std::forward<M>(message));
    waiter_.type = internal::MessageTypeOf<Msg>();
    waiter_.holds_message = true;
  }

  // Sets to_ and generation_ to the actor called name_, converting the
  // message to its type if it is an alternative of its variant; false:
  // none (waiter_.result says why, the message is a dead letter).
  // (Out of line: inlined, it made await_ready() need a stack protector.)
  ABSL_ATTRIBUTE_NOINLINE bool FindByName() {
    internal::SendTarget target;
    if (!context_.runtime->FindForSend(name_, &waiter_, &target)) return false;
    to_ = target.cell;
    generation_ = target.generation;
    if (target.type != waiter_.type) {
      const internal::Alternative* alternative =
          internal::FindAlternative(*target.type, waiter_.type);
      internal::Payload converted;
      alternative->construct_from(
          &converted, internal::PayloadObject<Msg>(&waiter_.message));
      waiter_.type->destroy(&waiter_.message);
      target.type->relocate(&waiter_.message, &converted);
      waiter_.type = target.type;
    }
    return true;
  }

  // The receiver (null until found, by name).
  internal::ActorCell* to_ = nullptr;
  uint32_t generation_ = 0;
  std::string_view name_;
  bool by_name_ = false;
  internal::SendWaiter waiter_;
  std::coroutine_handle<> handle_;
  bool waiting_ = false;
};

template <typename Msg, typename M>
SendWhenRoom(const ActorRef<Msg>&, M&&) -> SendWhenRoom<Msg>;
// By name, the message's own type: the actor must receive it, or a variant
// of which it is an alternative (as Send(name, message)).
template <typename M>
SendWhenRoom(std::string_view, M&&) -> SendWhenRoom<std::decay_t<M>>;

}  // namespace coactor

#endif  // COACTOR_ACTORS_SEND_WHEN_ROOM_H_
