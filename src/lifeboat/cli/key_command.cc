#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/identity.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/cli/password.h"
#include "lifeboat/repo/repository.h"

namespace lifeboat::cli {

namespace {

// Key commands take no lock: key files are independent objects that no backup, prune or check
// reads after opening, so there is nothing a lock would protect.

struct KeyArgs {
  std::string new_password_file;
  std::string remove_id;
};

Status ValidateNewPassword(const KeyArgs& args) {
  LIFEBOAT_RETURN_IF_ERROR(
      CheckNewPasswordSources(NewPasswordSourcesFromEnvironment(args.new_password_file)));
  return KdfParamsFromEnvironment().status();
}

std::string KdfText(const crypto::KdfParams& kdf) {
  return "argon2id t=" + std::to_string(kdf.time_cost) +
         " m=" + FormatBytes(uint64_t{kdf.memory_kib} * 1024) +
         " p=" + std::to_string(kdf.parallelism);
}

Result<ExitCode> RunList(CommandContext& context) {
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<repo::KeyListing> keys,
                            context.session.repository->ListKeys());
  if (context.globals.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const repo::KeyListing& key : keys) {
      list.push_back({{"id", key.id},
                      {"short_id", key.id.substr(0, 8)},
                      {"current", key.current},
                      {"username", key.info.username},
                      {"hostname", key.info.hostname},
                      {"created", FormatTimeRfc3339(key.info.created_ns)},
                      {"kdf",
                       {{"algorithm", "argon2id"},
                        {"time_cost", key.info.kdf.time_cost},
                        {"memory_kib", key.info.kdf.memory_kib},
                        {"parallelism", key.info.kdf.parallelism}}}});
    }
    PrintJson(list);
    return ExitCode::kOk;
  }
  TextTable table({" ", "ID", "User", "Host", "Created", "KDF"});
  for (const repo::KeyListing& key : keys) {
    table.AddRow({key.current ? "*" : " ", key.id.substr(0, 8), key.info.username,
                  key.info.hostname, FormatLocalTime(key.info.created_ns), KdfText(key.info.kdf)});
  }
  PrintText(table.Render());
  if (context.globals.ShowInfo()) PrintInfo("* marks the key this password opened");
  return ExitCode::kOk;
}

Result<ExitCode> RunAdd(CommandContext& context, const KeyArgs& args) {
  LIFEBOAT_ASSIGN_OR_RETURN(crypto::KdfParams kdf, KdfParamsFromEnvironment());
  LIFEBOAT_ASSIGN_OR_RETURN(
      std::string password,
      ReadNewPassword(NewPasswordSourcesFromEnvironment(args.new_password_file)));
  LIFEBOAT_ASSIGN_OR_RETURN(
      std::string id, context.session.repository->AddKey(password, kdf, Hostname(), Username()));
  if (context.globals.json) {
    PrintJson({{"message_type", "key_added"}, {"id", id}, {"short_id", id.substr(0, 8)}});
  } else if (!context.globals.quiet) {
    PrintText("key " + id.substr(0, 8) + " added\n");
  }
  return ExitCode::kOk;
}

Result<ExitCode> RunRemove(CommandContext& context, const KeyArgs& args) {
  repo::Repository& repository = *context.session.repository;
  LIFEBOAT_ASSIGN_OR_RETURN(std::string id,
                            repository.ResolvePrefix(storage::ObjectKind::kKey, args.remove_id));
  LIFEBOAT_RETURN_IF_ERROR(repository.RemoveKey(id));
  if (context.globals.json) {
    PrintJson({{"message_type", "key_removed"}, {"id", id}});
  } else if (!context.globals.quiet) {
    PrintText("key " + id.substr(0, 8) + " removed\n");
  }
  return ExitCode::kOk;
}

Result<ExitCode> RunPasswd(CommandContext& context, const KeyArgs& args) {
  LIFEBOAT_ASSIGN_OR_RETURN(crypto::KdfParams kdf, KdfParamsFromEnvironment());
  LIFEBOAT_ASSIGN_OR_RETURN(
      std::string password,
      ReadNewPassword(NewPasswordSourcesFromEnvironment(args.new_password_file)));
  LIFEBOAT_RETURN_IF_ERROR(
      context.session.repository->ChangePassword(password, kdf, Hostname(), Username()));
  if (context.globals.json) {
    PrintJson({{"message_type", "password_changed"}});
  } else if (!context.globals.quiet) {
    PrintText("password changed; the old password no longer opens the repository\n");
  }
  return ExitCode::kOk;
}

}  // namespace

void AddKeyCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<KeyArgs>();
  CLI::App* key = app.add_subcommand("key", "Manage the passwords (keys) of the repository");
  key->require_subcommand(1);

  CLI::App* list = key->add_subcommand("list", "List keys; * marks the one in use");
  table.Add(list, Command{.access = RepositoryAccess::kOpen, .run = RunList});

  CLI::App* add = key->add_subcommand("add", "Add a key for a new password");
  add->add_option("--new-password-file", args->new_password_file,
                  "read the new password from a file (else LIFEBOAT_NEW_PASSWORD, else ask)")
      ->type_name("FILE");
  table.Add(add,
            Command{.access = RepositoryAccess::kOpen,
                    .validate = [args](const GlobalOptions&) { return ValidateNewPassword(*args); },
                    .run = [args](CommandContext& context) { return RunAdd(context, *args); }});

  CLI::App* remove = key->add_subcommand("remove", "Remove a key (not the one in use)");
  remove->add_option("id", args->remove_id, "key id prefix")->required();
  table.Add(remove,
            Command{.access = RepositoryAccess::kOpen,
                    .run = [args](CommandContext& context) { return RunRemove(context, *args); }});

  CLI::App* passwd =
      key->add_subcommand("passwd", "Change the password: add a new key, remove the current one");
  passwd
      ->add_option("--new-password-file", args->new_password_file,
                   "read the new password from a file (else LIFEBOAT_NEW_PASSWORD, else ask)")
      ->type_name("FILE");
  table.Add(passwd,
            Command{.access = RepositoryAccess::kOpen,
                    .validate = [args](const GlobalOptions&) { return ValidateNewPassword(*args); },
                    .run = [args](CommandContext& context) { return RunPasswd(context, *args); }});
}

}  // namespace lifeboat::cli
