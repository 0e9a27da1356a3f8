// A stale reference never reaches a later actor, however often its cell is
// reused. A reference is (cell, generation); the generation changes when
// the actor finishes, and free cells are reused last in, first out, so a
// program that spawns one short-lived actor at a time reuses one cell for
// ever. A 32-bit generation that wrapped after 2^32 actors (about 12 hours
// at 100k spawns a second) brought an old ActorRef<int> back to life: it
// passed IsAlive() and Send(), and its int went into the Actor<std::string>
// then in the cell.
//
// The test stands in for the first 2^32 - 3 reuses by setting the free
// cell's generation (the same field every reuse advances), then reuses it
// across the wrap for real.
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/internal/actor_cell.h"
#include "actors/receive.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/work_stealing_scheduler.h"
#include "tests/scheduler_kinds.h"

namespace coactor {
namespace {

using testing::SchedulerKind;

class StaleReferenceTest : public ::testing::TestWithParam<SchedulerKind> {
 protected:
  template <typename Program>
  void OnScheduler(Program program) {
    testing::RunOnScheduler(GetParam(), program);
  }
};

// Ends as soon as it starts.
template <typename Msg>
Actor<Msg> Brief() {
  co_return;
}

Actor<std::string> Collector(std::vector<std::string>& got) {
  for (;;) got.push_back(co_await Receive<std::string>());
}

internal::ActorCell* CellOf(const ActorRef<int>& ref) {
  return internal::ActorRefAccess::Cell(ref);
}

TEST_P(StaleReferenceTest, AReferenceStaysStaleWhenItsCellIsReusedPastTheWrap) {
  OnScheduler([](auto& sched) {
    const ActorRef<int> old = sched.Spawn(Brief<int>());
    ASSERT_TRUE(sched.Run().ok());
    ASSERT_FALSE(sched.IsAlive(old));
    // As if 2^32 - 3 more actors had come and gone in this (free) cell.
    // Between runs: no worker looks at the cell now.
    CellOf(old)->generation.store(std::numeric_limits<uint32_t>::max() - 2);

    // One short-lived actor at a time, as the program that found the bug.
    std::vector<ActorRef<std::string>> finished;
    for (int i = 0; i < 4; ++i) {
      finished.push_back(sched.Spawn(Brief<std::string>()));
      ASSERT_TRUE(sched.Run().ok());
      ASSERT_FALSE(sched.IsAlive(old)) << "after " << i + 1 << " reuses";
    }
    std::vector<std::string> got;
    const ActorRef<std::string> live = sched.Spawn(Collector(got));
    ASSERT_TRUE(sched.IsAlive(live));
    ASSERT_FALSE(sched.IsAlive(old));  // Else the int below goes to `live`.

    const absl::Status sent = sched.Send(old, 42);
    EXPECT_EQ(sent.code(), absl::StatusCode::kFailedPrecondition) << sent;
    for (const ActorRef<std::string>& ref : finished) {
      EXPECT_FALSE(sched.IsAlive(ref));
      EXPECT_EQ(sched.Send(ref, std::string("late")).code(),
                absl::StatusCode::kFailedPrecondition);
    }
    ASSERT_TRUE(sched.Send(live, std::string("for the live one")).ok());
    ASSERT_TRUE(sched.Run().ok());
    EXPECT_EQ(got, std::vector<std::string>{"for the live one"});
    // Every refused message is kept.
    ASSERT_EQ(sched.dead_letters().size(), 1u + finished.size());
    EXPECT_EQ(*sched.dead_letters()[0].message.template get_if<int>(), 42);
  });
}

INSTANTIATE_TEST_SUITE_P(Schedulers, StaleReferenceTest,
                         ::testing::ValuesIn(testing::SchedulerKinds()),
                         testing::SchedulerKindName);

}  // namespace
}  // namespace coactor
