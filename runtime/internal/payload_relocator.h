// PayloadRelocator moves message payloads of one known type inside ring
// buffers (mailboxes, stashes): byte-wise when the type allows it, through
// the type's move constructor otherwise.
//
// Thread-safety: stateless apart from the type pointer.
#ifndef COACTOR_RUNTIME_INTERNAL_PAYLOAD_RELOCATOR_H_
#define COACTOR_RUNTIME_INTERNAL_PAYLOAD_RELOCATOR_H_

#include <cstring>

#include "actors/internal/message_type.h"

namespace coactor::internal {

struct PayloadRelocator {
  const MessageType* type = nullptr;
  void operator()(Payload* destination, Payload* source) const {
    if (type->trivially_relocatable) {
      std::memcpy(destination, source, sizeof(Payload));
    } else {
      type->relocate(destination, source);
    }
  }
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_PAYLOAD_RELOCATOR_H_
