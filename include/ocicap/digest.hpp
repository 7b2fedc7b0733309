// Content digests as the OCI image-spec defines them: `algorithm:encoded`,
// where the encoded part is lowercase hex. sha256 and sha512 are supported;
// other registered or unregistered algorithms are rejected by parse().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ocicap {

enum class DigestAlgorithm { sha256, sha512 };

class Digest {
public:
  // Parses and validates `text`; throws Error naming it when invalid.
  static Digest parse(std::string_view text);

  Digest(DigestAlgorithm algorithm, std::string encoded);

  DigestAlgorithm algorithm() const { return algorithm_; }
  std::string_view algorithm_name() const;
  const std::string& encoded() const { return encoded_; }
  std::string string() const;

  friend bool operator==(const Digest&, const Digest&) = default;

private:
  DigestAlgorithm algorithm_;
  std::string encoded_;
};

// Incremental hash over a byte stream (OpenSSL EVP underneath).
class Hasher {
public:
  explicit Hasher(DigestAlgorithm algorithm = DigestAlgorithm::sha256);
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  ~Hasher();

  void update(std::string_view data);
  // Finishes the hash; the Hasher must not be updated afterwards.
  Digest finish();

private:
  struct State;
  DigestAlgorithm algorithm_;
  std::unique_ptr<State> state_;
};

// Returns the version of the OpenSSL library in use.
std::string openssl_version();

// Returns the sha256 (or `algorithm`) digest of `data`.
Digest digest_of(std::string_view data,
                 DigestAlgorithm algorithm = DigestAlgorithm::sha256);

// Returns the sha256 digest of the file at `path`, read in chunks.
Digest digest_of_file(const std::string& path);

// Hashes and counts a stream, then checks it against an expected digest and
// size. Used for every blob read, so verification happens while streaming.
class VerifyingCounter {
public:
  VerifyingCounter(Digest expected, std::int64_t expected_size);

  // Adds bytes; throws Error once more than the expected size arrives.
  void update(std::string_view data);
  std::int64_t count() const { return count_; }
  std::int64_t expected_size() const { return expected_size_; }

  // Throws Error when the size or the digest differs from the expectation.
  void verify();

  // The digest verify() found, when the size was right.
  const std::optional<Digest>& actual() const { return actual_; }

private:
  Digest expected_;
  std::optional<Digest> actual_;
  std::int64_t expected_size_;
  std::int64_t count_ = 0;
  Hasher hasher_;
};

} // namespace ocicap
