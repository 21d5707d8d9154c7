#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "lifeboat/repo/compress.h"
#include "lifeboat/util/check.h"

namespace lifeboat::repo {
namespace {

constexpr size_t kBlobSize = 1024 * 1024;  // the chunker's average chunk size

// Application-log-like text: repetitive structure with varying numbers and identifiers,
// which is what most compressible backup data looks like to zstd.
Bytes LogLines(size_t size) {
  std::mt19937 rng(7);
  const char* levels[] = {"INFO", "WARN", "DEBUG", "ERROR"};
  const char* events[] = {"request served",           "cache miss for key",
                          "connection reset by peer", "retrying upload of part",
                          "checkpoint complete",      "slow query detected on table"};
  const char* paths[] = {"/api/v1/users", "/api/v1/orders", "/healthz", "/static/app.js"};
  std::string text;
  while (text.size() < size) {
    text += "2024-03-" + std::to_string(10 + rng() % 20) + "T" + std::to_string(10 + rng() % 14) +
            ":" + std::to_string(10 + rng() % 50) + ":" + std::to_string(10 + rng() % 50) + "." +
            std::to_string(100 + rng() % 900) + "Z " + levels[rng() % 4] + " [worker-" +
            std::to_string(rng() % 32) + "] " + events[rng() % 6] + " path=" + paths[rng() % 4] +
            " request_id=" + std::to_string(rng()) + " latency_ms=" + std::to_string(rng() % 5000) +
            "\n";
  }
  text.resize(size);
  return ToBytes(text);
}

Bytes RandomBytes(size_t size) {
  std::mt19937_64 rng(42);
  Bytes data(size);
  for (uint8_t& byte : data) byte = static_cast<uint8_t>(rng());
  return data;
}

void BM_CompressText(benchmark::State& state) {
  const Bytes text = LogLines(kBlobSize);
  const CompressionOptions options{.level = static_cast<int>(state.range(0))};
  Bytes out;
  for (auto _ : state) {
    out.clear();
    bool compressed = CompressIfWorthIt(text, options, &out);
    LIFEBOAT_CHECK(compressed, "log text must compress");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBlobSize);
  state.counters["ratio"] = static_cast<double>(kBlobSize) / static_cast<double>(out.size());
}
BENCHMARK(BM_CompressText)->Arg(1)->Arg(3)->Arg(9);

// Random data must be recognised from the sample alone; this is the cost paid per blob of
// media or encrypted files.
void BM_CompressRandom(benchmark::State& state) {
  const Bytes random = RandomBytes(kBlobSize);
  Bytes out;
  for (auto _ : state) {
    bool compressed = CompressIfWorthIt(random, {}, &out);
    LIFEBOAT_CHECK(!compressed, "random bytes must be stored raw");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBlobSize);
}
BENCHMARK(BM_CompressRandom);

// What zstd alone would cost on random data, to show what the entropy check saves.
void BM_CompressRandomWithoutSkip(benchmark::State& state) {
  Bytes random = RandomBytes(kBlobSize);
  // A compressible first window defeats the sample check, so zstd runs over the whole blob.
  for (size_t i = 0; i < 4096; ++i) random[i] = 'a';
  Bytes out;
  for (auto _ : state) {
    out.clear();
    bool compressed = CompressIfWorthIt(random, {}, &out);
    benchmark::DoNotOptimize(compressed);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBlobSize);
}
BENCHMARK(BM_CompressRandomWithoutSkip);

void BM_DecompressText(benchmark::State& state) {
  const Bytes text = LogLines(kBlobSize);
  Bytes frame;
  LIFEBOAT_CHECK(CompressIfWorthIt(text, {}, &frame), "log text must compress");
  for (auto _ : state) {
    Result<Bytes> raw = Decompress(frame, text.size());
    LIFEBOAT_CHECK(raw.ok(), "round trip must succeed");
    benchmark::DoNotOptimize(raw->data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBlobSize);
}
BENCHMARK(BM_DecompressText);

}  // namespace
}  // namespace lifeboat::repo

BENCHMARK_MAIN();
