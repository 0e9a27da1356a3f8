// What a scheduler keeps of what went wrong, bounded for long-lived
// processes: the newest dead letters and failures up to a limit each (the
// oldest dropped, every one counted), and names cut to a length in what is
// recorded (a 1 MiB name sent to a thousand times must not be kept a
// thousand times).
//
// Thread-safety: none; a multi-threaded scheduler holds its records' lock.
#ifndef COACTOR_RUNTIME_INTERNAL_RECORDS_H_
#define COACTOR_RUNTIME_INTERNAL_RECORDS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace coactor::internal {

// Names longer than this are recorded (in dead letters' recipients and in
// error texts) as their first kMaxRecordedNameBytes bytes and a note of
// their length.
inline constexpr size_t kMaxRecordedNameBytes = 256;

// `name`, or its start and "...(N bytes)" if longer than
// kMaxRecordedNameBytes.
inline std::string RecordedName(std::string_view name) {
  if (name.size() <= kMaxRecordedNameBytes) return std::string(name);
  return absl::StrCat(absl::string_view(name.data(), kMaxRecordedNameBytes),
                      "...(", name.size(), " bytes)");
}

// The newest `limit` items added, and how many were ever added.
template <typename T>
class BoundedLog {
 public:
  // Adds `item`; the items it pushed out (the oldest, if over the limit)
  // are appended to `dropped`, for the caller to destroy where that is
  // safe (a message's destructor may send, and so record again).
  void Add(T item, size_t limit, std::vector<T>& dropped) {
    ++total_;
    items_.push_back(std::move(item));
    Trim(limit, dropped);
  }
  // Drops the oldest items beyond `limit` into `dropped`.
  void Trim(size_t limit, std::vector<T>& dropped) {
    while (items_.size() > limit) {
      dropped.push_back(std::move(items_.front()));
      items_.pop_front();
    }
  }
  // Hands over the items kept (the count stays).
  std::vector<T> Take() {
    std::vector<T> taken(std::make_move_iterator(items_.begin()),
                         std::make_move_iterator(items_.end()));
    items_.clear();
    return taken;
  }

  const std::deque<T>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  // Every item ever added, kept or dropped.
  uint64_t total() const { return total_; }

 private:
  std::deque<T> items_;
  uint64_t total_ = 0;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_INTERNAL_RECORDS_H_
