#include "lifeboat/storage/testing/faulty_backend.h"

#include <thread>

namespace lifeboat::storage::testing {
namespace {

size_t MethodIndex(BackendMethod method) { return static_cast<size_t>(method); }

// Sleeps for the faults' delays, then returns the first scripted error that strikes before the
// call (ok when none).
Status Apply(const std::vector<Fault>& faults) {
  for (const Fault& fault : faults) {
    if (fault.delay.count() > 0) std::this_thread::sleep_for(fault.delay);
  }
  for (const Fault& fault : faults) {
    if (!fault.error.ok() && !fault.after_inner && !fault.fail_list_after) return fault.error;
  }
  return Status::Ok();
}

// The first scripted error that strikes after the inner call took effect (ok when none).
Status AfterInner(const std::vector<Fault>& faults) {
  for (const Fault& fault : faults) {
    if (!fault.error.ok() && fault.after_inner) return fault.error;
  }
  return Status::Ok();
}

}  // namespace

void FaultyBackend::AddFault(Fault fault) {
  std::lock_guard lock(mutex_);
  faults_.push_back(std::move(fault));
}

void FaultyBackend::ClearFaults() {
  std::lock_guard lock(mutex_);
  faults_.clear();
}

void FaultyBackend::CrashNow() {
  std::lock_guard lock(mutex_);
  crashed_ = true;
}

void FaultyBackend::CrashAtMutation(uint64_t k) {
  std::lock_guard lock(mutex_);
  mutations_ = 0;
  crash_at_mutation_ = k;
}

uint64_t FaultyBackend::MutationCount() const {
  std::lock_guard lock(mutex_);
  return mutations_;
}

bool FaultyBackend::CountMutation() {
  std::lock_guard lock(mutex_);
  ++mutations_;
  if (crash_at_mutation_ != 0 && mutations_ >= crash_at_mutation_) crashed_ = true;
  return crashed_;
}

uint64_t FaultyBackend::CallCount(BackendMethod method) const {
  std::lock_guard lock(mutex_);
  return calls_[MethodIndex(method)];
}

std::vector<Fault> FaultyBackend::Match(BackendMethod method, ObjectKind kind) {
  std::lock_guard lock(mutex_);
  const uint64_t call = ++calls_[MethodIndex(method)];
  std::vector<Fault> matched;
  for (const Fault& fault : faults_) {
    if (fault.method != method) continue;
    if (fault.kind && *fault.kind != kind) continue;
    if (call < fault.first_call) continue;
    if (fault.count != 0 && call - fault.first_call >= fault.count) continue;
    matched.push_back(fault);
  }
  return matched;
}

Status FaultyBackend::Put(const ObjectKey& key, ByteView data, const PutOptions& options) {
  const std::vector<Fault> faults = Match(BackendMethod::kPut, key.kind);
  LIFEBOAT_RETURN_IF_ERROR(Apply(faults));
  if (CountMutation()) return IoError("simulated crash");
  LIFEBOAT_RETURN_IF_ERROR(inner_->Put(key, data, options));
  return AfterInner(faults);
}

Result<Bytes> FaultyBackend::Get(const ObjectKey& key, ByteRange range) {
  const std::vector<Fault> faults = Match(BackendMethod::kGet, key.kind);
  LIFEBOAT_RETURN_IF_ERROR(Apply(faults));
  LIFEBOAT_ASSIGN_OR_RETURN(Bytes data, inner_->Get(key, range));
  for (const Fault& fault : faults) {
    if (fault.flip_byte_at && *fault.flip_byte_at < data.size()) data[*fault.flip_byte_at] ^= 0xff;
    if (fault.truncate_to && *fault.truncate_to < data.size()) data.resize(*fault.truncate_to);
  }
  return data;
}

Result<ObjectInfo> FaultyBackend::Stat(const ObjectKey& key) {
  LIFEBOAT_RETURN_IF_ERROR(Apply(Match(BackendMethod::kStat, key.kind)));
  return inner_->Stat(key);
}

Status FaultyBackend::List(ObjectKind kind, std::string_view prefix, const ListVisitor& visit) {
  const std::vector<Fault> faults = Match(BackendMethod::kList, kind);
  LIFEBOAT_RETURN_IF_ERROR(Apply(faults));
  const Fault* breaking = nullptr;
  for (const Fault& fault : faults) {
    if (fault.fail_list_after && !fault.error.ok()) breaking = &fault;
  }
  if (breaking == nullptr) return inner_->List(kind, prefix, visit);
  uint64_t visited = 0;
  return inner_->List(kind, prefix, [&](const ObjectInfo& info) {
    if (visited == *breaking->fail_list_after) return breaking->error;
    ++visited;
    return visit(info);
  });
}

Status FaultyBackend::Remove(const ObjectKey& key) {
  const std::vector<Fault> faults = Match(BackendMethod::kRemove, key.kind);
  LIFEBOAT_RETURN_IF_ERROR(Apply(faults));
  if (CountMutation()) return IoError("simulated crash");
  LIFEBOAT_RETURN_IF_ERROR(inner_->Remove(key));
  return AfterInner(faults);
}

}  // namespace lifeboat::storage::testing
