// Index memory and lookup speed at scale: 10 million blobs, the size of a ~10 TB repository
// with 1 MiB chunks. Reports bytes per blob of the compact table (target: <= 40) and the cost
// of a lookup that hits and one that misses.
#include <benchmark/benchmark.h>

#include <random>

#include "lifeboat/repo/index.h"

namespace {

using lifeboat::Id;
using lifeboat::repo::Index;
using lifeboat::repo::IndexedPack;
using lifeboat::repo::PackedBlob;

constexpr size_t kBlobs = 10'000'000;
constexpr size_t kBlobsPerPack = 16;

Id MakeId(std::mt19937_64& rng) {
  Id id;
  for (size_t i = 0; i < Id::kSize; i += 8) {
    uint64_t v = rng();
    std::memcpy(id.bytes.data() + i, &v, 8);
  }
  return id;
}

Index& BigIndex(std::vector<Id>** ids_out) {
  static Index* index = nullptr;
  static std::vector<Id> ids;
  if (!index) {
    index = new Index();
    std::mt19937_64 rng(1);
    ids.reserve(kBlobs);
    for (size_t p = 0; p < kBlobs / kBlobsPerPack; ++p) {
      IndexedPack pack{MakeId(rng), {}};
      for (size_t b = 0; b < kBlobsPerPack; ++b) {
        Id id = MakeId(rng);
        ids.push_back(id);
        pack.blobs.push_back(PackedBlob{lifeboat::repo::BlobType::kData, id,
                                        static_cast<uint32_t>(b << 20), 1 << 20, 1 << 20});
      }
      index->AddStaged(pack);
    }
    index->Compact();
  }
  *ids_out = &ids;
  return *index;
}

void BM_IndexMemoryPerBlob(benchmark::State& state) {
  std::vector<Id>* ids;
  Index& index = BigIndex(&ids);
  for (auto _ : state) benchmark::DoNotOptimize(index.blob_count());
  state.counters["blobs"] = static_cast<double>(index.blob_count());
  state.counters["bytes_per_blob"] =
      static_cast<double>(index.CompactBytes()) / static_cast<double>(index.blob_count());
}
BENCHMARK(BM_IndexMemoryPerBlob)->Iterations(1);

void BM_IndexLookupHit(benchmark::State& state) {
  std::vector<Id>* ids;
  Index& index = BigIndex(&ids);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(index.Lookup((*ids)[i]));
    i = (i + 7919) % ids->size();
  }
}
BENCHMARK(BM_IndexLookupHit);

void BM_IndexLookupMiss(benchmark::State& state) {
  std::vector<Id>* ids;
  Index& index = BigIndex(&ids);
  std::mt19937_64 rng(99);
  for (auto _ : state) {
    state.PauseTiming();
    Id id = MakeId(rng);
    state.ResumeTiming();
    benchmark::DoNotOptimize(index.Lookup(id));
  }
}
BENCHMARK(BM_IndexLookupMiss);

}  // namespace

BENCHMARK_MAIN();
