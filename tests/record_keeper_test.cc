// RecordKeeper through its public interface: dead letters and failures are
// kept up to their limits (the oldest handed back as dropped), counted
// whether kept or not, and the records of an actor's end and of user code
// that threw outside any actor read as the schedulers' records do.
#include "runtime/internal/record_keeper.h"

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "actors/internal/actor_cell.h"
#include "gtest/gtest.h"
#include "runtime/dead_letter.h"
#include "runtime/erased_message.h"
#include "tests/dead_letter_samples.h"

namespace coactor::internal {
namespace {

using ::coactor::testing::IntOf;
using ::coactor::testing::Letter;

TEST(RecordKeeperTest, KeepsTheNewestDeadLettersAndHandsBackTheOldest) {
  RecordKeeper records;
  RecordKeeper::Dropped dropped;
  records.SetLimits(RecordLimits{.dead_letters = 2}, dropped);
  EXPECT_TRUE(dropped.letters.empty());
  for (int i = 0; i < 5; ++i) records.AddDeadLetter(Letter(i), dropped);
  ASSERT_EQ(records.dead_letters().size(), 2u);
  EXPECT_EQ(IntOf(records.dead_letters()[0]), 3);
  EXPECT_EQ(IntOf(records.dead_letters()[1]), 4);
  ASSERT_EQ(dropped.letters.size(), 3u);
  EXPECT_EQ(IntOf(dropped.letters[0]), 0);
  EXPECT_EQ(IntOf(dropped.letters[2]), 2);
  EXPECT_EQ(records.dead_letters_recorded(), 5u);
  EXPECT_EQ(records.limits().dead_letters, 2u);
}

TEST(RecordKeeperTest, LoweringALimitDropsTheOldestNow) {
  RecordKeeper records;
  RecordKeeper::Dropped dropped;
  EXPECT_EQ(records.limits().dead_letters, 10'000u);  // The defaults.
  EXPECT_EQ(records.limits().failures, 10'000u);
  for (int i = 0; i < 3; ++i) records.AddDeadLetter(Letter(i), dropped);
  records.AddFailure(ActorFailure{"'a'", "boom", nullptr}, dropped);
  records.AddFailure(ActorFailure{"'b'", "bang", nullptr}, dropped);
  EXPECT_TRUE(dropped.letters.empty());
  records.SetLimits(RecordLimits{.dead_letters = 1, .failures = 0}, dropped);
  ASSERT_EQ(records.dead_letters().size(), 1u);
  EXPECT_EQ(IntOf(records.dead_letters()[0]), 2);
  EXPECT_TRUE(records.failures().empty());
  ASSERT_EQ(dropped.failures.size(), 2u);
  EXPECT_EQ(dropped.failures[0].actor, "'a'");
  EXPECT_EQ(records.failures_recorded(), 2u);
  EXPECT_EQ(records.dead_letters_recorded(), 3u);
}

TEST(RecordKeeperTest, TakeHandsOverWhatIsKeptAndKeepsTheCounts) {
  RecordKeeper records;
  RecordKeeper::Dropped dropped;
  records.AddDeadLetter(Letter(7), dropped);
  records.AddFailure(ActorFailure{"'a'", "boom", nullptr}, dropped);
  std::vector<DeadLetter> letters = records.TakeDeadLetters();
  std::vector<ActorFailure> failures = records.TakeFailures();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(IntOf(letters[0]), 7);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].what, "boom");
  EXPECT_TRUE(records.dead_letters().empty());
  EXPECT_TRUE(records.failures().empty());
  EXPECT_EQ(records.dead_letters_recorded(), 1u);
  EXPECT_EQ(records.failures_recorded(), 1u);
}

TEST(RecordKeeperTest, AnActorsEndRecordsItsFailureThenItsUndelivered) {
  RecordKeeper records;
  RecordKeeper::Dropped dropped;
  ActorCell cell;
  cell.name = std::make_unique<std::string>("printer");
  const std::exception_ptr exception =
      std::make_exception_ptr(std::runtime_error("out of paper"));
  std::vector<ErasedMessage> undelivered;
  undelivered.push_back(ErasedMessage::Of(1));
  undelivered.push_back(ErasedMessage::Of(2));
  records.AddEnd(cell, exception, undelivered, dropped);
  EXPECT_TRUE(undelivered.empty());
  ASSERT_EQ(records.failures().size(), 1u);
  EXPECT_EQ(records.failures()[0].actor, "'printer'");
  EXPECT_EQ(records.failures()[0].what, "out of paper");
  EXPECT_EQ(records.failures()[0].exception, exception);
  ASSERT_EQ(records.dead_letters().size(), 2u);
  for (int i = 0; i < 2; ++i) {
    const DeadLetter& letter = records.dead_letters()[i];
    EXPECT_EQ(letter.recipient, "printer");
    EXPECT_EQ(letter.reason,
              absl::FailedPreconditionError(
                  "actor 'printer' finished before this was delivered"));
    EXPECT_EQ(IntOf(letter), i + 1);
  }
}

TEST(RecordKeeperTest, AnAnonymousActorThatEndedWellRecordsOnlyItsMessages) {
  RecordKeeper records;
  RecordKeeper::Dropped dropped;
  ActorCell cell;
  cell.id = 17;
  std::vector<ErasedMessage> undelivered;
  undelivered.push_back(ErasedMessage::Of(5));
  records.AddEnd(cell, nullptr, undelivered, dropped);
  EXPECT_TRUE(records.failures().empty());
  ASSERT_EQ(records.dead_letters().size(), 1u);
  EXPECT_EQ(records.dead_letters()[0].recipient, "#17");
  EXPECT_EQ(records.dead_letters()[0].reason,
            absl::FailedPreconditionError(
                "actor #17 finished before this was delivered"));
}

TEST(RecordKeeperTest, ThrownOutsideAnActorIsAFailureAndADeadLetter) {
  RecordKeeper records;
  RecordKeeper::Dropped dropped;
  const std::exception_ptr exception =
      std::make_exception_ptr(std::runtime_error("copy failed"));
  records.AddThrown("SendAfter", "printer", exception, ErasedMessage::Of(3),
                    dropped);
  ASSERT_EQ(records.failures().size(), 1u);
  EXPECT_EQ(records.failures()[0].actor, "SendAfter to printer");
  EXPECT_EQ(records.failures()[0].what, "copy failed");
  ASSERT_EQ(records.dead_letters().size(), 1u);
  EXPECT_EQ(records.dead_letters()[0].recipient, "printer");
  EXPECT_EQ(records.dead_letters()[0].reason,
            absl::AbortedError("SendAfter to printer threw: copy failed"));
  EXPECT_EQ(IntOf(records.dead_letters()[0]), 3);
}

}  // namespace
}  // namespace coactor::internal
