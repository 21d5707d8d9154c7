#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/ops/check.h"

namespace lifeboat::cli {

namespace {

struct CheckArgs {
  bool read_data = false;
};

// Phase messages ("checking packs") are printed as lines; the per-pack counter ("reading
// packs: 3 of 40") is a live progress line on a terminal and is not printed otherwise.
void ShowCheckProgress(std::string_view message, bool show_info) {
  if (!show_info) return;
  constexpr std::string_view kCounter = "reading packs: ";
  if (message.substr(0, kCounter.size()) != kCounter) {
    PrintInfo(message);
    return;
  }
  if (!StderrIsTerminal()) return;
  const size_t of = message.find(" of ");
  const bool last = of != std::string_view::npos &&
                    message.substr(kCounter.size(), of - kCounter.size()) == message.substr(of + 4);
  std::fprintf(stderr, "\r%.*s%s", static_cast<int>(message.size()), message.data(),
               last ? "\n" : "");
  std::fflush(stderr);
}

Result<ExitCode> Run(CommandContext& context, const CheckArgs& args) {
  const bool show_info = context.globals.ShowInfo();
  LIFEBOAT_ASSIGN_OR_RETURN(
      ops::CheckReport report,
      ops::CheckRepository(
          *context.session.repository, ops::CheckOptions{.read_data = args.read_data},
          [&](std::string_view message) { ShowCheckProgress(message, show_info); }));
  for (const std::string& warning : report.warnings) PrintWarning(warning);
  for (const std::string& error : report.errors) PrintItemError(error);
  if (context.globals.json) {
    PrintJson({{"ok", report.ok()},
               {"errors", report.errors},
               {"warnings", report.warnings},
               {"snapshots", report.snapshots},
               {"trees", report.trees},
               {"packs", report.packs},
               {"blobs", report.blobs},
               {"bytes_read", report.bytes_read},
               {"read_data", args.read_data}});
  } else if (!context.globals.quiet && report.ok()) {
    PrintText("no errors were found (" + std::to_string(report.snapshots) + " snapshots, " +
              std::to_string(report.trees) + " trees, " + std::to_string(report.packs) +
              " packs, " + std::to_string(report.blobs) + " blobs" +
              (args.read_data ? ", " + FormatBytes(report.bytes_read) + " read" : "") + ")\n");
  }
  if (!report.ok()) {
    return CorruptionError("repository has errors: " + std::to_string(report.errors.size()) +
                           (report.errors.size() == 1 ? " problem" : " problems") + " found")
        .WithHint(
            "the errors above name the damaged objects; keep a copy of the repository "
            "before changing anything");
  }
  return ExitCode::kOk;
}

}  // namespace

void AddCheckCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* command = app.add_subcommand("check", "Verify the repository's structure and data");
  command->add_flag("--read-data", args->read_data,
                    "also read and decrypt every pack (slow: reads the whole repository)");
  table.Add(command,
            Command{.access = RepositoryAccess::kLocked,
                    .run = [args](CommandContext& context) { return Run(context, *args); }});
}

}  // namespace lifeboat::cli
