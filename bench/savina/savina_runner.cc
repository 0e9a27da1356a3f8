// Runs one of coactor's comparison workloads (workloads.h) once and prints
// one JSON line (report.h); bench/compare.py drives it, one process per run,
// and reads the workloads' names, units, sizes and descriptions from
// `savina_runner --list`. The runner protocol is bench/runner/runner.h's.
//
//   bazel run --config=opt //bench/savina:savina_runner --
//       --workload=ping_pong --size=1000000 --threads=2 --scheduler=stealing
//
// Exit status 0 when the workload verified its result, 1 when not, 2 for
// bad flags.
#include <cstdint>

#include "bench/runner/runner.h"
#include "bench/savina/workloads.h"

namespace coactor::savina {
namespace {

comparison::WorkloadRegistry Workloads() {
  comparison::WorkloadRegistry workloads;
  workloads
      .Add({.name = "counter_printer",
            .unit = "msgs",
            .full_size = 1'000'000,
            .quick_size = 10'000,
            .description =
                "Beazley's pair: a counter sends n, n-1, ..., 1 to a printer, "
                "which sums them, and each next number to itself; counts 2n "
                "messages (by name in coactor, Erlang and Python; through "
                "handles in CAF, channels in Go)."},
           [](auto& sched, int64_t n) { return CounterPrinter(sched, n); })
      .Add({.name = "ping_pong",
            .unit = "msgs",
            .full_size = 500'000,
            .quick_size = 10'000,
            .description =
                "two actors bounce one message back and forth n times, each "
                "reply going to the reference the message carries (by name "
                "in Python); counts n messages."},
           [](auto& sched, int64_t n) { return PingPong(sched, n); })
      .Add({.name = "counting",
            .unit = "msgs",
            .full_size = 1'000'000,
            .quick_size = 10'000,
            .description =
                "one actor sends n increments to a counting actor, then asks "
                "it for the total and waits for the reply; counts n "
                "messages."},
           [](auto& sched, int64_t n) { return Counting(sched, n); })
      .Add({.name = "thread_ring",
            .unit = "hops",
            .full_size = 500'000,
            .quick_size = 10'000,
            .description =
                "503 actors in a ring pass one token n hops, each to the "
                "next; counts n hops (one message each)."},
           [](auto& sched, int64_t n) { return ThreadRing(sched, n); })
      .Add({.name = "fork_join_throughput",
            .unit = "msgs",
            .full_size = 5'000,
            .quick_size = 100,
            .description =
                "a driver sends n messages to each of 64 workers in turn; "
                "each message costs its worker one sine (the Savina "
                "computation); counts 64n messages."},
           [](auto& sched, int64_t n) { return ForkJoinThroughput(sched, n); })
      .Add({.name = "fork_join_creation",
            .unit = "actors",
            .full_size = 100'000,
            .quick_size = 2'000,
            .max_size = 4'000'000,
            .description =
                "a creator spawns n actors and sends each one message; each "
                "computes one sine, reports to a collector and ends; counts "
                "n actors."},
           [](auto& sched, int64_t n) { return ForkJoinCreation(sched, n); })
      .Add({.name = "big",
            .unit = "msgs",
            .full_size = 1'000,
            .quick_size = 50,
            .description =
                "256 actors each send n pings, one at a time, to peers chosen "
                "at random; each ping is answered by a pong; counts "
                "2 × 256 × n messages."},
           [](auto& sched, int64_t n) { return Big(sched, n); })
      .Add({.name = "chameneos",
            .unit = "meetings",
            .full_size = 100'000,
            .quick_size = 2'000,
            .description =
                "100 creatures of three colours ask a mall to meet; the mall "
                "pairs two requests, the pair swap colours and ask again (4 "
                "messages a meeting); counts meetings."},
           [](auto& sched, int64_t n) { return Chameneos(sched, n); })
      .Add({.name = "bounded_buffer",
            .unit = "items",
            .full_size = 100'000,
            .quick_size = 2'000,
            .description =
                "16 producers and 16 consumers trade through a buffer actor "
                "holding at most 64 items, which asks a producer for its next "
                "item only while it has room (4 messages an item, one sine "
                "per item at each end); counts n items consumed."},
           [](auto& sched, int64_t n) { return BoundedBuffer(sched, n); })
      .Add(
          {.name = "bounded_mailbox_buffer",
           .unit = "items",
           .full_size = 400'000,
           .quick_size = 2'000,
           .description =
               "bounded_buffer's trade with the buffer made of bounded "
               "mailboxes: 16 producers send straight to 16 consumers whose "
               "mailboxes hold 4 items each (64 in all); a producer waits "
               "for room (co_await SendWhenRoom) instead of being asked; one "
               "sine per item at each end, one message an item; counts n "
               "items."},
          [](auto& sched, int64_t n) { return BoundedMailboxBuffer(sched, n); })
      .Add({.name = "idle_actor_memory",
            .unit = "actors",
            .full_size = 200'000,
            .quick_size = 10'000,
            .max_size = 1'000'000,
            .description =
                "spawns n actors that each wait for one message; the rate is "
                "actors spawned and started per second, the memory figure is "
                "RSS growth / n; then each gets its message and ends. Counts "
                "n actors."},
           [](auto& sched, int64_t n) { return IdleActorMemory(sched, n); });
  return workloads;
}

}  // namespace
}  // namespace coactor::savina

int main(int argc, char** argv) {
  return coactor::comparison::RunnerMain(coactor::savina::Workloads(), argc,
                                         argv);
}
