// The scheduler kinds every scheduler-generic suite runs on, written once:
// the deque scheduler, and work stealing at 1, 2, 4 and 8 workers (more
// workers than cores on purpose).
//
//   class MyTest : public ::testing::TestWithParam<testing::SchedulerKind> {
//    protected:
//     template <typename Program>
//     void OnScheduler(Program program) {
//       testing::RunOnScheduler(GetParam(), program, clock_);
//     }
//     ManualClock clock_{absl::UnixEpoch()};
//   };
//   INSTANTIATE_TEST_SUITE_P(AllSchedulers, MyTest,
//                            ::testing::ValuesIn(testing::SchedulerKinds()),
//                            testing::SchedulerKindName);
#ifndef COACTOR_TESTS_SCHEDULER_KINDS_H_
#define COACTOR_TESTS_SCHEDULER_KINDS_H_

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor::testing {

struct SchedulerKind {
  std::string name;
  int threads;  // 0: the deque scheduler.
};

inline void PrintTo(const SchedulerKind& kind, std::ostream* out) {
  *out << kind.name;
}

// The deque scheduler, then work stealing at 1, 2, 4 and 8 workers, those
// up to `max_threads`.
inline std::vector<SchedulerKind> SchedulerKinds(int max_threads = 8) {
  std::vector<SchedulerKind> kinds = {{"Deque", 0}};
  for (int threads = 1; threads <= max_threads; threads *= 2) {
    kinds.push_back({"Stealing" + std::to_string(threads), threads});
  }
  return kinds;
}

// Names the instances of a parameterised test by kind ("Deque", ...).
inline std::string SchedulerKindName(
    const ::testing::TestParamInfo<SchedulerKind>& info) {
  return info.param.name;
}

// Calls `program(sched)` on a fresh scheduler of `kind`, constructed with
// `clock` (none: the real clock).
template <typename Program, typename... Clock>
void RunOnScheduler(const SchedulerKind& kind, Program&& program,
                    Clock&... clock) {
  if (kind.threads == 0) {
    DequeScheduler sched(clock...);
    program(sched);
  } else {
    WorkStealingScheduler sched(kind.threads, clock...);
    ASSERT_EQ(sched.threads(), kind.threads);
    program(sched);
  }
}

}  // namespace coactor::testing

#endif  // COACTOR_TESTS_SCHEDULER_KINDS_H_
