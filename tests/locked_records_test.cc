// LockedRecords: the records of RecordKeeper behind a mutex, each call
// exact; what the limits push out is destroyed after the mutex is let go,
// so a dropped message whose destructor records again does not deadlock.
#include "runtime/internal/locked_records.h"

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "runtime/dead_letter.h"
#include "runtime/erased_message.h"
#include "tests/dead_letter_samples.h"

namespace coactor::internal {
namespace {

using ::coactor::testing::IntOf;
using ::coactor::testing::Letter;

void Add(LockedRecords& records, DeadLetter letter) {
  records.With([&](RecordKeeper& keeper, RecordKeeper::Dropped& dropped) {
    keeper.AddDeadLetter(std::move(letter), dropped);
  });
}

TEST(LockedRecordsTest, KeepsCountsAndHandsOverExactly) {
  LockedRecords records;
  records.With([](RecordKeeper& keeper, RecordKeeper::Dropped& dropped) {
    keeper.SetLimits(RecordLimits{.dead_letters = 2, .failures = 1}, dropped);
  });
  for (int i = 0; i < 5; ++i) Add(records, Letter(i));
  records.With([](RecordKeeper& keeper, RecordKeeper::Dropped& dropped) {
    keeper.AddFailure(ActorFailure{"'a'", "boom", nullptr}, dropped);
    keeper.AddFailure(ActorFailure{"'b'", "bang", nullptr}, dropped);
  });
  EXPECT_EQ(records.dead_letters_recorded(), 5u);
  EXPECT_EQ(records.failures_recorded(), 2u);
  EXPECT_EQ(records.limits().dead_letters, 2u);
  ASSERT_EQ(records.dead_letters_unlocked().size(), 2u);
  const std::vector<ActorFailure> failures = records.failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].what, "bang");
  EXPECT_EQ(records.failures().size(), 1u);  // A copy: still kept.
  const std::vector<DeadLetter> letters = records.TakeDeadLetters();
  ASSERT_EQ(letters.size(), 2u);
  EXPECT_EQ(IntOf(letters[0]), 3);
  EXPECT_EQ(IntOf(letters[1]), 4);
  EXPECT_TRUE(records.TakeDeadLetters().empty());
  EXPECT_EQ(records.TakeFailures().size(), 1u);
  EXPECT_TRUE(records.failures().empty());
  EXPECT_EQ(records.dead_letters_recorded(), 5u);  // Taken, still counted.
}

// Records a dead letter of its own when destroyed (if not moved from).
struct RecordsWhenDestroyed {
  LockedRecords* records = nullptr;
  explicit RecordsWhenDestroyed(LockedRecords* r) : records(r) {}
  RecordsWhenDestroyed(RecordsWhenDestroyed&& other) noexcept
      : records(std::exchange(other.records, nullptr)) {}
  ~RecordsWhenDestroyed() {
    if (records != nullptr) Add(*records, Letter(100));
  }
};

TEST(LockedRecordsTest, DroppedMessagesAreDestroyedAfterTheLockIsLetGo) {
  LockedRecords records;
  records.With([](RecordKeeper& keeper, RecordKeeper::Dropped& dropped) {
    keeper.SetLimits(RecordLimits{.dead_letters = 1}, dropped);
  });
  Add(records, DeadLetter{"x", absl::NotFoundError("x"),
                          ErasedMessage::Of(RecordsWhenDestroyed(&records))});
  // Pushes the first out; its destructor records (would deadlock under
  // the lock), which pushes this one out in turn.
  Add(records, Letter(1));
  EXPECT_EQ(records.dead_letters_recorded(), 3u);
  const std::vector<DeadLetter> letters = records.TakeDeadLetters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(IntOf(letters[0]), 100);
}

TEST(LockedRecordsTest, ThreadsRecordingAtOnceAreAllCounted) {
  LockedRecords records;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&records, t] {
      for (int i = 0; i < 1000; ++i) Add(records, Letter(t * 1000 + i));
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(records.dead_letters_recorded(), 4000u);
  EXPECT_EQ(records.TakeDeadLetters().size(), 4000u);
}

}  // namespace
}  // namespace coactor::internal
