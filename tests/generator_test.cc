// Tests for coactor::Generator: laziness, iteration, frame lifetime,
// delegation (depth, order, stack, return values), send, throw, finishing,
// exceptions and move-only values.
#include "actors/generator.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/counted.h"

namespace coactor {
namespace {

using ::coactor::testing::Counted;
using ::testing::ElementsAre;

static_assert(std::input_iterator<Generator<int>::iterator>);
static_assert(!std::is_copy_constructible_v<Generator<int>>);
static_assert(std::is_nothrow_move_constructible_v<Generator<int>>);

struct ValueError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Counts destructor runs: proves a frame (and its locals) was destroyed.
struct DestructionCounter {
  explicit DestructionCounter(int* count) : count(count) {}
  DestructionCounter(const DestructionCounter&) = delete;
  ~DestructionCounter() { ++*count; }
  int* count;
};

Generator<int> CountTo(int n, int* body_started = nullptr) {
  if (body_started != nullptr) ++*body_started;
  for (int i = 1; i <= n; ++i) co_yield i;
}

std::vector<int> Drain(Generator<int>& gen) {
  std::vector<int> values;
  for (int v : gen) values.push_back(v);
  return values;
}

TEST(GeneratorTest, BodyDoesNotRunUntilBeginIsCalled) {
  int started = 0;
  Generator<int> gen = CountTo(3, &started);
  EXPECT_EQ(started, 0);
  auto it = gen.begin();
  EXPECT_EQ(started, 1);
  EXPECT_EQ(*it, 1);
}

TEST(GeneratorTest, BodyDoesNotRunUntilFirstNext) {
  int started = 0;
  Generator<int> gen = CountTo(3, &started);
  EXPECT_EQ(started, 0);
  EXPECT_EQ(*gen.Next(), 1);
  EXPECT_EQ(started, 1);
}

TEST(GeneratorTest, RangeForVisitsValuesInOrder) {
  Generator<int> gen = CountTo(5);
  EXPECT_THAT(Drain(gen), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_TRUE(gen.finished());
}

TEST(GeneratorTest, EmptyGeneratorBeginsAtEnd) {
  Generator<int> gen = CountTo(0);
  EXPECT_TRUE(gen.begin() == gen.end());
  EXPECT_TRUE(gen.finished());
}

Generator<int> Naturals(int* destroyed) {
  DestructionCounter counter(destroyed);
  for (int i = 0;; ++i) co_yield i;
}

TEST(GeneratorTest, BreakingOutOfRangeForDestroysTheFrame) {
  int destroyed = 0;
  {
    Generator<int> gen = Naturals(&destroyed);
    for (int v : gen) {
      if (v == 3) break;
    }
    EXPECT_EQ(destroyed, 0);
  }
  EXPECT_EQ(destroyed, 1);
}

TEST(GeneratorTest, DestroyingAnUnstartedGeneratorDestroysItsFrame) {
  int destroyed = 0;
  { Generator<int> gen = Naturals(&destroyed); }
  EXPECT_EQ(destroyed, 0);  // The local was never constructed.
  {
    Generator<int> gen = Naturals(&destroyed);
    Generator<int> other = Naturals(&destroyed);
    EXPECT_EQ(*gen.Next(), 0);
    EXPECT_EQ(*other.Next(), 0);
    gen = std::move(other);  // Destroys gen's frame.
    EXPECT_EQ(destroyed, 1);
    EXPECT_EQ(*gen.Next(), 1);
  }
  EXPECT_EQ(destroyed, 2);
}

TEST(GeneratorTest, MovedFromGeneratorReportsFailedPrecondition) {
  Generator<int> gen = CountTo(2);
  Generator<int> moved = std::move(gen);
  EXPECT_EQ(gen.Next().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(gen.begin() == gen.end());
  EXPECT_EQ(*moved.Next(), 1);
}

Generator<int> Inner() {
  co_yield 3;
  co_yield 4;
}
Generator<int> Middle() {
  co_yield 2;
  co_yield YieldFrom(Inner());
  co_yield 5;
}
Generator<int> Outer() {
  co_yield 1;
  co_yield YieldFrom(Middle());
  co_yield 6;
  co_yield YieldFrom(CountTo(0));  // Delegating to nothing yields nothing.
  co_yield YieldFrom(Inner());
}

TEST(GeneratorTest, DelegationThreeLevelsDeepYieldsValuesInOrder) {
  Generator<int> gen = Outer();
  EXPECT_THAT(Drain(gen), ElementsAre(1, 2, 3, 4, 5, 6, 3, 4));
}

uintptr_t leaf_frame_first = 0;
uintptr_t leaf_frame_last = 0;

[[gnu::noinline]] uintptr_t CallerFrameAddress() {
  return reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
}

Generator<int> Leaf(int n) {
  leaf_frame_first = CallerFrameAddress();
  for (int i = 0; i < n - 1; ++i) co_yield i;
  leaf_frame_last = CallerFrameAddress();
  co_yield n - 1;
}

Generator<int> Nest(int depth, int n, int* destroyed) {
  DestructionCounter counter(destroyed);
  if (depth == 0) {
    co_yield YieldFrom(Leaf(n));
  } else {
    co_yield YieldFrom(Nest(depth - 1, n, destroyed));
  }
}

// Consumes with one call site, so the consumer's stack is the same for the
// first and the last value.
std::vector<int> DrainWithNext(Generator<int>& gen) {
  std::vector<int> values;
  for (;;) {
    absl::StatusOr<int> v = gen.Next();
    if (!v.ok()) {
      EXPECT_EQ(v.status().code(), absl::StatusCode::kOutOfRange);
      return values;
    }
    values.push_back(*v);
  }
}

TEST(GeneratorTest, TenThousandDeepDelegationYieldsInOrderOnAConstantStack) {
  constexpr int kDepth = 10'000;
  constexpr int kValues = 1'000;
  int destroyed = 0;

  Generator<int> shallow = Nest(0, kValues, &destroyed);
  std::vector<int> values = DrainWithNext(shallow);
  ASSERT_EQ(values.size(), kValues);
  const uintptr_t shallow_first = leaf_frame_first;
  const uintptr_t shallow_last = leaf_frame_last;

  Generator<int> deep = Nest(kDepth, kValues, &destroyed);
  values = DrainWithNext(deep);
  ASSERT_EQ(values.size(), kValues);
  for (int i = 0; i < kValues; ++i) ASSERT_EQ(values[i], i);
  // The leaf runs on the same stack at depth 10,000 as at depth 0: nothing
  // grows with the depth. (Its first value, produced while the chain is
  // being entered, comes through one more call than the others.)
  EXPECT_EQ(leaf_frame_first, shallow_first);
  EXPECT_EQ(leaf_frame_last, shallow_last);
  EXPECT_LT(std::max(leaf_frame_first, leaf_frame_last) -
                std::min(leaf_frame_first, leaf_frame_last),
            1024u);
  EXPECT_EQ(destroyed, kDepth + 2);  // Every level already finished.
}

TEST(GeneratorTest, DestroyingATenThousandDeepChainMidwayDestroysEveryFrame) {
  constexpr int kDepth = 10'000;
  int destroyed = 0;
  {
    Generator<int> deep = Nest(kDepth, 100, &destroyed);
    int seen = 0;
    for (int v : deep) {
      EXPECT_EQ(v, seen++);
      if (v == 49) break;
    }
    EXPECT_EQ(destroyed, 0);
  }
  EXPECT_EQ(destroyed, kDepth + 1);
}

// (The vectors are named first: g++ 12 rejects a braced initializer list
// inside a co_yield operand, "array used as initializer".)
Generator<int, void, std::string> Tea() {
  std::vector<int> values = {0, 1, 2, 3};
  co_yield YieldFrom(std::move(values));
  co_return "Hello";
}

Generator<int> Teb(std::string* returned) {
  *returned = co_yield YieldFrom(Tea());
}

TEST(GeneratorTest, YieldFromEvaluatesToTheDelegatedGeneratorsReturnValue) {
  std::string returned;
  Generator<int> gen = Teb(&returned);
  EXPECT_THAT(Drain(gen), ElementsAre(0, 1, 2, 3));
  EXPECT_EQ(returned, "Hello");
}

TEST(GeneratorTest, YieldFromAStartedGeneratorContinuesWhereItWas) {
  auto gen = [](Generator<int> started) -> Generator<int> {
    co_yield YieldFrom(std::move(started));
  };
  Generator<int> counting = CountTo(4);
  EXPECT_EQ(*counting.Next(), 1);
  Generator<int> rest = gen(std::move(counting));
  EXPECT_THAT(Drain(rest), ElementsAre(2, 3, 4));
}

TEST(GeneratorTest, YieldFromARangeYieldsItsElements) {
  std::vector<std::string> words = {"a", "b"};
  auto gen = [](std::vector<std::string>& lvalue) -> Generator<std::string> {
    co_yield YieldFrom(lvalue);  // Copies: the caller still owns the words.
    std::vector<std::string> owned = {"c", "d"};
    co_yield YieldFrom(std::move(owned));  // Moved from: owned by YieldFrom.
  }(words);
  std::vector<std::string> values;
  for (std::string& w : gen) values.push_back(std::move(w));
  EXPECT_THAT(values, ElementsAre("a", "b", "c", "d"));
  EXPECT_THAT(words, ElementsAre("a", "b"));
}

// Seed 000's averager; `average` is None until the first term arrives.
Generator<std::optional<double>, int> Averager() {
  double total = 0.0;
  int count = 0;
  std::optional<double> average;
  for (;;) {
    int term = co_yield average;
    total += term;
    ++count;
    average = total / count;
  }
}

TEST(GeneratorTest, SendDeliversValuesAfterNextPrimesTheGenerator) {
  Generator<std::optional<double>, int> avg = Averager();
  EXPECT_EQ(*avg.Next(), std::nullopt);
  EXPECT_EQ(*avg.Send(10), 10.0);
  EXPECT_EQ(*avg.Send(20), 15.0);
  EXPECT_EQ(*avg.Send(30), 20.0);
}

TEST(GeneratorTest, SendBeforeTheFirstNextFailsWithoutRunningTheBody) {
  int started = 0;
  auto gen = [](int* started) -> Generator<int, int> {
    ++*started;
    int x = co_yield 0;
    co_yield x;
  }(&started);
  EXPECT_EQ(gen.Send(5).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(started, 0);
  EXPECT_EQ(*gen.Next(), 0);
  EXPECT_EQ(*gen.Send(5), 5);
  EXPECT_EQ(gen.Send(6).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(GeneratorTest, NextOnAStartedSendingGeneratorSendsADefaultValue) {
  auto coro = []() -> Generator<std::string, std::optional<std::string>> {
    std::optional<std::string> hello = co_yield std::string("Hello");
    co_yield hello.value_or("None");
  };
  Generator<std::string, std::optional<std::string>> c = coro();
  EXPECT_EQ(*c.Next(), "Hello");
  EXPECT_EQ(*c.Next(), "None");

  c = coro();
  EXPECT_EQ(*c.Next(), "Hello");
  EXPECT_EQ(*c.Send("World"), "World");
}

Generator<int, int, int> Accumulate(int limit) {
  int sum = 0;
  while (sum < limit) sum += co_yield sum;
  co_return sum;
}

TEST(GeneratorTest, SendReachesTheInnermostGeneratorThroughDelegation) {
  auto outer = []() -> Generator<int, int> {
    int first = co_yield YieldFrom(Accumulate(10));
    int second = co_yield YieldFrom(Accumulate(5));
    co_yield first * 100 + second;
  }();
  EXPECT_EQ(*outer.Next(), 0);
  EXPECT_EQ(*outer.Send(4), 4);
  EXPECT_EQ(*outer.Send(7), 0);  // 11 >= 10: the second Accumulate starts.
  EXPECT_EQ(*outer.Send(5), 1105);
  EXPECT_EQ(outer.Next().status().code(), absl::StatusCode::kOutOfRange);
}

// Seed 001's cor(n).
Generator<int> Cor(int n, int* caught) {
  while (n > 0) {
    try {
      co_yield n;
      n -= 1;
    } catch (const ValueError&) {
      ++*caught;
    }
  }
}

TEST(GeneratorTest, ThrowCaughtInsideReturnsTheNextYieldedValue) {
  int caught = 0;
  Generator<int> q = Cor(3, &caught);
  EXPECT_EQ(*q.Next(), 3);
  EXPECT_EQ(*q.Throw(std::make_exception_ptr(ValueError("foobar"))), 3);
  EXPECT_EQ(caught, 1);
  EXPECT_EQ(*q.Next(), 2);
}

TEST(GeneratorTest, ThrowCaughtByABodyThatThenEndsReportsOutOfRange) {
  auto gen = []() -> Generator<int> {
    try {
      co_yield 1;
    } catch (const ValueError&) {
    }
  }();
  EXPECT_EQ(*gen.Next(), 1);
  EXPECT_EQ(gen.Throw(std::make_exception_ptr(ValueError("x"))).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(gen.finished());
}

TEST(GeneratorTest, ThrowNotCaughtPropagatesToTheCallerAndFinishes) {
  int caught = 0;
  Generator<int> q = Cor(3, &caught);
  EXPECT_EQ(*q.Next(), 3);
  EXPECT_THROW(
      (void)q.Throw(std::make_exception_ptr(std::out_of_range("spam"))),
      std::out_of_range);
  EXPECT_EQ(caught, 0);
  EXPECT_TRUE(q.finished());
  EXPECT_EQ(q.Next().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(GeneratorTest, ThrowBeforeStartFinishesAndRethrowsAtOnce) {
  int caught = 0;
  Generator<int> q = Cor(3, &caught);
  EXPECT_THROW((void)q.Throw(std::make_exception_ptr(ValueError("early"))),
               ValueError);
  EXPECT_EQ(caught, 0);
  EXPECT_TRUE(q.finished());
  EXPECT_EQ(q.Next().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(GeneratorTest,
     YieldFromAGeneratorThatThrowClosedBeforeItStartedYieldsNothing) {
  // Python: g.throw() on a new generator closes it; `yield from g` then
  // yields nothing and the delegator goes on. The body must never run.
  int caught = 0;
  Generator<int> closed = Cor(3, &caught);
  EXPECT_THROW((void)closed.Throw(std::make_exception_ptr(ValueError("early"))),
               ValueError);
  auto outer = [](Generator<int> inner) -> Generator<int> {
    co_yield YieldFrom(std::move(inner));
    co_yield 7;
  }(std::move(closed));
  std::vector<int> seen;
  for (int v : outer) seen.push_back(v);
  EXPECT_THAT(seen, ElementsAre(7));
  EXPECT_EQ(caught, 0);
}

TEST(GeneratorTest, ThrowReachesTheLeafAndEscapesToTheDelegator) {
  int leaf_caught = 0;
  std::vector<std::string> log;
  auto outer = [](int* leaf_caught,
                  std::vector<std::string>* log) -> Generator<int> {
    try {
      co_yield YieldFrom(Cor(2, leaf_caught));
    } catch (const std::out_of_range& e) {
      log->push_back(std::string("outer caught ") + e.what());
    }
    co_yield 100;
  }(&leaf_caught, &log);
  EXPECT_EQ(*outer.Next(), 2);
  EXPECT_EQ(*outer.Throw(std::make_exception_ptr(ValueError("v"))), 2);
  EXPECT_EQ(leaf_caught, 1);
  EXPECT_EQ(*outer.Throw(std::make_exception_ptr(std::out_of_range("o"))), 100);
  EXPECT_THAT(log, ElementsAre("outer caught o"));
}

TEST(GeneratorTest, ResumingAfterTheEndReportsFailedPrecondition) {
  auto gen = []() -> Generator<int, int> { co_yield 1; }();
  EXPECT_EQ(*gen.Next(), 1);
  EXPECT_EQ(gen.Next().status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(gen.Next().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(gen.Send(1).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      gen.Throw(std::make_exception_ptr(ValueError("late"))).status().code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(gen.begin() == gen.end());
}

TEST(GeneratorTest, IncrementingTheEndIteratorIsANoOp) {
  Generator<int> gen = CountTo(1);
  auto it = gen.begin();
  ++it;
  EXPECT_TRUE(it == gen.end());
  ++it;
  EXPECT_TRUE(it == gen.end());
}

TEST(GeneratorTest, AnIteratorAdvancedAfterNextFinishedTheGeneratorIsTheEnd) {
  Generator<int> gen = CountTo(2);
  auto it = gen.begin();
  EXPECT_EQ(*it, 1);
  EXPECT_EQ(*gen.Next(), 2);
  EXPECT_EQ(gen.Next().status().code(), absl::StatusCode::kOutOfRange);
  ASSERT_TRUE(gen.finished());
  ++it;  // Must not resume the finished generator.
  EXPECT_TRUE(it == gen.end());
  ++it;
  EXPECT_TRUE(it == gen.end());
}

TEST(GeneratorTest, AnIteratorContinuesWhereNextLeftTheGenerator) {
  Generator<int> gen = CountTo(3);
  auto it = gen.begin();
  EXPECT_EQ(*it, 1);
  EXPECT_EQ(*gen.Next(), 2);
  ++it;
  ASSERT_FALSE(it == gen.end());
  EXPECT_EQ(*it, 3);
  ++it;
  EXPECT_TRUE(it == gen.end());
  EXPECT_TRUE(gen.finished());
}

Generator<int> FailAfter(int n) {
  for (int i = 0; i < n; ++i) co_yield i;
  throw ValueError("body failed");
}

TEST(GeneratorTest, ExceptionFromTheBodyPropagatesToTheConsumer) {
  Generator<int> gen = FailAfter(2);
  std::vector<int> seen;
  try {
    for (int v : gen) seen.push_back(v);
    ADD_FAILURE() << "no exception";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "body failed");
  }
  EXPECT_THAT(seen, ElementsAre(0, 1));
  EXPECT_TRUE(gen.finished());
  EXPECT_EQ(gen.Next().status().code(), absl::StatusCode::kFailedPrecondition);

  Generator<int> first = FailAfter(0);
  EXPECT_THROW((void)first.Next(), ValueError);
}

TEST(GeneratorTest, ExceptionFromADelegatedBodyCanBeCaughtByTheDelegator) {
  auto outer = []() -> Generator<int> {
    bool caught = false;
    try {
      co_yield YieldFrom(FailAfter(1));
    } catch (const ValueError&) {
      caught = true;  // (No co_yield in a handler: C++ forbids it.)
    }
    if (caught) co_yield -1;
  }();
  EXPECT_THAT(Drain(outer), ElementsAre(0, -1));
}

TEST(GeneratorTest, MoveOnlyValuesAreYieldedWithoutCopies) {
  auto gen = []() -> Generator<std::unique_ptr<int>> {
    co_yield std::make_unique<int>(1);
    auto two = std::make_unique<int>(2);
    co_yield std::move(two);
  }();
  std::vector<std::unique_ptr<int>> values;
  for (std::unique_ptr<int>& p : gen) values.push_back(std::move(p));
  ASSERT_EQ(values.size(), 2);
  EXPECT_EQ(*values[0], 1);
  EXPECT_EQ(*values[1], 2);

  auto next = []() -> Generator<std::unique_ptr<int>> {
    co_yield std::make_unique<int>(3);
  }();
  absl::StatusOr<std::unique_ptr<int>> three = next.Next();
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(**three, 3);
}

TEST(GeneratorTest, RvaluesAreHandedOverInPlaceAndLvaluesAreCopiedOnce) {
  Counted::Reset();
  {
    auto gen = []() -> Generator<Counted> {
      co_yield Counted(1);  // Read in place.
      Counted kept(2);
      co_yield kept;  // The consumer gets a copy; `kept` stays intact.
      EXPECT_EQ(kept.value, 2);
      co_yield std::move(kept);  // Read in place: the consumer may move.
    }();
    std::vector<int> values;
    for (Counted& c : gen) values.push_back(c.value);
    EXPECT_THAT(values, ElementsAre(1, 2, 2));
  }
  EXPECT_EQ(Counted::counts.copies, 1);
  EXPECT_EQ(Counted::counts.moves, 0);
  EXPECT_EQ(Counted::counts.alive(), 0);
}

}  // namespace
}  // namespace coactor
