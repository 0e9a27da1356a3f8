// SendWhenRoom(to, message) sends `message` to the actor `to` from inside an
// actor (or a task it runs) and, if `to` has a full mailbox spawned with
// WhenFull::kBackpressure (runtime/spawn_options.h), suspends the sending
// actor (not its thread: the scheduler runs other actors meanwhile) until
// there is room. Waiting senders get room in the order they began to wait.
//
//   absl::Status sent = co_await coactor::SendWhenRoom(writer, Line{text});
//
// The status is what Send() would return, after any wait: OK once queued;
// FailedPrecondition if `to` has finished, or finishes while the sender
// waits (the message is then a dead letter, as for every refusal); for a
// mailbox of another policy, that policy's answer (ResourceExhausted for
// kReject, OK for the drops). A cycle of actors waiting on each other's
// full mailboxes makes Run() return an error naming them.
//
// Thread-safety: awaited inside a coroutine on a scheduler.
#ifndef COACTOR_ACTORS_SEND_WHEN_ROOM_H_
#define COACTOR_ACTORS_SEND_WHEN_ROOM_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <coroutine>
#include <utility>

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
  SendWhenRoom(const ActorRef<Msg>& to, M&& message) : to_(to) {
    static_assert(std::is_constructible_v<Msg, M&&>,
                  "SendWhenRoom: the message must convert to the actor's "
                  "message type");
    internal::ConstructPayload<Msg>(&waiter_.message, std::forward<M>(message));
    waiter_.type = internal::MessageTypeOf<Msg>();
    waiter_.holds_message = true;
  }
  SendWhenRoom(const SendWhenRoom&) = delete;
  SendWhenRoom& operator=(const SendWhenRoom&) = delete;
  ~SendWhenRoom() {
    // The frame is destroyed while it waits (its scheduler goes away).
    if (waiting_) {
      context_.runtime->WithdrawWaiter(internal::ActorRefAccess::Cell(to_),
                                       &waiter_);
    }
    if (waiter_.holds_message) waiter_.type->destroy(&waiter_.message);
  }

  // Room (the common case): queued at once, without suspending.
  bool await_ready() {
    return context_.runtime->SendIfRoom(
        internal::ActorRefAccess::Cell(to_),
        internal::ActorRefAccess::Generation(to_), &waiter_);
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
    if (context_.runtime->SendOrWait(internal::ActorRefAccess::Cell(to_),
                                     internal::ActorRefAccess::Generation(to_),
                                     &waiter_)) {
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

  ActorRef<Msg> to_;
  internal::SendWaiter waiter_;
  std::coroutine_handle<> handle_;
  bool waiting_ = false;
};

template <typename Msg, typename M>
SendWhenRoom(const ActorRef<Msg>&, M&&) -> SendWhenRoom<Msg>;

}  // namespace coactor

#endif  // COACTOR_ACTORS_SEND_WHEN_ROOM_H_
