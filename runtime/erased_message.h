// ErasedMessage owns one message of any type, for records such as dead
// letters: the message is kept, not lost, and can be taken back by type.
//
//   if (int* n = letter.message.get_if<int>()) Resend(*n);
//   if (int* n = coactor::get_if<int>(&letter.message)) Resend(*n);
//
// The free get_if (as std::get_if for a variant) needs no `template`
// keyword where the message's type depends on a template parameter
// (`sched.dead_letters()[0].message` in code templated on the scheduler).
//
// Thread-safety: a move-only value; one owner at a time.
#ifndef COACTOR_RUNTIME_ERASED_MESSAGE_H_
#define COACTOR_RUNTIME_ERASED_MESSAGE_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include "actors/internal/message_type.h"

namespace coactor {

class ErasedMessage {
 public:
  ErasedMessage() = default;
  ErasedMessage(ErasedMessage&& other) noexcept
      : type_(std::exchange(other.type_, nullptr)),
        payload_(std::move(other.payload_)) {}
  ErasedMessage& operator=(ErasedMessage&& other) noexcept {
    if (this != &other) {
      Reset();
      type_ = std::exchange(other.type_, nullptr);
      payload_ = std::move(other.payload_);
    }
    return *this;
  }
  ~ErasedMessage() { Reset(); }

  template <typename T>
  static ErasedMessage Of(T&& value) {
    using Value = std::decay_t<T>;  // A string literal: a const char*.
    ErasedMessage message;
    message.payload_ = std::make_unique<internal::Payload>();
    internal::ConstructPayload<Value>(message.payload_.get(),
                                      std::forward<T>(value));
    message.type_ = internal::MessageTypeOf<Value>();
    return message;
  }

  // Takes over the message in `payload` (which is left without one).
  static ErasedMessage Adopt(const internal::MessageType* type,
                             internal::Payload* payload) {
    ErasedMessage message;
    message.payload_ = std::make_unique<internal::Payload>();
    type->relocate(message.payload_.get(), payload);
    message.type_ = type;
    return message;
  }

  bool has_value() const { return type_ != nullptr; }
  std::string_view type_name() const {
    return type_ == nullptr ? std::string_view("(none)") : type_->name;
  }

  // The message if it is a T, else nullptr. The const overload is for
  // looking at dead letters in place (DequeScheduler::dead_letters()).
  template <typename T>
  T* get_if() {
    if (type_ != internal::MessageTypeOf<T>()) return nullptr;
    return internal::PayloadObject<T>(payload_.get());
  }
  template <typename T>
  const T* get_if() const {
    return const_cast<ErasedMessage*>(this)->get_if<T>();
  }

 private:
  void Reset() {
    if (type_ != nullptr) type_->destroy(payload_.get());
    type_ = nullptr;
    payload_.reset();
  }

  const internal::MessageType* type_ = nullptr;
  std::unique_ptr<internal::Payload> payload_;
};

// message->get_if<T>(), spelled as std::get_if; nullptr for a null message.
template <typename T>
T* get_if(ErasedMessage* message) {
  return message == nullptr ? nullptr : message->get_if<T>();
}
template <typename T>
const T* get_if(const ErasedMessage* message) {
  return message == nullptr ? nullptr : message->get_if<T>();
}

}  // namespace coactor

#endif  // COACTOR_RUNTIME_ERASED_MESSAGE_H_
