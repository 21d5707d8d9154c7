#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/ops/inspect.h"

namespace lifeboat::cli {

namespace {

struct LsArgs {
  std::string snapshot;
  std::string path;
  bool recursive = false;
  bool long_format = false;
};

std::string LongLine(const ops::ListedNode& listed) {
  const repo::Node& node = listed.node;
  std::string user = node.user.empty() ? std::to_string(node.uid) : node.user;
  std::string group = node.group.empty() ? std::to_string(node.gid) : node.group;
  std::string line = FormatMode(node) + " " + user + " " + group + " " + std::to_string(node.size) +
                     " " + FormatLocalTime(node.mtime_ns) + " " + listed.path;
  if (node.type == repo::NodeType::kSymlink) line += " -> " + node.link_target;
  return line + "\n";
}

Result<ExitCode> Run(CommandContext& context, const LsArgs& args) {
  repo::Repository& repository = *context.session.repository;
  LIFEBOAT_ASSIGN_OR_RETURN(auto found, repository.FindSnapshot(args.snapshot));
  const auto& [id, snapshot] = found;
  // As with restic: no PATH lists the whole snapshot; a PATH lists that directory, and its
  // subdirectories only with --recursive.
  const bool whole = args.path.empty();
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<ops::ListedNode> nodes,
                            ops::ListSnapshotPath(repository, snapshot, whole ? "/" : args.path,
                                                  whole || args.recursive));
  if (context.globals.json) {
    // One object per line (snapshot first, then each entry), like restic: a listing of
    // millions of files can be streamed and filtered line by line.
    nlohmann::json header = SnapshotJson(id, snapshot);
    header["struct_type"] = "snapshot";
    PrintJson(header);
    for (const ops::ListedNode& listed : nodes) {
      nlohmann::json entry = NodeJson(listed.path, listed.node);
      entry["struct_type"] = "node";
      PrintJson(entry);
    }
    return ExitCode::kOk;
  }
  if (context.globals.ShowInfo()) {
    PrintInfo("snapshot " + id.ShortHex() + " of " + FormatLocalTime(snapshot.time_ns) + ":");
  }
  std::string text;
  for (const ops::ListedNode& listed : nodes) {
    text += args.long_format ? LongLine(listed) : listed.path + "\n";
    if (text.size() > (1 << 16)) {
      PrintText(text);
      text.clear();
    }
  }
  PrintText(text);
  return ExitCode::kOk;
}

}  // namespace

void AddLsCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<LsArgs>();
  CLI::App* command = app.add_subcommand(
      "ls", "List files in a snapshot (paths on stdout; --json: one object per line)");
  command->add_option("snapshot", args->snapshot, "snapshot id prefix or \"latest\"")->required();
  command->add_option("path", args->path, "directory to list (default: the whole snapshot)");
  // No -r: it is the global --repo.
  command->add_flag("--recursive", args->recursive, "also list subdirectories of PATH");
  command->add_flag("-l,--long", args->long_format, "show mode, owner, size and time");
  table.Add(command, Command{.access = RepositoryAccess::kLockedWithIndex,
                             .run = [args](CommandContext& context) { return Run(context, *args); },
                             .audit = AuditPolicy::kBestEffort});
}

}  // namespace lifeboat::cli
