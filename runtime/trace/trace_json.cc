#include "runtime/trace/trace_json.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/base/attributes.h"
#include "runtime/trace/trace_event.h"

namespace coactor::internal {
namespace {

void AppendUint(uint64_t v, std::string* out) {
  // Two digits at a time, from the end: to_chars' loop costs 3x as much,
  // and a trace is mostly numbers.
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233"
      "34353637383940414243444546474849505152535455565758596061626364656667"
      "6869707172737475767778798081828384858687888990919293949596979899";
  char buf[20];
  char* p = buf + sizeof buf;
  while (v >= 100) {
    const unsigned pair = static_cast<unsigned>(v % 100) * 2;
    v /= 100;
    *--p = kPairs[pair + 1];
    *--p = kPairs[pair];
  }
  if (v >= 10) {
    *--p = kPairs[v * 2 + 1];
    *--p = kPairs[v * 2];
  } else {
    *--p = static_cast<char>('0' + v);
  }
  out->append(p, static_cast<size_t>(buf + sizeof buf - p));
}

// A label (a message type's name: static text, the same few over and over)
// as a JSON string, escaped once per thread and remembered by address.
std::string_view LabelJson(std::string_view label) {
  struct Entry {
    const char* data = nullptr;
    size_t size = 0;
    std::string json;
  };
  static thread_local Entry cache[8];
  Entry& entry = cache[(reinterpret_cast<uintptr_t>(label.data()) >> 4) % 8];
  if (entry.data != label.data() || entry.size != label.size()) {
    entry.data = label.data();
    entry.size = label.size();
    entry.json.clear();
    AppendJsonString(label, &entry.json);
  }
  return entry.json;
}
void AppendLabel(std::string_view label, std::string* out) {
  out->append(LabelJson(label));
}

// The hot events (turns and message arrows), written straight into room
// made in `out` (std::string's appends, each checking capacity, cost
// several times as much): Open() makes room for `room` bytes, the writes
// move `p`, Close() trims to what was written.
class RawOut {
 public:
  ABSL_ATTRIBUTE_ALWAYS_INLINE RawOut(std::string* out, size_t room)
      : out_(out) {
    const size_t size = out->size();
    out->resize(size + room);
    p_ = out->data() + size;
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE ~RawOut() {
    out_->resize(static_cast<size_t>(p_ - out_->data()));
  }
  template <size_t N>
  void Lit(const char (&text)[N]) {
    std::memcpy(p_, text, N - 1);
    p_ += N - 1;
  }
  void Raw(std::string_view text) {
    std::memcpy(p_, text.data(), text.size());
    p_ += text.size();
  }
  void Char(char c) { *p_++ = c; }
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Uint(uint64_t v) {
    static constexpr char kPairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233"
        "34353637383940414243444546474849505152535455565758596061626364656667"
        "6869707172737475767778798081828384858687888990919293949596979899";
    static constexpr uint64_t kPow10[20] = {1,
                                            10,
                                            100,
                                            1000,
                                            10000,
                                            100000,
                                            1000000,
                                            10000000,
                                            100000000,
                                            1000000000,
                                            10000000000,
                                            100000000000,
                                            1000000000000,
                                            10000000000000,
                                            100000000000000,
                                            1000000000000000,
                                            10000000000000000,
                                            100000000000000000,
                                            1000000000000000000,
                                            10000000000000000000u};
    // Digits: about log10 from the bit width, then one comparison.
    const int bits = 64 - __builtin_clzll(v | 1);
    int digits = (bits * 1233) >> 12;
    digits += (v | 1) >= kPow10[digits] ? 1 : 0;  // (0 has a digit too.)
    char* end = p_ + digits;
    char* q = end;
    while (v >= 100) {
      const unsigned pair = static_cast<unsigned>(v % 100) * 2;
      v /= 100;
      *--q = kPairs[pair + 1];
      *--q = kPairs[pair];
    }
    if (v >= 10) {
      *--q = kPairs[v * 2 + 1];
      *--q = kPairs[v * 2];
    } else {
      *--q = static_cast<char>('0' + v);
    }
    p_ = end;
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Micros(uint64_t ns) {
    Uint(ns / 1000);
    const unsigned frac = static_cast<unsigned>(ns % 1000);
    p_[0] = '.';
    p_[1] = static_cast<char>('0' + frac / 100);
    p_[2] = static_cast<char>('0' + frac / 10 % 10);
    p_[3] = static_cast<char>('0' + frac % 10);
    p_ += 4;
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Common(char ph, uint64_t ts_ns,
                                           uint32_t pid, uint32_t tid) {
    Lit(",\n{\"ph\":\"");
    Char(ph);
    Lit("\",\"pid\":");
    Uint(pid);
    Lit(",\"tid\":");
    Uint(tid);
    Lit(",\"ts\":");
    Micros(ts_ns);
  }

 private:
  std::string* out_;
  char* p_;
};
// Room for everything but the strings: the fixed text and 20-digit numbers.
constexpr size_t kFixedRoom = 192;

// A turn whose actor's name is `name_json`, or a flow without an outcome.
void AppendTurn(const TraceEvent& e, uint32_t pid, uint32_t tid,
                std::string_view name_json, std::string* out) {
  RawOut o(out, kFixedRoom + name_json.size());
  o.Common('X', e.ts_ns, pid, tid);
  o.Lit(",\"dur\":");
  o.Micros(e.dur_ns);
  o.Lit(",\"cat\":\"turn\",\"name\":");
  if (name_json.empty()) {
    o.Lit("\"actor ");
    o.Uint(e.id);
    o.Char('"');
  } else {
    o.Raw(name_json);
  }
  o.Lit(",\"args\":{\"actor\":");
  o.Uint(e.id);
  o.Lit(",\"messages\":");
  o.Uint(e.value);
  o.Lit("}}");
}
void AppendPlainFlow(const TraceEvent& e, uint32_t pid, uint32_t tid,
                     std::string* out) {
  const std::string_view label = LabelJson(e.label_view());
  RawOut o(out, kFixedRoom + label.size());
  const bool start = e.kind == TraceEventKind::kFlowStart;
  o.Common(start ? 's' : 'f', e.ts_ns, pid, tid);
  if (!start) o.Lit(",\"bp\":\"e\"");
  if (e.flow == TraceFlowKind::kAsk) {
    o.Lit(",\"cat\":\"ask\",\"name\":");
  } else {
    o.Lit(",\"cat\":\"msg\",\"name\":");
  }
  o.Raw(label);
  o.Lit(",\"id\":");
  o.Uint(e.id);
  o.Char('}');
}

// Nanoseconds as the format's microseconds, "12.345".
void AppendMicros(uint64_t ns, std::string* out) {
  AppendUint(ns / 1000, out);
  const unsigned frac = static_cast<unsigned>(ns % 1000);
  const char digits[4] = {'.', static_cast<char>('0' + frac / 100),
                          static_cast<char>('0' + frac / 10 % 10),
                          static_cast<char>('0' + frac % 10)};
  out->append(digits, 4);
}

// The length of the valid UTF-8 sequence at s[i], or 0 if there is none.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = byte(i);
  size_t n;
  uint32_t min;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2, min = 0x80;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3, min = 0x800;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  uint32_t cp = b & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void AppendCommon(const char* ph, uint64_t ts_ns, uint32_t pid, uint32_t tid,
                  std::string* out) {
  out->append(",\n{\"ph\":\"");
  out->append(ph);
  out->append("\",\"pid\":");
  AppendUint(pid, out);
  out->append(",\"tid\":");
  AppendUint(tid, out);
  out->append(",\"ts\":");
  AppendMicros(ts_ns, out);
}

// An instant event named `name`; the caller appends its args and the "}}".
void OpenInstant(const TraceEvent& e, const char* name, uint32_t pid,
                 uint32_t tid, std::string* out) {
  AppendCommon("i", e.ts_ns, pid, tid, out);
  out->append(",\"s\":\"t\",\"cat\":\"actor\",\"name\":\"");
  out->append(name);
  out->append("\",\"args\":{");
}

void AppendArg(const char* key, uint64_t v, std::string* out,
               bool first = false) {
  if (!first) out->push_back(',');
  out->push_back('"');
  out->append(key);
  out->append("\":");
  AppendUint(v, out);
}

void AppendArg(const char* key, std::string_view v, std::string* out,
               bool first = false) {
  if (!first) out->push_back(',');
  out->push_back('"');
  out->append(key);
  out->append("\":");
  AppendJsonString(v, out);
}

void AppendFlow(const TraceEvent& e, uint32_t pid, uint32_t tid,
                std::string* out) {
  const bool start = e.kind == TraceEventKind::kFlowStart;
  AppendCommon(start ? "s" : "f", e.ts_ns, pid, tid, out);
  if (!start) out->append(",\"bp\":\"e\"");
  out->append(e.flow == TraceFlowKind::kAsk ? ",\"cat\":\"ask\",\"name\":"
                                            : ",\"cat\":\"msg\",\"name\":");
  AppendLabel(e.label_view(), out);
  out->append(",\"id\":");
  AppendUint(e.id, out);
  if (e.text2_size != 0) {
    out->append(",\"args\":{");
    AppendArg("outcome", e.text2_view(), out, /*first=*/true);
    out->push_back('}');
  }
  out->push_back('}');
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    // The run of bytes that go as they are (most names: all of them).
    size_t plain = i;
    while (plain < s.size()) {
      const unsigned char c = static_cast<unsigned char>(s[plain]);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
      ++plain;
    }
    out->append(s.data() + i, plain - i);
    i = plain;
    if (i == s.size()) break;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = Utf8Length(s, i);
      if (n == 0) {
        out->append("\\ufffd");
        ++i;
      } else {
        out->append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out->append(esc, 6);
    } else {
      out->push_back(static_cast<char>(c));
    }
    ++i;
  }
  out->push_back('"');
}

void AppendTraceHeader(uint32_t pid, std::string* out) {
  out->append("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
  out->append("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":");
  AppendUint(pid, out);
  out->append(",\"tid\":0,\"args\":{\"name\":\"coactor\"}}");
}

void AppendThreadName(uint32_t pid, uint32_t tid, std::string_view name,
                      std::string* out) {
  out->append(",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":");
  AppendUint(pid, out);
  out->append(",\"tid\":");
  AppendUint(tid, out);
  out->append(",\"args\":{\"name\":");
  AppendJsonString(name, out);
  out->append("}}");
}

void AppendTraceFooter(uint64_t dropped_events, std::string* out) {
  out->append("\n],\"otherData\":{\"dropped_events\":");
  AppendUint(dropped_events, out);
  out->append("}}\n");
}

void AppendTraceEvent(const TraceEvent& e, uint32_t pid, uint32_t tid,
                      std::string* out, std::string_view actor_name_json) {
  switch (e.kind) {
    case TraceEventKind::kTurn:
      if (e.text_size == 0) {
        AppendTurn(e, pid, tid, actor_name_json, out);
        return;
      }
      AppendCommon("X", e.ts_ns, pid, tid, out);
      out->append(",\"dur\":");
      AppendMicros(e.dur_ns, out);
      out->append(",\"cat\":\"turn\",\"name\":");
      if (e.text_size != 0) {
        AppendJsonString(e.text_view(), out);
      } else {
        out->append("\"actor ");
        AppendUint(e.id, out);
        out->push_back('"');
      }
      out->append(",\"args\":{");
      AppendArg("actor", e.id, out, /*first=*/true);
      AppendArg("messages", e.value, out);
      out->append("}}");
      return;
    case TraceEventKind::kOutside:
      AppendCommon("X", e.ts_ns, pid, tid, out);
      out->append(",\"dur\":");
      AppendMicros(e.dur_ns, out);
      out->append(",\"cat\":\"outside\",\"name\":");
      AppendJsonString(e.text_view(), out);
      out->push_back('}');
      return;
    case TraceEventKind::kFlowStart:
    case TraceEventKind::kFlowEnd:
      if (e.text2_size == 0) {
        AppendPlainFlow(e, pid, tid, out);
      } else {
        AppendFlow(e, pid, tid, out);
      }
      return;
    case TraceEventKind::kSpawn:
      OpenInstant(e, "spawn", pid, tid, out);
      AppendArg("actor", e.id, out, /*first=*/true);
      AppendArg("name", e.text_view(), out);
      break;
    case TraceEventKind::kEnd:
      OpenInstant(e, "end", pid, tid, out);
      AppendArg("actor", e.id, out, /*first=*/true);
      AppendArg("name", e.text_view(), out);
      AppendArg("outcome", e.value == 0 ? "normal" : "exception", out);
      if (e.value != 0) AppendArg("what", e.text2_view(), out);
      break;
    case TraceEventKind::kFailure:
      OpenInstant(e, "failure", pid, tid, out);
      AppendArg("actor", e.id, out, /*first=*/true);
      AppendArg("name", e.text_view(), out);
      AppendArg("what", e.text2_view(), out);
      break;
    case TraceEventKind::kDeadLetter:
      OpenInstant(e, "dead letter", pid, tid, out);
      AppendArg("recipient", e.text_view(), out, /*first=*/true);
      AppendArg("reason", e.text2_view(), out);
      AppendArg("type", e.label_view(), out);
      break;
    case TraceEventKind::kTimerArmed:
      OpenInstant(e, "timer armed", pid, tid, out);
      AppendArg("timer", e.id, out, /*first=*/true);
      AppendArg("deadline_unix_ns", e.value, out);
      break;
    case TraceEventKind::kTimerFired:
      OpenInstant(e, "timer fired", pid, tid, out);
      AppendArg("timer", e.id, out, /*first=*/true);
      break;
    case TraceEventKind::kTimerCancelled:
      OpenInstant(e, "timer cancelled", pid, tid, out);
      AppendArg("timer", e.id, out, /*first=*/true);
      break;
    case TraceEventKind::kSteal:
      OpenInstant(e, "steal", pid, tid, out);
      AppendArg("worker", e.id, out, /*first=*/true);
      AppendArg("victim", e.value, out);
      break;
    case TraceEventKind::kPark:
      OpenInstant(e, "park", pid, tid, out);
      AppendArg("worker", e.id, out, /*first=*/true);
      break;
    case TraceEventKind::kWake:
      OpenInstant(e, "wake", pid, tid, out);
      AppendArg("worker", e.id, out, /*first=*/true);
      break;
    case TraceEventKind::kDropped:
      OpenInstant(e, "events dropped", pid, tid, out);
      AppendArg("count", e.value, out, /*first=*/true);
      break;
  }
  out->append("}}");
}

}  // namespace coactor::internal
