// Invocation: the lifeboat command line that carries out one step of a plan — a job's backup,
// its copy to an offsite repository, its retention — for the daemon and `lifeboat run`, which
// run each step as a child process (`lifeboat --job NAME ...`), so a crash or a leak in one job
// cannot take the daemon down.
//
// Secrets never go on the command line, where `ps` shows them: a repository password from a
// file or a command becomes --password-file / --password-command (a path or a command, not the
// secret), one from a variable or written inline is put into the child's LIFEBOAT_PASSWORD; a
// PostgreSQL password into its PGPASSWORD. The runner resolves each SecretSource of
// `environment` when it spawns the child; a PostgreSQL connection string that is not a literal
// goes into LIFEBOAT_PG_DBNAME, which `pg backup` reads. `argument_secrets` remains for a
// command that can take a secret only as an argument (none does today).
//
// Pure functions of the plan; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "lifeboat/plan/plan.h"

namespace lifeboat::plan {

struct Invocation {
  // argv[0] is "lifeboat"; the runner substitutes its own executable.
  std::vector<std::string> argv;
  // Variables the runner sets in the child, each from its source.
  std::vector<std::pair<std::string, SecretSource>> environment;
  // argv index -> the source whose value replaces that argument when the child is spawned.
  std::map<size_t, SecretSource> argument_secrets;

  // The command line for logs and `plan show`: secrets replaced by "<env VAR>", ...
  std::string Display() const;
};

// Every command line starts `lifeboat [--job NAME] [--audit-db PATH]`, with the plan's audit
// settings (the PostgreSQL sink goes through LIFEBOAT_AUDIT_POSTGRES in `environment`).
//
// `lifeboat --job NAME ... --repo PRIMARY ... <source command> ... --tag job=NAME`.
Invocation BackupInvocation(const Plan& plan, const Job& job);
// `lifeboat --job NAME --repo COPY ... copy --from-repo PRIMARY ... --tag job=NAME`.
Invocation CopyInvocation(const Plan& plan, const Job& job, const Repository& copy);
// `lifeboat --job NAME --repo REPOSITORY ... forget --tag job=NAME --keep-...`; empty argv
// when the job's retention keeps everything (no rule).
Invocation ForgetInvocation(const Plan& plan, const Job& job, const Repository& repository);
// `lifeboat --repo REPOSITORY ... prune`.
Invocation PruneInvocation(const Plan& plan, const Repository& repository);

}  // namespace lifeboat::plan
