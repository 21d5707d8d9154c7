#include "lifeboat/crypto/sha256.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "lifeboat/util/check.h"

namespace lifeboat::crypto {

Id Sha256(ByteView data) {
  Id id;
  SHA256(data.data(), data.size(), id.bytes.data());
  return id;
}

struct Sha256Hasher::State {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256Hasher::Sha256Hasher() : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  LIFEBOAT_CHECK(state_->ctx != nullptr, "out of memory");
  LIFEBOAT_CHECK(EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) == 1, "sha256 init");
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(state_->ctx); }

void Sha256Hasher::Update(ByteView data) {
  LIFEBOAT_CHECK(EVP_DigestUpdate(state_->ctx, data.data(), data.size()) == 1, "sha256 update");
}

Id Sha256Hasher::Finish() {
  Id id;
  unsigned int length = 0;
  LIFEBOAT_CHECK(EVP_DigestFinal_ex(state_->ctx, id.bytes.data(), &length) == 1 && length == 32,
                 "sha256 final");
  LIFEBOAT_CHECK(EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) == 1, "sha256 init");
  return id;
}

}  // namespace lifeboat::crypto
