// NameRegistry maps actor names to the cell and generation of the actor
// that bears each, for both schedulers. An entry stays after its actor
// finishes, so that a send to the name says "has finished" rather than "no
// actor named", until the name is among the oldest finished ones beyond a
// limit (RecordLimits::finished_names): a long-lived process that keeps
// spawning named actors does not keep every name.
//
//   NameRegistry<Cell> registry;
//   registry.Set("printer", {cell, cell->Generation()});
//   if (const NameRegistry<Cell>::Entry* e = registry.Find("printer")) ...
//   registry.Retire("printer", {cell, generation_it_had});  // It ended.
//
// Whether an entry's actor still lives is the scheduler's to tell (the
// cell's generation moves on when its actor ends). Names are hashed by
// NameHash (runtime/internal/name_hash.h); a scheduler puts a NameCache
// (runtime/internal/name_cache.h) in front of Find() on its send path.
//
// Thread-safety: none; a multi-threaded scheduler holds its registry's
// lock around every call.
#ifndef COACTOR_RUNTIME_INTERNAL_NAME_REGISTRY_H_
#define COACTOR_RUNTIME_INTERNAL_NAME_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "runtime/dead_letter.h"
#include "runtime/internal/name_hash.h"

namespace coactor::internal {

// A cell and the generation of the actor meant (a registry entry).
template <typename Cell>
struct NameEntry {
  Cell* cell;
  uint32_t generation;
};

template <typename Cell>
class NameRegistry {
 public:
  using Entry = NameEntry<Cell>;

  // The entry for `name` (its actor live or finished), or nullptr.
  const Entry* Find(std::string_view name) const {
    auto it = map_.find(AbslView(name));
    return it == map_.end() ? nullptr : &it->second;
  }
  bool Contains(std::string_view name) const {
    return map_.contains(AbslView(name));
  }

  // Names the actor of `entry` `name`, replacing the entry of a finished
  // actor of that name, if any.
  void Set(std::string_view name, const Entry& entry) {
    map_.insert_or_assign(std::string(name), entry);
  }

  // The actor of `entry`, called `name`, finished: its entry stays until
  // the name drops out of the finished names kept. True if that erased an
  // entry (an older finished name's).
  bool Retire(std::string name, const Entry& entry) {
    finished_.push_back(FinishedName{std::move(name), entry});
    return ForgetOldFinished();
  }

  // From now on keeps at most `limit` finished names; true if that erased
  // an entry now.
  bool SetFinishedLimit(size_t limit) {
    finished_limit_ = limit;
    return ForgetOldFinished();
  }

  // Entries, live and finished.
  size_t size() const { return map_.size(); }
  // Finished names whose entries are kept.
  size_t finished_names() const { return finished_.size(); }

 private:
  struct FinishedName {
    std::string name;
    Entry entry;
  };

  bool ForgetOldFinished() {
    bool erased = false;
    while (finished_.size() > finished_limit_) {
      const FinishedName& oldest = finished_.front();
      auto it = map_.find(AbslView(oldest.name));
      // Unless the name was taken again since.
      if (it != map_.end() && it->second.cell == oldest.entry.cell &&
          it->second.generation == oldest.entry.generation) {
        map_.erase(it);
        erased = true;
      }
      finished_.pop_front();
    }
    return erased;
  }

  absl::flat_hash_map<std::string, Entry, NameHash, NameEq> map_;
  // Oldest first.
  std::deque<FinishedName> finished_;
  size_t finished_limit_ = RecordLimits{}.finished_names;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_NAME_REGISTRY_H_
