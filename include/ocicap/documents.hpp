// The JSON documents of an image: index, manifest and config. Each keeps the
// parsed document whole, so fields ocicap does not know, and the order of
// all fields, survive a rewrite. Changes go through narrow methods.
#pragma once

#include "ocicap/descriptor.hpp"
#include "ocicap/media_type.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ocicap {

struct JsonDocument;

// Deep-copying owner of a parsed JSON document.
class DocumentHolder {
public:
  DocumentHolder();
  explicit DocumentHolder(std::unique_ptr<JsonDocument> document);
  DocumentHolder(const DocumentHolder& other);
  DocumentHolder& operator=(const DocumentHolder& other);
  DocumentHolder(DocumentHolder&&) noexcept;
  DocumentHolder& operator=(DocumentHolder&&) noexcept;
  ~DocumentHolder();

  JsonDocument& operator*() const { return *document_; }
  JsonDocument* operator->() const { return document_.get(); }

private:
  std::unique_ptr<JsonDocument> document_;
};

// An image index (index.json of a layout, or a manifest list).
class ImageIndex {
public:
  // Parses `bytes`; `source` names the document in errors.
  static ImageIndex parse(std::string_view bytes, const std::string& source);
  static ImageIndex empty();

  std::vector<Descriptor> manifests() const;

  // Points entry `position` at `target` (media type, digest, size), keeping
  // its platform, annotations and unknown fields.
  void retarget(std::size_t position, const Descriptor& target);

  // Points the entry named `ref` at `target`, or appends one with that ref.
  void set_ref(const std::string& ref, const Descriptor& target);

  // Appends an entry for `target`, with its annotations.
  void append(const Descriptor& target);

  // Removes entry `position`.
  void remove(std::size_t position);

  // Sets annotation `key` of entry `position`.
  void set_annotation(std::size_t position, const std::string& key,
                      const std::string& value);

  std::string serialize() const;

private:
  DocumentHolder document_;
};

// An image manifest, OCI or Docker schema 2.
class Manifest {
public:
  // Returns a new schema 2 manifest of media type `type`.
  static Manifest create(std::string_view type, const Descriptor& config,
                         const std::vector<Descriptor>& layers);

  // Parses `bytes` as a manifest of `descriptor_type` (the media type of
  // the descriptor that points at it); throws Error naming `source`.
  static Manifest parse(std::string_view bytes, std::string_view descriptor_type,
                        const std::string& source);

  const std::string& media_type() const { return media_type_; }
  media_type::Family family() const;
  Descriptor config() const;
  std::vector<Descriptor> layers() const;

  void set_config(const Descriptor& config);
  void append_layer(const Descriptor& layer);
  std::string serialize() const;

private:
  DocumentHolder document_;
  std::string media_type_;
};

// One history entry of an image config.
struct HistoryEntry {
  std::string created;
  std::string created_by;
  std::string comment;
};

// An image config (OCI image-spec config.md, or Docker's equivalent).
class ImageConfig {
public:
  static ImageConfig parse(std::string_view bytes, const std::string& source);

  std::vector<Digest> diff_ids() const;
  // Returns the `created` field, or an empty string when absent.
  std::string created() const;
  // Returns config.User, or an empty string when absent.
  std::string user() const;
  // Returns the platform of `os`, `architecture` and `variant`, or nullopt
  // when `os` or `architecture` is absent.
  std::optional<Platform> platform() const;

  void append_diff_id(const Digest& diff_id);
  void append_history(const HistoryEntry& entry);
  void set_created(const std::string& created);
  std::string serialize() const;

private:
  DocumentHolder document_;
};

} // namespace ocicap
