// Drives a Tracer from several threads the way a scheduler's workers would,
// for trace_recorder_test.sh, which checks the file it writes.
//
// usage: trace_recorder_driver PATH THREADS TURNS RING BUFFER [crash]
//
// "crash": once the threads are done, the process ends at once, as a crash
// would (std::_Exit(3), no Stop(), no stdio flush), for the test to count
// what the file kept.
//
// The main thread sends one message outside any turn, to thread 0. Thread i
// spawns actor i, then runs TURNS + 1 turns; in turn k it receives the
// message thread i-1 (cyclically) sent in its turn k-1 (waiting until it
// was sent), and sends one to thread i+1, except in its last turn. Every
// thread records one each of: dead letter, timer armed, fired, cancelled,
// steal, park, wake, and its actor's end. So the trace holds THREADS x
// (TURNS + 1) turns and THREADS x TURNS + 1 flows, and each worker thread
// 3 x TURNS + 10 events (thread 0 one more). RING > 0: bounded, keeping
// RING per thread; BUFFER: events per streaming batch.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "runtime/trace/tracer.h"

namespace {

uint64_t FlowId(int thread, int turn) {
  return (uint64_t(thread) << 24) + uint64_t(turn) + 1;
}
constexpr uint64_t kMainFlow = 1;  // Below every FlowId().

}  // namespace

int main(int argc, char** argv) {
  const bool crash = argc == 7 && std::string(argv[6]) == "crash";
  if (argc != 6 && !crash) {
    std::fprintf(stderr, "usage: %s PATH THREADS TURNS RING BUFFER [crash]\n",
                 argv[0]);
    return 2;
  }
  const int threads = std::atoi(argv[2]);
  const int turns = std::atoi(argv[3]);
  coactor::TraceOptions options;
  options.ring_events = std::strtoul(argv[4], nullptr, 10);
  options.buffer_events = std::strtoul(argv[5], nullptr, 10);
  coactor::Tracer tracer;
  if (auto s = tracer.Start(argv[1], options); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  tracer.NameThread("main");
  tracer.FlowStart(coactor::TraceFlowKind::kMessage, kMainFlow, "Start");

  std::vector<std::atomic<int>> sent(threads);
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      const int prev = (i + threads - 1) % threads;
      const std::string actor = "actor " + std::to_string(i);
      tracer.NameThread("lane " + std::to_string(i));
      tracer.Spawn(i, actor);
      for (int k = 0; k <= turns; ++k) {
        // Acquire: the send happened before this receipt.
        while (k > 0 && sent[prev].load(std::memory_order_acquire) < k) {
          std::this_thread::yield();
        }
        tracer.BeginTurn(i, actor);
        if (k > 0) {
          tracer.FlowEnd(coactor::TraceFlowKind::kMessage, FlowId(prev, k - 1),
                         "Ball");
        } else if (i == 0) {
          tracer.FlowEnd(coactor::TraceFlowKind::kMessage, kMainFlow, "Start");
        }
        if (k < turns) {
          tracer.FlowStart(coactor::TraceFlowKind::kMessage, FlowId(i, k),
                           "Ball");
          // Release: pairs with the receiver's acquire.
          sent[i].store(k + 1, std::memory_order_release);
        }
        tracer.EndTurn(k > 0 ? 1 : 0);
      }
      tracer.DeadLetter("nobody", "no actor is called \"nobody\"", "int");
      tracer.TimerArmed(i, 1000);
      tracer.TimerFired(i);
      tracer.TimerCancelled(i + 100);
      tracer.Steal(i, prev);
      tracer.Park(i);
      tracer.Wake(i);
      tracer.End(i, actor);
    });
  }
  for (std::thread& t : pool) t.join();
  if (crash) std::_Exit(3);
  if (auto s = tracer.Stop(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
