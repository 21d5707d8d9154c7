// The manifest of a PostgreSQL logical backup: what the database was at the instant the backup
// describes — server, encoding and locale, extensions, schemas, and per table its tier, exact
// row count, on-disk size and a SHA-256 of its rows — plus where each part lives in the
// snapshot. It is written in the same exported snapshot as the data, stored inside the
// snapshot record (shown by `snapshots --json`) and as manifest.json in the snapshot's tree,
// and is what restore checks a target against and verify compares a database with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lifeboat/util/result.h"

namespace lifeboat::sources::postgres {

struct ManifestTable {
  std::string schema;
  std::string name;
  int tier = 0;                       // 0: no tier given
  uint64_t rows = 0;                  // exact, in the exported snapshot
  uint64_t bytes = 0;                 // pg_total_relation_size at backup time
  std::string columns;                // quoted column list for COPY, e.g. "id, \"Name\""
  std::vector<std::string> order_by;  // primary key columns the rows are sorted by; empty: none
  std::string file;                   // path of the rows (COPY text) in the snapshot
  uint64_t file_bytes = 0;
  std::string sha256;                        // of the COPY text, hex
  std::vector<std::string> owned_sequences;  // qualified names, quoted
};

struct ManifestExtension {
  std::string name;
  std::string version;
  std::string schema;
};

struct ManifestSequence {
  std::string name;  // qualified, quoted
  int64_t last_value = 0;
  bool is_called = false;
};

struct Manifest {
  int format = 1;
  std::string database;
  std::string server_version;  // e.g. "15.4"
  int server_version_num = 0;  // e.g. 150004
  std::string encoding;
  std::string collate;
  std::string ctype;
  std::string snapshot_time;  // server time of the exported snapshot, ISO 8601 with zone
  std::string wal_lsn;        // WAL position of the snapshot ("" on a standby without one)
  std::string pg_dump_version;
  std::string schema_file;  // the pg_dump custom-format archive (schema, sequences, blobs)
  uint32_t chunk_average = 0;
  std::vector<int> tiers_selected;  // empty: every table
  std::vector<std::string> schemas;
  std::vector<ManifestExtension> extensions;
  std::vector<ManifestTable> tables;
  std::vector<ManifestSequence> sequences;

  uint64_t TotalRows() const;
  std::string QualifiedName(const ManifestTable& table) const;
};

std::string ManifestToJson(const Manifest& manifest);
// kCorruption naming the problem for a manifest that cannot be read.
Result<Manifest> ManifestFromJson(const std::string& json);

}  // namespace lifeboat::sources::postgres
