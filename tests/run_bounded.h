// RunBounded(): a scheduler's Run() that cannot hang a test. Tests of
// bounded mailboxes expect Run() to return (with OK, or with the deadlock
// it reports); one that would wait for ever is stopped and reported as
// DeadlineExceeded("Run() hung") instead.
//
//   const absl::Status ran = coactor::testing::RunBounded(sched);
//   ASSERT_TRUE(ran.ok()) << ran;
#ifndef COACTOR_TESTS_RUN_BOUNDED_H_
#define COACTOR_TESTS_RUN_BOUNDED_H_

#include <chrono>
#include <future>
#include <thread>

#include "absl/status/status.h"

namespace coactor::testing {

// Runs sched.Run() on a thread of its own; its status, or, after
// `seconds`, Stop() and DeadlineExceeded.
template <typename Sched>
absl::Status RunBounded(Sched& sched, int seconds = 60) {
  std::promise<absl::Status> ran;
  std::future<absl::Status> result = ran.get_future();
  std::thread runner([&] { ran.set_value(sched.Run()); });
  if (result.wait_for(std::chrono::seconds(seconds)) !=
      std::future_status::ready) {
    sched.Stop();
    runner.join();
    return absl::DeadlineExceededError("Run() hung");
  }
  runner.join();
  return result.get();
}

}  // namespace coactor::testing

#endif  // COACTOR_TESTS_RUN_BOUNDED_H_
