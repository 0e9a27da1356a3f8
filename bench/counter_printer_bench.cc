// Beazley's counter/printer on the deque scheduler: the counter sends n to
// the printer and n-1 to itself until n is 0, so 2n messages flow through
// one FIFO. Three variants in one binary, so they are compared in one run:
//
//   BM_CounterPrinterByName  sends by name, exactly as in the seed.
//   BM_CounterPrinterByRef   sends through typed references.
//   BM_CounterPrinterFloor   the limit: a hand-written coroutine loop over a
//                            plain std::deque of (handle, int), with no
//                            registry, type erasure, error handling or
//                            dead letters.
//
// items_per_second counts messages.
#include <coroutine>
#include <cstdint>
#include <deque>
#include <utility>

#include "actors/actor.h"
#include "actors/receive.h"
#include "benchmark/benchmark.h"
#include "runtime/deque_scheduler.h"

namespace coactor {
namespace {

// The printer adds instead of printing, so the benchmark measures messaging.
Actor<int> SummingPrinter(int64_t& sum) {
  for (;;) sum += co_await Receive<int>();
}

Actor<int> CounterByName(DequeScheduler& sched) {
  for (;;) {
    int n = co_await Receive<int>();
    if (n == 0) co_return;
    sched.Send("printer", n).IgnoreError();
    sched.Send("counter", n - 1).IgnoreError();
  }
}

Actor<int> CounterByRef(DequeScheduler& sched, ActorRef<int> printer) {
  ActorRef<int> self = co_await Self();
  for (;;) {
    int n = co_await Receive<int>();
    if (n == 0) co_return;
    sched.Send(printer, n).IgnoreError();
    sched.Send(self, n - 1).IgnoreError();
  }
}

void Finish(benchmark::State& state, int64_t n, int64_t sum,
            int64_t expected_sum) {
  if (sum != expected_sum) state.SkipWithError("wrong sum: messages lost");
  state.SetItemsProcessed(state.iterations() * 2 * n);
}

void BM_CounterPrinterByName(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  int64_t sum = 0;
  for (auto _ : state) {
    DequeScheduler sched;
    sched.Spawn("printer", SummingPrinter(sum)).IgnoreError();
    sched.Spawn("counter", CounterByName(sched)).IgnoreError();
    sched.Send("counter", n).IgnoreError();
    sched.Run().IgnoreError();
  }
  Finish(state, n, sum, state.iterations() * int64_t{n} * (n + 1) / 2);
}

void BM_CounterPrinterByRef(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  int64_t sum = 0;
  for (auto _ : state) {
    DequeScheduler sched;
    ActorRef<int> printer = sched.Spawn(SummingPrinter(sum));
    ActorRef<int> counter = sched.Spawn(CounterByRef(sched, printer));
    sched.Send(counter, n).IgnoreError();
    sched.Run().IgnoreError();
  }
  Finish(state, n, sum, state.iterations() * int64_t{n} * (n + 1) / 2);
}

// ---- The floor --------------------------------------------------------------

struct FloorActor {
  struct promise_type {
    int inbox = 0;
    FloorActor get_return_object() {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
  std::coroutine_handle<promise_type> handle;
};

using FloorHandle = std::coroutine_handle<FloorActor::promise_type>;
using FloorQueue = std::deque<std::pair<FloorHandle, int>>;

struct FloorReceive {
  FloorHandle self;
  bool await_ready() const noexcept { return false; }
  void await_suspend(FloorHandle handle) noexcept { self = handle; }
  int await_resume() const noexcept { return self.promise().inbox; }
};

FloorActor FloorPrinter(int64_t& sum) {
  for (;;) sum += co_await FloorReceive{};
}

FloorActor FloorCounter(FloorQueue& queue, FloorHandle& printer,
                        FloorHandle& self) {
  for (;;) {
    int n = co_await FloorReceive{};
    if (n == 0) co_return;
    queue.emplace_back(printer, n);
    queue.emplace_back(self, n - 1);
  }
}

void BM_CounterPrinterFloor(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  int64_t sum = 0;
  for (auto _ : state) {
    FloorQueue queue;
    FloorHandle printer_handle, counter_handle;
    FloorActor printer = FloorPrinter(sum);
    FloorActor counter = FloorCounter(queue, printer_handle, counter_handle);
    printer_handle = printer.handle;
    counter_handle = counter.handle;
    queue.emplace_back(counter_handle, n);
    while (!queue.empty()) {
      auto [handle, message] = queue.front();
      queue.pop_front();
      handle.promise().inbox = message;
      handle.resume();
    }
    printer.handle.destroy();
    counter.handle.destroy();
  }
  Finish(state, n, sum, state.iterations() * int64_t{n} * (n + 1) / 2);
}

BENCHMARK(BM_CounterPrinterFloor)->Arg(1'000'000);
BENCHMARK(BM_CounterPrinterByRef)->Arg(1'000'000);
BENCHMARK(BM_CounterPrinterByName)->Arg(1'000'000);

}  // namespace
}  // namespace coactor

BENCHMARK_MAIN();
