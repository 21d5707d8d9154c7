// Restoring and verifying PostgreSQL logical backups made by BackupDatabase.
//
// A full restore runs pg_restore for the schema before the data (pre-data), streams each
// table's rows from the repository straight into COPY on `jobs` connections (no dump file is
// written), then has pg_restore add sequences, large objects and, in parallel, indexes,
// constraints and triggers (post-data) — the order pg_restore itself uses, so loads are fast.
// A table restore replaces (--clean) or appends the rows of named tables in existing tables,
// each in one transaction, so a failed restore leaves the table as it was.
//
// Before anything is changed the target is checked: its server must not be older than the
// source's major version, and every extension the manifest lists must be available.
#pragma once

#include <string>
#include <vector>

#include "lifeboat/repo/repository.h"
#include "lifeboat/sources/postgres/manifest.h"

namespace lifeboat::sources::postgres {

struct PgRestoreOptions {
  std::string conninfo;  // the target database
  bool create = false;   // create the target database (it must not exist)
  bool clean = false;    // drop the backup's objects first (full) / empty the tables (--table)
  std::vector<std::string> tables;  // patterns; restore only these tables' rows
  bool schema_only = false;
  bool data_only = false;
  bool no_owner = false;       // pg_restore --no-owner
  bool no_privileges = false;  // pg_restore --no-privileges
  int jobs = 2;
  bool verify = true;  // compare row counts with the manifest afterwards
};

struct TableCheck {
  std::string table;  // schema.name
  uint64_t expected_rows = 0;
  uint64_t actual_rows = 0;
  bool present = true;
  std::string expected_sha256;  // with content checks
  std::string actual_sha256;
  bool ok() const {
    return present && expected_rows == actual_rows && expected_sha256 == actual_sha256;
  }
};

struct VerifyReport {
  std::vector<TableCheck> tables;
  std::vector<std::string> extensions_missing;
  bool ok() const;
  std::vector<std::string> Problems() const;
};

struct PgRestoreResult {
  uint64_t tables = 0;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  std::optional<VerifyReport> verify;
};

// The manifest of a postgres snapshot; kInvalidArgument for other snapshots.
Result<Manifest> SnapshotManifest(const repo::Snapshot& snapshot);

// The repository must be open with its index loaded.
Result<PgRestoreResult> RestoreDatabase(repo::Repository& repository,
                                        const repo::Snapshot& snapshot,
                                        const PgRestoreOptions& options);

// Compares a live database with the manifest: every table of `tables` (patterns; empty: all
// tables whose rows were backed up) present with exactly its row count, and with `content`,
// the same rows (a SHA-256 over the table read in the backup's order and text form).
Result<VerifyReport> VerifyDatabase(const std::string& conninfo, const Manifest& manifest,
                                    const std::vector<std::string>& tables, bool content);

// Writes a plain SQL script of the snapshot (as `pg_dump --format=plain` would) to fd.
Status WritePlainScript(repo::Repository& repository, const repo::Snapshot& snapshot, int fd);

}  // namespace lifeboat::sources::postgres
