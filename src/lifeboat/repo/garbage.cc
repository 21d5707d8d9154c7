#include "lifeboat/repo/garbage.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "lifeboat/util/clock.h"

namespace lifeboat::repo {

namespace {
constexpr int kGarbageVersion = 1;
}  // namespace

Bytes EncodeGarbageMarker(const GarbageMarker& marker) {
  nlohmann::json packs = nlohmann::json::array();
  for (const Id& pack : marker.packs) packs.push_back(pack.Hex());
  nlohmann::json json{{"version", kGarbageVersion},
                      {"time", FormatTimeRfc3339(marker.time_ns)},
                      {"hostname", marker.hostname},
                      {"username", marker.username},
                      {"packs", std::move(packs)}};
  return ToBytes(json.dump());
}

Result<GarbageMarker> DecodeGarbageMarker(ByteView payload) {
  nlohmann::json json = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
  const Status malformed = CorruptionError("garbage marker is malformed");
  if (json.is_discarded() || !json.is_object()) return malformed;
  if (json.value("version", 0) != kGarbageVersion) {
    return CorruptionError("garbage marker has an unknown version");
  }
  GarbageMarker marker;
  if (!ParseTimeRfc3339(json.value("time", ""), &marker.time_ns)) return malformed;
  marker.hostname = json.value("hostname", "");
  marker.username = json.value("username", "");
  const auto packs = json.find("packs");
  if (packs == json.end() || !packs->is_array()) return malformed;
  for (const nlohmann::json& pack : *packs) {
    if (!pack.is_string()) return malformed;
    std::optional<Id> id = Id::FromHex(pack.get<std::string>());
    if (!id) return malformed;
    marker.packs.push_back(*id);
  }
  std::sort(marker.packs.begin(), marker.packs.end());
  marker.packs.erase(std::unique(marker.packs.begin(), marker.packs.end()), marker.packs.end());
  return marker;
}

}  // namespace lifeboat::repo
