// NameHash and NameEq key the actor registry. Actor names are short
// ("printer", "worker-17"), and a send by name hashes one on every message,
// so names of up to 16 bytes are hashed from two overlapping 8-byte loads
// and one 64x64->128-bit multiply instead of Abseil's general string hash
// (which costs about three times as many instructions here). Longer names
// fall back to absl::Hash. Both accept absl::string_view and std::string, so
// lookups never build a std::string.
//
// Thread-safety: stateless.
#ifndef COACTOR_RUNTIME_INTERNAL_NAME_HASH_H_
#define COACTOR_RUNTIME_INTERNAL_NAME_HASH_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace coactor::internal {

// Debian's Abseil has its own string_view type (not std::string_view): the
// registry's map, the hashes and absl::StrCat take names through this.
inline absl::string_view AbslView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Unaligned loads of short names.
inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline uint64_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// A name of up to 16 bytes as two words and its size: equal names give
// equal ShortNames and different names different ones, so comparing is
// three integer compares.
struct ShortName {
  uint64_t low = 0;
  uint64_t high = 0;
  size_t size = ~size_t{0};  // Matches no name until filled.

  // False for names longer than 16 bytes, with `out` unfilled (matching
  // no name).
  static bool From(absl::string_view name, ShortName* out) {
    const size_t size = name.size();
    if (size > 16) {
      *out = ShortName{};
      return false;
    }
    const char* bytes = name.data();
    uint64_t low = 0, high = 0;
    if (size >= 8) {
      low = Load64(bytes);
      high = Load64(bytes + size - 8);
    } else if (size >= 4) {
      low = Load32(bytes);
      high = Load32(bytes + size - 4);
    } else if (size > 0) {  // Every byte of 1-3 bytes.
      low = static_cast<unsigned char>(bytes[0]) |
            static_cast<uint64_t>(static_cast<unsigned char>(bytes[size / 2]))
                << 8 |
            static_cast<uint64_t>(static_cast<unsigned char>(bytes[size - 1]))
                << 16;
    }
    *out = ShortName{low, high, size};
    return true;
  }

  size_t Hash() const {
    // Constants: the 64-bit golden ratio and a large odd number; the
    // product of the two mixed words folds both halves together.
    const __uint128_t product =
        static_cast<__uint128_t>(low ^ 0x9E3779B97F4A7C15ull ^ size) *
        (high ^ 0xD6E8FEB86659FD93ull);
    return static_cast<size_t>(product ^ (product >> 64));
  }

  // A slot in a direct-mapped cache of 2^kBits slots. The two words are
  // folded (the rotation keeps the halves of 4- to 7-byte names apart),
  // then mixed with SplitMix64's finalizer (Steele, Lea and Flood, OOPSLA
  // 2014). Cheaper mixes fail: low ^ high is 0 for every name of 4 or 8
  // bytes, whose words are equal, and one multiply, or Hash()'s top bits,
  // crowd names that differ in only a byte or two into a third of the
  // slots (tests/name_hash_test.cc).
  template <int kBits>
  size_t CacheIndex() const {
    static_assert(kBits > 0 && kBits < 64, "a cache of 2^1 to 2^63 slots");
    uint64_t x = low + std::rotl(high, 32) + size;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    return static_cast<size_t>(x >> (64 - kBits));
  }

  // Whether From() filled it (the name was short).
  bool filled() const { return size <= 16; }

  friend bool operator==(const ShortName& a, const ShortName& b) {
    return a.low == b.low && a.high == b.high && a.size == b.size;
  }
};

struct NameHash {
  using is_transparent = void;

  size_t operator()(absl::string_view name) const {
    ShortName short_name;
    if (!ShortName::From(name, &short_name)) {
      return absl::Hash<absl::string_view>()(name);
    }
    return short_name.Hash();
  }
};

struct NameEq {
  using is_transparent = void;

  bool operator()(absl::string_view a, absl::string_view b) const {
    const size_t size = a.size();
    if (size != b.size()) return false;
    const char* x = a.data();
    const char* y = b.data();
    if (size >= 8 && size <= 16) {
      return Load64(x) == Load64(y) &&
             Load64(x + size - 8) == Load64(y + size - 8);
    }
    if (size >= 4 && size < 8) {
      return Load32(x) == Load32(y) &&
             Load32(x + size - 4) == Load32(y + size - 4);
    }
    return a == b;
  }
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_NAME_HASH_H_
