// TraceBatch holds a run of recorded events as compact binary records, the
// form a thread records in: 32 bytes each (TraceRecord: a time, an id, a
// number or a static label's address, the kind), with any copied text (an
// actor's name, an error's what()) apart, in the batch's text area, so
// that the events a thread records per message (turns and message arrows)
// copy no text and format nothing. ForEach() decodes them into TraceEvents
// for trace_json.h, off the recording thread's hot path.
//
// Two ways to fill one. Streaming: Append() until full(), hand the batch
// to whoever writes it out, Clear(). A ring (bounded mode): Append() never
// fills it; past its capacity each record overwrites the oldest, counted
// in dropped(). Either way a text goes in the text area in the order of
// the records, so a record needs no offset: the texts of the records held
// are the last bytes written, and the area, kTextCapacity bytes per
// record, always holds them (a ring's wraps around too).
//
//   TraceBatch batch(/*capacity=*/4096, /*ring=*/false);
//   TraceRecord& r = batch.Append();  // then fill in its fields
//   batch.PutText(&r, "counter");
//   batch.ForEach([](const TraceEvent& e) { ... });
//
// Thread-safety: none; one thread at a time (the recording thread, or the
// writer it handed the batch to).
#ifndef COACTOR_RUNTIME_TRACE_TRACE_BATCH_H_
#define COACTOR_RUNTIME_TRACE_TRACE_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "runtime/trace/trace_event.h"

namespace coactor::internal {

// One recorded event. No default member values: a batch's records are
// written only when recorded (a ring's pages are not touched ahead).
struct TraceRecord {
  uint64_t ts_ns;  // Since the trace started.
  uint64_t id;     // TraceEvent::id.
  // kTurn: the duration in ns. kFlowStart, kFlowEnd, kDeadLetter, kOutside:
  // the label's address (kOutside: its name, static text; it lasts 2 ns).
  // Else TraceEvent::value.
  uint64_t value;
  // kTurn: messages handled (at most 2^32 - 1); the label's size.
  uint32_t extra;
  TraceEventKind kind;
  TraceFlowKind flow;
  uint8_t text_size;  // Bytes of text, then of text2, in the text area.
  uint8_t text2_size;
};
static_assert(sizeof(TraceRecord) == 32, "two records per cache line");

class TraceBatch {
 public:
  TraceBatch(size_t capacity, bool ring)
      : capacity_(capacity == 0 ? 1 : capacity),
        ring_(ring),
        text_capacity_(capacity_ * TraceEvent::kTextCapacity),
        records_(new TraceRecord[capacity_]),
        text_(new char[text_capacity_]) {}

  // Streaming: Append() needs room (hand the batch on and Clear() first).
  // A ring is never full.
  bool full() const { return !ring_ && size_ == capacity_; }
  size_t size() const { return size_; }
  // Records a ring overwrote.
  uint64_t dropped() const { return dropped_; }

  // The slot for the next record, for the caller to fill in (every field).
  TraceRecord& Append() {
    if (!ring_) return records_[size_++];
    TraceRecord& slot = records_[next_];
    if (++next_ == capacity_) next_ = 0;
    if (size_ == capacity_) {
      ++dropped_;
    } else {
      ++size_;
    }
    return slot;
  }

  // Copies `first` and `second` as the text of `r`, the record appended
  // last (each cut to what fits in kTextCapacity bytes, `first` first).
  void PutText(TraceRecord* r, std::string_view first,
               std::string_view second = {}) {
    r->text_size = TraceEvent::Fit(first, TraceEvent::kTextCapacity);
    r->text2_size =
        TraceEvent::Fit(second, TraceEvent::kTextCapacity - r->text_size);
    Write(first.data(), r->text_size);
    Write(second.data(), r->text2_size);
  }

  // Every record held, oldest first, as a TraceEvent.
  template <typename F>
  void ForEach(F&& f) const {
    const bool wrapped = ring_ && size_ == capacity_;
    const size_t first = wrapped ? next_ : 0;
    // Every record since Clear() is held, texts from the first byte; a
    // wrapped ring's held records' texts are the last bytes written.
    uint64_t text_at = 0;
    if (wrapped) {
      uint64_t text_bytes = 0;
      for (size_t i = 0; i < size_; ++i) {
        const TraceRecord& r = records_[Wrap(first + i)];
        text_bytes += r.text_size + r.text2_size;
      }
      text_at = text_written_ - text_bytes;
    }
    TraceEvent event;
    for (size_t i = 0; i < size_; ++i) {
      text_at = Decode(records_[Wrap(first + i)], text_at, &event);
      f(static_cast<const TraceEvent&>(event));
    }
  }

  void Clear() {
    size_ = next_ = 0;
    text_written_ = 0;
  }

 private:
  size_t Wrap(size_t k) const { return k >= capacity_ ? k - capacity_ : k; }

  // Appends `n` bytes to the text area (a ring's wraps around).
  void Write(const char* data, size_t n) {
    if (n == 0) return;
    const size_t at = static_cast<size_t>(text_written_ % text_capacity_);
    const size_t head = n < text_capacity_ - at ? n : text_capacity_ - at;
    std::memcpy(text_.get() + at, data, head);
    std::memcpy(text_.get(), data + head, n - head);
    text_written_ += n;
  }
  // Copies `n` bytes of the text area from stream position `from`.
  void Read(uint64_t from, size_t n, char* out) const {
    const size_t at = static_cast<size_t>(from % text_capacity_);
    const size_t head = n < text_capacity_ - at ? n : text_capacity_ - at;
    std::memcpy(out, text_.get() + at, head);
    std::memcpy(out + head, text_.get(), n - head);
  }

  // `r` as `*event`, its text read from `text_at`; returns where the next
  // record's text starts.
  uint64_t Decode(const TraceRecord& r, uint64_t text_at,
                  TraceEvent* event) const {
    event->kind = r.kind;
    event->flow = r.flow;
    event->ts_ns = r.ts_ns;
    event->id = r.id;
    event->dur_ns = 0;
    event->value = 0;
    event->SetLabel({});
    switch (r.kind) {
      case TraceEventKind::kTurn:
        event->dur_ns = r.value;
        event->value = r.extra;
        break;
      case TraceEventKind::kOutside:
        event->dur_ns = 2;
        event->SetText({reinterpret_cast<const char*>(r.value), r.extra});
        return text_at;
      case TraceEventKind::kFlowStart:
      case TraceEventKind::kFlowEnd:
      case TraceEventKind::kDeadLetter:
        event->SetLabel({reinterpret_cast<const char*>(r.value), r.extra});
        break;
      default:
        event->value = r.value;
        break;
    }
    const size_t n = r.text_size + r.text2_size;
    char text[TraceEvent::kTextCapacity];
    if (n != 0) Read(text_at, n, text);
    event->SetText({text, r.text_size}, {text + r.text_size, r.text2_size});
    return text_at + n;
  }

  const size_t capacity_;
  const bool ring_;
  const size_t text_capacity_;
  std::unique_ptr<TraceRecord[]> records_;
  std::unique_ptr<char[]> text_;
  size_t size_ = 0;  // Records held.
  size_t next_ = 0;  // Ring: where the next one goes.
  uint64_t dropped_ = 0;
  uint64_t text_written_ = 0;  // Bytes, ever (since Clear()).
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_TRACE_TRACE_BATCH_H_
