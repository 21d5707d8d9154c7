#include "lifeboat/sources/postgres/manifest.h"

#include <nlohmann/json.hpp>

namespace lifeboat::sources::postgres {

using nlohmann::json;

uint64_t Manifest::TotalRows() const {
  uint64_t total = 0;
  for (const ManifestTable& table : tables) total += table.rows;
  return total;
}

std::string Manifest::QualifiedName(const ManifestTable& table) const {
  return table.schema + "." + table.name;
}

std::string ManifestToJson(const Manifest& m) {
  json tables = json::array();
  for (const ManifestTable& t : m.tables) {
    tables.push_back({{"schema", t.schema},
                      {"name", t.name},
                      {"tier", t.tier},
                      {"rows", t.rows},
                      {"bytes", t.bytes},
                      {"columns", t.columns},
                      {"order_by", t.order_by},
                      {"file", t.file},
                      {"file_bytes", t.file_bytes},
                      {"sha256", t.sha256},
                      {"owned_sequences", t.owned_sequences}});
  }
  json extensions = json::array();
  for (const ManifestExtension& e : m.extensions) {
    extensions.push_back({{"name", e.name}, {"version", e.version}, {"schema", e.schema}});
  }
  json sequences = json::array();
  for (const ManifestSequence& s : m.sequences) {
    sequences.push_back(
        {{"name", s.name}, {"last_value", s.last_value}, {"is_called", s.is_called}});
  }
  json out = {{"format", m.format},
              {"database", m.database},
              {"server_version", m.server_version},
              {"server_version_num", m.server_version_num},
              {"encoding", m.encoding},
              {"collate", m.collate},
              {"ctype", m.ctype},
              {"snapshot_time", m.snapshot_time},
              {"wal_lsn", m.wal_lsn},
              {"pg_dump_version", m.pg_dump_version},
              {"schema_file", m.schema_file},
              {"chunk_average", m.chunk_average},
              {"tiers_selected", m.tiers_selected},
              {"schemas", m.schemas},
              {"extensions", extensions},
              {"tables", tables},
              {"sequences", sequences}};
  return out.dump();
}

Result<Manifest> ManifestFromJson(const std::string& text) {
  try {
    const json in = json::parse(text);
    Manifest m;
    m.format = in.at("format").get<int>();
    if (m.format != 1) {
      return CorruptionError("PostgreSQL manifest format " + std::to_string(m.format) +
                             " is newer than this lifeboat understands")
          .WithHint("upgrade lifeboat");
    }
    m.database = in.at("database").get<std::string>();
    m.server_version = in.at("server_version").get<std::string>();
    m.server_version_num = in.at("server_version_num").get<int>();
    m.encoding = in.at("encoding").get<std::string>();
    m.collate = in.at("collate").get<std::string>();
    m.ctype = in.at("ctype").get<std::string>();
    m.snapshot_time = in.at("snapshot_time").get<std::string>();
    m.wal_lsn = in.at("wal_lsn").get<std::string>();
    m.pg_dump_version = in.at("pg_dump_version").get<std::string>();
    m.schema_file = in.at("schema_file").get<std::string>();
    m.chunk_average = in.at("chunk_average").get<uint32_t>();
    m.tiers_selected = in.at("tiers_selected").get<std::vector<int>>();
    m.schemas = in.at("schemas").get<std::vector<std::string>>();
    for (const json& e : in.at("extensions")) {
      m.extensions.push_back({e.at("name").get<std::string>(), e.at("version").get<std::string>(),
                              e.at("schema").get<std::string>()});
    }
    for (const json& t : in.at("tables")) {
      ManifestTable table;
      table.schema = t.at("schema").get<std::string>();
      table.name = t.at("name").get<std::string>();
      table.tier = t.at("tier").get<int>();
      table.rows = t.at("rows").get<uint64_t>();
      table.bytes = t.at("bytes").get<uint64_t>();
      table.columns = t.at("columns").get<std::string>();
      table.order_by = t.at("order_by").get<std::vector<std::string>>();
      table.file = t.at("file").get<std::string>();
      table.file_bytes = t.at("file_bytes").get<uint64_t>();
      table.sha256 = t.at("sha256").get<std::string>();
      table.owned_sequences = t.at("owned_sequences").get<std::vector<std::string>>();
      m.tables.push_back(std::move(table));
    }
    for (const json& s : in.at("sequences")) {
      m.sequences.push_back({s.at("name").get<std::string>(), s.at("last_value").get<int64_t>(),
                             s.at("is_called").get<bool>()});
    }
    return m;
  } catch (const json::exception& error) {
    return CorruptionError(std::string("PostgreSQL manifest cannot be read: ") + error.what());
  }
}

}  // namespace lifeboat::sources::postgres
