#include "lifeboat/cli/command.h"

#include <CLI/CLI.hpp>
#include <algorithm>

#include "lifeboat/cli/output.h"

namespace lifeboat::cli {

bool GlobalOptions::ShowProgress() const { return !quiet && !json && StderrIsTerminal(); }

void CommandTable::Add(CLI::App* subcommand, Command command) {
  commands_.emplace_back(subcommand, std::move(command));
}

const Command* CommandTable::Selected() const {
  for (const auto& [subcommand, command] : commands_) {
    if (subcommand->parsed()) return &command;
  }
  return nullptr;
}

std::string CommandTable::SelectedPath() const {
  for (const auto& [subcommand, command] : commands_) {
    if (!subcommand->parsed()) continue;
    std::string path;
    for (const CLI::App* app = subcommand; app->get_parent() != nullptr; app = app->get_parent()) {
      path = path.empty() ? app->get_name() : app->get_name() + " " + path;
    }
    return path;
  }
  return "";
}

bool SnapshotMatchesFilter(const repo::Snapshot& snapshot, const std::vector<std::string>& hosts,
                           const std::vector<std::string>& tag_sets,
                           const std::vector<std::string>& paths) {
  auto contains = [](const std::vector<std::string>& items, const std::string& item) {
    return std::find(items.begin(), items.end(), item) != items.end();
  };
  if (!hosts.empty() && !contains(hosts, snapshot.hostname)) return false;
  if (!tag_sets.empty() &&
      std::none_of(tag_sets.begin(), tag_sets.end(), [&](const std::string& set) {
        const std::vector<std::string> tags = SplitCommaList(set);
        return std::all_of(tags.begin(), tags.end(),
                           [&](const std::string& tag) { return contains(snapshot.tags, tag); });
      })) {
    return false;
  }
  return std::all_of(paths.begin(), paths.end(),
                     [&](const std::string& path) { return contains(snapshot.paths, path); });
}

void AddSnapshotFilterOptions(CLI::App* command, std::vector<std::string>* hosts,
                              std::vector<std::string>* tag_sets, std::vector<std::string>* paths) {
  command->add_option("--host", *hosts, "only snapshots of this host (repeatable)")
      ->type_name("HOST")
      ->allow_extra_args(false);
  command
      ->add_option("--tag", *tag_sets,
                   "only snapshots with these tags (comma-separated: all of them; repeated: any "
                   "of the sets)")
      ->type_name("TAG[,TAG]")
      ->allow_extra_args(false);
  command
      ->add_option("--path", *paths,
                   "only snapshots that include this path (repeatable: all of them)")
      ->type_name("PATH")
      ->allow_extra_args(false);
}

std::vector<std::string> SplitCommaList(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

}  // namespace lifeboat::cli
