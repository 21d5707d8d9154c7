#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/repo/repository.h"

namespace lifeboat::cli {

namespace {

struct SnapshotsArgs {
  std::vector<std::string> tags;   // each a comma-separated set that must all be present
  std::vector<std::string> hosts;  // any of them
};

bool HasAll(const repo::Snapshot& snapshot, const std::vector<std::string>& tags) {
  return std::all_of(tags.begin(), tags.end(), [&](const std::string& tag) {
    return std::find(snapshot.tags.begin(), snapshot.tags.end(), tag) != snapshot.tags.end();
  });
}

// restic's filter: `--tag a,b --tag c` keeps snapshots tagged (a and b) or c.
bool Matches(const SnapshotsArgs& args, const repo::Snapshot& snapshot) {
  if (!args.hosts.empty() &&
      std::find(args.hosts.begin(), args.hosts.end(), snapshot.hostname) == args.hosts.end()) {
    return false;
  }
  if (args.tags.empty()) return true;
  return std::any_of(args.tags.begin(), args.tags.end(),
                     [&](const std::string& set) { return HasAll(snapshot, SplitCommaList(set)); });
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += separator;
    text += items[i];
  }
  return text;
}

Result<ExitCode> Run(CommandContext& context, const SnapshotsArgs& args) {
  LIFEBOAT_ASSIGN_OR_RETURN(auto snapshots, context.session.repository->ListSnapshots());
  std::erase_if(snapshots, [&](const auto& entry) { return !Matches(args, entry.second); });
  if (context.globals.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [id, snapshot] : snapshots) list.push_back(SnapshotJson(id, snapshot));
    PrintJson(list);
    return ExitCode::kOk;
  }
  TextTable table({"ID", "Time", "Host", "Source", "Tags", "Paths"});
  for (const auto& [id, snapshot] : snapshots) {
    const std::vector<std::string>& paths = snapshot.paths;
    table.AddRow({id.ShortHex(), FormatLocalTime(snapshot.time_ns), snapshot.hostname,
                  snapshot.source, Join(snapshot.tags, ","), paths.empty() ? "" : paths.front()});
    // Further paths get rows of their own, as restic prints them.
    for (size_t i = 1; i < paths.size(); ++i) table.AddRow({"", "", "", "", "", paths[i]});
  }
  PrintText(table.Render());
  PrintText(std::to_string(snapshots.size()) +
            (snapshots.size() == 1 ? " snapshot\n" : " snapshots\n"));
  return ExitCode::kOk;
}

}  // namespace

void AddSnapshotsCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<SnapshotsArgs>();
  CLI::App* command = app.add_subcommand("snapshots", "List snapshots, oldest first");
  command
      ->add_option("--tag", args->tags,
                   "only snapshots with these tags (comma-separated: all of them; repeated: "
                   "any of the sets)")
      ->type_name("TAG[,TAG]")
      ->allow_extra_args(false);
  command->add_option("--host", args->hosts, "only snapshots of this host (repeatable)")
      ->type_name("HOST")
      ->allow_extra_args(false);
  table.Add(command, Command{.access = RepositoryAccess::kOpen,
                             .run = [args](CommandContext& context) { return Run(context, *args); },
                             .audit = AuditPolicy::kBestEffort});
}

}  // namespace lifeboat::cli
