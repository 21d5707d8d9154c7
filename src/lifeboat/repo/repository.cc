#include "lifeboat/repo/repository.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "lifeboat/crypto/random.h"
#include "lifeboat/crypto/sha256.h"

namespace lifeboat::repo {

namespace {
using storage::ObjectKey;
using storage::ObjectKind;

constexpr std::string_view kConfigAad = "lifeboat config v1";
constexpr size_t kPacksPerIndexFile = 64;

std::string SealedFileAad(ObjectKind kind) {
  return "lifeboat " + std::string(storage::ObjectKindName(kind)) + " v1";
}

Bytes EncodeConfig(const RepositoryConfig& config) {
  nlohmann::json json{{"version", config.version},
                      {"id", config.id.Hex()},
                      {"chunker",
                       {{"min_size", config.chunker.min_size},
                        {"average_size", config.chunker.average_size},
                        {"max_size", config.chunker.max_size}}},
                      {"compression_level", config.compression_level}};
  return ToBytes(json.dump());
}

Result<RepositoryConfig> DecodeConfig(ByteView data) {
  nlohmann::json json = nlohmann::json::parse(data.begin(), data.end(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) return CorruptionError("config is not JSON");
  try {
    RepositoryConfig config;
    config.version = json.at("version").get<int>();
    if (config.version != kRepositoryVersion) {
      return UnsupportedError("repository format version " + std::to_string(config.version) +
                              " is not supported by this lifeboat")
          .WithHint("use a newer lifeboat");
    }
    auto id = Id::FromHex(json.at("id").get<std::string>());
    if (!id) return CorruptionError("config has an invalid repository id");
    config.id = *id;
    const auto& chunker = json.at("chunker");
    config.chunker.min_size = chunker.at("min_size").get<uint32_t>();
    config.chunker.average_size = chunker.at("average_size").get<uint32_t>();
    config.chunker.max_size = chunker.at("max_size").get<uint32_t>();
    const ChunkerParams& c = config.chunker;
    if (c.min_size < 4096 || c.average_size < c.min_size || c.max_size < c.average_size ||
        c.max_size > 8 * 1024 * 1024 || (c.average_size & (c.average_size - 1)) != 0) {
      return CorruptionError("config has invalid chunker parameters");
    }
    config.compression_level = json.value("compression_level", kDefaultCompressionLevel);
    return config;
  } catch (const nlohmann::json::exception& e) {
    return CorruptionError(std::string("config is malformed: ") + e.what());
  }
}

std::string Location(storage::Backend* backend) { return backend->Properties().location; }
}  // namespace

Status Repository::Init(storage::Backend* backend, std::string_view password,
                        const InitOptions& options, const Clock& clock) {
  Result<storage::ObjectInfo> existing = backend->Stat(ObjectKey{ObjectKind::kConfig, ""});
  if (existing.ok()) {
    return AlreadyExistsError("a repository already exists at " + Location(backend));
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  if (password.empty()) return InvalidArgumentError("the password must not be empty");

  MasterKey master = MasterKey::Generate();
  KeyFileInfo info{clock.NowNanos(), options.hostname, options.username, options.kdf};
  LIFEBOAT_ASSIGN_OR_RETURN(Bytes key_file, CreateKeyFile(master, password, options.kdf, info));
  LIFEBOAT_RETURN_IF_ERROR(backend->Put(ObjectKey{ObjectKind::kKey, crypto::Sha256(key_file).Hex()},
                                        key_file, {.if_absent = true}));

  RepositoryConfig config;
  config.id = crypto::RandomId();
  config.chunker = options.chunker;
  config.compression_level = options.compression_level;
  crypto::Aead aead(master.encryption_key);
  Bytes sealed = aead.Seal(EncodeConfig(config), AsBytes(kConfigAad));
  return backend->Put(ObjectKey{ObjectKind::kConfig, ""}, sealed, {.if_absent = true});
}

Result<std::unique_ptr<Repository>> Repository::Open(storage::Backend* backend,
                                                     std::string_view password,
                                                     const Clock& clock) {
  Result<Bytes> config_bytes = backend->Get(ObjectKey{ObjectKind::kConfig, ""});
  if (!config_bytes.ok()) {
    if (config_bytes.status().code() == StatusCode::kNotFound) {
      return NotFoundError("there is no repository at " + Location(backend))
          .WithHint("create one with `lifeboat init`, or check --repo / LIFEBOAT_REPOSITORY");
    }
    return config_bytes.status().WithContext("reading config");
  }
  std::vector<std::string> key_names;
  LIFEBOAT_RETURN_IF_ERROR(backend->List(ObjectKind::kKey, "", [&](const storage::ObjectInfo& o) {
    key_names.push_back(o.key.name);
    return Status::Ok();
  }));
  if (key_names.empty()) {
    return CorruptionError("the repository at " + Location(backend) + " has no key files")
        .WithHint("restore the keys/ directory from a copy of the repository");
  }
  std::sort(key_names.begin(), key_names.end());
  std::optional<MasterKey> master;
  std::string used_key;
  Status last_error;
  // Key files are named by the SHA-256 of their bytes, so damage is told apart from a wrong
  // password: a sealed key that fails to open looks the same either way.
  std::vector<std::string> damaged;
  for (const std::string& name : key_names) {
    Result<Bytes> key_file = backend->Get(ObjectKey{ObjectKind::kKey, name});
    if (!key_file.ok()) {
      last_error = key_file.status();
      continue;
    }
    if (crypto::Sha256(*key_file).Hex() != name) damaged.push_back(name.substr(0, 8));
    Result<MasterKey> opened = OpenKeyFile(*key_file, password);
    if (opened.ok()) {
      master = std::move(opened).value();
      used_key = name;
      break;
    }
    if (opened.status().code() != StatusCode::kWrongPassword) last_error = opened.status();
  }
  if (!master) {
    if (!damaged.empty()) {
      std::string names;
      for (const std::string& name : damaged) names += (names.empty() ? "" : ", ") + name;
      return CorruptionError("no key of the repository at " + Location(backend) +
                             " opens with this password, and key file" +
                             (damaged.size() == 1 ? " " : "s ") + names +
                             (damaged.size() == 1 ? " is" : " are") +
                             " damaged (content does not match the name)")
          .WithHint("if the password is right, restore keys/ from a copy of the repository");
    }
    if (!last_error.ok() && key_names.size() == 1) {
      return last_error.WithContext("reading key file");
    }
    return WrongPasswordError("wrong password: no key of the repository at " + Location(backend) +
                              " opens with it")
        .WithHint("check LIFEBOAT_PASSWORD, LIFEBOAT_PASSWORD_FILE or LIFEBOAT_PASSWORD_COMMAND");
  }
  crypto::Aead aead(master->encryption_key);
  Result<Bytes> config_plain = aead.Open(*config_bytes, AsBytes(kConfigAad));
  if (!config_plain.ok()) return CorruptionError("config is damaged: it cannot be decrypted");
  Result<RepositoryConfig> config = DecodeConfig(*config_plain);
  if (!config.ok()) return config.status();
  auto repo =
      std::unique_ptr<Repository>(new Repository(backend, clock, std::move(*master), used_key));
  repo->config_ = *config;
  repo->chunker_ = std::make_unique<Chunker>(repo->master_.chunker_key, repo->config_.chunker);
  return repo;
}

Repository::Repository(storage::Backend* backend, const Clock& clock, MasterKey master,
                       std::string key_name)
    : backend_(backend),
      clock_(clock),
      master_(std::move(master)),
      key_name_(std::move(key_name)),
      aead_(std::make_unique<crypto::Aead>(master_.encryption_key)),
      id_hash_(std::make_unique<crypto::KeyedHash>(master_.id_key)) {
  for (auto& pack : open_packs_) pack = std::make_unique<PackBuilder>(aead_.get());
}

Repository::~Repository() {
  {
    std::lock_guard lock(upload_mutex_);
    stopping_ = true;
  }
  upload_changed_.notify_all();
  for (auto& thread : uploaders_) thread.join();
}

Result<Id> Repository::SaveSealedFile(ObjectKind kind, ByteView plaintext) {
  Bytes sealed = aead_->Seal(plaintext, AsBytes(SealedFileAad(kind)));
  Id id = crypto::Sha256(sealed);
  Status status = backend_->Put(ObjectKey{kind, id.Hex()}, sealed, {.if_absent = true});
  if (!status.ok() && status.code() != StatusCode::kAlreadyExists) return status;
  return id;
}

Result<Bytes> Repository::LoadSealedFile(ObjectKind kind, const std::string& name) {
  const ObjectKey key{kind, name};
  const std::string path = storage::ObjectPath(key);
  Result<Bytes> sealed = backend_->Get(key);
  if (!sealed.ok()) return sealed.status().WithContext("reading " + path);
  if (crypto::Sha256(*sealed).Hex() != name) {
    return CorruptionError(path + " is damaged: its content does not match its name");
  }
  Result<Bytes> plain = aead_->Open(*sealed, AsBytes(SealedFileAad(kind)));
  if (!plain.ok()) return plain.status().WithContext(path);
  return plain;
}

Result<std::vector<std::pair<std::string, std::vector<IndexedPack>>>>
Repository::ReadAllIndexFiles() {
  // prune writes replacement index files before removing the ones they replace, so a file that
  // vanished between listing and reading means a newer listing has its entries.
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    Result<std::vector<std::pair<std::string, std::vector<IndexedPack>>>> files =
        ReadIndexFilesOnce();
    if (files.ok() || files.status().code() != StatusCode::kNotFound || attempt == kAttempts) {
      if (!files.ok()) {
        return files.status().WithHint("run `lifeboat check` to see the extent of the damage");
      }
      return files;
    }
  }
}

Result<std::vector<std::pair<std::string, std::vector<IndexedPack>>>>
Repository::ReadIndexFilesOnce() {
  std::vector<std::string> names;
  LIFEBOAT_RETURN_IF_ERROR(
      backend_->List(ObjectKind::kIndex, "", [&](const storage::ObjectInfo& o) {
        names.push_back(o.key.name);
        return Status::Ok();
      }));
  std::sort(names.begin(), names.end());
  std::vector<std::pair<std::string, std::vector<IndexedPack>>> files(names.size());
  std::vector<Status> errors(names.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < names.size(); i = next++) {
      files[i].first = names[i];
      Result<Bytes> payload = LoadSealedFile(ObjectKind::kIndex, names[i]);
      if (!payload.ok()) {
        errors[i] = payload.status();
        continue;
      }
      Result<std::vector<IndexedPack>> packs = DecodeIndexPayload(*payload);
      if (!packs.ok()) {
        errors[i] = packs.status().WithContext("index/" + names[i]);
        continue;
      }
      files[i].second = std::move(packs).value();
    }
  };
  const int threads = std::clamp(backend_->Properties().max_connections, 1, 8);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& thread : pool) thread.join();
  for (const Status& error : errors) {
    if (error.code() == StatusCode::kNotFound) return error;
  }
  for (const Status& error : errors) {
    if (!error.ok()) return error;
  }
  return files;
}

Result<std::vector<std::pair<std::string, GarbageMarker>>> Repository::ListGarbageMarkers() {
  std::vector<std::string> names;
  LIFEBOAT_RETURN_IF_ERROR(
      backend_->List(ObjectKind::kGarbage, "", [&](const storage::ObjectInfo& o) {
        names.push_back(o.key.name);
        return Status::Ok();
      }));
  std::sort(names.begin(), names.end());
  std::vector<std::pair<std::string, GarbageMarker>> markers;
  for (const std::string& name : names) {
    Result<Bytes> payload = LoadSealedFile(ObjectKind::kGarbage, name);
    // A marker removed since the listing was dealt with by a sweep: its packs are gone from
    // the index (the sweep rewrites the index before it removes packs and then the marker).
    if (!payload.ok() && payload.status().code() == StatusCode::kNotFound) continue;
    if (!payload.ok()) return payload.status();
    Result<GarbageMarker> marker = DecodeGarbageMarker(*payload);
    if (!marker.ok()) return marker.status().WithContext("garbage/" + name);
    markers.emplace_back(name, std::move(marker).value());
  }
  return markers;
}

void Repository::AddPendingPacks(const std::vector<Id>& packs) {
  std::lock_guard lock(inflight_mutex_);
  pending_packs_.insert(packs.begin(), packs.end());
}

bool Repository::HasBlob(const Id& id) {
  const std::optional<BlobLocation> location = index_.Lookup(id);
  if (!location) return false;
  std::lock_guard lock(inflight_mutex_);
  return !pending_packs_.contains(location->pack) || restored_.contains(id);
}

Status Repository::LoadIndex() {
  // Markers first: a sweep removes a marker only after the index no longer lists its packs, so
  // any pack pending deletion in the index read next is known to be pending.
  Result<std::vector<std::pair<std::string, GarbageMarker>>> markers = ListGarbageMarkers();
  if (!markers.ok()) {
    return markers.status()
        .WithContext("reading garbage markers")
        .WithHint("run `lifeboat check` to see the extent of the damage");
  }
  std::unordered_set<Id, IdHash> pending;
  for (const auto& [name, marker] : *markers) {
    pending.insert(marker.packs.begin(), marker.packs.end());
  }
  LIFEBOAT_ASSIGN_OR_RETURN(auto files, ReadAllIndexFiles());
  index_.Clear();
  // The index keeps the first location it sees of a blob stored twice: live packs go first.
  for (const bool pending_pass : {false, true}) {
    for (const auto& [name, packs] : files) {
      for (const IndexedPack& pack : packs) {
        if (pending.contains(pack.pack) == pending_pass) index_.AddStaged(pack);
      }
    }
  }
  index_.Compact();
  std::lock_guard lock(inflight_mutex_);
  pending_packs_ = std::move(pending);
  restored_.clear();
  return Status::Ok();
}

Result<bool> Repository::SaveBlob(BlobType type, const Id& id, ByteView plaintext) {
  if (plaintext.size() > kMaxBlobSize) {
    return InvalidArgumentError("blob of " + std::to_string(plaintext.size()) +
                                " bytes exceeds the largest storable blob");
  }
  const std::optional<BlobLocation> location = index_.Lookup(id);
  {
    std::lock_guard lock(inflight_mutex_);
    if (location) {
      if (!pending_packs_.contains(location->pack)) return false;
      // Its pack may be deleted soon: store it again, once.
      if (!restored_.insert(id).second) return false;
    }
    if (!inflight_.insert(id).second) return false;
  }
  CompressionOptions options;
  options.level = config_.compression_level;
  Bytes sealed = EncodeBlob(*aead_, id, plaintext, true, options);
  blobs_added_++;
  bytes_added_ += plaintext.size();
  bytes_added_stored_ += sealed.size();
  std::optional<FinishedPack> full_before;
  std::optional<FinishedPack> full_after;
  const size_t slot = static_cast<size_t>(type);
  {
    std::lock_guard lock(pack_mutex_[slot]);
    PackBuilder& pack = *open_packs_[slot];
    if (pack.WouldOverflow(sealed.size())) full_before = pack.Finish(TakeSpareBuffer());
    pack.Add(type, id, sealed, static_cast<uint32_t>(plaintext.size()));
    if (pack.full()) full_after = pack.Finish(TakeSpareBuffer());
  }
  if (full_before) LIFEBOAT_RETURN_IF_ERROR(EnqueuePack(std::move(*full_before)));
  if (full_after) LIFEBOAT_RETURN_IF_ERROR(EnqueuePack(std::move(*full_after)));
  return true;
}

Bytes Repository::TakeSpareBuffer() {
  std::lock_guard lock(spare_mutex_);
  if (spare_buffers_.empty()) return {};
  Bytes buffer = std::move(spare_buffers_.back());
  spare_buffers_.pop_back();
  return buffer;
}

void Repository::ReturnSpareBuffer(Bytes buffer) {
  std::lock_guard lock(spare_mutex_);
  if (spare_buffers_.size() < kMaxSpareBuffers) spare_buffers_.push_back(std::move(buffer));
}

Status Repository::EnqueuePack(FinishedPack pack) {
  std::unique_lock lock(upload_mutex_);
  if (uploaders_.empty()) {
    const int threads = std::clamp(backend_->Properties().max_connections / 4, 1, 8);
    for (int i = 0; i < threads; ++i) uploaders_.emplace_back([this] { UploadLoop(); });
  }
  // Hand a pack over only when an upload thread is free: every pack waiting in memory costs
  // 16 MiB, and the workers filling the next pack keep the CPU busy meanwhile.
  upload_changed_.wait(lock, [&] {
    return upload_queue_.size() + uploads_running_ < uploaders_.size() || !upload_error_.ok();
  });
  if (!upload_error_.ok()) return upload_error_;
  upload_queue_.push_back(std::move(pack));
  upload_changed_.notify_all();
  return Status::Ok();
}

void Repository::UploadLoop() {
  std::unique_lock lock(upload_mutex_);
  while (true) {
    upload_changed_.wait(lock, [&] { return stopping_ || !upload_queue_.empty(); });
    if (upload_queue_.empty()) return;
    FinishedPack pack = std::move(upload_queue_.front());
    upload_queue_.pop_front();
    ++uploads_running_;
    upload_changed_.notify_all();
    lock.unlock();
    Status status = UploadPack(std::move(pack));
    lock.lock();
    --uploads_running_;
    if (!status.ok() && upload_error_.ok()) upload_error_ = status;
    upload_changed_.notify_all();
  }
}

Status Repository::WaitForUploads() {
  std::unique_lock lock(upload_mutex_);
  upload_changed_.wait(lock, [&] { return upload_queue_.empty() && uploads_running_ == 0; });
  return upload_error_;
}

Status Repository::UploadPack(FinishedPack pack) {
  const std::string name = pack.id.Hex();
  Status status = backend_->Put(ObjectKey{ObjectKind::kPack, name}, pack.data, {.if_absent = true});
  if (!status.ok() && status.code() != StatusCode::kAlreadyExists) {
    // Its blobs are not stored: let a later SaveBlob of them store them again.
    std::lock_guard lock(inflight_mutex_);
    for (const PackedBlob& blob : pack.blobs) inflight_.erase(blob.id);
    return status.WithContext("writing pack " + pack.id.ShortHex());
  }
  packs_written_++;
  IndexedPack indexed{pack.id, std::move(pack.blobs)};
  ReturnSpareBuffer(std::move(pack.data));
  index_.AddPack(indexed);
  {
    std::lock_guard lock(inflight_mutex_);
    for (const PackedBlob& blob : indexed.blobs) inflight_.erase(blob.id);
  }
  std::vector<IndexedPack> to_write;
  {
    std::lock_guard lock(pending_index_mutex_);
    pending_index_.push_back(std::move(indexed));
    if (pending_index_.size() >= kPacksPerIndexFile) to_write.swap(pending_index_);
  }
  if (!to_write.empty()) return WriteIndexFile(std::move(to_write));
  return Status::Ok();
}

Status Repository::WriteIndexFile(std::vector<IndexedPack> packs) {
  Result<Id> id = SaveSealedFile(ObjectKind::kIndex, EncodeIndexPayload(packs));
  if (!id.ok()) {
    // The packs are stored and in the in-memory index: keep them pending so the next Flush
    // lists them, or they would be unreachable from the next session.
    std::lock_guard lock(pending_index_mutex_);
    pending_index_.insert(pending_index_.end(), std::make_move_iterator(packs.begin()),
                          std::make_move_iterator(packs.end()));
    return id.status().WithContext("writing index file");
  }
  return Status::Ok();
}

Status Repository::Flush() {
  for (size_t slot = 0; slot < 2; ++slot) {
    std::optional<FinishedPack> pack;
    {
      std::lock_guard lock(pack_mutex_[slot]);
      if (open_packs_[slot]->count() > 0) pack = open_packs_[slot]->Finish();
    }
    if (pack) LIFEBOAT_RETURN_IF_ERROR(EnqueuePack(std::move(*pack)));
  }
  LIFEBOAT_RETURN_IF_ERROR(WaitForUploads());
  std::vector<IndexedPack> to_write;
  {
    std::lock_guard lock(pending_index_mutex_);
    to_write.swap(pending_index_);
  }
  if (!to_write.empty()) return WriteIndexFile(std::move(to_write));
  return Status::Ok();
}

SessionStats Repository::session_stats() const {
  return SessionStats{blobs_added_.load(), bytes_added_.load(), bytes_added_stored_.load(),
                      packs_written_.load()};
}

Result<Bytes> Repository::LoadBlob(const Id& id) {
  std::optional<BlobLocation> location = index_.Lookup(id);
  if (!location) {
    return NotFoundError("blob " + id.ShortHex() + " is not in the index")
        .WithHint("run `lifeboat check`; `lifeboat repair index` may find it in a pack");
  }
  Result<Bytes> sealed = backend_->Get(ObjectKey{ObjectKind::kPack, location->pack.Hex()},
                                       storage::ByteRange{location->offset, location->length});
  if (!sealed.ok()) {
    return sealed.status().WithContext("reading blob " + id.ShortHex() + " from pack " +
                                       location->pack.ShortHex());
  }
  Result<Bytes> plain = DecodeBlob(*aead_, *id_hash_, id, *sealed);
  if (!plain.ok()) return plain.status().WithContext("pack " + location->pack.ShortHex());
  return plain;
}

Result<Bytes> Repository::LoadTreeBlob(const Id& id) {
  std::optional<BlobLocation> location = index_.Lookup(id);
  if (!location) return LoadBlob(id);  // its error names the blob
  std::shared_ptr<const Bytes> pack;
  {
    std::lock_guard lock(tree_packs_mutex_);
    for (auto it = tree_packs_.begin(); it != tree_packs_.end(); ++it) {
      if (it->first != location->pack) continue;
      pack = it->second;
      tree_packs_.splice(tree_packs_.begin(), tree_packs_, it);
      break;
    }
  }
  if (!pack) {
    Result<Bytes> whole = backend_->Get(ObjectKey{ObjectKind::kPack, location->pack.Hex()});
    // Too big to keep (or unreadable as a whole): read just the blob, with its own errors.
    if (!whole.ok() || whole->size() > kTreePackCacheBytes / 4) return LoadBlob(id);
    pack = std::make_shared<const Bytes>(std::move(whole).value());
    std::lock_guard lock(tree_packs_mutex_);
    tree_packs_.emplace_front(location->pack, pack);
    tree_packs_bytes_ += pack->size();
    while (tree_packs_bytes_ > kTreePackCacheBytes && tree_packs_.size() > 1) {
      tree_packs_bytes_ -= tree_packs_.back().second->size();
      tree_packs_.pop_back();
    }
  }
  if (uint64_t{location->offset} + location->length > pack->size()) return LoadBlob(id);
  Result<Bytes> plain = DecodeBlob(*aead_, *id_hash_, id,
                                   ByteView(pack->data() + location->offset, location->length));
  if (!plain.ok()) return plain.status().WithContext("pack " + location->pack.ShortHex());
  return plain;
}

Result<Tree> Repository::LoadTree(const Id& id) {
  LIFEBOAT_ASSIGN_OR_RETURN(Bytes plain, LoadTreeBlob(id));
  Result<Tree> tree = DecodeTree(plain);
  if (!tree.ok()) return tree.status().WithContext("tree " + id.ShortHex());
  return tree;
}

Result<Id> Repository::SaveTree(const Tree& tree) {
  Bytes encoded = EncodeTree(tree);
  Id id = HashBlob(encoded);
  LIFEBOAT_RETURN_IF_ERROR(SaveBlob(BlobType::kTree, id, encoded).status());
  return id;
}

Result<std::vector<PackedBlob>> Repository::LoadPackHeader(const Id& pack, uint64_t pack_size) {
  const ObjectKey key{ObjectKind::kPack, pack.Hex()};
  // One read usually covers the header: ~41 bytes per blob, a few dozen blobs per pack.
  const uint64_t guess = std::min<uint64_t>(pack_size, 64 * 1024);
  LIFEBOAT_ASSIGN_OR_RETURN(Bytes tail, backend_->Get(key, {pack_size - guess, guess}));
  LIFEBOAT_ASSIGN_OR_RETURN(uint64_t span,
                            PackHeaderSpan(ByteView(tail).subspan(tail.size() - 4), pack_size));
  if (span > tail.size()) {
    LIFEBOAT_ASSIGN_OR_RETURN(tail, backend_->Get(key, {pack_size - span, span}));
  }
  return ParsePackHeader(*aead_, tail, pack_size);
}

Result<Id> Repository::SaveSnapshot(const Snapshot& snapshot) {
  return SaveSealedFile(ObjectKind::kSnapshot, EncodeSnapshot(snapshot));
}

Result<std::vector<std::pair<Id, Snapshot>>> Repository::ListSnapshots() {
  std::vector<std::string> names;
  LIFEBOAT_RETURN_IF_ERROR(
      backend_->List(ObjectKind::kSnapshot, "", [&](const storage::ObjectInfo& o) {
        names.push_back(o.key.name);
        return Status::Ok();
      }));
  std::vector<std::pair<Id, Snapshot>> snapshots;
  for (const std::string& name : names) {
    LIFEBOAT_ASSIGN_OR_RETURN(Bytes plain, LoadSealedFile(ObjectKind::kSnapshot, name));
    Result<Snapshot> snapshot = DecodeSnapshot(plain);
    if (!snapshot.ok()) return snapshot.status().WithContext("snapshots/" + name);
    snapshots.emplace_back(*Id::FromHex(name), std::move(snapshot).value());
  }
  std::sort(snapshots.begin(), snapshots.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second.time_ns, a.first) < std::tie(b.second.time_ns, b.first);
  });
  return snapshots;
}

Result<std::string> Repository::ResolvePrefix(ObjectKind kind, std::string_view prefix) {
  if (prefix.empty()) return InvalidArgumentError("an empty id matches everything");
  std::vector<std::string> matches;
  LIFEBOAT_RETURN_IF_ERROR(backend_->List(kind, prefix, [&](const storage::ObjectInfo& o) {
    matches.push_back(o.key.name);
    return Status::Ok();
  }));
  const std::string what(storage::ObjectKindName(kind));
  if (matches.empty())
    return NotFoundError("no " + what + " has an id starting with " + std::string(prefix));
  if (matches.size() > 1) {
    return InvalidArgumentError("the id prefix " + std::string(prefix) + " matches " +
                                std::to_string(matches.size()) + " " + what + "s")
        .WithHint("give more digits of the id");
  }
  return matches.front();
}

Result<std::pair<Id, Snapshot>> Repository::FindSnapshot(std::string_view reference) {
  if (reference == "latest") {
    LIFEBOAT_ASSIGN_OR_RETURN(auto snapshots, ListSnapshots());
    if (snapshots.empty()) {
      return NotFoundError("the repository has no snapshots").WithHint("run `lifeboat backup`");
    }
    return snapshots.back();
  }
  LIFEBOAT_ASSIGN_OR_RETURN(std::string name, ResolvePrefix(ObjectKind::kSnapshot, reference));
  LIFEBOAT_ASSIGN_OR_RETURN(Bytes plain, LoadSealedFile(ObjectKind::kSnapshot, name));
  Result<Snapshot> snapshot = DecodeSnapshot(plain);
  if (!snapshot.ok()) return snapshot.status().WithContext("snapshots/" + name);
  return std::make_pair(*Id::FromHex(name), std::move(snapshot).value());
}

Result<std::vector<KeyListing>> Repository::ListKeys() {
  std::vector<std::string> names;
  LIFEBOAT_RETURN_IF_ERROR(backend_->List(ObjectKind::kKey, "", [&](const storage::ObjectInfo& o) {
    names.push_back(o.key.name);
    return Status::Ok();
  }));
  std::vector<KeyListing> keys;
  for (const std::string& name : names) {
    LIFEBOAT_ASSIGN_OR_RETURN(Bytes data, backend_->Get(ObjectKey{ObjectKind::kKey, name}));
    Result<KeyFileInfo> info = ReadKeyFileInfo(data);
    if (!info.ok()) return info.status().WithContext("keys/" + name);
    keys.push_back(KeyListing{name, name == key_name_, *info});
  }
  std::sort(keys.begin(), keys.end(), [](const KeyListing& a, const KeyListing& b) {
    return std::tie(a.info.created_ns, a.id) < std::tie(b.info.created_ns, b.id);
  });
  return keys;
}

Result<std::string> Repository::AddKey(std::string_view password, const crypto::KdfParams& kdf,
                                       const std::string& hostname, const std::string& username) {
  if (password.empty()) return InvalidArgumentError("the password must not be empty");
  KeyFileInfo info{clock_.NowNanos(), hostname, username, kdf};
  LIFEBOAT_ASSIGN_OR_RETURN(Bytes key_file, CreateKeyFile(master_, password, kdf, info));
  std::string name = crypto::Sha256(key_file).Hex();
  LIFEBOAT_RETURN_IF_ERROR(
      backend_->Put(ObjectKey{ObjectKind::kKey, name}, key_file, {.if_absent = true}));
  return name;
}

Status Repository::RemoveKey(std::string_view id_prefix) {
  LIFEBOAT_ASSIGN_OR_RETURN(std::string name, ResolvePrefix(ObjectKind::kKey, id_prefix));
  if (name == key_name_) {
    return InvalidArgumentError("key " + name.substr(0, 8) + " is the one in use")
        .WithHint("open the repository with another password to remove this key");
  }
  return backend_->Remove(ObjectKey{ObjectKind::kKey, name});
}

Status Repository::ChangePassword(std::string_view new_password, const crypto::KdfParams& kdf,
                                  const std::string& hostname, const std::string& username) {
  LIFEBOAT_ASSIGN_OR_RETURN(std::string added, AddKey(new_password, kdf, hostname, username));
  Status removed = backend_->Remove(ObjectKey{ObjectKind::kKey, key_name_});
  if (!removed.ok()) {
    return removed.WithContext("the new key " + added.substr(0, 8) +
                               " was added but the old key could not be removed");
  }
  key_name_ = added;
  return Status::Ok();
}

}  // namespace lifeboat::repo
