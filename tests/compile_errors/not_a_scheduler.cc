// Scheduler-generic actor code constrained by coactor::Scheduler, given a
// type that is not a scheduler (here, one with a Send() but nothing else):
// the error is at the call, and its notes name the concept and the first
// requirement missed, with no template backtrace from inside the actor's
// body. (With `template <typename Sched>` instead, this compiles: the
// body uses only Send().)
// COMPILER: clang++-16
// FLAGS: -std=c++20
// EXPECT: no matching function for call to 'Counter'
// EXPECT-NOTE: because '.*Mailman' does not satisfy 'Scheduler'
// REJECT: in instantiation of
#include <string_view>

#include "absl/status/status.h"
#include "actors/actor.h"
#include "actors/receive.h"
#include "runtime/scheduler.h"

namespace {

template <coactor::Scheduler Sched>
coactor::Actor<int> Counter(Sched& sched) {
  for (;;) {
    int n = co_await coactor::Receive<int>();
    sched.Send("printer", n).IgnoreError();
  }
}

// Sends, but cannot spawn, run or time anything.
struct Mailman {
  absl::Status Send(std::string_view, int) { return absl::OkStatus(); }
};

}  // namespace

int main() {
  Mailman mailman;
  coactor::Actor<int> counter = Counter(mailman);
  return counter.valid() ? 0 : 1;
}
