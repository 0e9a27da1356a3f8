// ActorMailbox (the work-stealing scheduler's per-actor mailbox and
// activation protocol): exactly one append in a row schedules an idle
// actor; appends for another generation, another type or a closed mailbox
// are refused and leave the message alone; a turn takes messages in order,
// errors first, and ends the activation only when nothing waits; closing
// hands back every undelivered error and message, in order.
#include "runtime/internal/actor_mailbox.h"

#include <coroutine>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/down.h"
#include "actors/internal/message_type.h"
#include "actors/internal/mutex.h"
#include "gtest/gtest.h"
#include "runtime/erased_message.h"
#include "runtime/internal/payload_relocator.h"

namespace coactor::internal {
namespace {

// Longer than the small-string buffer: stored out of line, moved not copied.
std::string Long(int i) {
  return "message number " + std::to_string(i) + " of a long, long test";
}

// A mailbox holding a live actor of message type std::string, as Admit()
// opens one: scheduled, its start pending.
class ActorMailboxTest : public ::testing::Test {
 protected:
  ActorMailboxTest() {
    MutexLock hold(mailbox_.mailbox_lock());
    mailbox_.OpenLocked(std::noop_coroutine(), nullptr,
                        MessageTypeOf<std::string>(), nullptr, /*id=*/1);
  }
  // Ends the pending start as a turn that finds nothing does.
  void Idle() {
    std::exception_ptr error;
    ASSERT_FALSE(mailbox_.BeginTurn(&error));
    ASSERT_FALSE(error);
  }
  // Takes the next message, after a refill if the inbox needs one.
  std::string Next(bool turn_start = false) {
    if (NeedsRefill(turn_start)) {
      std::exception_ptr error;
      EXPECT_TRUE(mailbox_.BeginTurn(&error));
      EXPECT_FALSE(error);
    }
    return TakePayload<std::string>(mailbox_.TakeMessage());
  }
  uint32_t generation() const { return mailbox_.Generation(); }
  // As the scheduler's turn asks.
  bool NeedsRefill(bool turn_start) const {
    return mailbox_.InboxEmpty() ||
           (turn_start && mailbox_.SomethingMayOvertake());
  }

  ActorMailbox mailbox_;
};

TEST_F(ActorMailboxTest, TheFirstAppendToAnIdleActorSchedulesIt) {
  // Opened scheduled (its start): appends only queue.
  EXPECT_EQ(mailbox_.Append<std::string>(generation(), Long(0)),
            Appended::kQueued);
  EXPECT_EQ(Next(), Long(0));
  Idle();
  EXPECT_EQ(mailbox_.Append<std::string>(generation(), Long(1)),
            Appended::kScheduled);
  EXPECT_EQ(mailbox_.Append<std::string>(generation(), Long(2)),
            Appended::kQueued);
  EXPECT_EQ(Next(), Long(1));
  EXPECT_EQ(Next(), Long(2));
  Idle();
  EXPECT_EQ(mailbox_.Append<std::string>(generation(), Long(3)),
            Appended::kScheduled);
  EXPECT_EQ(Next(), Long(3));
  Idle();
}

TEST_F(ActorMailboxTest, RefusesAnotherGenerationOrTypeAndLeavesTheMessage) {
  std::string message = Long(7);
  EXPECT_EQ(mailbox_.Append<std::string>(generation() + 1, std::move(message)),
            Appended::kRefused);
  EXPECT_EQ(mailbox_.Append<int>(generation(), 7), Appended::kRefused);
  EXPECT_EQ(message, Long(7));  // Not moved from.
  EXPECT_EQ(
      mailbox_.AppendError(generation() + 1,
                           std::make_exception_ptr(std::runtime_error("late"))),
      Appended::kRefused);
  EXPECT_FALSE(mailbox_.IsOpen(generation() + 1));
  EXPECT_TRUE(mailbox_.IsOpen(generation()));
  Idle();  // Nothing was queued.
}

TEST_F(ActorMailboxTest, ATurnSwapsIncomingInAndKeepsOrderBehindTheInbox) {
  Idle();
  for (int i = 0; i < 10; ++i) {
    ASSERT_NE(mailbox_.Append<std::string>(generation(), Long(i)),
              Appended::kRefused);
  }
  // The waking message went straight to the inbox, the rest to `incoming`.
  EXPECT_FALSE(NeedsRefill(false));
  EXPECT_EQ(Next(), Long(0));
  EXPECT_TRUE(NeedsRefill(false));
  EXPECT_EQ(Next(), Long(1));  // The turn swapped `incoming` in.
  // More arrive while the turn delivers: they come after what it holds.
  for (int i = 10; i < 20; ++i) {
    ASSERT_EQ(mailbox_.Append<std::string>(generation(), Long(i)),
              Appended::kQueued);
  }
  // The actor's sends to itself go into the inbox; at the next turn's
  // start the mailbox looks at `incoming` again (moving it behind).
  mailbox_.AppendToSelf<std::string>(Long(100));
  EXPECT_TRUE(NeedsRefill(/*turn_start=*/true));
  EXPECT_FALSE(NeedsRefill(/*turn_start=*/false));
  std::exception_ptr error;
  ASSERT_TRUE(mailbox_.BeginTurn(&error));
  EXPECT_FALSE(error);
  EXPECT_FALSE(NeedsRefill(/*turn_start=*/true));
  std::vector<std::string> got;
  while (!NeedsRefill(false)) {
    got.push_back(TakePayload<std::string>(mailbox_.TakeMessage()));
  }
  std::vector<std::string> want;
  for (int i = 2; i < 10; ++i) want.push_back(Long(i));
  want.push_back(Long(100));
  for (int i = 10; i < 20; ++i) want.push_back(Long(i));
  EXPECT_EQ(got, want);
  Idle();
}

TEST_F(ActorMailboxTest, ErrorsComeFirstOneATurnStart) {
  Idle();
  EXPECT_EQ(mailbox_.Append<std::string>(generation(), Long(0)),
            Appended::kScheduled);
  EXPECT_EQ(mailbox_.AppendError(
                generation(), std::make_exception_ptr(std::runtime_error("a"))),
            Appended::kQueued);
  EXPECT_EQ(mailbox_.AppendError(
                generation(), std::make_exception_ptr(std::runtime_error("b"))),
            Appended::kQueued);
  std::vector<std::string> errors;
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(NeedsRefill(/*turn_start=*/true));
    std::exception_ptr error;
    ASSERT_TRUE(mailbox_.BeginTurn(&error));
    ASSERT_TRUE(error);
    try {
      std::rethrow_exception(error);
    } catch (const std::runtime_error& e) {
      errors.push_back(e.what());
    }
  }
  EXPECT_EQ(errors, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Next(/*turn_start=*/true), Long(0));
  Idle();
  // An error alone schedules an idle actor.
  EXPECT_EQ(mailbox_.AppendError(
                generation(), std::make_exception_ptr(std::runtime_error("c"))),
            Appended::kScheduled);
  std::exception_ptr error;
  EXPECT_TRUE(mailbox_.BeginTurn(&error));
  EXPECT_TRUE(error);
  Idle();
}

TEST_F(ActorMailboxTest, AMessageWakingAnIdleActorGoesStraightToTheInbox) {
  Idle();
  EXPECT_EQ(mailbox_.Append<std::string>(generation(), Long(0)),
            Appended::kScheduled);
  // In the inbox already: the woken actor's turn takes no lock to find it.
  EXPECT_FALSE(NeedsRefill(/*turn_start=*/true));
  // While it is scheduled, later ones wait in `incoming`, behind it.
  EXPECT_EQ(mailbox_.Append<std::string>(generation(), Long(1)),
            Appended::kQueued);
  EXPECT_EQ(mailbox_.Append<std::string>(generation(), Long(2)),
            Appended::kQueued);
  EXPECT_EQ(Next(/*turn_start=*/true), Long(0));
  EXPECT_TRUE(NeedsRefill(false));
  EXPECT_EQ(Next(), Long(1));
  EXPECT_EQ(Next(), Long(2));
  Idle();
  // Refused: nothing queued, the message left alone, nothing scheduled.
  std::string message = Long(3);
  EXPECT_EQ(mailbox_.Append<std::string>(generation() + 1, std::move(message)),
            Appended::kRefused);
  EXPECT_EQ(message, Long(3));
  EXPECT_EQ(mailbox_.Append<std::string>(generation(), Long(4)),
            Appended::kScheduled);
  EXPECT_EQ(Next(/*turn_start=*/true), Long(4));
  Idle();
}

TEST_F(ActorMailboxTest, ABatchWakingAnIdleActorGoesStraightToTheInbox) {
  Idle();
  std::vector<Payload> batch(3);
  for (int i = 0; i < 3; ++i) {
    ConstructPayload<std::string>(&batch[i], Long(i));
  }
  const PayloadRelocator relocate{MessageTypeOf<std::string>()};
  auto for_each = [&](auto visit) {
    for (Payload& message : batch) visit(&message);
  };
  bool refused = false;
  EXPECT_EQ(mailbox_.AppendBatch(generation(), 3, relocate, for_each,
                                 [&](bool) { refused = true; }),
            Appended::kScheduled);
  EXPECT_FALSE(refused);
  // In the inbox already: the turn needs no refill to find them.
  EXPECT_FALSE(NeedsRefill(false));
  for (int i = 0; i < 3; ++i) {
    ConstructPayload<std::string>(&batch[i], Long(10 + i));
  }
  EXPECT_EQ(mailbox_.AppendBatch(generation(), 3, relocate, for_each,
                                 [&](bool) { refused = true; }),
            Appended::kQueued);
  std::vector<std::string> got;
  for (int i = 0; i < 6; ++i) got.push_back(Next());
  EXPECT_EQ(got, (std::vector<std::string>{Long(0), Long(1), Long(2), Long(10),
                                           Long(11), Long(12)}));
  Idle();
  // Refused: the batch stays with the caller, told under the lock.
  for (int i = 0; i < 3; ++i) {
    ConstructPayload<std::string>(&batch[i], Long(20 + i));
  }
  EXPECT_EQ(mailbox_.AppendBatch(generation() + 1, 3, relocate, for_each,
                                 [&](bool closed) {
                                   refused = true;
                                   EXPECT_FALSE(closed);
                                 }),
            Appended::kRefused);
  EXPECT_TRUE(refused);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(TakePayload<std::string>(&batch[i]), Long(20 + i));
  }
}

TEST_F(ActorMailboxTest, AppendBuiltChoosesTheTypeAndMayRefuse) {
  Idle();
  EXPECT_EQ(mailbox_.AppendBuilt(generation(), /*to_self=*/false,
                                 [](Payload*, const MessageType* type) {
                                   EXPECT_EQ(type,
                                             MessageTypeOf<std::string>());
                                   return false;
                                 }),
            Appended::kRefused);
  EXPECT_EQ(mailbox_.AppendBuilt(generation(), /*to_self=*/false,
                                 [](Payload* slot, const MessageType*) {
                                   ConstructPayload<std::string>(slot, Long(1));
                                   return true;
                                 }),
            Appended::kScheduled);
  EXPECT_EQ(Next(), Long(1));
  Idle();
}

TEST_F(ActorMailboxTest, AWakeSchedulesOnceAndIsTakenOnce) {
  EXPECT_FALSE(mailbox_.Wake(std::noop_coroutine()));  // Start pending.
  EXPECT_TRUE(mailbox_.TakeWakeOrIdle());
  // No wake-up waiting: the actor is no longer scheduled.
  EXPECT_FALSE(mailbox_.TakeWakeOrIdle());
  EXPECT_TRUE(mailbox_.Wake(std::noop_coroutine()));
  EXPECT_TRUE(mailbox_.TakeWakeOrIdle());
  EXPECT_FALSE(mailbox_.TakeWakeOrIdle());
}

TEST_F(ActorMailboxTest, CloseHandsBackErrorsThenMessagesInOrder) {
  const uint32_t before = generation();
  ASSERT_NE(mailbox_.Append<std::string>(before, Long(0)), Appended::kRefused);
  Next();  // Now in no mailbox: not undelivered.
  ASSERT_NE(mailbox_.Append<std::string>(before, Long(1)), Appended::kRefused);
  Next();
  mailbox_.AppendToSelf<std::string>(Long(2));  // In the inbox.
  ASSERT_NE(mailbox_.Append<std::string>(before, Long(3)), Appended::kRefused);
  ASSERT_NE(mailbox_.AppendError(
                before, std::make_exception_ptr(std::runtime_error("e"))),
            Appended::kRefused);
  int downs = 0;
  ActorMailbox::Monitor monitor = [&](const Down&) { ++downs; };
  ASSERT_TRUE(mailbox_.AddMonitor(before, monitor));
  ActorMailbox::Closed closed = mailbox_.Close();
  EXPECT_EQ(closed.generation, before);
  EXPECT_EQ(generation(), before + 1);
  ASSERT_EQ(closed.undelivered.size(), 3u);
  EXPECT_NE(closed.undelivered[0].get_if<std::exception_ptr>(), nullptr);
  ASSERT_NE(closed.undelivered[1].get_if<std::string>(), nullptr);
  EXPECT_EQ(*closed.undelivered[1].get_if<std::string>(), Long(2));
  ASSERT_NE(closed.undelivered[2].get_if<std::string>(), nullptr);
  EXPECT_EQ(*closed.undelivered[2].get_if<std::string>(), Long(3));
  ASSERT_EQ(closed.monitors.size(), 1u);
  EXPECT_EQ(downs, 0);
  // Closed: everything is refused, whatever the generation.
  EXPECT_EQ(mailbox_.Append<std::string>(before, Long(4)), Appended::kRefused);
  EXPECT_EQ(mailbox_.Append<std::string>(before + 1, Long(4)),
            Appended::kRefused);
  EXPECT_FALSE(mailbox_.AddMonitor(before + 1, monitor));
  EXPECT_FALSE(mailbox_.IsOpen(before + 1));
  {
    MutexLock hold(mailbox_.mailbox_lock());
    EXPECT_TRUE(mailbox_.IsClosedLocked());
  }
}

TEST_F(ActorMailboxTest, ShutdownClosesOnceAndDestroysWhatWaits) {
  ASSERT_NE(mailbox_.Append<std::string>(generation(), Long(0)),
            Appended::kRefused);
  const uint32_t before = generation();
  EXPECT_TRUE(mailbox_.CloseForShutdown());
  EXPECT_FALSE(mailbox_.CloseForShutdown());
  EXPECT_EQ(generation(), before + 1);
  EXPECT_EQ(mailbox_.Append<std::string>(before + 1, Long(1)),
            Appended::kRefused);
  mailbox_.DestroyContents();  // ASan: nothing leaks.
}

}  // namespace
}  // namespace coactor::internal
