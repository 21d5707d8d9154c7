#include "lifeboat/sources/postgres/connection.h"

#include <libpq-fe.h>

namespace lifeboat::sources::postgres {

namespace {

// libpq messages end with a newline and sometimes carry a second line of detail.
std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

std::string QuoteValue(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

}  // namespace

std::string CopySessionSettings(const std::string& encoding) {
  return "SET client_encoding TO '" + encoding +
         "'; SET datestyle = ISO; SET intervalstyle = postgres; SET extra_float_digits = 3;"
         " SET bytea_output = hex; SET TimeZone = 'UTC'; SET row_security = off;"
         " SET statement_timeout = 0; SET lock_timeout = 0;"
         " SET idle_in_transaction_session_timeout = 0; SET search_path = ''";
}

Result<ConnInfo> ConnInfo::Parse(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    std::string message = error ? Trim(error) : "out of memory";
    PQfreemem(error);
    return InvalidArgumentError("invalid connection string: " + message)
        .WithHint(
            "use a URI (postgresql://user@host:5432/db) or key=value pairs (host=... dbname=...)");
  }
  ConnInfo info;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val != nullptr) info.values_[option->keyword] = option->val;
  }
  PQconninfoFree(options);
  return info;
}

std::string ConnInfo::ToString(bool with_password) const {
  std::string out;
  for (const auto& [key, value] : values_) {
    if (!with_password && key == "password") continue;
    if (!out.empty()) out += ' ';
    out += key + "=" + QuoteValue(value);
  }
  return out;
}

std::optional<std::string> ConnInfo::Get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

const std::string& Rows::At(size_t row, size_t column) const {
  static const std::string kEmpty;
  const std::optional<std::string>& value = values[row][column];
  return value ? *value : kEmpty;
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return InternalError("libpq could not allocate a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = Trim(PQerrorMessage(conn));
    PQfinish(conn);
    // Where we tried, without the password: a parse gives the target when libpq could not.
    std::string target;
    if (Result<ConnInfo> info = ConnInfo::Parse(conninfo); info.ok()) {
      target = info->Get("host").value_or(getenv("PGHOST") ? getenv("PGHOST") : "local socket");
      if (auto port = info->Get("port")) target += ":" + *port;
      if (auto db = info->Get("dbname")) target += "/" + *db;
    }
    const std::string where =
        "cannot connect to PostgreSQL" + (target.empty() ? "" : " at " + target);
    if (message.find("password authentication failed") != std::string::npos ||
        message.find("no password supplied") != std::string::npos ||
        message.find("role \"") != std::string::npos ||
        message.find("no pg_hba.conf entry") != std::string::npos) {
      return PermissionDeniedError(where + ": " + message)
          .WithHint("check the user and password (PGPASSWORD, ~/.pgpass or the connection string)");
    }
    if (message.find("database \"") != std::string::npos &&
        message.find("does not exist") != std::string::npos) {
      return NotFoundError(where + ": " + message);
    }
    return UnavailableError(where + ": " + message)
        .WithHint("is the server running and accepting connections there?");
  }
  return std::unique_ptr<Connection>(new Connection(conn, conninfo));
}

Connection::~Connection() { PQfinish(conn_); }

Status Connection::Error(const std::string& what) const {
  std::string message = Trim(PQerrorMessage(conn_));
  if (PQstatus(conn_) != CONNECTION_OK) {
    return UnavailableError(what + ": the connection to the server was lost: " + message);
  }
  return IoError(what + ": " + message);
}

Result<Rows> Connection::Query(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const std::string& param : params) values.push_back(param.c_str());
  ResultPtr result(params.empty()
                       ? PQexec(conn_, sql.c_str())
                       : PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                                      values.data(), nullptr, nullptr, 0));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    std::string message = Trim(PQresultErrorMessage(result.get()));
    if (PQstatus(conn_) != CONNECTION_OK) {
      return UnavailableError("the connection to the server was lost: " + message);
    }
    return IoError(message);
  }
  Rows rows;
  const int fields = PQnfields(result.get());
  for (int c = 0; c < fields; ++c) rows.columns.emplace_back(PQfname(result.get(), c));
  const int count = PQntuples(result.get());
  rows.values.resize(static_cast<size_t>(count));
  for (int r = 0; r < count; ++r) {
    auto& row = rows.values[static_cast<size_t>(r)];
    row.resize(static_cast<size_t>(fields));
    for (int c = 0; c < fields; ++c) {
      if (!PQgetisnull(result.get(), r, c)) {
        row[static_cast<size_t>(c)] = std::string(
            PQgetvalue(result.get(), r, c), static_cast<size_t>(PQgetlength(result.get(), r, c)));
      }
    }
  }
  return rows;
}

Status Connection::Exec(const std::string& sql) { return Query(sql).status(); }

namespace {
Result<uint64_t> RowCount(PGresult* result) {
  const char* tuples = PQcmdTuples(result);
  if (tuples == nullptr || *tuples == '\0') return uint64_t{0};
  return std::stoull(tuples);
}
}  // namespace

Result<uint64_t> Connection::CopyOut(const std::string& sql,
                                     const std::function<Status(ByteView)>& sink) {
  ResultPtr start(PQexec(conn_, sql.c_str()));
  if (PQresultStatus(start.get()) != PGRES_COPY_OUT) {
    return IoError(Trim(PQresultErrorMessage(start.get())));
  }
  Status sink_error;
  while (true) {
    char* buffer = nullptr;
    const int n = PQgetCopyData(conn_, &buffer, 0);
    if (n == -1) break;  // done; the final result follows
    if (n == -2) return Error("reading COPY data");
    if (sink_error.ok()) {
      sink_error = sink(ByteView(reinterpret_cast<const uint8_t*>(buffer), static_cast<size_t>(n)));
    }
    PQfreemem(buffer);
    if (!sink_error.ok()) {
      // Abandon the copy: libpq has no way to stop a COPY OUT early but closing the connection.
      PQreset(conn_);
      return sink_error;
    }
  }
  ResultPtr end(PQgetResult(conn_));
  if (PQresultStatus(end.get()) != PGRES_COMMAND_OK) {
    std::string message = Trim(PQresultErrorMessage(end.get()));
    if (PQstatus(conn_) != CONNECTION_OK) {
      return UnavailableError("the connection to the server was lost during COPY: " + message);
    }
    return IoError(message);
  }
  LIFEBOAT_ASSIGN_OR_RETURN(uint64_t rows, RowCount(end.get()));
  while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
  return rows;
}

Result<uint64_t> Connection::CopyIn(const std::string& sql,
                                    const std::function<Result<ByteView>()>& source) {
  ResultPtr start(PQexec(conn_, sql.c_str()));
  if (PQresultStatus(start.get()) != PGRES_COPY_IN) {
    return IoError(Trim(PQresultErrorMessage(start.get())));
  }
  Status source_error;
  while (true) {
    Result<ByteView> piece = source();
    if (!piece.ok()) {
      source_error = piece.status();
      break;
    }
    if (piece->empty()) break;
    if (PQputCopyData(conn_, reinterpret_cast<const char*>(piece->data()),
                      static_cast<int>(piece->size())) != 1) {
      return Error("sending COPY data");
    }
  }
  if (PQputCopyEnd(conn_, source_error.ok() ? nullptr : "lifeboat stopped the restore") != 1) {
    return Error("ending COPY");
  }
  ResultPtr end(PQgetResult(conn_));
  const ExecStatusType status = PQresultStatus(end.get());
  while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
  if (!source_error.ok()) return source_error;
  if (status != PGRES_COMMAND_OK) return IoError(Trim(PQresultErrorMessage(end.get())));
  return RowCount(end.get());
}

int Connection::server_version() const { return PQserverVersion(conn_); }
std::string Connection::host() const { return PQhost(conn_) ? PQhost(conn_) : ""; }
std::string Connection::port() const { return PQport(conn_) ? PQport(conn_) : ""; }
std::string Connection::database() const { return PQdb(conn_) ? PQdb(conn_) : ""; }
std::string Connection::user() const { return PQuser(conn_) ? PQuser(conn_) : ""; }

std::string Connection::Literal(const std::string& text) const {
  char* quoted = PQescapeLiteral(conn_, text.data(), text.size());
  if (quoted == nullptr) return "''";
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

std::string Connection::Identifier(const std::string& text) const {
  char* quoted = PQescapeIdentifier(conn_, text.data(), text.size());
  if (quoted == nullptr) return "\"\"";
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

}  // namespace lifeboat::sources::postgres
