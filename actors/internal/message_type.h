// Type erasure for messages: how a message of any type sits in a queue entry
// and how the runtime moves, destroys and converts it without knowing the type.
//
// A message lives in a `Payload`: small, nothrow-movable types are stored
// inline (no heap allocation per message); larger ones are boxed on the heap
// and the payload holds the pointer. Either way a message is only ever moved,
// never copied. `MessageType` is one static table per message type, compared
// by address to check types at run time (sends by name).
//
// Thread-safe: the tables are immutable; a Payload belongs to one owner.
#ifndef COACTOR_ACTORS_INTERNAL_MESSAGE_TYPE_H_
#define COACTOR_ACTORS_INTERNAL_MESSAGE_TYPE_H_

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "actors/internal/type_name.h"

namespace coactor::internal {

inline constexpr size_t kInlinePayloadBytes = 32;
inline constexpr size_t kInlinePayloadAlign = 8;

// Raw storage for one message.
struct Payload {
  alignas(kInlinePayloadAlign) std::byte bytes[kInlinePayloadBytes];
};

// (clang-format 14 and 16 lay out concepts and requires-clauses
// differently; kept as written so both accept the file.)
// clang-format off
template <typename T>
inline constexpr bool kStoredInline =
    sizeof(T) <= kInlinePayloadBytes && alignof(T) <= kInlinePayloadAlign &&
    std::is_nothrow_move_constructible_v<T>;
// clang-format on

// The message object inside `payload` (inline or boxed).
template <typename T>
T* PayloadObject(Payload* payload) {
  if constexpr (kStoredInline<T>) {
    return std::launder(reinterpret_cast<T*>(payload->bytes));
  } else {
    return *std::launder(reinterpret_cast<T**>(payload->bytes));
  }
}

template <typename T, typename... Args>
void ConstructPayload(Payload* payload, Args&&... args) {
  if constexpr (kStoredInline<T>) {
    ::new (static_cast<void*>(payload->bytes)) T(std::forward<Args>(args)...);
  } else {
    ::new (static_cast<void*>(payload->bytes))
        T*(new T(std::forward<Args>(args)...));
  }
}

// Puts `box`, a heap-allocated T of a type not stored inline, in `payload`
// as ConstructPayload() would have boxed it, without moving the message;
// the payload owns it from then on.
template <typename T>
void ConstructPayloadFromBox(Payload* payload, T* box) {
  static_assert(!kStoredInline<T>, "inline types are not boxed");
  ::new (static_cast<void*>(payload->bytes)) T*(box);
}

template <typename T>
void DestroyPayload(Payload* payload) {
  if constexpr (kStoredInline<T>) {
    PayloadObject<T>(payload)->~T();
  } else {
    delete PayloadObject<T>(payload);
  }
}

// Moves the message out of `payload` and ends the payload's lifetime.
template <typename T>
T TakePayload(Payload* payload) {
  if constexpr (kStoredInline<T>) {
    T* object = PayloadObject<T>(payload);
    T result(std::move(*object));
    object->~T();
    return result;
  } else {
    std::unique_ptr<T> box(PayloadObject<T>(payload));
    return T(std::move(*box));
  }
}

struct MessageType;

// A type that a variant message accepts: sending an `Alternative::type`
// value by name constructs the variant from it.
struct Alternative {
  const MessageType* type;
  // Constructs the variant in `destination` from `*source` (moved from).
  void (*construct_from)(Payload* destination, void* source);
};

struct MessageType {
  std::string_view name;
  // True when a payload may be moved with memcpy (trivially copyable inline
  // types and every boxed type, whose payload is a pointer).
  bool trivially_relocatable;
  void (*destroy)(Payload* payload);
  // Move-constructs `*destination` from `*source` and ends `*source`.
  void (*relocate)(Payload* destination, Payload* source);
  // Constructs a payload in `destination` from `*object` (a T, moved from).
  void (*construct_from_object)(Payload* destination, void* object);
  std::span<const Alternative> alternatives;
};

template <typename T>
void RelocatePayload(Payload* destination, Payload* source) {
  if constexpr (kStoredInline<T>) {
    T* object = PayloadObject<T>(source);
    ::new (static_cast<void*>(destination->bytes)) T(std::move(*object));
    object->~T();
  } else {
    std::memcpy(destination, source, sizeof(Payload));
  }
}

template <typename T>
void ConstructFromObject(Payload* destination, void* object) {
  ConstructPayload<T>(destination, std::move(*static_cast<T*>(object)));
}

template <typename Variant, typename Member>
void ConstructAlternative(Payload* destination, void* source) {
  ConstructPayload<Variant>(destination,
                            std::move(*static_cast<Member*>(source)));
}

template <typename T>
struct AlternativesOf {
  static constexpr std::span<const Alternative> kList{};
};

// One table per message type; its address identifies the type.
template <typename T>
inline constexpr MessageType kMessageType = {
    TypeName<T>(),
    !kStoredInline<T> || std::is_trivially_copyable_v<T>,
    &DestroyPayload<T>,
    &RelocatePayload<T>,
    &ConstructFromObject<T>,
    AlternativesOf<T>::kList,
};

// Declared after kMessageType, which it refers to for each member type.
template <typename... Members>
struct AlternativesOf<std::variant<Members...>> {
  static constexpr Alternative kArray[] = {
      {&kMessageType<Members>,
       &ConstructAlternative<std::variant<Members...>, Members>}...};
  static constexpr std::span<const Alternative> kList{kArray};
};

template <typename T>
const MessageType* MessageTypeOf() {
  return &kMessageType<std::remove_cvref_t<T>>;
}

// Finds how `type` converts `sent` (an alternative of a variant); nullptr if
// it does not accept it.
inline const Alternative* FindAlternative(const MessageType& type,
                                          const MessageType* sent) {
  for (const Alternative& alternative : type.alternatives) {
    if (alternative.type == sent) return &alternative;
  }
  return nullptr;
}

}  // namespace coactor::internal

#endif  // COACTOR_ACTORS_INTERNAL_MESSAGE_TYPE_H_
