#include "lifeboat/cli/command.h"

#include <CLI/CLI.hpp>

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
