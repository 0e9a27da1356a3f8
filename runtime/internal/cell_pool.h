// CellPool holds a scheduler's actor cells. A cell lives as long as the
// pool, at a stable address, so a stale ActorRef can always be checked
// against its cell's generation; a cell whose actor ended is handed to the
// next actor spawned, the most recently freed first (its memory is the
// warmest).
//
//   internal::CellPool<MyCell> pool;
//   bool fresh;
//   MyCell* cell = pool.Take(&fresh);  // A freed cell, or a new one.
//   ...                                // Its actor runs, then ends.
//   pool.Free(cell);                   // The next Take() returns it.
//   for (MyCell& each : pool) ...      // Every cell made, oldest first.
//
// The pool never changes a cell's contents: what the previous actor left
// (its generation, its name for errors about stale references) is the
// scheduler's to keep or reset. A cell its scheduler retires (its
// generation used up) is simply never freed. Free cells are listed in a
// stack of pointers beside the cells, not linked through them, so that a
// cell in use carries no link (a spawn storm holds millions at once: 8
// bytes each).
//
// Cell: default-constructible.
//
// Thread-safety: none; the owner serialises every call (DequeScheduler: its
// loop's thread; WorkStealingScheduler: its pool_mutex_).
#ifndef COACTOR_RUNTIME_INTERNAL_CELL_POOL_H_
#define COACTOR_RUNTIME_INTERNAL_CELL_POOL_H_

#include <cstddef>
#include <deque>
#include <vector>

namespace coactor::internal {

template <typename Cell>
class CellPool {
 public:
  CellPool() = default;
  CellPool(const CellPool&) = delete;
  CellPool& operator=(const CellPool&) = delete;

  // The most recently freed cell, or a new default-constructed one; `*fresh`
  // (if given) says which (true: new).
  Cell* Take(bool* fresh = nullptr) {
    const bool is_new = free_.empty();
    Cell* cell;
    if (is_new) {
      cell = &cells_.emplace_back();
    } else {
      cell = free_.back();
      free_.pop_back();
    }
    if (fresh != nullptr) *fresh = is_new;
    return cell;
  }

  // `cell`, one of this pool's in use, is free for a later Take().
  void Free(Cell* cell) { free_.push_back(cell); }

  // Every cell made, free or in use, in the order made.
  auto begin() { return cells_.begin(); }
  auto end() { return cells_.end(); }
  auto begin() const { return cells_.begin(); }
  auto end() const { return cells_.end(); }
  size_t size() const { return cells_.size(); }

 private:
  std::deque<Cell> cells_;   // Grows at the back only: addresses stay.
  std::vector<Cell*> free_;  // The most recently freed at the back.
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_CELL_POOL_H_
