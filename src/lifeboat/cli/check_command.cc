#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/ops/check.h"

namespace lifeboat::cli {

namespace {

struct CheckArgs {
  bool read_data = false;
  std::string read_data_subset;
  std::optional<uint64_t> read_data_seed;
  ops::CheckOptions options;  // filled in by Validate
};

Status Validate(CheckArgs& args) {
  args.options = ops::CheckOptions{.read_data = args.read_data};
  if (args.read_data_subset.empty()) {
    if (args.read_data_seed) {
      return InvalidArgumentError("--read-data-seed needs --read-data-subset with a percentage");
    }
    return Status::Ok();
  }
  if (args.read_data) {
    return InvalidArgumentError("--read-data and --read-data-subset cannot be combined")
        .WithHint("--read-data reads every pack; --read-data-subset reads a share of them");
  }
  LIFEBOAT_ASSIGN_OR_RETURN(ops::DataSubset subset, ops::ParseDataSubset(args.read_data_subset));
  if (subset.parts > 0 && args.read_data_seed) {
    return InvalidArgumentError("--read-data-seed needs --read-data-subset with a percentage")
        .WithHint("n/t subsets are not random; the same n/t always reads the same packs");
  }
  // A fresh seed each run, so that over many runs every pack gets read; a given one repeats
  // a run exactly (it is printed, and in the JSON report).
  subset.seed = args.read_data_seed ? *args.read_data_seed : std::random_device{}();
  args.options.read_data_subset = subset;
  return Status::Ok();
}

// "2/7", or "10% (seed 1234)".
std::string DescribeSubset(const ops::DataSubset& subset) {
  if (subset.parts > 0) return std::to_string(subset.part) + "/" + std::to_string(subset.parts);
  std::ostringstream percent;
  percent << subset.percent;
  return percent.str() + "% (seed " + std::to_string(subset.seed) + ")";
}

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
  const std::optional<ops::DataSubset>& subset = args.options.read_data_subset;
  if (subset && show_info) PrintInfo("reading the data of packs subset " + DescribeSubset(*subset));
  LIFEBOAT_ASSIGN_OR_RETURN(ops::CheckReport report,
                            ops::CheckRepository(*context.session.repository, args.options,
                                                 [&](std::string_view message) {
                                                   ShowCheckProgress(message, show_info);
                                                 }));
  for (const std::string& warning : report.warnings) PrintWarning(warning);
  for (const std::string& error : report.errors) PrintItemError(error);
  if (context.globals.json) {
    nlohmann::json out = {{"ok", report.ok()},
                          {"errors", report.errors},
                          {"warnings", report.warnings},
                          {"snapshots", report.snapshots},
                          {"trees", report.trees},
                          {"packs", report.packs},
                          {"blobs", report.blobs},
                          {"bytes_read", report.bytes_read},
                          {"packs_read", report.packs_read},
                          {"read_data", args.read_data}};
    if (subset) {
      out["read_data_subset"] = args.read_data_subset;
      if (subset->parts == 0) out["read_data_seed"] = subset->seed;
    }
    PrintJson(out);
  } else if (!context.globals.quiet && report.ok()) {
    std::string data;
    if (args.read_data) data = ", " + FormatBytes(report.bytes_read) + " read";
    if (subset) {
      data = ", " + FormatBytes(report.bytes_read) + " read from " +
             std::to_string(report.packs_read) + " of " + std::to_string(report.packs) + " packs";
    }
    PrintText("no errors were found (" + std::to_string(report.snapshots) + " snapshots, " +
              std::to_string(report.trees) + " trees, " + std::to_string(report.packs) +
              " packs, " + std::to_string(report.blobs) + " blobs" + data + ")\n");
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
  command
      ->add_option("--read-data-subset", args->read_data_subset,
                   "read and decrypt a share of the packs: n/t reads part n of t (the runs 1/t .. "
                   "t/t together read every pack once), P% a random P percent")
      ->type_name("n/t|P%");
  command
      ->add_option("--read-data-seed", args->read_data_seed,
                   "the seed choosing the packs for a P% subset (default: random; to repeat a run)")
      ->type_name("N");
  table.Add(command,
            Command{.access = RepositoryAccess::kLocked,
                    .validate = [args](const GlobalOptions&) { return Validate(*args); },
                    .run = [args](CommandContext& context) { return Run(context, *args); }});
}

}  // namespace lifeboat::cli
