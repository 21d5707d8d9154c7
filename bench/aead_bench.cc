// Throughput of AES-256-GCM: every blob is sealed on backup and opened on restore and check.
#include <benchmark/benchmark.h>

#include "lifeboat/crypto/aead.h"
#include "lifeboat/crypto/random.h"

namespace lifeboat::crypto {
namespace {

const Aead& SharedAead() {
  static const Aead aead(RandomBytes(Aead::kKeySize));
  return aead;
}

void BM_AeadSeal(benchmark::State& state) {
  const Bytes plaintext = RandomBytes(static_cast<size_t>(state.range(0)));
  const Bytes associated_data = RandomBytes(32);
  Bytes sealed;
  for (auto _ : state) {
    sealed.clear();
    SharedAead().SealAppend(plaintext, associated_data, &sealed);
    benchmark::DoNotOptimize(sealed.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AeadSeal)->Arg(64)->Arg(4 << 10)->Arg(1 << 20);
BENCHMARK(BM_AeadSeal)->Arg(1 << 20)->Threads(2)->UseRealTime();

void BM_AeadOpen(benchmark::State& state) {
  const Bytes associated_data = RandomBytes(32);
  const Bytes sealed =
      SharedAead().Seal(RandomBytes(static_cast<size_t>(state.range(0))), associated_data);
  for (auto _ : state) {
    Result<Bytes> opened = SharedAead().Open(sealed, associated_data);
    if (!opened.ok()) {
      state.SkipWithError("open failed");
      break;
    }
    benchmark::DoNotOptimize(opened->data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AeadOpen)->Arg(64)->Arg(4 << 10)->Arg(1 << 20);
BENCHMARK(BM_AeadOpen)->Arg(1 << 20)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace lifeboat::crypto

BENCHMARK_MAIN();
