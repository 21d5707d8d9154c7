#include "lifeboat/repo/snapshot.h"

#include <nlohmann/json.hpp>

#include "lifeboat/util/clock.h"

namespace lifeboat::repo {

namespace {
using nlohmann::json;

json SummaryJson(const SnapshotSummary& s) {
  return json{{"files_new", s.files_new},
              {"files_changed", s.files_changed},
              {"files_unmodified", s.files_unmodified},
              {"dirs", s.dirs},
              {"other_entries", s.other_entries},
              {"errors", s.errors},
              {"blobs_added", s.blobs_added},
              {"bytes_added", s.bytes_added},
              {"bytes_added_stored", s.bytes_added_stored},
              {"total_files", s.total_files},
              {"total_bytes", s.total_bytes},
              {"backup_start", FormatTimeRfc3339(s.start_ns)},
              {"backup_end", FormatTimeRfc3339(s.end_ns)}};
}

json ToJson(const Snapshot& snapshot) {
  json out{{"version", 1},
           {"time", FormatTimeRfc3339(snapshot.time_ns)},
           {"hostname", snapshot.hostname},
           {"username", snapshot.username},
           {"paths", snapshot.paths},
           {"tags", snapshot.tags},
           {"excludes", snapshot.excludes},
           {"source", snapshot.source},
           {"program_version", snapshot.program_version},
           {"tree", snapshot.tree.Hex()},
           {"summary", SummaryJson(snapshot.summary)}};
  if (snapshot.parent) out["parent"] = snapshot.parent->Hex();
  if (snapshot.original) out["original"] = snapshot.original->Hex();
  if (snapshot.manifest) {
    out["manifest"] = json::parse(*snapshot.manifest, nullptr, false);
  }
  return out;
}

std::string Dump(const json& value) {
  // Paths need not be UTF-8; replacing invalid bytes keeps output valid JSON.
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}
}  // namespace

Bytes EncodeSnapshot(const Snapshot& snapshot) { return ToBytes(Dump(ToJson(snapshot))); }

Result<Snapshot> DecodeSnapshot(ByteView data) {
  json in = json::parse(data.begin(), data.end(), nullptr, false);
  if (in.is_discarded() || !in.is_object()) return CorruptionError("snapshot is not JSON");
  if (in.value("version", 0) != 1) return CorruptionError("snapshot has an unknown version");
  try {
    Snapshot s;
    if (!ParseTimeRfc3339(in.at("time").get<std::string>(), &s.time_ns)) {
      return CorruptionError("snapshot has an invalid time");
    }
    s.hostname = in.value("hostname", "");
    s.username = in.value("username", "");
    s.paths = in.value("paths", std::vector<std::string>{});
    s.tags = in.value("tags", std::vector<std::string>{});
    s.excludes = in.value("excludes", std::vector<std::string>{});
    s.source = in.value("source", "files");
    s.program_version = in.value("program_version", "");
    auto tree = Id::FromHex(in.at("tree").get<std::string>());
    if (!tree) return CorruptionError("snapshot has an invalid tree id");
    s.tree = *tree;
    if (in.contains("parent")) {
      auto parent = Id::FromHex(in["parent"].get<std::string>());
      if (!parent) return CorruptionError("snapshot has an invalid parent id");
      s.parent = *parent;
    }
    if (in.contains("original")) {
      auto original = Id::FromHex(in["original"].get<std::string>());
      if (!original) return CorruptionError("snapshot has an invalid original id");
      s.original = *original;
    }
    if (in.contains("manifest")) {
      if (!in["manifest"].is_object()) return CorruptionError("snapshot has an invalid manifest");
      s.manifest = Dump(in["manifest"]);
    }
    if (in.contains("summary")) {
      const json& j = in["summary"];
      SnapshotSummary& sum = s.summary;
      sum.files_new = j.value("files_new", uint64_t{0});
      sum.files_changed = j.value("files_changed", uint64_t{0});
      sum.files_unmodified = j.value("files_unmodified", uint64_t{0});
      sum.dirs = j.value("dirs", uint64_t{0});
      sum.other_entries = j.value("other_entries", uint64_t{0});
      sum.errors = j.value("errors", uint64_t{0});
      sum.blobs_added = j.value("blobs_added", uint64_t{0});
      sum.bytes_added = j.value("bytes_added", uint64_t{0});
      sum.bytes_added_stored = j.value("bytes_added_stored", uint64_t{0});
      sum.total_files = j.value("total_files", uint64_t{0});
      sum.total_bytes = j.value("total_bytes", uint64_t{0});
      ParseTimeRfc3339(j.value("backup_start", ""), &sum.start_ns);
      ParseTimeRfc3339(j.value("backup_end", ""), &sum.end_ns);
    }
    return s;
  } catch (const json::exception& e) {
    return CorruptionError(std::string("snapshot is malformed: ") + e.what());
  }
}

std::string SnapshotToJson(const Id& id, const Snapshot& snapshot) {
  json out = ToJson(snapshot);
  out.erase("version");
  out["id"] = id.Hex();
  out["short_id"] = id.ShortHex();
  return Dump(out);
}

}  // namespace lifeboat::repo
