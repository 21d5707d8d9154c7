// Check: verifies that a repository is whole. Every index file, pack and snapshot must be
// readable, every tree must decode, and every blob a snapshot uses must be indexed and stored
// in a pack of plausible size; with read_data, every pack is also read whole and every blob in
// it decrypted and verified (with read_data_subset, a share of the packs is). Damage is a
// finding, not a failure: the report names each damaged object and the snapshots and files
// that use it, so the user learns what is lost.
//
// Use: open the repository (LoadIndex is optional: check reads the index files itself, reports
// damaged ones and, when the in-memory index is empty, fills it from the readable ones), take a
// shared lock, call CheckRepository from one thread. Check reads packs on a few threads of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lifeboat/repo/repository.h"
#include "lifeboat/util/result.h"

namespace lifeboat::ops {

// A share of the packs for read_data, so that a large repository can be read over several
// runs (`check --read-data-subset`).
struct DataSubset {
  // n/t: the packs whose id's first 8 bytes, read as a big-endian number, leave the remainder
  // part - 1 when divided by parts. Ids are uniform, so each part holds about 1/t of the packs,
  // and the runs 1/t, 2/t, ..., t/t read every pack exactly once. Used when parts > 0.
  uint64_t part = 0;
  uint64_t parts = 0;
  // P%: ceil(P% of the packs), chosen at random from `seed`: the same seed and the same packs
  // give the same choice. Used when parts == 0.
  double percent = 0;
  uint64_t seed = 0;
};

// "n/t" with 1 <= n <= t, or "P%" with 0 < P <= 100 (decimals allowed). kInvalidArgument with
// the exact problem otherwise. The seed is left 0 for the caller to choose.
Result<DataSubset> ParseDataSubset(std::string_view text);

// The packs of `packs` (sorted) that `subset` selects, sorted.
std::vector<Id> SelectDataSubset(const std::vector<Id>& packs, const DataSubset& subset);

struct CheckOptions {
  bool read_data = false;  // read every pack whole and verify every blob in it
  // Read only these packs' data (and verify their blobs); ignored when read_data is set.
  std::optional<DataSubset> read_data_subset = std::nullopt;
};

struct CheckReport {
  // Each names the damaged object and what uses it, e.g. "blob <64 hex> in pack 3fa2c1d0 is
  // damaged: …; used by snapshot 1b2c3d4e file /srv/db.dump".
  std::vector<std::string> errors;
  // Harmless findings, e.g. packs no index references (left by an interrupted backup).
  std::vector<std::string> warnings;
  uint64_t snapshots = 0;   // snapshots that could be read
  uint64_t trees = 0;       // distinct trees that were read and decoded
  uint64_t packs = 0;       // packs listed by the readable index files
  uint64_t blobs = 0;       // blob entries in those packs
  uint64_t bytes_read = 0;  // pack bytes read for read_data
  uint64_t packs_read = 0;  // packs whose data was read (all stored ones, or the subset's)
  bool ok() const { return errors.empty(); }
};

// Fails only when the repository cannot be examined at all (a storage listing fails); every
// damaged object is reported in the CheckReport instead. `progress` may be null; it is called
// with short human messages ("checking snapshots", "reading packs: 3 of 12"), possibly from
// check's threads but never concurrently.
Result<CheckReport> CheckRepository(repo::Repository& repository, const CheckOptions& options,
                                    const std::function<void(std::string_view)>& progress);

}  // namespace lifeboat::ops
