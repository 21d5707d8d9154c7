// `lifeboat env backup|show`: which environment variables an application needs (names only,
// never values), the services they imply, and its config files (sources/env).
#include <CLI/CLI.hpp>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/cli/source_backup.h"
#include "lifeboat/sources/env/backup.h"
#include "lifeboat/sources/env/services.h"

extern char** environ;

namespace lifeboat::cli {

namespace {

namespace env = sources::env;

// The names of the variables set now. Only the part before '=' is copied: a value never
// leaves `environ`.
std::vector<std::string> SetVariableNames() {
  std::vector<std::string> names;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const char* equals = std::strchr(*entry, '=');
    if (equals == nullptr || equals == *entry) continue;
    names.emplace_back(*entry, static_cast<size_t>(equals - *entry));
  }
  return names;
}

struct EnvBackupArgs {
  std::vector<std::string> vars;
  std::vector<std::string> prefixes;
  std::vector<std::string> files;
  std::vector<std::string> tags;
  std::string host;
};

Status ValidateBackup(const EnvBackupArgs& args) {
  for (const std::string& name : args.vars)
    LIFEBOAT_RETURN_IF_ERROR(env::ValidateVariableName(name));
  for (const std::string& prefix : args.prefixes) {
    if (prefix.empty() || prefix.find('=') != std::string::npos) {
      return InvalidArgumentError("--var-prefix \"" + prefix + "\" is not a name prefix")
          .WithHint("for example --var-prefix APP_");
    }
  }
  return Status::Ok();
}

Result<ExitCode> RunBackup(CommandContext& context, const EnvBackupArgs& args) {
  env::EnvBackupOptions options;
  options.set_names = SetVariableNames();
  options.vars = args.vars;
  options.prefixes = args.prefixes;
  options.files = args.files;
  SetSnapshotIdentity(options, args.tags, args.host);
  Result<env::EnvBackupResult> result =
      RunWithProgress(context.globals, [&](engine::BackupProgress* progress) {
        return env::BackupEnvironment(*context.session.repository, options, progress);
      });
  if (!result.ok()) return NoSnapshotSaved(result.status());
  const env::EnvManifest& manifest = result->manifest;
  size_t unset = 0;
  for (const env::EnvVariable& variable : manifest.variables) {
    if (variable.set) continue;
    ++unset;
    PrintWarning(variable.name + " is not set; recorded as missing");
  }
  RecordBackupInAudit(context, result->backup);
  const repo::SnapshotSummary& summary = result->backup.snapshot.summary;
  if (context.globals.json) {
    PrintJson({{"message_type", "summary"},
               {"snapshot_id", result->backup.snapshot_id.Hex()},
               {"short_id", result->backup.snapshot_id.ShortHex()},
               {"variables", manifest.variables.size() - unset},
               {"unset", unset},
               {"services", manifest.services},
               {"files", manifest.files.size()},
               {"bytes_added", summary.bytes_added}});
  } else if (!context.globals.quiet) {
    std::string services;
    for (const std::string& service : manifest.services) {
      services += (services.empty() ? "" : ", ") + service;
    }
    PrintText("Variables:  " + std::to_string(manifest.variables.size() - unset) +
              " set (names only)" + (unset ? ", " + std::to_string(unset) + " not set" : "") +
              "\n" + "Services:   " + (services.empty() ? "(none known)" : services) + "\n" +
              "Files:      " + std::to_string(manifest.files.size()) + "\n" + "snapshot " +
              result->backup.snapshot_id.ShortHex() + " saved\n");
  }
  return ExitCode::kOk;
}

std::string Pad(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

Result<ExitCode> RunShow(CommandContext& context, const std::string& reference) {
  repo::Repository& repository = *context.session.repository;
  LIFEBOAT_ASSIGN_OR_RETURN(
      auto found, FindSourceSnapshot(repository, reference, "env", "lifeboat env backup"));
  LIFEBOAT_ASSIGN_OR_RETURN(env::EnvManifest manifest, env::SnapshotEnvManifest(found.second));
  const std::vector<std::string> missing = env::MissingVariables(manifest, SetVariableNames());
  auto is_missing = [&](const std::string& name) {
    return std::find(missing.begin(), missing.end(), name) != missing.end();
  };
  if (context.globals.json) {
    nlohmann::json variables = nlohmann::json::array();
    for (const env::EnvVariable& v : manifest.variables) {
      variables.push_back({{"name", v.name},
                           {"service", v.service},
                           {"set_at_backup", v.set},
                           {"missing_here", is_missing(v.name)}});
    }
    nlohmann::json files = nlohmann::json::array();
    for (const env::EnvFile& f : manifest.files) {
      files.push_back({{"path", f.path}, {"stored_as", f.stored_as}, {"size", f.size}});
    }
    PrintJson({{"snapshot_id", found.first.Hex()},
               {"hostname", found.second.hostname},
               {"time", FormatLocalTime(found.second.time_ns)},
               {"variables", variables},
               {"services", manifest.services},
               {"missing", missing},
               {"files", files}});
    return ExitCode::kOk;
  }
  std::string text = "snapshot " + found.first.ShortHex() + " of " + found.second.hostname +
                     " at " + FormatLocalTime(found.second.time_ns) + "\n";
  size_t width = 4;
  for (const env::EnvVariable& v : manifest.variables) width = std::max(width, v.name.size());
  text += "\n" + Pad("Variable", width + 2) + Pad("Service", 16) + "Here\n";
  for (const env::EnvVariable& v : manifest.variables) {
    const std::string here = !v.set               ? "(was not set at backup)"
                             : is_missing(v.name) ? "MISSING"
                                                  : "set";
    text += Pad(v.name, width + 2) + Pad(v.service.empty() ? "-" : v.service, 16) + here + "\n";
  }
  std::string services;
  for (const std::string& s : manifest.services) services += (services.empty() ? "" : ", ") + s;
  text += "\nServices: " + (services.empty() ? std::string("(none known)") : services) + "\n";
  if (!manifest.files.empty()) {
    text += "\nConfig files (restore with `lifeboat restore " + found.first.ShortHex() +
            " --target DIR`, or `lifeboat dump " + found.first.ShortHex() + " STORED_AS`):\n";
    for (const env::EnvFile& f : manifest.files) {
      char mode[8];
      std::snprintf(mode, sizeof(mode), "%04o", f.mode);
      text += "  " + f.path + "  " + mode + "  " + f.user + ":" + f.group + "  " +
              FormatBytes(f.size) + "  " + f.mtime + "  as " + f.stored_as + "\n";
    }
  }
  if (missing.empty()) {
    text += "\nEvery variable set at backup time is set here.\n";
  } else {
    text += "\nSet these before starting the application (" + std::to_string(missing.size()) +
            " missing here):\n";
    for (const std::string& name : missing) text += "  " + name + "\n";
  }
  PrintText(text);
  return ExitCode::kOk;
}

}  // namespace

void AddEnvCommand(CLI::App& app, CommandTable& table) {
  CLI::App* group = app.add_subcommand(
      "env", "Environment variable names, the services they imply, and config files");
  group->require_subcommand(1);

  auto backup = std::make_shared<EnvBackupArgs>();
  CLI::App* b = group->add_subcommand(
      "backup", "Record which variables are set (names only, never values) and config files");
  b->add_option("--var", backup->vars, "record this variable's name (repeatable)")
      ->type_name("NAME")
      ->allow_extra_args(false);
  b->add_option("--var-prefix", backup->prefixes,
                "record every set variable whose name starts with P (repeatable)")
      ->type_name("P")
      ->allow_extra_args(false);
  b->add_option("--file", backup->files, "store this config file with its metadata (repeatable)")
      ->type_name("PATH")
      ->allow_extra_args(false);
  b->add_option("--tag", backup->tags, "add tags (comma-separated, repeatable)")
      ->type_name("TAG")
      ->allow_extra_args(false);
  b->add_option("--host", backup->host, "record HOST instead of this machine's hostname");
  b->footer(
      "Without --var and --var-prefix, every set variable the service table knows is recorded\n"
      "(DATABASE_URL, PG*, AWS_*, STRIPE_*, ...; see the README). Values are never read.");
  table.Add(b,
            Command{.access = RepositoryAccess::kLockedWithIndex,
                    .validate = [backup](const GlobalOptions&) { return ValidateBackup(*backup); },
                    .run = [backup](CommandContext& c) { return RunBackup(c, *backup); }});

  auto snapshot = std::make_shared<std::string>();
  CLI::App* s = group->add_subcommand(
      "show", "List an env snapshot's variables and services, and which are missing here");
  s->add_option("snapshot", *snapshot, "snapshot id prefix or \"latest\"")->required();
  table.Add(s, Command{.access = RepositoryAccess::kOpen,
                       .run = [snapshot](CommandContext& c) { return RunShow(c, *snapshot); }});
}

}  // namespace lifeboat::cli
