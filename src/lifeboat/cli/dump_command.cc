#include <unistd.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "lifeboat/cli/command.h"
#include "lifeboat/ops/inspect.h"

namespace lifeboat::cli {

namespace {

struct DumpArgs {
  std::string snapshot;
  std::string path;
};

Result<ExitCode> Run(CommandContext& context, const DumpArgs& args) {
  repo::Repository& repository = *context.session.repository;
  LIFEBOAT_ASSIGN_OR_RETURN(auto found, repository.FindSnapshot(args.snapshot));
  LIFEBOAT_RETURN_IF_ERROR(ops::DumpFile(repository, found.second, args.path, STDOUT_FILENO));
  return ExitCode::kOk;
}

}  // namespace

void AddDumpCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<DumpArgs>();
  CLI::App* command =
      app.add_subcommand("dump", "Write one file of a snapshot to stdout, byte for byte");
  command->add_option("snapshot", args->snapshot, "snapshot id prefix or \"latest\"")->required();
  command
      ->add_option("path", args->path,
                   "the file's path in the snapshot (a stdin backup's file is /NAME)")
      ->required();
  table.Add(command, Command{.access = RepositoryAccess::kLockedWithIndex,
                             .run = [args](CommandContext& context) { return Run(context, *args); },
                             .audit = AuditPolicy::kBestEffort});
}

}  // namespace lifeboat::cli
