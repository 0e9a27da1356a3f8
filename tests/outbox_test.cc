// Outbox (the work-stealing scheduler's per-worker buffer of sends): each
// receiver's messages come out in the order sent, receivers in the order of
// their first message; it reports full (too many messages, or too many
// receivers crowding one table slot) without losing anything; a flood to a
// single receiver asks to be flushed early; a reservation that was never
// committed delivers nothing.
#include "runtime/internal/outbox.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "actors/internal/message_type.h"
#include "gtest/gtest.h"

namespace coactor::internal {
namespace {

struct FakeCell {
  int id;
};

using TestOutbox = Outbox<FakeCell>;

// What a flush handed over: (receiver id, generation, messages in order).
struct Delivery {
  int receiver;
  uint32_t generation;
  std::vector<int64_t> messages;
};

const MessageType* const kType = &kMessageType<int64_t>;

// Appends `value` for `cell`; false if the outbox is full.
bool Send(TestOutbox& outbox, FakeCell& cell, int64_t value,
          uint32_t generation = 0, bool* flush_now = nullptr) {
  Payload* slot = outbox.Reserve(&cell, generation, kType);
  if (slot == nullptr) return false;
  std::memcpy(slot->bytes, &value, sizeof value);
  const bool early = outbox.Commit();
  if (flush_now != nullptr) *flush_now = early;
  return true;
}

std::vector<Delivery> Flush(TestOutbox& outbox) {
  std::vector<Delivery> deliveries;
  outbox.Flush([&](const TestOutbox::Batch& batch, auto for_each_message) {
    EXPECT_EQ(batch.type, kType);
    Delivery delivery{batch.target->id, batch.generation, {}};
    for_each_message([&](Payload* message) {
      int64_t value;
      std::memcpy(&value, message->bytes, sizeof value);
      delivery.messages.push_back(value);
    });
    EXPECT_EQ(delivery.messages.size(), batch.count);
    deliveries.push_back(std::move(delivery));
  });
  EXPECT_TRUE(outbox.empty());
  return deliveries;
}

TEST(OutboxTest, GroupsByReceiverKeepingEachOnesOrder) {
  auto outbox = std::make_unique<TestOutbox>();
  std::vector<FakeCell> cells(64);
  for (int i = 0; i < 64; ++i) cells[i].id = i;
  EXPECT_TRUE(outbox->empty());
  // Fork-join style: round-robin over 64 receivers, 5 rounds.
  for (int round = 0; round < 5; ++round) {
    for (FakeCell& cell : cells) {
      ASSERT_TRUE(Send(*outbox, cell, cell.id * 1000 + round));
    }
  }
  EXPECT_FALSE(outbox->empty());
  std::vector<Delivery> deliveries = Flush(*outbox);
  ASSERT_EQ(deliveries.size(), 64u);
  for (int i = 0; i < 64; ++i) {
    EXPECT_EQ(deliveries[i].receiver, i);  // In order of first message.
    EXPECT_EQ(deliveries[i].messages,
              (std::vector<int64_t>{i * 1000, i * 1000 + 1, i * 1000 + 2,
                                    i * 1000 + 3, i * 1000 + 4}));
  }
  // Empty again, and reusable.
  ASSERT_TRUE(Send(*outbox, cells[3], 7));
  deliveries = Flush(*outbox);
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].receiver, 3);
  EXPECT_EQ(deliveries[0].messages, std::vector<int64_t>{7});
}

TEST(OutboxTest, AnotherGenerationOfTheSameCellIsAnotherReceiver) {
  auto outbox = std::make_unique<TestOutbox>();
  FakeCell cell{5};
  ASSERT_TRUE(Send(*outbox, cell, 1, /*generation=*/2));
  ASSERT_TRUE(Send(*outbox, cell, 2, /*generation=*/4));
  ASSERT_TRUE(Send(*outbox, cell, 3, /*generation=*/2));
  std::vector<Delivery> deliveries = Flush(*outbox);
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[0].generation, 2u);
  EXPECT_EQ(deliveries[0].messages, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(deliveries[1].generation, 4u);
  EXPECT_EQ(deliveries[1].messages, (std::vector<int64_t>{2}));
}

TEST(OutboxTest, ReportsFullWhenTheBufferIsFullAndLosesNothing) {
  auto outbox = std::make_unique<TestOutbox>();
  FakeCell a{1}, b{2};
  int64_t sent = 0;
  // Two receivers alternate, so no single-receiver early flush applies.
  while (Send(*outbox, sent % 2 == 0 ? a : b, sent)) ++sent;
  EXPECT_EQ(sent, TestOutbox::kMessages);
  std::vector<Delivery> deliveries = Flush(*outbox);
  ASSERT_EQ(deliveries.size(), 2u);
  for (int r = 0; r < 2; ++r) {
    ASSERT_EQ(deliveries[r].messages.size(),
              static_cast<size_t>(TestOutbox::kMessages / 2));
    for (size_t i = 0; i < deliveries[r].messages.size(); ++i) {
      ASSERT_EQ(deliveries[r].messages[i], static_cast<int64_t>(2 * i + r));
    }
  }
  EXPECT_TRUE(Send(*outbox, a, 0));  // Room again after the flush.
}

TEST(OutboxTest, ReportsFullWhenReceiversCrowdTheTable) {
  auto outbox = std::make_unique<TestOutbox>();
  // More receivers than slots: some Reserve() must fail before the
  // buffer is full, and every message accepted is delivered.
  std::vector<FakeCell> cells(TestOutbox::kSlots + 50);
  for (size_t i = 0; i < cells.size(); ++i) cells[i].id = static_cast<int>(i);
  size_t accepted = 0;
  std::vector<int> accepted_ids;
  for (FakeCell& cell : cells) {
    if (Send(*outbox, cell, cell.id)) {
      ++accepted;
      accepted_ids.push_back(cell.id);
    }
  }
  EXPECT_LE(accepted, static_cast<size_t>(TestOutbox::kSlots));
  EXPECT_LT(accepted, cells.size());
  std::vector<Delivery> deliveries = Flush(*outbox);
  ASSERT_EQ(deliveries.size(), accepted);
  for (size_t i = 0; i < accepted; ++i) {
    EXPECT_EQ(deliveries[i].receiver, accepted_ids[i]);
    EXPECT_EQ(deliveries[i].messages, std::vector<int64_t>{accepted_ids[i]});
  }
}

TEST(OutboxTest, AFloodToOneReceiverAsksForAnEarlyFlush) {
  auto outbox = std::make_unique<TestOutbox>();
  FakeCell sole{1}, other{2};
  bool flush_now = false;
  for (uint32_t i = 1; i < TestOutbox::kSoleBatch; ++i) {
    ASSERT_TRUE(Send(*outbox, sole, i, 0, &flush_now));
    ASSERT_FALSE(flush_now) << i;
  }
  ASSERT_TRUE(Send(*outbox, sole, TestOutbox::kSoleBatch, 0, &flush_now));
  EXPECT_TRUE(flush_now);
  std::vector<Delivery> deliveries = Flush(*outbox);
  ASSERT_EQ(deliveries.size(), 1u);
  ASSERT_EQ(deliveries[0].messages.size(), TestOutbox::kSoleBatch);
  for (uint32_t i = 0; i < TestOutbox::kSoleBatch; ++i) {
    ASSERT_EQ(deliveries[0].messages[i], static_cast<int64_t>(i + 1));
  }
  // With a second receiver in the outbox, no early flush: it waits for the
  // turn's end or a full buffer.
  ASSERT_TRUE(Send(*outbox, other, 0, 0, &flush_now));
  for (uint32_t i = 1; i <= TestOutbox::kSoleBatch; ++i) {
    ASSERT_TRUE(Send(*outbox, sole, i, 0, &flush_now));
    ASSERT_FALSE(flush_now) << i;
  }
  deliveries = Flush(*outbox);
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[1].messages.size(), TestOutbox::kSoleBatch);
}

TEST(OutboxTest, AReservationNeverCommittedDeliversNothing) {
  auto outbox = std::make_unique<TestOutbox>();
  FakeCell a{1}, b{2};
  ASSERT_TRUE(Send(*outbox, a, 10));
  // As if constructing the message for `b` threw.
  ASSERT_NE(outbox->Reserve(&b, 0, kType), nullptr);
  ASSERT_TRUE(Send(*outbox, a, 11));
  std::vector<Delivery> deliveries = Flush(*outbox);
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].receiver, 1);
  EXPECT_EQ(deliveries[0].messages, (std::vector<int64_t>{10, 11}));
}

TEST(OutboxTest, AnEmptyOutboxDeclinesWhenAskedAndOnlyThen) {
  auto outbox = std::make_unique<TestOutbox>();
  FakeCell a{1}, b{2};
  const bool decline = true;
  // Empty: declined, and nothing changed.
  EXPECT_EQ(outbox->Reserve(&a, 0, kType, decline), nullptr);
  EXPECT_TRUE(outbox->empty());
  // Not empty: the request is not looked at; same or other receiver.
  ASSERT_TRUE(Send(*outbox, a, 10));
  for (FakeCell* cell : {&a, &b, &a}) {
    Payload* slot = outbox->Reserve(cell, 0, kType, decline);
    ASSERT_NE(slot, nullptr);
    const int64_t value = cell->id == 1 ? 11 : 20;
    std::memcpy(slot->bytes, &value, sizeof value);
    outbox->Commit();
  }
  std::vector<Delivery> deliveries = Flush(*outbox);
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[0].messages, (std::vector<int64_t>{10, 11, 11}));
  EXPECT_EQ(deliveries[1].messages, (std::vector<int64_t>{20}));
  // Empty again after the flush: declined again.
  EXPECT_EQ(outbox->Reserve(&b, 0, kType, decline), nullptr);
  EXPECT_TRUE(outbox->empty());
}

}  // namespace
}  // namespace coactor::internal
