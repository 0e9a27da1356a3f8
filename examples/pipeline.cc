// A pipeline of three actors, producer -> parser -> writer, where the last
// stage is the slowest: with bounded mailboxes and backpressure
// (--capacity=N, the default 256) each stage waits for room in the next
// (co_await SendWhenRoom()), so the memory of the whole pipeline stays
// bounded; with --capacity=0 the mailboxes are unbounded and the producer's
// lines pile up in front of the writer. Prints what the writer summed and
// the peak RSS.
//
//   ./bazelw run --config=opt //examples:pipeline
//   ./bazelw run --config=opt //examples:pipeline -- --capacity=0
//   ./bazelw run --config=opt //examples:pipeline -- --threads=2
#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "actors/send_when_room.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"
#include "runtime/spawn_options.h"
#include "runtime/work_stealing_scheduler.h"

ABSL_FLAG(int64_t, lines, 2'000'000, "lines the producer makes");
ABSL_FLAG(int64_t, capacity, 256,
          "mailbox capacity of the parser and the writer (0: unbounded)");
ABSL_FLAG(int, threads, 0, "0: DequeScheduler; else work-stealing workers");

namespace {

struct Record {
  int64_t id;
  int64_t value;
};

// "record <id>: value=<v> (some padding to make it a real line)".
coactor::Actor<std::string> Parser(coactor::ActorRef<Record> writer) {
  for (;;) {
    const std::string line = co_await coactor::Receive<std::string>();
    Record record{0, 0};
    std::sscanf(line.c_str(), "record %ld: value=%ld", &record.id,
                &record.value);
    if (!(co_await coactor::SendWhenRoom(writer, record)).ok()) co_return;
  }
}

// The slow stage: some work per record.
coactor::Actor<Record> Writer(int64_t* sum, int64_t* count) {
  double sink = 0;
  for (;;) {
    const Record record = co_await coactor::Receive<Record>();
    for (int i = 0; i < 2000; ++i) sink = sink * 1.0000001 + 0.5;
    *sum += record.value + (sink < 0 ? 1 : 0);
    ++*count;
  }
}

coactor::Actor<int> Producer(coactor::ActorRef<std::string> parser,
                             int64_t lines) {
  co_await coactor::Receive<int>();
  for (int64_t i = 0; i < lines; ++i) {
    std::string line = "record " + std::to_string(i) +
                       ": value=" + std::to_string(i % 1000) +
                       " (a line of a large file, longer than 32 bytes)";
    if (!(co_await coactor::SendWhenRoom(parser, std::move(line))).ok()) {
      co_return;
    }
  }
}

template <coactor::Scheduler Sched>
int RunPipeline(Sched& sched, int64_t lines, int64_t capacity) {
  coactor::SpawnOptions options;
  if (capacity > 0) {
    options.mailbox_capacity = capacity;
    options.when_full = coactor::WhenFull::kBackpressure;
  }
  int64_t sum = 0, count = 0;
  auto writer = sched.Spawn("writer", Writer(&sum, &count), options);
  if (!writer.ok()) return 1;
  auto parser = sched.Spawn("parser", Parser(*writer), options);
  if (!parser.ok()) return 1;
  auto producer = sched.Spawn("producer", Producer(*parser, lines));
  if (!producer.ok() || !sched.Send(*producer, 0).ok()) return 1;
  const absl::Status ran = sched.Run();
  int64_t expected = 0;
  for (int64_t i = 0; i < lines; ++i) expected += i % 1000;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "pipeline: %lld records, sum %lld (%s), capacity %s, peak RSS "
      "%.1f MiB\n",
      static_cast<long long>(count), static_cast<long long>(sum),
      ran.ok() && count == lines && sum == expected ? "ok" : "WRONG",
      capacity > 0 ? std::to_string(capacity).c_str() : "unbounded",
      usage.ru_maxrss / 1024.0);
  return ran.ok() && count == lines && sum == expected ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int64_t lines = absl::GetFlag(FLAGS_lines);
  const int64_t capacity = absl::GetFlag(FLAGS_capacity);
  const int threads = absl::GetFlag(FLAGS_threads);
  if (threads <= 0) {
    coactor::DequeScheduler sched;
    return RunPipeline(sched, lines, capacity);
  }
  coactor::WorkStealingScheduler sched(threads);
  return RunPipeline(sched, lines, capacity);
}
