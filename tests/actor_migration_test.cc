// An actor that resumes on another worker after a co_await sends through
// that worker's outbox, not the one it started on. (Built at -O2 whatever
// the configuration: clang 16 keeps a thread-local's address in the
// coroutine frame across co_await at -O2, llvm-project #47179/#63022, and
// the scheduler's send path read its per-worker state through one.)
//
// The program: askers make many asks, each with its own timeout, on a
// ManualClock, of an actor that answers every other one. Asks move the
// askers between workers all the time. Every request must arrive exactly
// once and in order, every even one answered and every odd one timed out
// (the clock jumps only once every worker is idle, so a queued request is
// always answered before its deadline).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/ask.h"
#include "actors/clock.h"
#include "actors/receive.h"
#include "gtest/gtest.h"
#include "runtime/scheduler.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kAskers = 20;
constexpr int kAsks = 200;
#else
constexpr int kAskers = 100;
constexpr int kAsks = 400;
#endif

struct Question {
  int asker;
  int number;
  ReplyTo<int> reply;
};

struct Tally {
  std::vector<int> last_seen = std::vector<int>(kAskers, -1);
  int out_of_order = 0;  // Repeated, skipped or going back.
  int64_t answered = 0;
  int64_t timed_out = 0;
};

// Answers the even questions; keeps the odd ones' ReplyTos unanswered
// (until it finishes) so that those asks time out.
Actor<Question> HalfAnswerer(Tally& tally) {
  std::vector<ReplyTo<int>> kept;
  for (;;) {
    Question question = co_await Receive<Question>();
    int& last = tally.last_seen[question.asker];
    if (question.number != last + 1) ++tally.out_of_order;
    last = question.number;
    if (question.number % 2 == 0) {
      question.reply.Send(question.number);
    } else {
      kept.push_back(std::move(question.reply));
    }
  }
}

template <coactor::Scheduler Sched>
Actor<int> Asker(Sched& sched, ActorRef<Question> answerer, int id,
                 int64_t& answered, int64_t& timed_out) {
  co_await Receive<int>();
  uint64_t random = 0x9E3779B97F4A7C15ull * (id + 1);
  for (int i = 0; i < kAsks; ++i) {
    random ^= random << 13;
    random ^= random >> 7;
    random ^= random << 17;
    const absl::Duration timeout = absl::Milliseconds(1 + random % 1000);
    absl::StatusOr<int> answer = co_await Ask<int>(
        sched, answerer,
        [id, i](ReplyTo<int> reply) {
          return Question{id, i, std::move(reply)};
        },
        timeout);
    if (answer.ok()) ++answered;
    if (absl::IsDeadlineExceeded(answer.status())) ++timed_out;
  }
}

class ActorMigrationTest : public ::testing::TestWithParam<int> {};

TEST_P(ActorMigrationTest, RequestsFromMovingAskersArriveOnceInOrder) {
  ManualClock clock;
  WorkStealingScheduler sched(GetParam(), clock);
  Tally tally;
  std::vector<int64_t> answered(kAskers * 8, 0);  // Padded per asker.
  std::vector<int64_t> timed_out(kAskers * 8, 0);
  ActorRef<Question> answerer = sched.Spawn(HalfAnswerer(tally));
  for (int a = 0; a < kAskers; ++a) {
    ActorRef<int> asker = sched.Spawn(
        Asker(sched, answerer, a, answered[a * 8], timed_out[a * 8]));
    ASSERT_TRUE(sched.Send(asker, 0).ok());
  }
  ASSERT_TRUE(sched.Run().ok());
  int64_t total_answered = 0, total_timed_out = 0;
  for (int a = 0; a < kAskers; ++a) {
    total_answered += answered[a * 8];
    total_timed_out += timed_out[a * 8];
    EXPECT_EQ(tally.last_seen[a], kAsks - 1) << "asker " << a;
  }
  EXPECT_EQ(tally.out_of_order, 0);
  EXPECT_EQ(total_answered, int64_t{kAskers} * kAsks / 2);
  EXPECT_EQ(total_timed_out, int64_t{kAskers} * kAsks / 2);
}

INSTANTIATE_TEST_SUITE_P(Workers, ActorMigrationTest, ::testing::Values(2, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "Stealing" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace coactor
