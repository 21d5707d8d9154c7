// What commands print. Results go to stdout (text, or one JSON document with --json); errors,
// warnings and progress go to stderr, so `lifeboat ... --json | jq` always sees clean JSON.
//
// While a ProgressLine is on screen, messages printed through PrintWarning/PrintInfo clear it
// first, so the two never interleave on one line. Every function here is thread-safe: engine
// threads report warnings while the main thread waits.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "lifeboat/util/status.h"

namespace lifeboat {
struct Id;
}  // namespace lifeboat
namespace lifeboat::engine {
struct BackupProgress;
struct RestoreProgress;
}  // namespace lifeboat::engine
namespace lifeboat::repo {
struct Node;
struct Snapshot;
}  // namespace lifeboat::repo

namespace lifeboat::cli {

// "lifeboat: error: <message>" and, when the status has one, "hint: <hint>" on stderr.
void PrintError(const Status& status);
// "warning: <message>" on stderr; shown even with --quiet.
void PrintWarning(std::string_view message);
// "error: <message>" on stderr for one failed item (an entry not restored, a problem check
// found) when the command goes on; the command's own failure is reported by PrintError.
void PrintItemError(std::string_view message);
// A line on stderr for the user (what is happening); callers skip it for --quiet and --json.
void PrintInfo(std::string_view message);
// Writes the document to stdout on one line. Strings that are not valid UTF-8 (file names can
// be any bytes) have their bad bytes replaced by U+FFFD instead of failing.
void PrintJson(const nlohmann::json& value);
// Writes text to stdout as is (file names are printed as the bytes they are).
void PrintText(std::string_view text);

// A snapshot as --json shows it: repo::SnapshotToJson's object (with "id" and "short_id").
nlohmann::json SnapshotJson(const Id& id, const repo::Snapshot& snapshot);
// A tree entry as `ls --json` shows it, at `path` inside the snapshot.
nlohmann::json NodeJson(const std::string& path, const repo::Node& node);
// "file", "dir", "symlink", "chardev", "blockdev", "fifo", "socket".
std::string_view NodeTypeName(const repo::Node& node);
// "-rw-r--r--", "drwxr-xr-x", "lrwxrwxrwx", with setuid, setgid and sticky shown as ls does.
std::string FormatMode(const repo::Node& node);

// "0 B", "512 B", "1.50 KiB", "3.21 GiB": binary units, three significant digits.
std::string FormatBytes(uint64_t bytes);
// "0:07", "12:34", "1:02:03".
std::string FormatDuration(double seconds);
// "2024-05-01 13:45:07" in the local time zone, as tables show times.
std::string FormatLocalTime(int64_t unix_nanos);

// Rows of cells printed with each column padded to its widest cell (byte length), and a
// dashed rule under the header.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);
  void AddRow(std::vector<std::string> row);
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// The progress line's text for a backup, e.g.
// "[0:12] 1204 of 3010 files, 1.20 GiB of 3.01 GiB (40%), 98.1 MiB/s, ETA 0:18". Totals and
// ETA appear once the concurrent scan has counted them.
std::string FormatBackupProgress(const engine::BackupProgress& progress, double elapsed_seconds);
std::string FormatRestoreProgress(const engine::RestoreProgress& progress, double elapsed_seconds);

// Redraws one status line on stderr about every 250 ms from its own thread, so a long command
// shows it is alive. When `enabled` is false (stderr is not a terminal, --quiet, --json) it
// does nothing at all. Stop() — or the destructor — ends the thread and erases the line.
class ProgressLine {
 public:
  using Render = std::function<std::string(double elapsed_seconds)>;
  ProgressLine(bool enabled, Render render);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void Stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Whether stderr is a terminal: progress lines need one (a log file would fill with them).
bool StderrIsTerminal();

}  // namespace lifeboat::cli
