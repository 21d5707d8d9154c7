#include "lifeboat/cli/output.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "lifeboat/engine/backup.h"
#include "lifeboat/engine/restore.h"
#include "lifeboat/repo/snapshot.h"
#include "lifeboat/repo/tree.h"
#include "lifeboat/util/check.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::cli {

namespace {

// Guards stderr and whether a progress line is drawn on it, so a warning from an engine
// thread never lands in the middle of a redraw.
std::mutex g_console_mutex;
bool g_progress_drawn = false;

constexpr std::string_view kEraseLine = "\r\033[K";

void WriteStderrLocked(std::string_view text) {
  if (g_progress_drawn) {
    std::fwrite(kEraseLine.data(), 1, kEraseLine.size(), stderr);
    g_progress_drawn = false;
  }
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

void WriteStderr(std::string_view text) {
  std::lock_guard lock(g_console_mutex);
  WriteStderrLocked(text);
}

size_t TerminalColumns() {
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

std::string FormatRate(double bytes_per_second) {
  if (bytes_per_second < 0) bytes_per_second = 0;
  return FormatBytes(static_cast<uint64_t>(bytes_per_second)) + "/s";
}

// Both progress lines: what is done, the totals once they are known, speed and ETA.
std::string FormatTransfer(uint64_t files_done, uint64_t files_total, uint64_t bytes_done,
                           uint64_t bytes_total, bool totals_known, double elapsed_seconds) {
  const double rate = elapsed_seconds > 0 ? bytes_done / elapsed_seconds : 0;
  std::string line = "[" + FormatDuration(elapsed_seconds) + "] ";
  if (!totals_known || bytes_total == 0) {
    return line + std::to_string(files_done) + " files, " + FormatBytes(bytes_done) + ", " +
           FormatRate(rate);
  }
  const uint64_t done = std::min(bytes_done, bytes_total);
  line += std::to_string(files_done) + " of " + std::to_string(files_total) + " files, " +
          FormatBytes(bytes_done) + " of " + FormatBytes(bytes_total) + " (" +
          std::to_string(done * 100 / bytes_total) + "%), " + FormatRate(rate);
  if (rate > 0) line += ", ETA " + FormatDuration((bytes_total - done) / rate);
  return line;
}

}  // namespace

void PrintError(const Status& status) {
  std::string text = "lifeboat: error: " + status.message() + "\n";
  if (!status.hint().empty()) text += "hint: " + status.hint() + "\n";
  WriteStderr(text);
}

void PrintWarning(std::string_view message) {
  WriteStderr("warning: " + std::string(message) + "\n");
}

void PrintItemError(std::string_view message) {
  WriteStderr("error: " + std::string(message) + "\n");
}

void PrintInfo(std::string_view message) { WriteStderr(std::string(message) + "\n"); }

void PrintJson(const nlohmann::json& value) {
  PrintText(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void PrintText(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }

nlohmann::json SnapshotJson(const Id& id, const repo::Snapshot& snapshot) {
  // Reusing the repository's own rendering keeps `snapshots --json` and the stored format in
  // step; it is our own output, so a parse failure would be a bug.
  nlohmann::json value = nlohmann::json::parse(repo::SnapshotToJson(id, snapshot), nullptr, false);
  LIFEBOAT_CHECK(!value.is_discarded(), "repo::SnapshotToJson produced invalid JSON");
  return value;
}

nlohmann::json NodeJson(const std::string& path, const repo::Node& node) {
  nlohmann::json value{{"path", path},
                       {"name", node.name},
                       {"type", NodeTypeName(node)},
                       {"mode", node.mode},
                       {"permissions", FormatMode(node)},
                       {"uid", node.uid},
                       {"gid", node.gid},
                       {"user", node.user},
                       {"group", node.group},
                       {"size", node.size},
                       {"links", node.links},
                       {"inode", node.inode},
                       {"mtime", FormatTimeRfc3339(node.mtime_ns)},
                       {"atime", FormatTimeRfc3339(node.atime_ns)},
                       {"ctime", FormatTimeRfc3339(node.ctime_ns)}};
  if (node.type == repo::NodeType::kSymlink) value["link_target"] = node.link_target;
  if (node.type == repo::NodeType::kCharDevice || node.type == repo::NodeType::kBlockDevice) {
    value["rdev"] = node.rdev;
  }
  return value;
}

std::string_view NodeTypeName(const repo::Node& node) {
  switch (node.type) {
    case repo::NodeType::kFile:
      return "file";
    case repo::NodeType::kDirectory:
      return "dir";
    case repo::NodeType::kSymlink:
      return "symlink";
    case repo::NodeType::kCharDevice:
      return "chardev";
    case repo::NodeType::kBlockDevice:
      return "blockdev";
    case repo::NodeType::kFifo:
      return "fifo";
    case repo::NodeType::kSocket:
      return "socket";
  }
  return "unknown";
}

std::string FormatMode(const repo::Node& node) {
  std::string text = "----------";
  switch (node.type) {
    case repo::NodeType::kDirectory:
      text[0] = 'd';
      break;
    case repo::NodeType::kSymlink:
      text[0] = 'l';
      break;
    case repo::NodeType::kCharDevice:
      text[0] = 'c';
      break;
    case repo::NodeType::kBlockDevice:
      text[0] = 'b';
      break;
    case repo::NodeType::kFifo:
      text[0] = 'p';
      break;
    case repo::NodeType::kSocket:
      text[0] = 's';
      break;
    case repo::NodeType::kFile:
      break;
  }
  static constexpr char kLetters[] = "rwxrwxrwx";
  for (int bit = 0; bit < 9; ++bit) {
    if (node.mode & (0400u >> bit)) text[1 + bit] = kLetters[bit];
  }
  // Special bits replace the execute letter: lower case when execute is also set.
  auto special = [&](uint32_t flag, size_t position, char letter) {
    if (!(node.mode & flag)) return;
    text[position] = text[position] == 'x' ? letter : static_cast<char>(letter - 'a' + 'A');
  };
  special(04000, 3, 's');
  special(02000, 6, 's');
  special(01000, 9, 't');
  return text;
}

std::string FormatBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  const int decimals = value < 10 ? 2 : value < 100 ? 1 : 0;
  std::snprintf(text, sizeof(text), "%.*f %s", decimals, value, kUnits[unit]);
  return text;
}

std::string FormatDuration(double seconds) {
  if (!(seconds >= 0)) seconds = 0;  // also catches NaN
  const auto total = static_cast<uint64_t>(seconds);
  const uint64_t hours = total / 3600, minutes = total / 60 % 60, secs = total % 60;
  char text[48];
  if (hours > 0) {
    std::snprintf(text, sizeof(text), "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, hours, minutes, secs);
  } else {
    std::snprintf(text, sizeof(text), "%" PRIu64 ":%02" PRIu64, minutes, secs);
  }
  return text;
}

std::string FormatLocalTime(int64_t unix_nanos) {
  const time_t seconds = static_cast<time_t>(unix_nanos / 1'000'000'000);
  tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

TextTable::TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

void TextTable::AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

std::string TextTable::Render() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t column = 0; column < row.size(); ++column) {
      widths[column] = std::max(widths[column], row[column].size());
    }
  }
  auto render_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t column = 0; column < row.size(); ++column) {
      line += row[column];
      // The last column is not padded: trailing blanks only get in the way of grep and diff.
      if (column + 1 < row.size())
        line += std::string(widths[column] - row[column].size() + 2, ' ');
    }
    return line + "\n";
  };
  size_t total_width = 0;
  for (size_t width : widths) total_width += width + 2;
  std::string out = render_row(rows_.front());
  out += std::string(total_width > 2 ? total_width - 2 : 0, '-') + "\n";
  for (size_t row = 1; row < rows_.size(); ++row) out += render_row(rows_[row]);
  return out;
}

std::string FormatBackupProgress(const engine::BackupProgress& progress, double elapsed_seconds) {
  std::string line = FormatTransfer(progress.files_done.load(), progress.files_total.load(),
                                    progress.bytes_done.load(), progress.bytes_total.load(),
                                    progress.scan_done.load(), elapsed_seconds);
  const uint64_t errors = progress.errors.load();
  if (errors > 0) line += ", " + std::to_string(errors) + " errors";
  return line;
}

std::string FormatRestoreProgress(const engine::RestoreProgress& progress, double elapsed_seconds) {
  return FormatTransfer(progress.files_done.load(), progress.files_total.load(),
                        progress.bytes_done.load(), progress.bytes_total.load(), true,
                        elapsed_seconds);
}

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

struct ProgressLine::State {
  Render render;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread thread;
};

ProgressLine::ProgressLine(bool enabled, Render render) {
  if (!enabled) return;
  state_ = std::make_unique<State>();
  state_->render = std::move(render);
  State* state = state_.get();
  state->thread = std::thread([state] {
    const auto start = std::chrono::steady_clock::now();
    std::unique_lock lock(state->mutex);
    while (!state->wake.wait_for(lock, std::chrono::milliseconds(250),
                                 [state] { return state->stopping; })) {
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
      std::string line = state->render(elapsed.count());
      // A line wider than the terminal wraps, and "\r" would then redraw only its last part.
      const size_t columns = TerminalColumns();
      if (line.size() >= columns) line.resize(columns - 1);
      std::lock_guard console(g_console_mutex);
      std::string text = std::string(kEraseLine) + line;
      std::fwrite(text.data(), 1, text.size(), stderr);
      std::fflush(stderr);
      g_progress_drawn = true;
    }
  });
}

ProgressLine::~ProgressLine() { Stop(); }

void ProgressLine::Stop() {
  if (!state_) return;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
  std::lock_guard console(g_console_mutex);
  WriteStderrLocked("");
}

}  // namespace lifeboat::cli
