// internal::EndActor(), the one end-of-actor report, through its hooks: the
// steps run in order (close, record, tell the monitors, release), the
// common end records nothing and tells no one, and the monitors hear who
// ended and how, with the generation the actor had.
#include "runtime/internal/actor_end.h"

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "actors/down.h"
#include "actors/internal/actor_cell.h"
#include "gtest/gtest.h"
#include "runtime/erased_message.h"

namespace coactor::internal {
namespace {

// Hooks that log each step and hand back what the test put in `left`.
struct LoggingHooks {
  std::vector<std::string>* log;
  ClosedCell* left;
  std::vector<int>* recorded;  // The ints among the undelivered.

  ClosedCell Close(ActorCell* cell) {
    log->push_back("close");
    cell->BumpGeneration();
    cell->promise = nullptr;  // The frame is gone.
    return std::move(*left);
  }
  void Record(ActorCell& cell, const std::exception_ptr& exception,
              std::vector<ErasedMessage>& undelivered) {
    log->push_back(std::string("record ") + cell.RecipientName() +
                   (exception ? " failed" : " ok"));
    for (ErasedMessage& message : undelivered) {
      if (const int* n = message.get_if<int>()) recorded->push_back(*n);
    }
  }
  void Finish(ActorCell* /*cell*/, uint32_t generation) {
    log->push_back("finish " + std::to_string(generation));
  }
  void Release(ActorCell* cell, uint32_t generation) {
    log->push_back("release " + std::to_string(generation) + " now " +
                   std::to_string(cell->Generation()));
  }
};

class ActorEndTest : public ::testing::Test {
 protected:
  ActorEndTest() {
    cell_.promise = &promise_;
    cell_.generation.store(4);
  }
  LoggingHooks Hooks() { return LoggingHooks{&log_, &left_, &recorded_}; }

  ActorPromiseBase promise_;
  ActorCell cell_;
  std::vector<std::string> log_;
  ClosedCell left_{4, {}, {}};
  std::vector<int> recorded_;
};

TEST_F(ActorEndTest, TheCommonEndClosesAndReleasesOnly) {
  cell_.id = 9;
  EndActor(&cell_, Hooks());
  EXPECT_EQ(log_,
            (std::vector<std::string>{"close", "finish 4", "release 4 now 5"}));
}

TEST_F(ActorEndTest, AFailedActorIsRecordedBeforeItsMonitorsHear) {
  cell_.name = std::make_unique<std::string>("printer");
  promise_.exception =
      std::make_exception_ptr(std::runtime_error("out of paper"));
  left_.undelivered.push_back(ErasedMessage::Of(1));
  left_.undelivered.push_back(ErasedMessage::Of(2));
  std::vector<Down> downs;
  for (int i = 0; i < 2; ++i) {
    left_.monitors.push_back([this, &downs](const Down& down) {
      log_.push_back("down");
      downs.push_back(down);
    });
  }
  EndActor(&cell_, Hooks());
  EXPECT_EQ(log_, (std::vector<std::string>{"close", "record printer failed",
                                            "finish 4", "down", "down",
                                            "release 4 now 5"}));
  EXPECT_EQ(recorded_, (std::vector<int>{1, 2}));
  ASSERT_EQ(downs.size(), 2u);
  for (const Down& down : downs) {
    EXPECT_EQ(down.actor, "'printer'");
    EXPECT_EQ(down.name, "printer");
    EXPECT_EQ(down.reason,
              absl::AbortedError("actor 'printer' failed: out of paper"));
    EXPECT_EQ(down.exception, promise_.exception);
  }
}

TEST_F(ActorEndTest, UndeliveredMessagesAloneAreRecordedWithNoFailure) {
  cell_.id = 3;
  left_.undelivered.push_back(ErasedMessage::Of(7));
  EndActor(&cell_, Hooks());
  EXPECT_EQ(log_, (std::vector<std::string>{"close", "record #3 ok", "finish 4",
                                            "release 4 now 5"}));
  EXPECT_EQ(recorded_, (std::vector<int>{7}));
}

TEST_F(ActorEndTest, MonitorsAloneHearAnOkDownAndNothingIsRecorded) {
  cell_.id = 12;
  Down heard;
  left_.monitors.push_back([&heard](const Down& down) { heard = down; });
  EndActor(&cell_, Hooks());
  EXPECT_EQ(log_,
            (std::vector<std::string>{"close", "finish 4", "release 4 now 5"}));
  EXPECT_EQ(heard.actor, "#12");
  EXPECT_EQ(heard.name, "");
  EXPECT_TRUE(heard.reason.ok());
  EXPECT_EQ(heard.exception, nullptr);
}

}  // namespace
}  // namespace coactor::internal
