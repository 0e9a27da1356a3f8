#include "runtime/trace/tracer.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/trace/trace_buffer.h"
#include "runtime/trace/trace_event.h"
#include "runtime/trace/trace_json.h"

namespace coactor {

using internal::TraceBuffer;
using internal::TraceEvent;
using internal::TraceEventKind;

namespace {

// Trace numbers, unique in the process, so that a thread's cached buffer
// is never taken for one of a later trace (or another tracer's).
std::atomic<uint64_t> next_serial{1};

// The calling thread's buffer in the trace numbered `serial`.
struct ThreadCache {
  uint64_t serial = 0;
  TraceBuffer* buffer = nullptr;
};
thread_local constinit ThreadCache thread_cache;

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
  start_ = std::chrono::steady_clock::now();
  std::string header;
  internal::AppendTraceHeader(pid_, &header);
  Write(header);
  // Release: a thread that sees the serial sees the trace set up above.
  serial_.store(next_serial.fetch_add(1, std::memory_order_relaxed),
                std::memory_order_release);
  return absl::OkStatus();
}

absl::Status Tracer::Stop() {
  std::lock_guard<std::mutex> registry(registry_mutex_);
  std::lock_guard<std::mutex> file(file_mutex_);
  if (file_ == nullptr) return absl::OkStatus();
  // Relaxed: recording has ended (the class comment's contract).
  serial_.store(0, std::memory_order_relaxed);
  uint64_t dropped = 0;
  std::string text;
  for (const std::unique_ptr<TraceBuffer>& buffer : buffers_) {
    text.clear();
    internal::AppendThreadName(pid_, buffer->tid(), buffer->name, &text);
    if (buffer->dropped() != 0) {
      // Stamped with the oldest event kept: everything before it is gone.
      TraceEvent note;
      note.kind = TraceEventKind::kDropped;
      note.value = buffer->dropped();
      buffer->ForEach([&](const TraceEvent& e) {
        if (note.ts_ns == 0) note.ts_ns = e.ts_ns;
      });
      internal::AppendTraceEvent(note, pid_, buffer->tid(), &text);
      dropped += buffer->dropped();
    }
    buffer->ForEach([&](const TraceEvent& e) {
      internal::AppendTraceEvent(e, pid_, buffer->tid(), &text);
    });
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

TraceBuffer* Tracer::Buffer() {
  // Acquire: pairs with Start()'s release (free on x86: a plain load).
  const uint64_t serial = serial_.load(std::memory_order_acquire);
  if (thread_cache.serial == serial && serial != 0) [[likely]] {
    return thread_cache.buffer;
  }
  return RegisterThread(serial);
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
  thread_cache = ThreadCache{serial, found};
  return found;
}

uint64_t Tracer::NowFrom(std::chrono::steady_clock::time_point t) const {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t - start_).count());
}

uint64_t Tracer::Now() const {
  if (!started()) return 0;
  return Clock();
}

uint64_t Tracer::Clock() const {
  return NowFrom(std::chrono::steady_clock::now());
}

TraceEvent* Tracer::Record(TraceBuffer* buffer, TraceEventKind kind,
                           uint64_t ts_ns) {
  if (buffer->full()) Flush(buffer);
  TraceEvent& e = buffer->Append();
  // The fields every kind writes; each recording call sets the others it
  // uses (trace_event.h says which), and the JSON reads no others.
  e.kind = kind;
  e.ts_ns = ts_ns;
  e.text_size = e.text2_size = 0;
  return &e;
}

void Tracer::Flush(TraceBuffer* buffer) {
  std::string& text = buffer->scratch;
  text.clear();
  buffer->ForEach([&](const TraceEvent& e) {
    internal::AppendTraceEvent(e, pid_, buffer->tid(), &text);
  });
  buffer->Clear();
  std::lock_guard<std::mutex> file(file_mutex_);
  Write(text);
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

void Tracer::BeginTurn(uint64_t actor, std::string_view actor_name) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  b->in_turn = true;
  b->turn_begin_ns = Clock();
  b->turn.kind = TraceEventKind::kTurn;
  b->turn.ts_ns = b->turn_begin_ns;
  b->turn.id = actor;
  b->turn.SetText(actor_name);
}

void Tracer::EndTurn(uint64_t messages) { EndTurn(messages, Now()); }

void Tracer::EndTurn(uint64_t messages, uint64_t now) {
  TraceBuffer* b = Buffer();
  if (b == nullptr || !b->in_turn) return;
  b->in_turn = false;
  const uint64_t begin = b->turn_begin_ns;
  if (b->full()) Flush(b);
  TraceEvent& e = b->Append();
  e = b->turn;  // Kind, start, actor and name, set by BeginTurn().
  // At least 2 ns, so that a flow end stamped begin + 1 lies inside.
  e.dur_ns = now > begin + 2 ? now - begin : 2;
  e.value = messages;
}

void Tracer::AbandonTurn() {
  if (TraceBuffer* b = Buffer()) b->in_turn = false;
}

void Tracer::Spawn(uint64_t actor, std::string_view name) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  TraceEvent* e = Record(b, TraceEventKind::kSpawn, Clock());
  e->id = actor;
  e->SetText(name);
}

void Tracer::End(uint64_t actor, std::string_view name) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  TraceEvent* e = Record(b, TraceEventKind::kEnd, Clock());
  e->id = actor;
  e->value = 0;  // Normally.
  e->SetText(name);
}

void Tracer::EndByException(uint64_t actor, std::string_view name,
                            std::string_view what) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  TraceEvent* e = Record(b, TraceEventKind::kEnd, Clock());
  e->id = actor;
  e->value = 1;  // By an exception.
  e->SetText(name, what);
}

void Tracer::Failure(uint64_t actor, std::string_view name,
                     std::string_view what) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  TraceEvent* e = Record(b, TraceEventKind::kFailure, Clock());
  e->id = actor;
  e->SetText(name, what);
}

void Tracer::DeadLetter(std::string_view recipient, std::string_view reason,
                        std::string_view type_name) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  TraceEvent* e = Record(b, TraceEventKind::kDeadLetter, Clock());
  e->SetLabel(type_name);
  e->SetText(recipient, reason);
}

uint64_t Tracer::NewFlowId() {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return 0;
  // Thread number in the high bits; ids stay below 2^53 for 2^21 threads.
  return (uint64_t{b->tid()} << 32) | ++b->flows;
}

uint64_t Tracer::OutsideSlice(TraceBuffer* b, uint64_t ts_ns,
                              const char* name) {
  TraceEvent* slice = Record(b, TraceEventKind::kOutside, ts_ns);
  slice->dur_ns = 2;
  slice->SetText(name);
  return ts_ns + 1;
}

void Tracer::FlowStart(TraceFlowKind kind, uint64_t id, std::string_view name) {
  FlowStart(kind, id, name, Now());
}

void Tracer::FlowStart(TraceFlowKind kind, uint64_t id, std::string_view name,
                       uint64_t ts) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  if (!b->in_turn) {
    ts = OutsideSlice(b, ts, "send");
  } else if (ts <= b->turn_begin_ns) {
    ts = b->turn_begin_ns + 1;  // Inside the turn's slice (at least 2 ns).
  }
  TraceEvent* e = Record(b, TraceEventKind::kFlowStart, ts);
  e->flow = kind;
  e->id = id;
  e->SetLabel(name);
}

void Tracer::FlowEnd(TraceFlowKind kind, uint64_t id, std::string_view name,
                     std::string_view outcome) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  // In a turn, stamped just inside its start (not at its edge, where a
  // viewer may not count it as inside): a receipt is what starts a turn,
  // and this saves a clock read per message.
  const uint64_t ts =
      b->in_turn ? b->turn_begin_ns + 1 : OutsideSlice(b, Clock(), "receive");
  TraceEvent* e = Record(b, TraceEventKind::kFlowEnd, ts);
  e->flow = kind;
  e->id = id;
  e->SetLabel(name);
  e->SetText({}, outcome);
}

void Tracer::TimerArmed(uint64_t timer, uint64_t deadline_unix_ns) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  TraceEvent* e = Record(b, TraceEventKind::kTimerArmed, Clock());
  e->id = timer;
  e->value = deadline_unix_ns;
}

void Tracer::TimerFired(uint64_t timer) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  Record(b, TraceEventKind::kTimerFired, Clock())->id = timer;
}

void Tracer::TimerCancelled(uint64_t timer) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  Record(b, TraceEventKind::kTimerCancelled, Clock())->id = timer;
}

void Tracer::Steal(uint64_t worker, uint64_t victim) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  TraceEvent* e = Record(b, TraceEventKind::kSteal, Clock());
  e->id = worker;
  e->value = victim;
}

void Tracer::Park(uint64_t worker) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  Record(b, TraceEventKind::kPark, Clock())->id = worker;
}

void Tracer::Wake(uint64_t worker) {
  TraceBuffer* b = Buffer();
  if (b == nullptr) return;
  Record(b, TraceEventKind::kWake, Clock())->id = worker;
}

}  // namespace coactor
