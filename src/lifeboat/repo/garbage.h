// Garbage markers: prune's record of packs it has marked for deletion. Prune works in two
// phases so that it never needs to stop backups (docs/FORMAT.md, "Pruning"): a run *marks*
// packs that no snapshot needs by writing a marker listing them, and a later run *sweeps* them —
// deletes them, after a grace period, once no operation that started before the mark still
// runs and no snapshot has come to need them meanwhile.
//
// While a pack is pending deletion it stays in the index and readable, but writers treat its
// blobs as absent: Repository::SaveBlob stores such a blob again in a new pack rather than
// deduplicating against a pack that may soon be gone.
//
// Markers are sealed files under garbage/, immutable like every object; the sweep removes a
// marker after it has dealt with all of the marker's packs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lifeboat/util/bytes.h"
#include "lifeboat/util/id.h"
#include "lifeboat/util/result.h"

namespace lifeboat::repo {

struct GarbageMarker {
  int64_t time_ns = 0;  // when the mark was made, by the marking host's clock
  std::string hostname;
  std::string username;
  std::vector<Id> packs;  // sorted, unique
};

Bytes EncodeGarbageMarker(const GarbageMarker& marker);
// kCorruption when the payload is not a marker.
Result<GarbageMarker> DecodeGarbageMarker(ByteView payload);

}  // namespace lifeboat::repo
