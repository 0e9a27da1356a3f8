#include "runtime/trace/tracer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/trace/trace_batch.h"
#include "runtime/trace/trace_buffer.h"
#include "runtime/trace/trace_event.h"
#include "runtime/trace/trace_json.h"
#include "runtime/trace/trace_writer.h"

namespace coactor {

using internal::TraceBuffer;
using internal::TraceEvent;
using internal::TraceEventKind;

namespace {

// Trace numbers, unique in the process, so that a thread's cached buffer
// is never taken for one of a later trace (or another tracer's).
std::atomic<uint64_t> next_serial{1};

}  // namespace

Tracer::~Tracer() { Stop().IgnoreError(); }

absl::Status Tracer::Start(std::string_view path, const TraceOptions& options) {
  std::lock_guard<std::mutex> registry(registry_mutex_);
  std::lock_guard<std::mutex> file(file_mutex_);
  if (file_ != nullptr) {
    return absl::FailedPreconditionError(
        "a trace is already started; Stop() it first");
  }
  const std::string name(path);
  std::FILE* f = std::fopen(name.c_str(), "w");
  if (f == nullptr) {
    const int error = errno;
    return absl::Status(absl::ErrnoToStatusCode(error),
                        absl::StrCat("cannot write the trace file \"", name,
                                     "\": ", std::strerror(error),
                                     "; running without a trace"));
  }
  file_ = f;
  write_error_ = absl::OkStatus();
  options_ = options;
  pid_ = static_cast<uint32_t>(getpid());
  // The rate is measured once per process, at the first trace (10 ms).
  // ToNanos(2^32 ticks) is the rate in 32.32 fixed point.
  nanos_per_tick_32_ = internal::TickClock::ToNanos(uint64_t{1} << 32);
  start_ticks_ = internal::TickClock::Now();
  std::string header;
  internal::AppendTraceHeader(pid_, &header);
  Write(header);
  if (options_.ring_events == 0) {
    writer_.Start([this](TraceBuffer& from, const internal::TraceBatch& batch) {
      WriteBatch(from, batch, &writer_text_);
    });
  }
  // Release: a thread that sees the serial sees the trace set up above.
  serial_.store(next_serial.fetch_add(1, std::memory_order_relaxed),
                std::memory_order_release);
  return absl::OkStatus();
}

absl::Status Tracer::Stop() {
  std::lock_guard<std::mutex> registry(registry_mutex_);
  {
    std::lock_guard<std::mutex> file(file_mutex_);
    if (file_ == nullptr) return absl::OkStatus();
  }
  // Relaxed: recording has ended (the class comment's contract).
  serial_.store(0, std::memory_order_relaxed);
  writer_.Stop();  // What was handed to it is written.
  std::lock_guard<std::mutex> file(file_mutex_);
  uint64_t dropped = 0;
  std::string text;
  for (const std::unique_ptr<TraceBuffer>& buffer : buffers_) {
    text.clear();
    internal::AppendThreadName(pid_, buffer->tid(), buffer->name, &text);
    const internal::TraceBatch& batch = buffer->batch();
    if (batch.dropped() != 0) {
      // Stamped with the oldest event kept: everything before it is gone.
      TraceEvent note;
      note.kind = TraceEventKind::kDropped;
      note.value = batch.dropped();
      batch.ForEach([&](const TraceEvent& e) {
        if (note.ts_ns == 0) note.ts_ns = e.ts_ns;
      });
      internal::AppendTraceEvent(note, pid_, buffer->tid(), &text);
      dropped += batch.dropped();
    }
    AppendBatch(*buffer, batch, &text, /*write=*/true);
    Write(text);
  }
  buffers_.clear();
  text.clear();
  internal::AppendTraceFooter(dropped, &text);
  Write(text);
  if (std::fclose(file_) != 0 && write_error_.ok()) {
    write_error_ = absl::Status(
        absl::ErrnoToStatusCode(errno),
        absl::StrCat("closing the trace file: ", std::strerror(errno)));
  }
  file_ = nullptr;
  return std::exchange(write_error_, absl::OkStatus());
}

void Tracer::Write(const std::string& text) {
  if (!write_error_.ok()) return;
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) {
    write_error_ = absl::Status(
        absl::ErrnoToStatusCode(errno),
        absl::StrCat("writing the trace file: ", std::strerror(errno)));
  }
}

TraceBuffer* Tracer::RegisterThread(uint64_t serial) {
  if (serial == 0) return nullptr;
  std::lock_guard<std::mutex> registry(registry_mutex_);
  const std::thread::id self = std::this_thread::get_id();
  TraceBuffer* found = nullptr;
  for (const std::unique_ptr<TraceBuffer>& buffer : buffers_) {
    if (buffer->owner == self) found = buffer.get();
  }
  if (found == nullptr) {
    const bool ring = options_.ring_events != 0;
    auto buffer = std::make_unique<TraceBuffer>(
        static_cast<uint32_t>(buffers_.size() + 1),
        ring ? options_.ring_events : options_.buffer_events, ring);
    buffer->owner = self;
    buffer->name = absl::StrCat("thread ", buffer->tid());
    found = buffer.get();
    buffers_.push_back(std::move(buffer));
  }
  internal::trace_thread_cache = internal::TraceThreadCache{serial, found};
  return found;
}

void Tracer::Flush(TraceBuffer* buffer) { writer_.Hand(buffer); }

void Tracer::RecordText(TraceBuffer* buffer, internal::TraceRecord* record,
                        std::string_view first, std::string_view second) {
  // The batch `record` went to: Record() may have swapped it in.
  buffer->batch().PutText(record, first, second);
}

void Tracer::AppendBatch(TraceBuffer& buffer, const internal::TraceBatch& batch,
                         std::string* text, bool write) {
  constexpr size_t kWriteAt = size_t{1} << 20;
  batch.ForEach([&](const TraceEvent& e) {
    internal::AppendTraceEvent(e, pid_, buffer.tid(), text,
                               buffer.ActorNameJson(e));
    if (write && text->size() >= kWriteAt) {
      Write(*text);
      text->clear();
    }
  });
}

void Tracer::WriteBatch(TraceBuffer& buffer, const internal::TraceBatch& batch,
                        std::string* text) {
  text->clear();
  AppendBatch(buffer, batch, text);
  std::lock_guard<std::mutex> file(file_mutex_);
  Write(*text);
  // Out of the process's buffer: a crash from now on does not lose it.
  if (write_error_.ok() && std::fflush(file_) != 0) {
    write_error_ = absl::Status(
        absl::ErrnoToStatusCode(errno),
        absl::StrCat("writing the trace file: ", std::strerror(errno)));
  }
}

void Tracer::NameThread(std::string_view name) {
  if (TraceBuffer* b = Buffer()) {
    b->name.assign(name);
    b->named = true;
  }
}

bool Tracer::thread_named() {
  TraceBuffer* b = Buffer();
  return b == nullptr || b->named;
}

void Tracer::EndTurn(uint64_t messages) { EndTurn(messages, Now()); }

void Tracer::KeepTurnName(TraceBuffer* b, std::string_view name) {
  b->turn_name_size =
      static_cast<uint8_t>(std::min(name.size(), TraceEvent::kTextCapacity));
  std::memcpy(b->turn_name, name.data(), b->turn_name_size);
}

void Tracer::AbandonTurn() {
  if (TraceBuffer* b = Buffer()) b->in_turn = false;
}

void Tracer::Spawn(uint64_t actor, std::string_view name) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  RecordText(b, Record(b, TraceEventKind::kSpawn, Clock(), actor), name);
}

void Tracer::End(uint64_t actor, std::string_view name) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  // Value 0: normally.
  RecordText(b, Record(b, TraceEventKind::kEnd, Clock(), actor), name);
}

void Tracer::EndByException(uint64_t actor, std::string_view name,
                            std::string_view what) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  // Value 1: by an exception.
  RecordText(b, Record(b, TraceEventKind::kEnd, Clock(), actor, 1), name, what);
}

void Tracer::Failure(uint64_t actor, std::string_view name,
                     std::string_view what) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  RecordText(b, Record(b, TraceEventKind::kFailure, Clock(), actor), name,
             what);
}

void Tracer::DeadLetter(std::string_view recipient, std::string_view reason,
                        std::string_view type_name) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  RecordText(b,
             Record(b, TraceEventKind::kDeadLetter, Clock(), 0,
                    reinterpret_cast<uint64_t>(type_name.data()),
                    static_cast<uint32_t>(type_name.size())),
             recipient, reason);
}

uint64_t Tracer::NewFlowId() {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return 0;
  // Thread number in the high bits; ids stay below 2^53 for 2^21 threads.
  return (uint64_t{b->tid()} << 32) | ++b->flows;
}

uint64_t Tracer::OutsideSlice(TraceBuffer* b, uint64_t ts_ns,
                              const char* name) {
  Record(b, TraceEventKind::kOutside, ts_ns, 0,
         reinterpret_cast<uint64_t>(name),
         static_cast<uint32_t>(std::strlen(name)));
  return ts_ns + 1;
}

void Tracer::FlowStart(TraceFlowKind kind, uint64_t id, std::string_view name) {
  FlowStart(kind, id, name, Now());
}

void Tracer::TimerArmed(uint64_t timer, uint64_t deadline_unix_ns) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  Record(b, TraceEventKind::kTimerArmed, Clock(), timer, deadline_unix_ns);
}

void Tracer::TimerFired(uint64_t timer) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  Record(b, TraceEventKind::kTimerFired, Clock(), timer);
}

void Tracer::TimerCancelled(uint64_t timer) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  Record(b, TraceEventKind::kTimerCancelled, Clock(), timer);
}

void Tracer::Steal(uint64_t worker, uint64_t victim) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  Record(b, TraceEventKind::kSteal, Clock(), worker, victim);
}

void Tracer::Park(uint64_t worker) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  Record(b, TraceEventKind::kPark, Clock(), worker);
}

void Tracer::Wake(uint64_t worker) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  Record(b, TraceEventKind::kWake, Clock(), worker);
}

}  // namespace coactor
