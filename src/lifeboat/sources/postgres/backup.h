// PostgreSQL logical backup into a lifeboat snapshot. One REPEATABLE READ transaction exports
// its snapshot; pg_dump (custom format, uncompressed) writes the schema, sequences and large
// objects against that snapshot while `jobs` more connections import it and COPY each table's
// rows out in primary-key order — so everything stored, and every row count in the manifest,
// describes the same instant. Rows in key order and small chunks make tomorrow's backup of a
// mostly unchanged database store little more than what changed.
//
// The snapshot's tree: manifest.json, schema.dump (pg_dump -Fc -Z0 without table data) and
// tables/<schema>.<table>.copy (COPY text). Its record has source "postgres", the database as
// its path, and the manifest.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lifeboat/engine/backup.h"
#include "lifeboat/repo/chunker.h"
#include "lifeboat/repo/repository.h"
#include "lifeboat/sources/postgres/manifest.h"

namespace lifeboat::sources::postgres {

// 16 KiB average chunks: database rows change a few at a time, and measured on a realistic
// day of changes a 1 MiB chunk carries half the dump into the next backup where 16 KiB
// carries a tenth (docs/BENCHMARKS.md).
inline constexpr repo::ChunkerParams kDatabaseChunker{4 * 1024, 16 * 1024, 128 * 1024};

// Which tables a backup takes. Patterns are "name" (any schema) or "schema.name", with * and ?
// wildcards, matched against unquoted names.
struct TableSelection {
  std::vector<std::string> tables;              // empty: all
  std::vector<std::string> exclude_tables;      // left out entirely (schema too)
  std::vector<std::string> exclude_table_data;  // schema kept, rows left out
  std::vector<std::string> schemas;             // empty: all
  // Tier of each table: the first rule whose pattern matches; default_tier otherwise.
  std::vector<std::pair<int, std::string>> tier_rules;
  int default_tier = 0;
  std::optional<int> tier;  // only the tables of this tier
};

struct PgBackupOptions {
  std::string conninfo;  // libpq connection string; PG* variables fill what it leaves out
  TableSelection selection;
  int jobs = 2;  // connections copying tables at once
  std::vector<std::string> tags;
  std::string hostname;
  std::string username;
  std::string program_version;
  repo::ChunkerParams chunker = kDatabaseChunker;
};

struct PgBackupResult {
  engine::BackupResult backup;
  Manifest manifest;
};

// The repository must be open with its index loaded and a lock held. Any failure — the server,
// pg_dump, the repository — stores no snapshot.
Result<PgBackupResult> BackupDatabase(repo::Repository& repository, const PgBackupOptions& options,
                                      engine::BackupProgress* progress);

// Whether a pattern of TableSelection matches schema.name.
bool TablePatternMatches(const std::string& pattern, const std::string& schema,
                         const std::string& name);

// The COPY that writes a table's rows as backed up: the manifest's columns, in its key order.
// Verify runs the same query to compare hashes. `qualified` is the quoted schema.name.
std::string TableCopyQuery(const std::string& qualified, const ManifestTable& table);

// "tables/<schema>.<name>.copy", with '/', '%' and control bytes percent-encoded.
std::string TableFileName(const std::string& schema, const std::string& name);

}  // namespace lifeboat::sources::postgres
