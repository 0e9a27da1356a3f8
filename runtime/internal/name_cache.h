// NameCache remembers a scheduler's recent name look-ups in a small
// direct-mapped table, so that a send by name costs a hash and three
// compares (names of up to 16 bytes, keyed by their ShortName) instead of a
// hash-map probe and a string compare. Both schedulers use it, in one of
// two modes:
// - unversioned (DequeScheduler: one cache beside its registry, on the
//   loop's thread): a slot stays valid until its owner calls Forget() (an
//   actor's end) or Clear(); only short names are cached, a longer one
//   always misses.
// - versioned (WorkStealingScheduler: one per worker, read without the
//   registry's lock): a slot is valid while the registry's version is the
//   one it was filled at; longer names are cached too, by their hash and a
//   copy of the string.
//
//   NameCache<Cell*, /*kVersioned=*/false> cache;
//   if (Cell** hit = cache.Find(name)) return *hit;
//   Cell* cell = LookUpTheRegistry(name);  // The cache missed.
//   if (cell != nullptr) cache.Fill(name, cell);
//
// Thread-safety: none; one thread owns a cache.
#ifndef COACTOR_RUNTIME_INTERNAL_NAME_CACHE_H_
#define COACTOR_RUNTIME_INTERNAL_NAME_CACHE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "runtime/internal/name_hash.h"

namespace coactor::internal {

template <typename Value, bool kVersioned>
class NameCache {
 public:
  static constexpr int kBits = 6;
  static constexpr size_t kSlots = size_t{1} << kBits;

  // The slot that `name` goes to.
  static size_t SlotOf(std::string_view name) {
    ShortName key;
    return SlotOf(name, key);
  }

  // The value cached for `name` (filled at `version`, if versioned), or
  // nullptr. (A miss is followed by a Fill(), which works the key out
  // again: handing it over would keep it in memory on the hit's path.)
  ABSL_ATTRIBUTE_ALWAYS_INLINE Value* Find(std::string_view name,
                                           uint64_t version = 0) {
    ShortName key;
    if constexpr (kVersioned) {
      const bool is_short = ShortName::From(AbslView(name), &key);
      Slot& slot = slots_[is_short ? key.template CacheIndex<kBits>()
                                   : NameHash()(AbslView(name)) % kSlots];
      if (ABSL_PREDICT_TRUE(slot.version == version &&
                            (is_short ? slot.key == key
                                      : NameEq()(AbslView(slot.long_name),
                                                 AbslView(name))))) {
        return &slot.value;
      }
      return nullptr;
    } else {
      (void)version;
      if (ABSL_PREDICT_FALSE(!ShortName::From(AbslView(name), &key))) {
        return nullptr;
      }
      // Holds only what the owner has not forgotten.
      Slot& slot = slots_[key.template CacheIndex<kBits>()];
      if (ABSL_PREDICT_TRUE(slot.key == key)) return &slot.value;
      return nullptr;
    }
  }

  // After Find(name, version) missed: remembers `value` for `name`. A
  // versioned slot is stamped with `version`, read before the registry
  // look-up that gave `value`: if the registry changed in between, the
  // stamp is already stale and the slot refills.
  void Fill(std::string_view name, const Value& value, uint64_t version = 0) {
    ShortName key;
    const size_t index = SlotOf(name, key);
    if constexpr (!kVersioned) {
      if (!key.filled()) return;  // Not cached.
    }
    Slot& slot = slots_[index];
    if constexpr (kVersioned) {
      slot.version = version;
      if (key.filled()) {
        slot.key = key;
        slot.long_name.clear();
      } else {
        slot.key = ShortName{};
        slot.long_name.assign(name.data(), name.size());
      }
    } else {
      slot.key = key;
    }
    slot.value = value;
  }

  // Unversioned: forgets `name` if its slot holds `value` (the name's
  // actor ended).
  // (clang-format 14 and 16 lay out concepts and requires-clauses
  // differently; kept as written so both accept the file.)
  // clang-format off
  void Forget(std::string_view name, const Value& value)
    requires(!kVersioned)
  {
    // clang-format on
    ShortName key;
    if (!ShortName::From(AbslView(name), &key)) return;
    Slot& slot = slots_[key.template CacheIndex<kBits>()];
    if (slot.key == key && slot.value == value) slot = Slot{};
  }

  // Forgets everything.
  void Clear() { slots_.fill(Slot{}); }

 private:
  // The slot `name` goes to; sets `key` to its ShortName (unfilled if long).
  static size_t SlotOf(std::string_view name, ShortName& key) {
    return ShortName::From(AbslView(name), &key)
               ? key.template CacheIndex<kBits>()
               : NameHash()(AbslView(name)) % kSlots;
  }

  struct PlainSlot {
    ShortName key;  // Unfilled: matches no name.
    Value value{};
  };
  struct VersionedSlot {
    uint64_t version = ~uint64_t{0};  // Matches no registry version.
    ShortName key;                    // Unfilled for long names.
    std::string long_name;
    Value value{};
  };
  using Slot = std::conditional_t<kVersioned, VersionedSlot, PlainSlot>;

  std::array<Slot, kSlots> slots_{};
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_NAME_CACHE_H_
