// Tests the greeter actor the way a coactor user tests theirs: run it on a
// DequeScheduler with a collecting actor in place of the printer, then check
// exactly what arrived, and that nothing was lost or failed.
#include "greeter.h"

#include <string>
#include <utility>
#include <vector>

#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/deque_scheduler.h"

namespace hello {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Collects every line it receives, in order.
coactor::Actor<std::string> Collector(std::vector<std::string>& lines) {
  for (;;) lines.push_back(co_await coactor::Receive<std::string>());
}

TEST(GreeterTest, GreetsEachNameInOrder) {
  coactor::DequeScheduler sched;
  std::vector<std::string> lines;
  coactor::ActorRef<std::string> collector = sched.Spawn(Collector(lines));
  ASSERT_TRUE(sched.Spawn("greeter", Greeter(sched, collector)).ok());

  // The last name is longer than std::string's small-string buffer.
  for (const char* name : {"Ada", "Barbara", "Grace Brewster Murray Hopper"}) {
    ASSERT_TRUE(sched.Send("greeter", std::string(name)).ok());
  }
  ASSERT_TRUE(sched.Run().ok());

  EXPECT_THAT(lines, ElementsAre("Hello, Ada!", "Hello, Barbara!",
                                 "Hello, Grace Brewster Murray Hopper!"));
  EXPECT_THAT(sched.dead_letters(), IsEmpty());
  EXPECT_THAT(sched.failures(), IsEmpty());
}

TEST(GreeterTest, AnEmptyNameStopsItAndLaterNamesBecomeDeadLetters) {
  coactor::DequeScheduler sched;
  std::vector<std::string> lines;
  coactor::ActorRef<std::string> collector = sched.Spawn(Collector(lines));
  ASSERT_TRUE(sched.Spawn("greeter", Greeter(sched, collector)).ok());

  // All three are queued before the greeter runs: "Barbara" arrives after
  // it has finished.
  for (const char* name : {"Ada", "", "Barbara"}) {
    ASSERT_TRUE(sched.Send("greeter", std::string(name)).ok());
  }
  ASSERT_TRUE(sched.Run().ok());

  EXPECT_THAT(lines, ElementsAre("Hello, Ada!"));
  ASSERT_EQ(sched.dead_letters().size(), 1u);
  const coactor::DeadLetter& letter = sched.dead_letters()[0];
  EXPECT_EQ(letter.recipient, "greeter");
  const std::string* undelivered = letter.message.get_if<std::string>();
  ASSERT_NE(undelivered, nullptr);
  EXPECT_EQ(*undelivered, "Barbara");
  EXPECT_THAT(sched.failures(), IsEmpty());
}

}  // namespace
}  // namespace hello
