// Generator throughput: what a value costs when the consumer pulls it with
// range-for, with no delegation and through 1,000 levels of YieldFrom, and
// what the same costs in CPython, measured in the same run.
//
//   BM_FlatGenerator     Generator<int> yields N values to a range-for.
//   BM_NestedGenerator   the same N values from a leaf under 999 levels of
//                        `co_yield YieldFrom(...)`: the consumer resumes the
//                        leaf directly, so the target is <= 2x flat.
//   BM_CoroutineFloor    the limit: a hand-written coroutine with nothing
//                        but a pointer to the value (no delegation, send,
//                        throw or error handling), resumed in a loop.
//   BM_PythonGenerator   runs bench/generator_bench.py (python3 on PATH;
//                        --python_script=PATH to override, "" to skip) and
//                        reports its ns/value for the flat and the nested
//                        case (10^7 and 10^5 values: CPython is slower).
//
// items_per_second counts values; time_per_value is its inverse.
//
//   bazel run --config=opt //bench:generator_bench --
//       --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   (one command line)
#include <coroutine>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <sstream>
#include <string>
#include <utility>

#include "actors/generator.h"
#include "benchmark/benchmark.h"

namespace coactor {
namespace {

std::string python_script = "bench/generator_bench.py";

Generator<int> Iota(int n) {
  for (int i = 0; i < n; ++i) co_yield i;
}

Generator<int> Delegate(Generator<int> inner) {
  co_yield YieldFrom(std::move(inner));
}

// The leaf and depth - 1 levels of YieldFrom above it.
Generator<int> Chain(int depth, int n) {
  Generator<int> gen = Iota(n);
  for (int i = 1; i < depth; ++i) gen = Delegate(std::move(gen));
  return gen;
}

void ReportValues(benchmark::State& state, int64_t values_per_iteration) {
  state.SetItemsProcessed(state.iterations() * values_per_iteration);
  // Values per second, inverted: seconds per value (printed as "6.5ns").
  state.counters["time_per_value"] =
      benchmark::Counter(static_cast<double>(values_per_iteration),
                         benchmark::Counter::kIsIterationInvariantRate |
                             benchmark::Counter::kInvert);
}

void BM_FlatGenerator(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    int64_t sum = 0;
    for (int v : Iota(n)) sum += v;
    benchmark::DoNotOptimize(sum);
  }
  ReportValues(state, n);
}
BENCHMARK(BM_FlatGenerator)->Arg(100'000'000)->Unit(benchmark::kMillisecond);

// The smallest generator that can work: what one resume costs here.
struct Floor {
  struct promise_type {
    const int* value = nullptr;
    Floor get_return_object() {
      return Floor(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    std::suspend_always yield_value(const int& v) noexcept {
      value = &v;
      return {};
    }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
  explicit Floor(std::coroutine_handle<promise_type> h) : handle(h) {}
  Floor(Floor&& other) noexcept : handle(std::exchange(other.handle, {})) {}
  Floor& operator=(Floor&&) = delete;
  ~Floor() {
    if (handle) handle.destroy();
  }
  std::coroutine_handle<promise_type> handle;
};

Floor FloorIota(int n) {
  for (int i = 0; i < n; ++i) co_yield i;
}

void BM_CoroutineFloor(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    int64_t sum = 0;
    Floor gen = FloorIota(n);
    for (gen.handle.resume(); !gen.handle.done(); gen.handle.resume()) {
      sum += *gen.handle.promise().value;
    }
    benchmark::DoNotOptimize(sum);
  }
  ReportValues(state, n);
}
BENCHMARK(BM_CoroutineFloor)->Arg(100'000'000)->Unit(benchmark::kMillisecond);

void BM_NestedGenerator(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int depth = static_cast<int>(state.range(1));
  for (auto _ : state) {
    int64_t sum = 0;
    for (int v : Chain(depth, n)) sum += v;
    benchmark::DoNotOptimize(sum);
  }
  ReportValues(state, n);
}
BENCHMARK(BM_NestedGenerator)
    ->Args({100'000'000, 1000})
    ->ArgNames({"values", "depth"})
    ->Unit(benchmark::kMillisecond);

// One run of the Python script per iteration; its own timings are reported
// (the interpreter's start-up is not a generator's cost).
void BM_PythonGenerator(benchmark::State& state) {
  if (python_script.empty()) {
    state.SkipWithError("--python_script is empty");
    return;
  }
  double flat = 0, nested = 0;
  int runs = 0;
  for (auto _ : state) {
    std::string command = "python3 '" + python_script + "'";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
      state.SkipWithError("popen failed");
      return;
    }
    char line[256];
    while (fgets(line, sizeof(line), pipe) != nullptr) {
      std::istringstream words(line);
      std::string key;
      double value = 0;
      words >> key >> value;
      if (key == "flat_ns_per_value") flat += value;
      if (key == "nested_1000_ns_per_value") nested += value;
    }
    if (pclose(pipe) != 0 || flat == 0) {
      state.SkipWithError(("failed: " + command).c_str());
      return;
    }
    ++runs;
  }
  state.counters["flat_ns_per_value"] = flat / runs;
  state.counters["nested_1000_ns_per_value"] = nested / runs;
}
BENCHMARK(BM_PythonGenerator)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace coactor

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    constexpr char kFlag[] = "--python_script=";
    if (std::strncmp(argv[i], kFlag, sizeof(kFlag) - 1) == 0) {
      coactor::python_script = argv[i] + sizeof(kFlag) - 1;
    } else {
      std::fprintf(stderr, "unknown flag: %s\n", argv[i]);
      return 2;
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
