#include "lifeboat/sources/postgres/restore.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "lifeboat/crypto/sha256.h"
#include "lifeboat/engine/content_reader.h"
#include "lifeboat/sources/postgres/backup.h"
#include "lifeboat/sources/postgres/connection.h"
#include "lifeboat/sources/postgres/tools.h"
#include "lifeboat/util/child_process.h"

namespace lifeboat::sources::postgres {

namespace {

Result<repo::Node> FindFile(repo::Repository& repository, Id tree, const std::string& path) {
  size_t begin = 0;
  while (true) {
    const size_t slash = path.find('/', begin);
    const std::string name =
        path.substr(begin, slash == std::string::npos ? std::string::npos : slash - begin);
    LIFEBOAT_ASSIGN_OR_RETURN(repo::Tree loaded, repository.LoadTree(tree));
    auto it = std::find_if(loaded.nodes.begin(), loaded.nodes.end(),
                           [&](const repo::Node& node) { return node.name == name; });
    if (it == loaded.nodes.end()) {
      return CorruptionError(path + " is missing from the snapshot");
    }
    if (slash == std::string::npos) return *it;
    if (!it->subtree) return CorruptionError(path + " is missing from the snapshot");
    tree = *it->subtree;
    begin = slash + 1;
  }
}

// A temporary file removed when this goes out of scope.
class TempFile {
 public:
  ~TempFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  Status Create() {
    const char* dir = std::getenv("TMPDIR");
    std::string templ = std::string(dir && *dir ? dir : "/tmp") + "/lifeboat-schema-XXXXXX";
    int fd = mkstemp(templ.data());
    if (fd < 0) return ErrnoError(errno, "creating a temporary file in " + templ);
    close(fd);
    path_ = templ;
    return Status::Ok();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Status WriteAll(int fd, ByteView data, const std::string& what) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "writing " + what);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status ExtractFile(repo::Repository& repository, const repo::Node& node, int fd,
                   const std::string& what) {
  engine::ContentReader reader(repository, node.content, what);
  while (true) {
    LIFEBOAT_ASSIGN_OR_RETURN(ByteView chunk, reader.Next());
    if (chunk.empty()) return Status::Ok();
    LIFEBOAT_RETURN_IF_ERROR(WriteAll(fd, chunk, what));
  }
}

Status ExtractToPath(repo::Repository& repository, const repo::Node& node,
                     const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "opening " + path);
  Status status = ExtractFile(repository, node, fd, path);
  if (close(fd) != 0 && status.ok()) status = ErrnoError(errno, "closing " + path);
  return status;
}

struct PgRestoreRun {
  PgTool tool;
  std::string schema_path;
  ConnInfo target;
};

// Runs pg_restore against the target with the password in its environment.
Status RunPgRestore(const PgRestoreRun& run, std::vector<std::string> args,
                    const std::string& what) {
  std::vector<std::string> argv = {run.tool.path, "--exit-on-error",
                                   "--dbname=" + run.target.ToString(false)};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(run.schema_path);
  ChildOptions options;
  options.capture_stdout = false;
  if (auto password = run.target.Get("password"))
    options.environment.push_back("PGPASSWORD=" + *password);
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<ChildProcess> child,
                            ChildProcess::Start(argv, options));
  Status status = child->Wait();
  if (!status.ok()) return status.WithContext("pg_restore failed restoring " + what);
  return status;
}

// The DROP statements pg_restore --clean would run for the archive's objects, in its order
// (dependents first). pg_restore has no "drop only" mode, and the drops must run before our
// data load while the creations must not: the script puts every drop before the first
// object's "-- Name:" header, so that prefix is the drop phase.
Result<std::string> DropScript(const PgRestoreRun& run) {
  LIFEBOAT_ASSIGN_OR_RETURN(
      std::string script,
      RunAndCapture({run.tool.path, "--clean", "--if-exists", "--section=pre-data",
                     "--section=post-data", "--file=-", run.schema_path}));
  const size_t header = script.find("\n-- Name: ");
  if (header != std::string::npos) script.resize(header);
  // psql meta-commands (\restrict) are not SQL.
  std::string sql;
  size_t begin = 0;
  while (begin < script.size()) {
    size_t end = script.find('\n', begin);
    if (end == std::string::npos) end = script.size();
    if (script[begin] != '\\') sql.append(script, begin, end - begin + 1);
    begin = end + 1;
  }
  return sql;
}

std::vector<const ManifestTable*> SelectManifestTables(const Manifest& manifest,
                                                       const std::vector<std::string>& patterns) {
  std::vector<const ManifestTable*> chosen;
  for (const ManifestTable& table : manifest.tables) {
    if (table.file.empty()) continue;
    if (!patterns.empty() && std::none_of(patterns.begin(), patterns.end(), [&](const auto& p) {
          return TablePatternMatches(p, table.schema, table.name);
        })) {
      continue;
    }
    chosen.push_back(&table);
  }
  return chosen;
}

// Loads tables' rows on `jobs` connections, largest first.
Status LoadTables(repo::Repository& repository, const repo::Snapshot& snapshot,
                  const Manifest& manifest, std::vector<const ManifestTable*> tables,
                  const std::string& conninfo, int jobs, bool truncate, PgRestoreResult* result) {
  std::sort(tables.begin(), tables.end(), [](const ManifestTable* a, const ManifestTable* b) {
    return a->file_bytes > b->file_bytes;
  });
  std::mutex mutex;
  size_t next = 0;
  Status error;
  std::atomic<bool> failed{false};
  auto work = [&]() -> Status {
    LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connection::Open(conninfo));
    LIFEBOAT_RETURN_IF_ERROR(conn->Exec(CopySessionSettings(manifest.encoding)));
    while (!failed) {
      const ManifestTable* table;
      {
        std::lock_guard lock(mutex);
        if (next == tables.size()) break;
        table = tables[next++];
      }
      const std::string qualified =
          conn->Identifier(table->schema) + "." + conn->Identifier(table->name);
      LIFEBOAT_ASSIGN_OR_RETURN(repo::Node node, FindFile(repository, snapshot.tree, table->file));
      engine::ContentReader reader(repository, node.content, table->file);
      LIFEBOAT_RETURN_IF_ERROR(conn->Exec("BEGIN"));
      if (truncate) {
        Status emptied = conn->Exec("TRUNCATE " + qualified);
        if (!emptied.ok()) {
          return emptied.WithContext("emptying table " + qualified + " (--clean)")
              .WithHint(
                  "a table other tables reference cannot be emptied alone: restore into a "
                  "new database (--create) and copy the rows over, or drop the "
                  "referencing constraint first");
        }
      }
      const std::string columns = table->columns.empty() ? "" : " (" + table->columns + ")";
      Result<uint64_t> rows = conn->CopyIn("COPY " + qualified + columns + " FROM STDIN",
                                           [&reader] { return reader.Next(); });
      if (!rows.ok()) {
        conn->Exec("ROLLBACK").IgnoreError();
        return rows.status().WithContext("restoring table " + qualified);
      }
      LIFEBOAT_RETURN_IF_ERROR(conn->Exec("COMMIT"));
      std::lock_guard lock(mutex);
      result->tables++;
      result->rows += *rows;
      result->bytes += node.size;
    }
    return Status::Ok();
  };
  std::vector<std::thread> threads;
  const int count = std::max(1, std::min<int>(jobs, static_cast<int>(tables.size())));
  for (int i = 0; i < count; ++i) {
    threads.emplace_back([&] {
      Status status = work();
      if (!status.ok()) {
        std::lock_guard lock(mutex);
        if (error.ok()) error = status;
        failed = true;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return error;
}

Status CheckTarget(Connection& conn, const Manifest& manifest) {
  const int source_major = MajorVersion(manifest.server_version_num);
  const int target_major = MajorVersion(conn.server_version());
  if (target_major < source_major) {
    return UnsupportedError("the target server is PostgreSQL " + std::to_string(target_major) +
                            " but the backup comes from PostgreSQL " + manifest.server_version)
        .WithHint("restore into a PostgreSQL " + std::to_string(source_major) + " or newer server");
  }
  LIFEBOAT_ASSIGN_OR_RETURN(Rows available, conn.Query("SELECT name FROM pg_available_extensions"));
  for (const ManifestExtension& extension : manifest.extensions) {
    bool found = false;
    for (size_t r = 0; r < available.size(); ++r) found |= available.At(r, 0) == extension.name;
    if (!found) {
      return NotFoundError("extension \"" + extension.name + "\" (version " + extension.version +
                           " in the backup) is not available on the target server")
          .WithHint("install it on the target server (for pgvector on Debian: postgresql-" +
                    std::to_string(target_major) + "-pgvector), then restore again");
    }
  }
  return Status::Ok();
}

}  // namespace

bool VerifyReport::ok() const { return Problems().empty(); }

std::vector<std::string> VerifyReport::Problems() const {
  std::vector<std::string> problems;
  for (const std::string& name : extensions_missing) {
    problems.push_back("extension " + name + " is missing");
  }
  for (const TableCheck& check : tables) {
    if (!check.present) {
      problems.push_back("table " + check.table + " is missing");
    } else if (check.expected_rows != check.actual_rows) {
      problems.push_back("table " + check.table + " has " + std::to_string(check.actual_rows) +
                         " rows, the backup has " + std::to_string(check.expected_rows));
    } else if (check.expected_sha256 != check.actual_sha256) {
      problems.push_back("table " + check.table + " has the same row count but different rows");
    }
  }
  return problems;
}

Result<Manifest> SnapshotManifest(const repo::Snapshot& snapshot) {
  if (snapshot.source != "postgres" || !snapshot.manifest) {
    return InvalidArgumentError("the snapshot is a " + snapshot.source +
                                " backup, not a PostgreSQL one")
        .WithHint("pick a snapshot with source \"postgres\" (lifeboat snapshots)");
  }
  return ManifestFromJson(*snapshot.manifest);
}

Result<VerifyReport> VerifyDatabase(const std::string& conninfo, const Manifest& manifest,
                                    const std::vector<std::string>& tables, bool content) {
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connection::Open(conninfo));
  LIFEBOAT_RETURN_IF_ERROR(conn->Exec(CopySessionSettings(manifest.encoding)));
  LIFEBOAT_RETURN_IF_ERROR(conn->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
  VerifyReport report;
  LIFEBOAT_ASSIGN_OR_RETURN(Rows extensions, conn->Query("SELECT extname FROM pg_extension"));
  for (const ManifestExtension& extension : manifest.extensions) {
    bool found = false;
    for (size_t r = 0; r < extensions.size(); ++r) found |= extensions.At(r, 0) == extension.name;
    if (!found) report.extensions_missing.push_back(extension.name);
  }
  for (const ManifestTable* table : SelectManifestTables(manifest, tables)) {
    TableCheck check;
    check.table = manifest.QualifiedName(*table);
    check.expected_rows = table->rows;
    const std::string qualified =
        conn->Identifier(table->schema) + "." + conn->Identifier(table->name);
    LIFEBOAT_ASSIGN_OR_RETURN(Rows exists,
                              conn->Query("SELECT to_regclass($1) IS NOT NULL", {qualified}));
    if (exists.At(0, 0) != "t") {
      check.present = false;
      report.tables.push_back(check);
      continue;
    }
    if (content) {
      check.expected_sha256 = table->sha256;
      crypto::Sha256Hasher hasher;
      LIFEBOAT_ASSIGN_OR_RETURN(
          check.actual_rows, conn->CopyOut(TableCopyQuery(qualified, *table), [&](ByteView data) {
            hasher.Update(data);
            return Status::Ok();
          }));
      check.actual_sha256 = hasher.Finish().Hex();
    } else {
      LIFEBOAT_ASSIGN_OR_RETURN(Rows count, conn->Query("SELECT count(*) FROM ONLY " + qualified));
      check.actual_rows = std::stoull(count.At(0, 0));
    }
    report.tables.push_back(check);
  }
  LIFEBOAT_RETURN_IF_ERROR(conn->Exec("COMMIT"));
  return report;
}

Result<PgRestoreResult> RestoreDatabase(repo::Repository& repository,
                                        const repo::Snapshot& snapshot,
                                        const PgRestoreOptions& options) {
  LIFEBOAT_ASSIGN_OR_RETURN(Manifest manifest, SnapshotManifest(snapshot));
  LIFEBOAT_ASSIGN_OR_RETURN(ConnInfo target, ConnInfo::Parse(options.conninfo));
  std::vector<const ManifestTable*> tables = SelectManifestTables(manifest, options.tables);
  for (const std::string& pattern : options.tables) {
    if (std::none_of(tables.begin(), tables.end(), [&](const ManifestTable* t) {
          return TablePatternMatches(pattern, t->schema, t->name);
        })) {
      return NotFoundError("no table in the backup matches \"" + pattern + "\"")
          .WithHint("the backup's tables are listed by: lifeboat snapshots --json");
    }
  }

  if (options.create) {
    const std::string name = target.Get("dbname").value_or("");
    if (name.empty()) return InvalidArgumentError("--create needs a database name in --dbname");
    ConnInfo maintenance = target;
    maintenance.Set("dbname", "postgres");
    LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<Connection> admin,
                              Connection::Open(maintenance.ToString(true)));
    LIFEBOAT_RETURN_IF_ERROR(CheckTarget(*admin, manifest));
    LIFEBOAT_ASSIGN_OR_RETURN(Rows exists,
                              admin->Query("SELECT 1 FROM pg_database WHERE datname = $1", {name}));
    if (exists.size() > 0) {
      return AlreadyExistsError("database \"" + name + "\" already exists")
          .WithHint("restore into it without --create (add --clean to replace its contents)");
    }
    LIFEBOAT_RETURN_IF_ERROR(admin->Exec(
        "CREATE DATABASE " + admin->Identifier(name) + " TEMPLATE template0 ENCODING " +
        admin->Literal(manifest.encoding) + " LC_COLLATE " + admin->Literal(manifest.collate) +
        " LC_CTYPE " + admin->Literal(manifest.ctype)));
  }
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connection::Open(options.conninfo));
  LIFEBOAT_RETURN_IF_ERROR(CheckTarget(*conn, manifest));

  PgRestoreResult result;
  if (!options.tables.empty()) {
    LIFEBOAT_RETURN_IF_ERROR(LoadTables(repository, snapshot, manifest, tables, options.conninfo,
                                        options.jobs, options.clean, &result));
    // Sequences are not part of a table's rows: set the tables' own ones as the backup had them.
    for (const ManifestTable* table : tables) {
      for (const std::string& sequence : table->owned_sequences) {
        for (const ManifestSequence& value : manifest.sequences) {
          if (value.name != sequence) continue;
          LIFEBOAT_RETURN_IF_ERROR(conn->Exec("SELECT pg_catalog.setval(" +
                                              conn->Literal(sequence) + ", " +
                                              std::to_string(value.last_value) + ", " +
                                              (value.is_called ? "true" : "false") + ")"));
        }
      }
    }
  } else {
    const int source_major = MajorVersion(manifest.server_version_num);
    LIFEBOAT_ASSIGN_OR_RETURN(PgTool tool, FindPgTool("pg_restore", source_major));
    TempFile schema;
    LIFEBOAT_RETURN_IF_ERROR(schema.Create());
    LIFEBOAT_ASSIGN_OR_RETURN(repo::Node schema_node,
                              FindFile(repository, snapshot.tree, manifest.schema_file));
    LIFEBOAT_RETURN_IF_ERROR(ExtractToPath(repository, schema_node, schema.path()));
    PgRestoreRun run{tool, schema.path(), target};
    std::vector<std::string> common;
    if (options.no_owner) common.push_back("--no-owner");
    if (options.no_privileges) common.push_back("--no-privileges");
    if (options.clean && !options.data_only) {
      LIFEBOAT_ASSIGN_OR_RETURN(std::string drops, DropScript(run));
      LIFEBOAT_RETURN_IF_ERROR(
          conn->Exec(drops).WithContext("dropping the backup's objects (--clean)"));
    }
    if (!options.data_only) {
      std::vector<std::string> args = common;
      args.push_back("--section=pre-data");
      LIFEBOAT_RETURN_IF_ERROR(RunPgRestore(run, args, "the schema"));
    }
    if (!options.schema_only) {
      LIFEBOAT_RETURN_IF_ERROR(LoadTables(repository, snapshot, manifest, tables, options.conninfo,
                                          options.jobs, options.clean && options.data_only,
                                          &result));
      std::vector<std::string> args = common;
      args.push_back("--section=data");
      LIFEBOAT_RETURN_IF_ERROR(RunPgRestore(run, args, "sequences and large objects"));
    }
    if (!options.data_only) {
      std::vector<std::string> args = common;
      args.push_back("--section=post-data");
      args.push_back("--jobs=" + std::to_string(std::max(1, options.jobs)));
      LIFEBOAT_RETURN_IF_ERROR(RunPgRestore(run, args, "indexes, constraints and triggers"));
    }
  }
  if (options.verify && !options.schema_only) {
    LIFEBOAT_ASSIGN_OR_RETURN(VerifyReport report,
                              VerifyDatabase(options.conninfo, manifest, options.tables, false));
    result.verify = std::move(report);
  }
  return result;
}

Status WritePlainScript(repo::Repository& repository, const repo::Snapshot& snapshot, int fd) {
  LIFEBOAT_ASSIGN_OR_RETURN(Manifest manifest, SnapshotManifest(snapshot));
  LIFEBOAT_ASSIGN_OR_RETURN(PgTool tool,
                            FindPgTool("pg_restore", MajorVersion(manifest.server_version_num)));
  TempFile schema;
  LIFEBOAT_RETURN_IF_ERROR(schema.Create());
  LIFEBOAT_ASSIGN_OR_RETURN(repo::Node schema_node,
                            FindFile(repository, snapshot.tree, manifest.schema_file));
  LIFEBOAT_RETURN_IF_ERROR(ExtractToPath(repository, schema_node, schema.path()));
  auto section = [&](const std::string& name) -> Status {
    LIFEBOAT_ASSIGN_OR_RETURN(std::string text, RunAndCapture({tool.path, "--section=" + name,
                                                               "--file=-", schema.path()}));
    return WriteAll(fd, ByteView(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
                    "the script");
  };
  LIFEBOAT_RETURN_IF_ERROR(section("pre-data"));
  auto text = [&](const std::string& s) {
    return WriteAll(fd, ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()),
                    "the script");
  };
  LIFEBOAT_RETURN_IF_ERROR(text("SET client_encoding = '" + manifest.encoding + "';\n"));
  for (const ManifestTable* table : SelectManifestTables(manifest, {})) {
    auto quote = [](const std::string& id) {
      std::string out = "\"";
      for (char c : id) out += c == '"' ? std::string("\"\"") : std::string(1, c);
      return out + "\"";
    };
    const std::string columns = table->columns.empty() ? "" : " (" + table->columns + ")";
    LIFEBOAT_RETURN_IF_ERROR(text("\n--\n-- Data for " + manifest.QualifiedName(*table) +
                                  "\n--\n\nCOPY " + quote(table->schema) + "." +
                                  quote(table->name) + columns + " FROM stdin;\n"));
    LIFEBOAT_ASSIGN_OR_RETURN(repo::Node node, FindFile(repository, snapshot.tree, table->file));
    LIFEBOAT_RETURN_IF_ERROR(ExtractFile(repository, node, fd, "the script"));
    LIFEBOAT_RETURN_IF_ERROR(text("\\.\n"));
  }
  LIFEBOAT_RETURN_IF_ERROR(section("data"));
  return section("post-data");
}

}  // namespace lifeboat::sources::postgres
