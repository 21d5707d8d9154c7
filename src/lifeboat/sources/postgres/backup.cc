#include "lifeboat/sources/postgres/backup.h"

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "lifeboat/crypto/sha256.h"
#include "lifeboat/engine/snapshot_writer.h"
#include "lifeboat/sources/postgres/connection.h"
#include "lifeboat/sources/postgres/tools.h"
#include "lifeboat/sources/source_snapshot.h"
#include "lifeboat/util/child_process.h"

namespace lifeboat::sources::postgres {

namespace {

constexpr char kSeparator = '\x01';
constexpr size_t kCopyBatch = 256 * 1024;

std::vector<std::string> SplitSeparated(const std::string& text) {
  std::vector<std::string> parts;
  if (text.empty()) return parts;
  size_t begin = 0;
  while (true) {
    const size_t end = text.find(kSeparator, begin);
    parts.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) return parts;
    begin = end + 1;
  }
}

struct CatalogTable {
  ManifestTable table;
  std::string qualified;  // quoted
  bool data = true;       // false: --exclude-table-data
};

constexpr char kTablesQuery[] = R"SQL(
SELECT n.nspname, c.relname, pg_total_relation_size(c.oid),
  coalesce((SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
              AND a.attgenerated = ''), ''),
  coalesce((SELECT string_agg(quote_ident(a.attname), chr(1) ORDER BY k.ord)
            FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(att, ord)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.att
            WHERE i.indrelid = c.oid AND i.indisprimary), ''),
  coalesce((SELECT string_agg(quote_ident(sn.nspname) || '.' || quote_ident(s.relname), chr(1)
                              ORDER BY s.relname)
            FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
            JOIN pg_namespace sn ON sn.oid = s.relnamespace
            WHERE d.refobjid = c.oid AND d.classid = 'pg_class'::regclass
              AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')), ''),
  quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2)SQL";

bool AnyMatches(const std::vector<std::string>& patterns, const std::string& schema,
                const std::string& name) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& pattern) {
    return TablePatternMatches(pattern, schema, name);
  });
}

// Resolves the selection against the catalog. kNotFound for a --table or --schema that
// matches nothing: a typo must not silently back up less than asked.
Result<std::vector<CatalogTable>> SelectTables(const Rows& rows, const TableSelection& selection,
                                               const std::string& database) {
  std::vector<CatalogTable> all;
  for (size_t r = 0; r < rows.size(); ++r) {
    CatalogTable entry;
    entry.table.schema = rows.At(r, 0);
    entry.table.name = rows.At(r, 1);
    entry.table.bytes = std::stoull(rows.At(r, 2));
    entry.table.columns = rows.At(r, 3);
    entry.table.order_by = SplitSeparated(rows.At(r, 4));
    entry.table.owned_sequences = SplitSeparated(rows.At(r, 5));
    entry.qualified = rows.At(r, 6);
    all.push_back(std::move(entry));
  }
  for (const std::string& pattern : selection.tables) {
    if (!std::any_of(all.begin(), all.end(), [&](const CatalogTable& t) {
          return TablePatternMatches(pattern, t.table.schema, t.table.name);
        })) {
      return NotFoundError("no table matches \"" + pattern + "\" in database " + database)
          .WithHint("list the tables with: psql -c '\\dt *.*'");
    }
  }
  for (const std::string& schema : selection.schemas) {
    if (!std::any_of(all.begin(), all.end(),
                     [&](const CatalogTable& t) { return t.table.schema == schema; })) {
      return NotFoundError("schema \"" + schema + "\" has no tables in database " + database);
    }
  }
  std::vector<CatalogTable> chosen;
  for (CatalogTable& entry : all) {
    const std::string& schema = entry.table.schema;
    const std::string& name = entry.table.name;
    if (!selection.tables.empty() && !AnyMatches(selection.tables, schema, name)) continue;
    if (!selection.schemas.empty() && std::find(selection.schemas.begin(), selection.schemas.end(),
                                                schema) == selection.schemas.end()) {
      continue;
    }
    if (AnyMatches(selection.exclude_tables, schema, name)) continue;
    entry.table.tier = selection.default_tier;
    for (const auto& [tier, pattern] : selection.tier_rules) {
      if (TablePatternMatches(pattern, schema, name)) {
        entry.table.tier = tier;
        break;
      }
    }
    if (selection.tier && entry.table.tier != *selection.tier) continue;
    entry.data = !AnyMatches(selection.exclude_table_data, schema, name);
    chosen.push_back(std::move(entry));
  }
  if (chosen.empty()) {
    return NotFoundError("the selection leaves no table to back up in database " + database);
  }
  return chosen;
}

bool SelectsSubset(const TableSelection& selection) {
  return !selection.tables.empty() || !selection.schemas.empty() || selection.tier.has_value();
}

// Copies tables, largest first, on one connection per job, all in the exported snapshot.
class TableCopier {
 public:
  TableCopier(engine::SnapshotWriter& writer, std::vector<CatalogTable*> tables,
              engine::BackupProgress* progress)
      : writer_(writer), tables_(std::move(tables)), progress_(progress) {
    std::sort(tables_.begin(), tables_.end(), [](const CatalogTable* a, const CatalogTable* b) {
      return a->table.bytes > b->table.bytes;
    });
  }

  Status Run(const std::string& conninfo, const std::string& settings,
             const std::string& snapshot_id, int jobs) {
    std::vector<std::thread> threads;
    const int count = std::max(1, std::min<int>(jobs, static_cast<int>(tables_.size())));
    for (int i = 0; i < count; ++i) {
      threads.emplace_back([&] {
        Status status = Work(conninfo, settings, snapshot_id);
        if (!status.ok()) Fail(status);
      });
    }
    for (std::thread& thread : threads) thread.join();
    return error_;
  }

 private:
  void Fail(const Status& status) {
    std::lock_guard lock(mutex_);
    if (error_.ok()) error_ = status;
    failed_ = true;
  }

  Status Work(const std::string& conninfo, const std::string& settings,
              const std::string& snapshot_id) {
    LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connection::Open(conninfo));
    LIFEBOAT_RETURN_IF_ERROR(conn->Exec(settings));
    LIFEBOAT_RETURN_IF_ERROR(conn->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
    LIFEBOAT_RETURN_IF_ERROR(conn->Exec("SET TRANSACTION SNAPSHOT " + conn->Literal(snapshot_id))
                                 .WithContext("joining the backup's snapshot"));
    crypto::Sha256Hasher hasher;
    while (!failed_) {
      CatalogTable* entry;
      {
        std::lock_guard lock(mutex_);
        if (next_ == tables_.size()) break;
        entry = tables_[next_++];
      }
      ManifestTable& table = entry->table;
      LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<engine::StreamFile> file, writer_.Open(table.file));
      const std::string sql = TableCopyQuery(entry->qualified, table);
      // libpq hands over one row at a time; gathering them first saves a hash update and a
      // chunker call per row (a quarter of the backup's CPU on narrow tables).
      Bytes batch;
      batch.reserve(kCopyBatch + 64 * 1024);
      auto flush = [&]() -> Status {
        hasher.Update(batch);
        Status written = file->Write(batch);
        batch.clear();
        return written;
      };
      Result<uint64_t> rows = conn->CopyOut(sql, [&](ByteView data) -> Status {
        batch.insert(batch.end(), data.begin(), data.end());
        return batch.size() >= kCopyBatch ? flush() : Status::Ok();
      });
      if (!rows.ok()) return rows.status().WithContext("copying table " + entry->qualified);
      LIFEBOAT_RETURN_IF_ERROR(flush());
      LIFEBOAT_ASSIGN_OR_RETURN(table.file_bytes, file->Close());
      table.rows = *rows;
      table.sha256 = hasher.Finish().Hex();
      if (progress_) progress_->files_done++;
    }
    return conn->Exec("COMMIT");
  }

  engine::SnapshotWriter& writer_;
  std::vector<CatalogTable*> tables_;
  engine::BackupProgress* progress_;
  std::mutex mutex_;
  size_t next_ = 0;
  std::atomic<bool> failed_{false};
  Status error_;
};

}  // namespace

std::string TableCopyQuery(const std::string& qualified, const ManifestTable& table) {
  std::string sql = "COPY (SELECT " + table.columns + " FROM ONLY " + qualified;
  for (size_t i = 0; i < table.order_by.size(); ++i) {
    sql += (i ? ", " : " ORDER BY ") + table.order_by[i];
  }
  return sql + ") TO STDOUT";
}

bool TablePatternMatches(const std::string& pattern, const std::string& schema,
                         const std::string& name) {
  const size_t dot = pattern.find('.');
  if (dot == std::string::npos) return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
  return fnmatch(pattern.substr(0, dot).c_str(), schema.c_str(), 0) == 0 &&
         fnmatch(pattern.substr(dot + 1).c_str(), name.c_str(), 0) == 0;
}

std::string TableFileName(const std::string& schema, const std::string& name) {
  auto encode = [](const std::string& part) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : part) {
      if (c == '/' || c == '%' || c < 0x20 || c == 0x7f) {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      } else {
        out += static_cast<char>(c);
      }
    }
    return out;
  };
  return "tables/" + encode(schema) + "." + encode(name) + ".copy";
}

Result<PgBackupResult> BackupDatabase(repo::Repository& repository, const PgBackupOptions& options,
                                      engine::BackupProgress* progress) {
  LIFEBOAT_ASSIGN_OR_RETURN(ConnInfo info, ConnInfo::Parse(options.conninfo));
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<Connection> main, Connection::Open(options.conninfo));
  const int server_major = MajorVersion(main->server_version());
  LIFEBOAT_ASSIGN_OR_RETURN(PgTool pg_dump, FindPgTool("pg_dump", server_major));

  Manifest manifest;
  LIFEBOAT_ASSIGN_OR_RETURN(
      Rows db, main->Query("SELECT current_database(), current_setting('server_version'),"
                           " current_setting('server_version_num'),"
                           " pg_encoding_to_char(d.encoding), d.datcollate, d.datctype"
                           " FROM pg_database d WHERE d.datname = current_database()"));
  manifest.database = db.At(0, 0);
  // "15.4 (Debian 15.4-1)": the version is the first word.
  manifest.server_version = db.At(0, 1).substr(0, db.At(0, 1).find(' '));
  manifest.server_version_num = std::stoi(db.At(0, 2));
  manifest.encoding = db.At(0, 3);
  manifest.collate = db.At(0, 4);
  manifest.ctype = db.At(0, 5);
  manifest.pg_dump_version = pg_dump.version;
  manifest.schema_file = "schema.dump";
  manifest.chunk_average = options.chunker.average_size;
  if (options.selection.tier) manifest.tiers_selected = {*options.selection.tier};

  const std::string settings = CopySessionSettings(manifest.encoding);
  LIFEBOAT_RETURN_IF_ERROR(main->Exec(settings));
  LIFEBOAT_RETURN_IF_ERROR(main->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
  LIFEBOAT_ASSIGN_OR_RETURN(
      Rows snap,
      main->Query("SELECT pg_export_snapshot(),"
                  " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
                  " CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_wal_replay_lsn()::text, '')"
                  " ELSE pg_current_wal_lsn()::text END"));
  const std::string snapshot_id = snap.At(0, 0);
  manifest.snapshot_time = snap.At(0, 1);
  manifest.wal_lsn = snap.At(0, 2);

  LIFEBOAT_ASSIGN_OR_RETURN(Rows table_rows, main->Query(kTablesQuery));
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<CatalogTable> tables,
                            SelectTables(table_rows, options.selection, manifest.database));
  {
    // Held until the end, as pg_dump does, so no table is dropped or altered mid-backup.
    std::string lock = "LOCK TABLE ";
    for (size_t i = 0; i < tables.size(); ++i) lock += (i ? ", " : "") + tables[i].qualified;
    LIFEBOAT_RETURN_IF_ERROR(main->Exec(lock + " IN ACCESS SHARE MODE")
                                 .WithContext("locking the tables for the backup"));
  }
  LIFEBOAT_ASSIGN_OR_RETURN(
      Rows ext, main->Query("SELECT e.extname, e.extversion, n.nspname FROM pg_extension e"
                            " JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1"));
  for (size_t r = 0; r < ext.size(); ++r) {
    manifest.extensions.push_back({ext.At(r, 0), ext.At(r, 1), ext.At(r, 2)});
  }
  LIFEBOAT_ASSIGN_OR_RETURN(
      Rows schemas, main->Query("SELECT nspname FROM pg_namespace WHERE nspname <>"
                                " 'information_schema' AND nspname NOT LIKE 'pg\\_%' ORDER BY 1"));
  for (size_t r = 0; r < schemas.size(); ++r) manifest.schemas.push_back(schemas.At(r, 0));
  LIFEBOAT_ASSIGN_OR_RETURN(
      Rows sequences,
      main->Query("SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename),"
                  " coalesce(last_value, start_value), last_value IS NOT NULL"
                  " FROM pg_sequences ORDER BY 1"));
  for (size_t r = 0; r < sequences.size(); ++r) {
    manifest.sequences.push_back(
        {sequences.At(r, 0), std::stoll(sequences.At(r, 1)), sequences.At(r, 2) == "t"});
  }

  engine::SnapshotWriter writer(repository, {.chunker = options.chunker, .progress = progress});

  // pg_dump: everything but table rows, against the same snapshot. The password reaches it
  // through its environment, never its command line.
  std::vector<std::string> argv = {pg_dump.path, "--format=custom", "--compress=0",
                                   "--snapshot=" + snapshot_id, "--dbname=" + info.ToString(false)};
  // Rows of the tables copied here (or left out by --exclude-table-data) are not pg_dump's to
  // write; everything else with data — materialized views, sequences, large objects — is.
  for (const CatalogTable& t : tables) argv.push_back("--exclude-table-data=" + t.qualified);
  if (SelectsSubset(options.selection)) {
    for (const CatalogTable& t : tables) argv.push_back("--table=" + t.qualified);
  }
  for (const std::string& pattern : options.selection.exclude_tables) {
    for (size_t r = 0; r < table_rows.size(); ++r) {
      if (TablePatternMatches(pattern, table_rows.At(r, 0), table_rows.At(r, 1))) {
        argv.push_back("--exclude-table=" + table_rows.At(r, 6));
      }
    }
  }
  ChildOptions child_options;
  if (auto password = info.Get("password"))
    child_options.environment.push_back("PGPASSWORD=" + *password);
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<ChildProcess> dump,
                            ChildProcess::Start(argv, child_options));
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<engine::StreamFile> schema_file,
                            writer.Open(manifest.schema_file));
  Status dump_status;
  std::thread dump_reader([&] {
    dump_status = schema_file->WriteFrom(dump->stdout_fd(), "pg_dump's output");
    if (dump_status.ok()) dump_status = schema_file->Close().status();
  });

  std::vector<CatalogTable*> with_data;
  for (CatalogTable& t : tables) {
    t.table.file = TableFileName(t.table.schema, t.table.name);
    if (t.data) with_data.push_back(&t);
  }
  TableCopier copier(writer, with_data, progress);
  Status copied = copier.Run(main->conninfo(), settings, snapshot_id, options.jobs);
  if (!copied.ok()) {
    dump->Terminate();  // the reader then sees the end of pg_dump's output
    dump_reader.join();
    return copied;
  }
  dump_reader.join();
  Status dumped = dump->Wait();
  if (!dumped.ok()) return dumped.WithContext("pg_dump failed");
  if (!dump_status.ok()) return dump_status;
  LIFEBOAT_RETURN_IF_ERROR(main->Exec("COMMIT"));

  for (CatalogTable& t : tables) {
    if (!t.data) t.table.file.clear();
    manifest.tables.push_back(t.table);
  }
  const std::string manifest_json = ManifestToJson(manifest);
  LIFEBOAT_RETURN_IF_ERROR(WriteManifestFile(writer, manifest_json));
  std::string host = main->host();
  if (host.empty() || host.front() == '/') host = "localhost";
  schema_file.reset();
  LIFEBOAT_ASSIGN_OR_RETURN(
      engine::BackupResult backup,
      writer.Commit(SourceSnapshot(
          options, "postgres",
          {"postgresql://" + host + ":" + main->port() + "/" + manifest.database}, manifest_json)));
  return PgBackupResult{std::move(backup), std::move(manifest)};
}

}  // namespace lifeboat::sources::postgres
