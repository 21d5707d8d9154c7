// Throughput of content hashing: SHA-256 names stored files, KeyedHash names every chunk.
#include <benchmark/benchmark.h>

#include "lifeboat/crypto/keyed_hash.h"
#include "lifeboat/crypto/random.h"
#include "lifeboat/crypto/sha256.h"

namespace lifeboat::crypto {
namespace {

void BM_Sha256(benchmark::State& state) {
  const Bytes data = RandomBytes(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(Sha256(data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(4 << 10)->Arg(1 << 20);

void BM_KeyedHash(benchmark::State& state) {
  // Static so that every benchmark thread hashes with one shared instance, as the pipeline does.
  static const KeyedHash hash(RandomBytes(KeyedHash::kKeySize));
  const Bytes data = RandomBytes(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(hash.Hash(data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_KeyedHash)->Arg(64)->Arg(4 << 10)->Arg(1 << 20);
BENCHMARK(BM_KeyedHash)->Arg(1 << 20)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace lifeboat::crypto

BENCHMARK_MAIN();
