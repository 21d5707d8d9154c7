// `lifeboat prune` and the prune that `forget --prune` runs: the options both accept, and the
// run that prints the plan before changing anything (ops/prune.h does the work).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "lifeboat/cli/command.h"
#include "lifeboat/ops/prune.h"

namespace lifeboat::cli {

struct PruneArgs {
  std::string max_unused = "5%";
  std::string grace = "1h";
  ops::PruneOptions options;  // filled in by ValidatePruneArgs
};

// Adds --max-unused and --grace to a command.
void AddPruneOptions(CLI::App* command, PruneArgs& args);
// Parses the options into args.options; errors are usage errors.
Status ValidatePruneArgs(PruneArgs& args);
// Prunes the session's repository (which holds a shared lock), printing the plan, then the
// outcome; as JSON under the key "prune" of `json_out` when --json is given.
Result<ExitCode> RunPrune(CommandContext& context, const PruneArgs& args, bool dry_run,
                          nlohmann::json* json_out);

}  // namespace lifeboat::cli
