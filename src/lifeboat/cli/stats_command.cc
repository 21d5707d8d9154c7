#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/ops/inspect.h"

namespace lifeboat::cli {

namespace {

Result<ExitCode> Run(CommandContext& context) {
  LIFEBOAT_ASSIGN_OR_RETURN(ops::RepositoryStats stats,
                            ops::ComputeStats(*context.session.repository));
  if (context.globals.json) {
    PrintJson({{"snapshots", stats.snapshots},
               {"packs", stats.packs},
               {"blobs", stats.blobs},
               {"data_blobs", stats.data_blobs},
               {"tree_blobs", stats.tree_blobs},
               {"stored_bytes", stats.stored_bytes},
               {"raw_bytes", stats.raw_bytes},
               {"restore_size_latest", stats.restore_size_latest},
               {"compression_ratio", stats.compression_ratio},
               {"index_memory_bytes", stats.index_memory_bytes}});
    return ExitCode::kOk;
  }
  char ratio[32];
  std::snprintf(ratio, sizeof(ratio), "%.2fx", stats.compression_ratio);
  std::string text;
  text += "repository " + context.session.location + "\n";
  text += "  Snapshots:            " + std::to_string(stats.snapshots) + "\n";
  text += "  Packs:                " + std::to_string(stats.packs) + "\n";
  text += "  Blobs:                " + std::to_string(stats.blobs) + " (" +
          std::to_string(stats.data_blobs) + " data, " + std::to_string(stats.tree_blobs) +
          " tree)\n";
  text += "  Stored size:          " + FormatBytes(stats.stored_bytes) + "\n";
  text += "  Uncompressed size:    " + FormatBytes(stats.raw_bytes) + "\n";
  text += "  Compression ratio:    " + std::string(ratio) + "\n";
  text += "  Latest snapshot size: " + FormatBytes(stats.restore_size_latest) + "\n";
  text += "  Index memory:         " + FormatBytes(stats.index_memory_bytes) + "\n";
  PrintText(text);
  return ExitCode::kOk;
}

}  // namespace

void AddStatsCommand(CLI::App& app, CommandTable& table) {
  CLI::App* command = app.add_subcommand("stats", "Show the repository's size and contents");
  table.Add(command, Command{.access = RepositoryAccess::kLockedWithIndex,
                             .run = Run,
                             .audit = AuditPolicy::kBestEffort});
}

}  // namespace lifeboat::cli
