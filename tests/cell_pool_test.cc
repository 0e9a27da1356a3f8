// CellPool: a freed cell is handed out again, the most recently freed
// first; new cells only when none is free; the pool keeps a cell's contents
// (its generation) and addresses; it iterates every cell made, in order.
#include "runtime/internal/cell_pool.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace coactor::internal {
namespace {

struct TestCell {
  uint32_t generation = 0;
  int id = 0;
};

TEST(CellPoolTest, MakesNewCellsWhileNoneIsFree) {
  CellPool<TestCell> pool;
  EXPECT_EQ(pool.size(), 0u);
  bool fresh = false;
  TestCell* a = pool.Take(&fresh);
  EXPECT_TRUE(fresh);
  TestCell* b = pool.Take(&fresh);
  EXPECT_TRUE(fresh);
  EXPECT_NE(a, b);
  EXPECT_EQ(pool.size(), 2u);
}

TEST(CellPoolTest, ReusesTheMostRecentlyFreedFirst) {
  CellPool<TestCell> pool;
  TestCell* a = pool.Take();
  TestCell* b = pool.Take();
  TestCell* c = pool.Take();
  pool.Free(a);
  pool.Free(c);
  pool.Free(b);
  bool fresh = true;
  EXPECT_EQ(pool.Take(&fresh), b);
  EXPECT_FALSE(fresh);
  EXPECT_EQ(pool.Take(&fresh), c);
  EXPECT_FALSE(fresh);
  EXPECT_EQ(pool.Take(&fresh), a);
  EXPECT_FALSE(fresh);
  EXPECT_EQ(pool.size(), 3u);  // No new cell while one was free.
  TestCell* d = pool.Take(&fresh);
  EXPECT_TRUE(fresh);
  EXPECT_NE(d, a);
  EXPECT_NE(d, b);
  EXPECT_NE(d, c);
  EXPECT_EQ(pool.size(), 4u);
}

TEST(CellPoolTest, KeepsWhatTheLastActorLeftInTheCell) {
  CellPool<TestCell> pool;
  TestCell* cell = pool.Take();
  cell->generation = 7;
  cell->id = 42;
  pool.Free(cell);
  TestCell* again = pool.Take();
  ASSERT_EQ(again, cell);
  EXPECT_EQ(again->generation, 7u);  // The scheduler's to bump.
  EXPECT_EQ(again->id, 42);
}

TEST(CellPoolTest, AddressesStayAndIterationCoversEveryCellInOrder) {
  CellPool<TestCell> pool;
  std::vector<TestCell*> made;
  for (int i = 0; i < 1000; ++i) {
    TestCell* cell = pool.Take();
    cell->id = i;
    made.push_back(cell);
  }
  // Free every other one: the free cells are iterated too.
  for (int i = 0; i < 1000; i += 2) pool.Free(made[i]);
  int expected = 0;
  for (TestCell& cell : pool) {
    EXPECT_EQ(&cell, made[expected]);
    EXPECT_EQ(cell.id, expected);
    ++expected;
  }
  EXPECT_EQ(expected, 1000);
  const CellPool<TestCell>& view = pool;
  int count = 0;
  for (const TestCell& cell : view) count += cell.id >= 0 ? 1 : 0;
  EXPECT_EQ(count, 1000);
  // 500 free: reused before any new cell, last freed first.
  for (int i = 998; i >= 0; i -= 2) EXPECT_EQ(pool.Take(), made[i]);
  EXPECT_EQ(pool.size(), 1000u);
}

}  // namespace
}  // namespace coactor::internal
