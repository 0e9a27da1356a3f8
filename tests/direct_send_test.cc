// The work-stealing scheduler's direct send: a turn's first send to another
// actor goes straight to the receiver's mailbox (when the worker's outbox
// is empty, and no idle worker takes over from busy ones: one worker, or a
// virtual clock), the rest of the turn's sends through the outbox. Every
// message must still arrive exactly once and in each sender's order,
// whichever worker runs which actor, and however the receivers are woken
// (the direct send puts a waking message straight into the receiver's
// inbox).
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/clock.h"
#include "actors/receive.h"
#include "gtest/gtest.h"
#include "runtime/work_stealing_scheduler.h"

namespace coactor {
namespace {

constexpr int kSenders = 16;
constexpr int kReceivers = 8;

struct Note {
  int sender = -1;       // -1: that sender is done.
  int64_t seq = 0;       // Per (sender, receiver), from 0.
  ActorRef<int> ack_to;  // Set on the message to acknowledge.
};

// What a receiver saw of each sender.
struct Seen {
  std::vector<int64_t> next = std::vector<int64_t>(kSenders, 0);
  int64_t out_of_order = 0;
  int64_t total = 0;
};

Actor<Note> Receiver(WorkStealingScheduler& sched, Seen& seen) {
  int done = 0;
  while (done < kSenders) {
    Note note = co_await Receive<Note>();
    if (note.sender < 0) {
      ++done;
      continue;
    }
    ++seen.total;
    if (note.seq != seen.next[note.sender]) ++seen.out_of_order;
    seen.next[note.sender] = note.seq + 1;
    if (note.ack_to.valid()) sched.Send(note.ack_to, 1).IgnoreError();
  }
}

// Each step (one acknowledgement, so one message a turn most often) sends
// three notes: the first (direct) and the third (through the outbox) to
// one receiver, the second to the next.
Actor<int> Sender(WorkStealingScheduler& sched, int me,
                  const std::vector<ActorRef<Note>>& receivers, int steps) {
  ActorRef<int> self = co_await Self();
  std::vector<int64_t> seq(kReceivers, 0);
  for (int step = 0; step < steps; ++step) {
    const int first = (me + step) % kReceivers;
    const int second = (first + 1) % kReceivers;
    sched.Send(receivers[first], Note{me, seq[first]++, {}}).IgnoreError();
    sched.Send(receivers[second], Note{me, seq[second]++, {}}).IgnoreError();
    sched.Send(receivers[first], Note{me, seq[first]++, self}).IgnoreError();
    co_await Receive<int>();
  }
  for (const ActorRef<Note>& receiver : receivers) {
    sched.Send(receiver, Note{-1, 0, {}}).IgnoreError();
  }
}

void RunSenders(int threads, int steps, Clock& clock = RealClock::Get()) {
  WorkStealingScheduler sched(threads, clock);
  std::vector<Seen> seen(kReceivers);
  std::vector<ActorRef<Note>> receivers;
  for (int r = 0; r < kReceivers; ++r) {
    receivers.push_back(sched.Spawn(Receiver(sched, seen[r])));
  }
  for (int s = 0; s < kSenders; ++s) {
    sched.Spawn(Sender(sched, s, receivers, steps));
  }
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(sched.live_actors(), 0u);
  EXPECT_TRUE(sched.dead_letters().empty());
  // What each receiver must have had from each sender.
  std::vector<std::vector<int64_t>> want(kReceivers,
                                         std::vector<int64_t>(kSenders, 0));
  for (int s = 0; s < kSenders; ++s) {
    for (int step = 0; step < steps; ++step) {
      const int first = (s + step) % kReceivers;
      want[first][s] += 2;
      want[(first + 1) % kReceivers][s] += 1;
    }
  }
  for (int r = 0; r < kReceivers; ++r) {
    EXPECT_EQ(seen[r].out_of_order, 0) << "receiver " << r;
    EXPECT_EQ(seen[r].next, want[r]) << "receiver " << r;
    int64_t total = 0;
    for (int64_t n : want[r]) total += n;
    EXPECT_EQ(seen[r].total, total) << "receiver " << r;
  }
}

TEST(DirectSendTest, EveryNoteArrivesOnceInOrderOnOneWorker) {
  RunSenders(1, 2000);
}
TEST(DirectSendTest, EveryNoteArrivesOnceInOrderOnTwoWorkers) {
  RunSenders(2, 2000);
}
TEST(DirectSendTest, EveryNoteArrivesOnceInOrderOnFourWorkers) {
  RunSenders(4, 2000);
}
// On a virtual clock no worker takes over from another, and the direct
// path runs with thieves stealing from the deques.
TEST(DirectSendTest, EveryNoteArrivesOnceInOrderOnTwoWorkersVirtualClock) {
  ManualClock clock;
  RunSenders(2, 2000, clock);
}
TEST(DirectSendTest, EveryNoteArrivesOnceInOrderOnFourWorkersVirtualClock) {
  ManualClock clock;
  RunSenders(4, 2000, clock);
}

// Ping-pong between two actors: every message is a turn's first send (the
// direct path), and wakes its receiver with the message in its inbox.
Actor<int64_t> Bouncer(WorkStealingScheduler& sched, ActorRef<int64_t>* peer,
                       int64_t last, std::vector<int64_t>& got) {
  for (;;) {
    const int64_t n = co_await Receive<int64_t>();
    got.push_back(n);
    if (n >= last) {
      if (n == last) sched.Send(*peer, n + 1).IgnoreError();  // Its end.
      co_return;
    }
    sched.Send(*peer, n + 1).IgnoreError();
  }
}

void RunBounce(int threads, Clock& clock = RealClock::Get()) {
  constexpr int64_t kLast = 20000;
  WorkStealingScheduler sched(threads, clock);
  ActorRef<int64_t> a, b;
  std::vector<int64_t> got_a, got_b;
  a = sched.Spawn(Bouncer(sched, &b, kLast, got_a));
  b = sched.Spawn(Bouncer(sched, &a, kLast, got_b));
  ASSERT_TRUE(sched.Send(a, int64_t{0}).ok());
  ASSERT_TRUE(sched.Run().ok());
  EXPECT_EQ(sched.live_actors(), 0u);
  EXPECT_TRUE(sched.dead_letters().empty());
  // a got the even numbers, b the odd ones, each exactly once, in order,
  // up to kLast and the one after it that ends the other.
  ASSERT_EQ(got_a.size() + got_b.size(), static_cast<size_t>(kLast + 2));
  for (size_t i = 0; i < got_a.size(); ++i) {
    ASSERT_EQ(got_a[i], static_cast<int64_t>(2 * i));
  }
  for (size_t i = 0; i < got_b.size(); ++i) {
    ASSERT_EQ(got_b[i], static_cast<int64_t>(2 * i + 1));
  }
}

TEST(DirectSendTest, PingPongKeepsEveryMessageOnOneWorker) { RunBounce(1); }
TEST(DirectSendTest, PingPongKeepsEveryMessageOnTwoWorkers) { RunBounce(2); }
TEST(DirectSendTest, PingPongKeepsEveryMessageOnFourWorkers) { RunBounce(4); }
TEST(DirectSendTest, PingPongKeepsEveryMessageOnFourWorkersVirtualClock) {
  ManualClock clock;
  RunBounce(4, clock);
}

}  // namespace
}  // namespace coactor
