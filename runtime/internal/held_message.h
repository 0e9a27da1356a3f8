// HeldMessage<Msg> keeps a message for a send made later by the scheduler
// (a SendAfter timer's), so that if that send throws (the message's move
// constructor does: a type with a user-declared copy constructor moves by
// copying, and a copy can throw std::bad_alloc) the message can still be
// kept as a dead letter without being moved again. A type stored inline in
// queue entries moves without throwing and is held by value; any other is
// boxed on the heap, as queue entries box it, and the dead letter takes
// over the box.
//
//   HeldMessage<Msg> held(std::move(message));
//   try { sched.Send(to, std::move(held.get())); }
//   catch (...) { Keep(std::move(held).ToErased()); }
//
// Thread-safety: a value; one owner at a time.
#ifndef COACTOR_RUNTIME_INTERNAL_HELD_MESSAGE_H_
#define COACTOR_RUNTIME_INTERNAL_HELD_MESSAGE_H_

#include <memory>
#include <type_traits>
#include <utility>

#include "actors/internal/message_type.h"
#include "runtime/erased_message.h"

namespace coactor::internal {

template <typename Msg>
class HeldMessage {
 public:
  template <typename M>
  explicit HeldMessage(M&& message) : held_(Hold(std::forward<M>(message))) {}

  Msg& get() {
    if constexpr (kStoredInline<Msg>) {
      return held_;
    } else {
      return *held_;
    }
  }

  // The message (what is left of it after a send that threw), for a dead
  // letter.
  ErasedMessage ToErased() && {
    if constexpr (kStoredInline<Msg>) {
      return ErasedMessage::Of(std::move(held_));  // Does not throw.
    } else {
      Payload payload;
      ConstructPayloadFromBox(&payload, held_.get());
      ErasedMessage erased =
          ErasedMessage::Adopt(MessageTypeOf<Msg>(), &payload);
      held_.release();  // Owned by `erased` now.
      return erased;
    }
  }

 private:
  using Held =
      std::conditional_t<kStoredInline<Msg>, Msg, std::unique_ptr<Msg>>;

  template <typename M>
  static Held Hold(M&& message) {
    if constexpr (kStoredInline<Msg>) {
      return Msg(std::forward<M>(message));
    } else {
      return std::make_unique<Msg>(std::forward<M>(message));
    }
  }

  Held held_;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_HELD_MESSAGE_H_
