// Calling an awaitable without co_await does nothing: a statement that
// discards one is a mistake, and every awaitable coactor offers says so
// (each line below is one warning, made an error here).
// COMPILER: clang++-16
// FLAGS: -std=c++20 -ferror-limit=0 -Werror=unused-result -Werror=unused-value
// EXPECT: ignoring (return value of function|temporary created by a constructor) declared with 'nodiscard' attribute
// EXPECT-COUNT: 12
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/ask.h"
#include "actors/bounded_queue.h"
#include "actors/join_handle.h"
#include "actors/receive.h"
#include "actors/sleep.h"
#include "actors/task.h"
#include "runtime/deque_scheduler.h"

namespace {

coactor::Task<int> Compute(int n) { co_return n; }

coactor::Actor<int> Forgetful(coactor::DequeScheduler& sched,
                              coactor::ActorRef<int> other,
                              coactor::BoundedQueue<int>& queue) {
  coactor::Receive<int>();
  coactor::Receive();
  coactor::Self();
  coactor::Sleep(absl::Milliseconds(1));
  coactor::Yield();
  Compute(1);
  coactor::Gather(Compute(1), Compute(2));
  coactor::CreateTask(Compute(1));
  coactor::Ask<int>(
      sched, other, [](coactor::ReplyTo<int>) { return 1; }, absl::Seconds(1));
  queue.Put(1);
  queue.Get();
  sched.CreateTask(Compute(1));
  co_return;
}

}  // namespace

int main() {
  coactor::DequeScheduler sched;
  coactor::BoundedQueue<int> queue(1);
  coactor::Actor<int> actor = Forgetful(sched, {}, queue);
}
