#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/identity.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/cli/password.h"
#include "lifeboat/repo/repository.h"

namespace lifeboat::cli {

namespace {

Status Validate(const GlobalOptions& globals) {
  LIFEBOAT_RETURN_IF_ERROR(CheckPasswordSources(
      PasswordSourcesFromEnvironment(globals.password_command, globals.password_file)));
  return KdfParamsFromEnvironment().status();
}

Result<ExitCode> Run(CommandContext& context) {
  const GlobalOptions& globals = context.globals;
  Session& session = context.session;
  LIFEBOAT_ASSIGN_OR_RETURN(crypto::KdfParams kdf, KdfParamsFromEnvironment());
  LIFEBOAT_ASSIGN_OR_RETURN(
      std::string password,
      ReadPassword(PasswordSourcesFromEnvironment(globals.password_command, globals.password_file),
                   /*confirm=*/true));
  Status created = session.create_location();
  if (!created.ok()) return created.WithContext("creating " + session.location);
  repo::InitOptions options;
  options.kdf = kdf;
  options.hostname = Hostname();
  options.username = Username();
  LIFEBOAT_RETURN_IF_ERROR(
      repo::Repository::Init(session.backend.get(), password, options, SystemClock::Get()));
  if (globals.json) {
    PrintJson({{"message_type", "initialized"}, {"repository", session.location}});
  } else if (!globals.quiet) {
    PrintText("created lifeboat repository at " + session.location +
              "\n\nThe password is the only way into this repository: if it is lost, so is the "
              "data.\n");
  }
  return ExitCode::kOk;
}

}  // namespace

void AddInitCommand(CLI::App& app, CommandTable& table) {
  CLI::App* command = app.add_subcommand("init", "Create a new repository");
  table.Add(command,
            Command{.access = RepositoryAccess::kBackend, .validate = Validate, .run = Run});
}

}  // namespace lifeboat::cli
