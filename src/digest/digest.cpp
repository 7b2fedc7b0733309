#include "ocicap/digest.hpp"

#include "ocicap/error.hpp"
#include "ocicap/file.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <vector>

namespace ocicap {
namespace {

std::size_t encoded_length(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::sha256 ? 64 : 128;
}

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    bool digit = c >= '0' && c <= '9';
    bool letter = c >= 'a' && c <= 'f';
    if (!digit && !letter) {
      return false;
    }
  }
  return true;
}

} // namespace

Digest Digest::parse(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    throw Error("invalid digest \"" + std::string(text) +
                "\": expected ALGORITHM:HEX");
  }
  std::string_view name = text.substr(0, colon);
  std::string_view encoded = text.substr(colon + 1);
  DigestAlgorithm algorithm;
  if (name == "sha256") {
    algorithm = DigestAlgorithm::sha256;
  } else if (name == "sha512") {
    algorithm = DigestAlgorithm::sha512;
  } else {
    throw Error("unsupported digest algorithm \"" + std::string(name) +
                "\" in " + std::string(text) + ": use sha256 or sha512");
  }
  if (encoded.size() != encoded_length(algorithm) || !is_lower_hex(encoded)) {
    throw Error("invalid digest \"" + std::string(text) + "\": expected " +
                std::to_string(encoded_length(algorithm)) +
                " lowercase hex digits after the colon");
  }
  return Digest(algorithm, std::string(encoded));
}

Digest::Digest(DigestAlgorithm algorithm, std::string encoded)
    : algorithm_(algorithm), encoded_(std::move(encoded)) {}

std::string_view Digest::algorithm_name() const {
  return algorithm_ == DigestAlgorithm::sha256 ? "sha256" : "sha512";
}

std::string Digest::string() const {
  return std::string(algorithm_name()) + ":" + encoded_;
}

struct Hasher::State {
  EVP_MD_CTX* context = nullptr;
  ~State() { EVP_MD_CTX_free(context); }
};

Hasher::Hasher(DigestAlgorithm algorithm)
    : algorithm_(algorithm), state_(std::make_unique<State>()) {
  state_->context = EVP_MD_CTX_new();
  const EVP_MD* md =
      algorithm == DigestAlgorithm::sha256 ? EVP_sha256() : EVP_sha512();
  if (state_->context == nullptr ||
      EVP_DigestInit_ex(state_->context, md, nullptr) != 1) {
    throw Error("cannot initialise the OpenSSL digest context");
  }
}

Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;
Hasher::~Hasher() = default;

void Hasher::update(std::string_view data) {
  EVP_DigestUpdate(state_->context, data.data(), data.size());
}

Digest Hasher::finish() {
  unsigned char raw[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(state_->context, raw, &length);
  static const char hex[] = "0123456789abcdef";
  std::string encoded;
  encoded.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    encoded.push_back(hex[raw[i] >> 4]);
    encoded.push_back(hex[raw[i] & 0xf]);
  }
  return Digest(algorithm_, std::move(encoded));
}

std::string openssl_version() { return OpenSSL_version(OPENSSL_VERSION); }

Digest digest_of(std::string_view data, DigestAlgorithm algorithm) {
  Hasher hasher(algorithm);
  hasher.update(data);
  return hasher.finish();
}

Digest digest_of_file(const std::string& path) {
  FileDescriptor fd = open_for_reading(path);
  Hasher hasher;
  std::vector<char> buffer(1 << 20);
  while (std::size_t n = read_fully(fd.get(), buffer.data(), buffer.size(),
                                    path)) {
    hasher.update(std::string_view(buffer.data(), n));
  }
  return hasher.finish();
}

VerifyingCounter::VerifyingCounter(Digest expected, std::int64_t expected_size)
    : expected_(std::move(expected)), expected_size_(expected_size),
      hasher_(expected_.algorithm()) {}

void VerifyingCounter::update(std::string_view data) {
  count_ += static_cast<std::int64_t>(data.size());
  if (count_ > expected_size_) {
    throw Error("blob " + expected_.string() + " is larger than the " +
                std::to_string(expected_size_) +
                " bytes its descriptor declares");
  }
  hasher_.update(data);
}

void VerifyingCounter::verify() {
  if (count_ != expected_size_) {
    throw Error("blob " + expected_.string() + " has " +
                std::to_string(count_) + " bytes but its descriptor declares " +
                std::to_string(expected_size_));
  }
  Digest actual = hasher_.finish();
  actual_ = actual;
  if (actual != expected_) {
    throw Error("blob " + expected_.string() +
                " does not match its digest (content hashes to " +
                actual.string() + "): the blob is corrupt");
  }
}

} // namespace ocicap
