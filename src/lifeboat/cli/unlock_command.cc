#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/identity.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/repo/lock.h"

namespace lifeboat::cli {

namespace {

struct UnlockArgs {
  bool remove_all = false;
};

Result<ExitCode> Run(CommandContext& context, const UnlockArgs& args) {
  LIFEBOAT_ASSIGN_OR_RETURN(int removed, repo::RemoveLocks(context.session.repository.get(),
                                                           args.remove_all, Hostname()));
  if (context.globals.json) {
    PrintJson({{"removed_locks", removed}});
  } else if (!context.globals.quiet) {
    PrintText(
        removed == 0
            ? std::string(args.remove_all ? "there were no locks\n" : "there were no stale locks\n")
            : "removed " + std::to_string(removed) + (removed == 1 ? " lock\n" : " locks\n"));
  }
  return ExitCode::kOk;
}

}  // namespace

void AddUnlockCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<UnlockArgs>();
  CLI::App* command =
      app.add_subcommand("unlock", "Remove stale locks (left by crashed or killed processes)");
  command->add_flag("--remove-all", args->remove_all,
                    "remove every lock, also fresh ones: only when no other lifeboat process "
                    "uses the repository");
  table.Add(command,
            Command{.access = RepositoryAccess::kOpen,
                    .run = [args](CommandContext& context) { return Run(context, *args); }});
}

}  // namespace lifeboat::cli
