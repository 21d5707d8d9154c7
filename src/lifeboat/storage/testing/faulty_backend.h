// FaultyBackend: wraps another Backend and injects faults on a script, for tests of every layer
// above storage: fail the nth call of a method, fail once then succeed, flip a byte or truncate
// what Get returns, delay calls, lose the reply of a Put or Remove that took effect, break a
// listing midway, or drop (fail) every Put after a "crash point". Thread-safe.
// Linked by tests only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "lifeboat/storage/backend.h"

namespace lifeboat::storage::testing {

enum class BackendMethod { kPut, kGet, kStat, kList, kRemove };

// Every member has an initializer so faults can be written with designated initializers,
// {.method = ..., .error = ...}, without -Wmissing-field-initializers warnings.
struct Fault {
  BackendMethod method = BackendMethod::kPut;
  // Which calls of `method` (counted from 1, per method) the fault applies to: calls in
  // [first_call, first_call + count). count 0 means every call from first_call on.
  uint64_t first_call = 1;
  uint64_t count = 1;
  // Only objects of this kind, when set.
  std::optional<ObjectKind> kind = {};
  // What happens: return `error` (when not ok), corrupt the data a Get returns by flipping the
  // byte at flip_byte_at, truncate it to truncate_to bytes, or sleep for delay first.
  Status error = {};
  std::optional<uint64_t> flip_byte_at = {};
  std::optional<uint64_t> truncate_to = {};
  std::chrono::milliseconds delay{0};
  // Put and Remove: the call reaches the inner backend and takes effect, then `error` is
  // returned — a reply lost on its way back, which leaves the caller unsure what happened.
  bool after_inner = false;
  // List: visit this many objects, then stop the listing with `error` (a connection dropping
  // mid-listing).
  std::optional<uint64_t> fail_list_after = {};
};

class FaultyBackend final : public Backend {
 public:
  explicit FaultyBackend(Backend* inner) : inner_(inner) {}

  void AddFault(Fault fault);
  void ClearFaults();
  // After this, every Put and Remove fails with kIoError ("simulated crash") and changes
  // nothing.
  void CrashNow();
  // The process "dies" at its k-th write from now on (Put and Remove counted together, from
  // 1): that call and every later Put or Remove fail with kIoError ("simulated crash") and
  // change nothing.
  void CrashAtMutation(uint64_t k);
  // Puts and Removes seen since the last CrashAtMutation (or since construction).
  uint64_t MutationCount() const;
  uint64_t CallCount(BackendMethod method) const;

  BackendProperties Properties() const override { return inner_->Properties(); }
  Status Put(const ObjectKey& key, ByteView data, const PutOptions& options) override;
  Result<Bytes> Get(const ObjectKey& key, ByteRange range) override;
  Result<ObjectInfo> Stat(const ObjectKey& key) override;
  Status List(ObjectKind kind, std::string_view prefix, const ListVisitor& visit) override;
  Status Remove(const ObjectKey& key) override;
  using Backend::Get;
  using Backend::Put;

 private:
  // Returns the faults that apply to this call (after counting it).
  std::vector<Fault> Match(BackendMethod method, ObjectKind kind);

  Backend* inner_;
  mutable std::mutex mutex_;
  std::vector<Fault> faults_;
  uint64_t calls_[5] = {};
  bool crashed_ = false;
  uint64_t mutations_ = 0;
  uint64_t crash_at_mutation_ = 0;  // 0: none
  // Counts a Put or Remove; true when it must fail as a crash.
  bool CountMutation();
};

}  // namespace lifeboat::storage::testing
