// David Beazley's ActorScheduler example, in C++: the counter sends n to the
// printer and n-1 to itself until n is 0. Sends only enqueue, so the chain
// of 2n messages runs in constant stack however large n is.
//
//   bazel run //examples:counter_printer                 # Got: 100 ... Got: 1
//   bazel run --config=opt //examples:counter_printer -- --n=100000000 --quiet
//   bazel run //examples:counter_printer -- --trace=/tmp/cp.json  # Perfetto
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "actors/actor.h"
#include "actors/receive.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"

ABSL_FLAG(int, n, 100, "the count to start from");
ABSL_FLAG(std::string, trace, "",
          "write a trace of the run to this file (Chrome Trace Event JSON: "
          "open it at ui.perfetto.dev, or draw it with //tools:trace_view)");
ABSL_FLAG(bool, quiet, false,
          "count the printer's messages instead of printing them, and print "
          "the total and the rate");

coactor::Actor<int> Printer() {
  for (;;) {
    // Receive first: in `std::cout << "Got: " << co_await ...` C++17
    // sequences the left operand first, so "Got: " would be printed before
    // the actor suspends for its next message.
    int n = co_await coactor::Receive<int>();
    std::cout << "Got: " << n << "\n";
  }
}

coactor::Actor<int> QuietPrinter(int64_t& received) {
  for (;;) {
    co_await coactor::Receive<int>();
    ++received;
  }
}

// Runs on any scheduler (coactor::Scheduler); main() picks the deque one.
template <coactor::Scheduler Sched>
coactor::Actor<int> Counter(Sched& sched) {
  for (;;) {
    int n = co_await coactor::Receive<int>();
    if (n == 0) co_return;
    // A failed send returns an error and keeps the message as a dead letter;
    // this example has no use for the status.
    sched.Send("printer", n).IgnoreError();
    sched.Send("counter", n - 1).IgnoreError();
  }
}

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int n = absl::GetFlag(FLAGS_n);
  const bool quiet = absl::GetFlag(FLAGS_quiet);
  if (n < 0) {
    std::cerr << "--n must not be negative\n";
    return 2;
  }

  coactor::DequeScheduler sched;
  if (const std::string trace = absl::GetFlag(FLAGS_trace); !trace.empty()) {
    // An unwritable path: say so, and run untraced.
    if (absl::Status s = sched.StartTrace(trace); !s.ok()) {
      std::cerr << s << "\n";
    }
  }
  int64_t received = 0;
  absl::Status spawned =
      quiet ? sched.Spawn("printer", QuietPrinter(received)).status()
            : sched.Spawn("printer", Printer()).status();
  if (spawned.ok()) spawned = sched.Spawn("counter", Counter(sched)).status();
  if (spawned.ok()) spawned = sched.Send("counter", n);
  if (!spawned.ok()) {
    std::cerr << spawned << "\n";
    return 1;
  }

  const auto start = std::chrono::steady_clock::now();
  if (absl::Status run = sched.Run(); !run.ok()) {
    std::cerr << run << "\n";
    return 1;
  }
  const std::chrono::duration<double> elapsed =
      std::chrono::steady_clock::now() - start;

  if (quiet) {
    const uint64_t messages = sched.messages_delivered();
    std::cout << "printer received " << received << " messages; " << messages
              << " messages delivered in " << elapsed.count() << " s ("
              << messages / elapsed.count() / 1e6 << " million messages/s)\n";
  }
  if (absl::Status s = sched.StopTrace(); !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  if (!sched.dead_letters().empty() || !sched.failures().empty()) {
    std::cerr << sched.dead_letters().size() << " dead letters, "
              << sched.failures().size() << " failed actors\n";
    return 1;
  }
  return 0;
}
