#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/repo/repository.h"

namespace lifeboat::cli {

void AddVersionCommand(CLI::App& app, CommandTable& table) {
  CLI::App* command = app.add_subcommand("version", "Print the version");
  table.Add(
      command,
      Command{
          .access = RepositoryAccess::kNone,
          .run = [](CommandContext& context) -> Result<ExitCode> {
            if (context.globals.json) {
              PrintJson({{"version", kVersion}, {"repository_format", repo::kRepositoryVersion}});
            } else {
              PrintText("lifeboat " + std::string(kVersion) + " (repository format " +
                        std::to_string(repo::kRepositoryVersion) + ")\n");
            }
            return ExitCode::kOk;
          }});
}

}  // namespace lifeboat::cli
