#include <benchmark/benchmark.h>

#include <random>

#include "lifeboat/repo/chunker.h"

namespace lifeboat::repo {
namespace {

constexpr size_t kInputSize = 64 * 1024 * 1024;

Bytes RandomBytes(size_t size) {
  std::mt19937_64 rng(42);
  Bytes data(size);
  for (size_t i = 0; i < size; i += 8) {
    uint64_t word = rng();
    for (size_t b = 0; b < 8 && i + b < size; ++b)
      data[i + b] = static_cast<uint8_t>(word >> (8 * b));
  }
  return data;
}

// Cuts the whole input into chunks, as the backup pipeline does for every file it reads.
void BM_FindBoundary(benchmark::State& state) {
  const Bytes key(32, 7);
  const Chunker chunker(key);
  const Bytes data = RandomBytes(kInputSize);
  size_t chunks = 0;
  for (auto _ : state) {
    ByteView rest = data;
    while (!rest.empty()) {
      size_t length = chunker.FindBoundary(rest);
      rest = rest.subspan(length);
      ++chunks;
    }
    benchmark::DoNotOptimize(chunks);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kInputSize);
  state.counters["chunks"] =
      benchmark::Counter(static_cast<double>(chunks) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_FindBoundary)->Unit(benchmark::kMillisecond);

// Small chunks weigh the per-call set-up (the 64-byte warm-up before min_size).
void BM_FindBoundarySmallChunks(benchmark::State& state) {
  const Bytes key(32, 7);
  const Chunker chunker(key, {.min_size = 2048, .average_size = 8192, .max_size = 65536});
  const Bytes data = RandomBytes(kInputSize);
  for (auto _ : state) {
    ByteView rest = data;
    while (!rest.empty()) rest = rest.subspan(chunker.FindBoundary(rest));
    benchmark::DoNotOptimize(rest.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kInputSize);
}
BENCHMARK(BM_FindBoundarySmallChunks)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lifeboat::repo

BENCHMARK_MAIN();
