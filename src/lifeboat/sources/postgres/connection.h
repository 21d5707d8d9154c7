// A PostgreSQL client connection (libpq) with the few operations lifeboat needs: run a query
// and read its rows as text, stream COPY out and in. Connection strings are libpq's own (a URI
// or key=value pairs), and libpq's PG* environment variables apply as every PostgreSQL tool
// does. Errors carry libpq's message with what lifeboat was doing; a password never appears in
// a message. One connection is used from one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lifeboat/util/bytes.h"
#include "lifeboat/util/result.h"

struct pg_conn;

namespace lifeboat::sources::postgres {

// A connection string taken apart with libpq's parser, so parts can be replaced (another
// database) or removed (the password, which a child process gets through its environment).
class ConnInfo {
 public:
  // kInvalidArgument with libpq's reason for a malformed string.
  static Result<ConnInfo> Parse(const std::string& conninfo);
  // key=value form with values quoted; without the password when !with_password.
  std::string ToString(bool with_password) const;
  std::optional<std::string> Get(const std::string& key) const;
  void Set(const std::string& key, std::string value) { values_[key] = std::move(value); }

 private:
  std::map<std::string, std::string> values_;
};

struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> values;  // nullopt for SQL NULL
  size_t size() const { return values.size(); }
  // The text of row r, column c; NULL reads as "".
  const std::string& At(size_t row, size_t column) const;
  bool IsNull(size_t row, size_t column) const { return !values[row][column].has_value(); }
};

// Session settings that make COPY text exact and independent of the server's defaults (as
// pg_dump sets them); backup, restore and verify all use them, so a table's text and hash
// come out the same on every server.
std::string CopySessionSettings(const std::string& encoding);

class Connection {
 public:
  // Connects and checks the server answers. kPermissionDenied for a rejected password or user,
  // kUnavailable when the server cannot be reached, kNotFound for a missing database; the
  // message is libpq's, prefixed with where lifeboat tried to connect.
  static Result<std::unique_ptr<Connection>> Open(const std::string& conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements; rows of the last.
  Result<Rows> Query(const std::string& sql, const std::vector<std::string>& params = {});
  Status Exec(const std::string& sql);
  // COPY ... TO STDOUT: each piece of data goes to `sink` in order; returns the row count from
  // the command tag. A sink error stops the copy (the connection is then reset).
  Result<uint64_t> CopyOut(const std::string& sql, const std::function<Status(ByteView)>& sink);
  // COPY ... FROM STDIN: `source` fills the next piece, returning an empty view at the end;
  // returns the row count. A source error aborts the COPY (the server rolls it back).
  Result<uint64_t> CopyIn(const std::string& sql, const std::function<Result<ByteView>()>& source);

  int server_version() const;  // e.g. 150004
  std::string host() const;    // for messages and snapshot paths: host or socket directory
  std::string port() const;
  std::string database() const;
  std::string user() const;
  // The connection's parameters as given (for opening more connections like this one).
  const std::string& conninfo() const { return conninfo_; }
  // SQL literal and identifier quoting with the connection's encoding rules.
  std::string Literal(const std::string& text) const;
  std::string Identifier(const std::string& text) const;

 private:
  Connection(pg_conn* conn, std::string conninfo) : conn_(conn), conninfo_(std::move(conninfo)) {}
  Status Error(const std::string& what) const;
  pg_conn* conn_;
  std::string conninfo_;
};

}  // namespace lifeboat::sources::postgres
