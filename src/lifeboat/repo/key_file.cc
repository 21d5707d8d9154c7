#include "lifeboat/repo/key_file.h"

#include <nlohmann/json.hpp>

#include "lifeboat/crypto/aead.h"
#include "lifeboat/crypto/random.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::repo {

namespace {
constexpr std::string_view kKeyFileAad = "lifeboat key file v1";
constexpr size_t kSaltSize = 32;

std::string Hex(ByteView bytes) { return HexEncode(bytes); }

Result<Bytes> FromHexField(const nlohmann::json& json, const char* field) {
  if (!json.contains(field) || !json[field].is_string()) {
    return CorruptionError(std::string("key file lacks field \"") + field + "\"");
  }
  Bytes out;
  if (!HexDecode(json[field].get<std::string>(), &out)) {
    return CorruptionError(std::string("key file field \"") + field + "\" is not hex");
  }
  return out;
}

Result<nlohmann::json> ParseJson(ByteView key_file) {
  nlohmann::json json = nlohmann::json::parse(key_file.begin(), key_file.end(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) return CorruptionError("key file is not JSON");
  if (json.value("version", 0) != 1) return CorruptionError("key file has an unknown version");
  return json;
}
}  // namespace

MasterKey MasterKey::Generate() {
  return MasterKey{crypto::RandomBytes(32), crypto::RandomBytes(32), crypto::RandomBytes(32)};
}

Result<Bytes> CreateKeyFile(const MasterKey& master, std::string_view password,
                            const crypto::KdfParams& kdf, const KeyFileInfo& info) {
  Bytes salt = crypto::RandomBytes(kSaltSize);
  LIFEBOAT_ASSIGN_OR_RETURN(Bytes wrapping_key, crypto::DeriveKey(password, salt, kdf));
  Bytes secret;
  secret.insert(secret.end(), master.encryption_key.begin(), master.encryption_key.end());
  secret.insert(secret.end(), master.id_key.begin(), master.id_key.end());
  secret.insert(secret.end(), master.chunker_key.begin(), master.chunker_key.end());
  crypto::Aead aead(wrapping_key);
  Bytes sealed = aead.Seal(secret, AsBytes(kKeyFileAad));
  nlohmann::json json = {
      {"version", 1},
      {"created", FormatTimeRfc3339(info.created_ns)},
      {"hostname", info.hostname},
      {"username", info.username},
      {"kdf", "argon2id"},
      {"time_cost", kdf.time_cost},
      {"memory_kib", kdf.memory_kib},
      {"parallelism", kdf.parallelism},
      {"salt", Hex(salt)},
      {"data", Hex(sealed)},
  };
  std::string text = json.dump(2);
  text.push_back('\n');
  return ToBytes(text);
}

Result<KeyFileInfo> ReadKeyFileInfo(ByteView key_file) {
  LIFEBOAT_ASSIGN_OR_RETURN(nlohmann::json json, ParseJson(key_file));
  KeyFileInfo info;
  if (json.value("kdf", "") != "argon2id") return CorruptionError("key file has an unknown kdf");
  auto get_u32 = [&](const char* field, uint32_t* out) -> bool {
    if (!json.contains(field) || !json[field].is_number_unsigned()) return false;
    uint64_t value = json[field].get<uint64_t>();
    if (value > UINT32_MAX) return false;
    *out = static_cast<uint32_t>(value);
    return true;
  };
  if (!get_u32("time_cost", &info.kdf.time_cost) || !get_u32("memory_kib", &info.kdf.memory_kib) ||
      !get_u32("parallelism", &info.kdf.parallelism)) {
    return CorruptionError("key file has invalid kdf parameters");
  }
  if (!ParseTimeRfc3339(json.value("created", ""), &info.created_ns)) info.created_ns = 0;
  info.hostname = json.value("hostname", "");
  info.username = json.value("username", "");
  return info;
}

Result<MasterKey> OpenKeyFile(ByteView key_file, std::string_view password) {
  LIFEBOAT_ASSIGN_OR_RETURN(nlohmann::json json, ParseJson(key_file));
  LIFEBOAT_ASSIGN_OR_RETURN(KeyFileInfo info, ReadKeyFileInfo(key_file));
  LIFEBOAT_ASSIGN_OR_RETURN(Bytes salt, FromHexField(json, "salt"));
  LIFEBOAT_ASSIGN_OR_RETURN(Bytes sealed, FromHexField(json, "data"));
  Result<Bytes> wrapping_key = crypto::DeriveKey(password, salt, info.kdf);
  if (!wrapping_key.ok()) {
    // Out-of-range parameters or a short salt come from a damaged key file, not from the caller.
    if (wrapping_key.status().code() == StatusCode::kInvalidArgument) {
      return CorruptionError("key file: " + wrapping_key.status().message());
    }
    return wrapping_key.status().WithContext("key file");
  }
  crypto::Aead aead(*wrapping_key);
  Result<Bytes> secret = aead.Open(sealed, AsBytes(kKeyFileAad));
  if (!secret.ok()) return WrongPasswordError("wrong password");
  if (secret->size() != 96) return CorruptionError("key file holds a master key of wrong size");
  MasterKey master;
  master.encryption_key.assign(secret->begin(), secret->begin() + 32);
  master.id_key.assign(secret->begin() + 32, secret->begin() + 64);
  master.chunker_key.assign(secret->begin() + 64, secret->end());
  return master;
}

}  // namespace lifeboat::repo
