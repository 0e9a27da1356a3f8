// SpawnOptions are what an actor may be given at spawn besides its name:
// today the capacity of its mailbox and what a send does when it is full.
// Without them (or with the defaults) a mailbox is unbounded, as always.
//
//   auto writer = sched.Spawn("writer", Writer(),
//                             {.mailbox_capacity = 1024,
//                              .when_full = coactor::WhenFull::kBackpressure});
//
// The capacity counts the actor's queued user messages (sent, not yet
// received; on DequeScheduler also those that wait while it is blocked).
// Never limited, so they may exceed it: Down notices, errors sent with
// SendError(), ask replies, starts and wake-ups. What a send to a full
// mailbox does (each dropped or refused message is kept as a dead letter
// with its own reason, so nothing is lost silently):
//   - kReject: Send() returns ResourceExhausted naming the actor and its
//     capacity; the message is the dead letter.
//   - kDropOldest: the oldest queued message becomes the dead letter
//     (reason ResourceExhausted, "dropped the oldest"), the new one is queued.
//   - kDropNewest: the new message becomes the dead letter (reason
//     ResourceExhausted, "dropped the newest"); Send() returns OK.
//   - kBackpressure: inside an actor, `co_await coactor::SendWhenRoom(to,
//     message)` (`to` a reference or a name; actors/send_when_room.h)
//     suspends the sending actor until there is room, waiting senders in
//     FIFO order; a plain thread calls `sched.SendBlocking(to, message,
//     timeout)` (WorkStealingScheduler); a plain Send() is refused as by
//     kReject.
// A capacity of zero or less is refused at spawn with InvalidArgument.
//
// Thread-safety: a plain value.
#ifndef COACTOR_RUNTIME_SPAWN_OPTIONS_H_
#define COACTOR_RUNTIME_SPAWN_OPTIONS_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace coactor {

// What a send to a full mailbox does (see above).
enum class WhenFull : uint8_t {
  kReject,
  kDropOldest,
  kDropNewest,
  kBackpressure
};

struct SpawnOptions {
  // Unbounded when empty (the default).
  std::optional<int64_t> mailbox_capacity;
  WhenFull when_full = WhenFull::kReject;
};

namespace internal {

// InvalidArgument for a capacity of zero or less, naming the actor.
inline absl::Status CheckSpawnOptions(const SpawnOptions& options,
                                      const std::string& who) {
  if (options.mailbox_capacity.has_value() && *options.mailbox_capacity <= 0) {
    return absl::InvalidArgumentError(
        "mailbox_capacity must be at least 1 (got " +
        std::to_string(*options.mailbox_capacity) + ") for " + who);
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace coactor

#endif  // COACTOR_RUNTIME_SPAWN_OPTIONS_H_
