// A scheduler call whose status is ignored hides a lost message or a
// refused spawn: each call below is a warning (an error here), on both
// schedulers. coactor marks these functions [[nodiscard]] itself, so this
// does not depend on the Abseil in use marking absl::Status (Debian's
// 20220623 does; see also ignored_scheduler_results_gcc.cc).
// COMPILER: clang++-16
// FLAGS: -std=c++20 -ferror-limit=0 -Werror=unused-result
// EXPECT: ignoring return value of function declared with '(nodiscard|warn_unused_result)' attribute
// EXPECT-COUNT: 20
#include <exception>

#include "actors/actor.h"
#include "actors/down.h"
#include "actors/receive.h"
#include "actors/task.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"

namespace {

coactor::Actor<int> Sink() {
  for (;;) int n = co_await coactor::Receive<int>();
}
coactor::Task<int> Compute() { co_return 1; }
coactor::Task<void> Nothing() { co_return; }

template <coactor::Scheduler Sched>
void Careless(Sched& sched, coactor::ActorRef<int> ref,
              coactor::ActorRef<coactor::Down> watcher) {
  sched.Spawn("sink", Sink());
  sched.Send("sink", 1);
  sched.Send(ref, 1);
  sched.SendError(ref, std::make_exception_ptr(1));
  sched.template Find<int>("sink");
  coactor::Find<int>(sched, "sink");
  sched.Monitor(ref, watcher);
  sched.Run();
  sched.RunUntilComplete(Compute());
  sched.RunUntilComplete(Nothing());
}

}  // namespace

int main() {
  coactor::DequeScheduler deque;
  Careless(deque, {}, {});
  coactor::WorkStealingScheduler work_stealing(1);
  Careless(work_stealing, {}, {});
}
