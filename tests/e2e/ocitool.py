#!/usr/bin/env python3
"""Inspect, validate and deliberately damage OCI image layouts for tests.

The end-to-end tests use this helper to check what ocicap writes without
trusting ocicap's own reader, and to build broken layouts whose digests
are still consistent, so that exactly one thing is wrong in each case.
Only the standard library is used.

Subcommands:
  validate LAYOUT [--allow-leftovers]
                           check every image in LAYOUT (see validate());
                           --allow-leftovers passes over the .ocicap-tmp-*
                           files a killed ocicap run leaves in blobs/
  entries LAYOUT DIGEST    list the tar entries of a layer blob
  caps-hex FILE            print the security.capability xattr of FILE
  decode-caps HEX          decode a security.capability value
  put-blob LAYOUT FILE     store FILE as a blob and print its digest
  set-manifest LAYOUT REF FILE
                           store FILE as the manifest of REF
  set-config LAYOUT REF FILE
                           store FILE as the config of REF
  set-layer LAYOUT REF INDEX FILE
                           store FILE as layer INDEX of REF
  edit-layer LAYOUT REF INDEX KEY=VALUE...
                           change fields of layer descriptor INDEX
  rehash LAYOUT REF ALGORITHM [--diff-ids]
                           store the image REF again under blobs/ALGORITHM
                           (sha256 or sha512) and point REF at it
  make-index LAYOUT REF SOURCE=PLATFORM... [--annotation KEY=VALUE]...
             [--docker]    store an image index (with --docker, a Docker
                           manifest list) of the manifests that refs
                           SOURCE point at, each with its PLATFORM
                           (OS/ARCH[/VARIANT]) and the annotation
                           org.example.source=SOURCE, and tag it REF in
                           place of the SOURCE entries
  add-attestation LAYOUT REF POSITION
                           add a buildx-style attestation manifest for entry
                           POSITION of the image index REF
  nest-index LAYOUT REF    wrap the image index REF in another index
The set-* and edit-layer commands rewrite the manifest and index.json so
that every digest and size above the changed blob matches again. They
leave the replaced blobs in place.

Digests may use sha256 or sha512. Layers may be OCI or Docker schema 2
types, uncompressed, gzip or zstd (zstd through the zstd program).
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import zlib

REF_ANNOTATION = "org.opencontainers.image.ref.name"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"
DOCKER_LIST_TYPE = "application/vnd.docker.distribution.manifest.list.v2+json"
INDEX_TYPES = (INDEX_TYPE, DOCKER_LIST_TYPE)
# The config media type that goes with each image manifest media type.
MANIFEST_CONFIG_TYPES = {
    MANIFEST_TYPE: CONFIG_TYPE,
    DOCKER_MANIFEST_TYPE: DOCKER_CONFIG_TYPE,
}
# Layer media types whose blobs are tar streams, and their compression.
LAYER_TYPES = {
    "application/vnd.oci.image.layer.v1.tar": None,
    "application/vnd.oci.image.layer.v1.tar+gzip": "gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd": "zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar": None,
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip": "gzip",
    "application/vnd.docker.image.rootfs.diff.tar": None,
    "application/vnd.docker.image.rootfs.diff.tar.gzip": "gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip": "gzip",
}
LAYER_FAMILIES = {
    MANIFEST_TYPE: "application/vnd.oci.",
    DOCKER_MANIFEST_TYPE: "application/vnd.docker.",
}
# buildx marks an attestation manifest in an image index with these.
ATTESTATION_PLATFORM = {"architecture": "unknown", "os": "unknown"}
ATTESTATION_TYPE = "attestation-manifest"
IN_TOTO_TYPE = "application/vnd.in-toto+json"
CAPABILITY_XATTR = "SCHILY.xattr.security.capability"


class LayoutError(Exception):
    pass


def blob_path(layout, digest):
    algorithm, _, encoded = digest.partition(":")
    return os.path.join(layout, "blobs", algorithm, encoded)


DIGEST_ALGORITHMS = ("sha256", "sha512")


def make_digest(data, algorithm="sha256"):
    if algorithm not in DIGEST_ALGORITHMS:
        raise LayoutError(f"unsupported digest algorithm {algorithm}")
    return algorithm + ":" + hashlib.new(algorithm, data).hexdigest()


def sha256_digest(data):
    return make_digest(data, "sha256")


def digest_algorithm(digest):
    return digest.partition(":")[0]


def read_blob(layout, descriptor):
    """Return the bytes of DESCRIPTOR's blob after checking size and digest."""
    digest = descriptor["digest"]
    path = blob_path(layout, digest)
    if not os.path.exists(path):
        raise LayoutError(f"blob {digest} is missing")
    with open(path, "rb") as blob:
        data = blob.read()
    if len(data) != descriptor["size"]:
        raise LayoutError(
            f"blob {digest} has {len(data)} bytes, descriptor says "
            f"{descriptor['size']}")
    actual = make_digest(data, digest_algorithm(digest))
    if actual != digest:
        raise LayoutError(f"blob {digest} has digest {actual}")
    return data


def write_blob(layout, data, algorithm="sha256"):
    digest = make_digest(data, algorithm)
    path = blob_path(layout, digest)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as blob:
        blob.write(data)
    return digest


def load_index(layout):
    with open(os.path.join(layout, "index.json"), "rb") as index_file:
        return json.load(index_file)


def store_index(layout, index):
    with open(os.path.join(layout, "index.json"), "w") as index_file:
        json.dump(index, index_file, separators=(",", ":"))


def find_entry(index, ref):
    for entry in index["manifests"]:
        if entry.get("annotations", {}).get(REF_ANNOTATION) == ref:
            return entry
    raise LayoutError(f"ref {ref} not found in index.json")


def zstd_decompress(data):
    result = subprocess.run(["zstd", "--decompress", "--stdout", "--quiet"],
                            input=data, capture_output=True, check=False)
    if result.returncode != 0:
        raise LayoutError("zstd: " + result.stderr.decode(errors="replace"))
    return result.stdout


def uncompressed_layer(media_type, data):
    compression = LAYER_TYPES.get(media_type, "unknown")
    if compression is None:
        return data
    if compression == "gzip":
        return gzip.decompress(data)
    if compression == "zstd":
        return zstd_decompress(data)
    raise LayoutError(f"unsupported layer media type {media_type}")


def is_attestation(entry):
    annotations = entry.get("annotations", {})
    if annotations.get("vnd.docker.reference.type") == ATTESTATION_TYPE:
        return True
    return entry.get("platform") == ATTESTATION_PLATFORM


def validate_layer(layout, layer, diff_id):
    """Check one layer blob against its descriptor and its diff ID. A
    foreign layer may lack its blob, and a layer that is not a tar stream
    (an attestation's in-toto statement) is only checked as a blob."""
    media_type = layer["mediaType"]
    foreign = "nondistributable" in media_type or "foreign" in media_type
    if foreign and not os.path.exists(blob_path(layout, layer["digest"])):
        return
    data = read_blob(layout, layer)
    if media_type not in LAYER_TYPES:
        return
    try:
        tar_bytes = uncompressed_layer(media_type, data)
    except (OSError, EOFError, zlib.error) as error:
        raise LayoutError(f"layer {layer['digest']}: {error}") from error
    actual = make_digest(tar_bytes, digest_algorithm(diff_id))
    if actual != diff_id:
        raise LayoutError(
            f"layer {layer['digest']} has diff ID {actual}, config says "
            f"{diff_id}")


def validate_image(layout, entry):
    """Check one image: blob digests and sizes, media types, diff IDs and
    that the history has one non-empty entry per layer. The manifest,
    config and layers must all be OCI types or all Docker schema 2
    types."""
    manifest_type = entry.get("mediaType")
    if manifest_type not in MANIFEST_CONFIG_TYPES:
        raise LayoutError(f"entry {entry.get('digest')} has media type "
                          f"{manifest_type}, expected one of "
                          f"{', '.join(MANIFEST_CONFIG_TYPES)}")
    manifest = json.loads(read_blob(layout, entry))
    if manifest.get("schemaVersion") != 2:
        raise LayoutError(f"manifest {entry['digest']}: schemaVersion is "
                          f"{manifest.get('schemaVersion')}, expected 2")
    if manifest.get("mediaType", manifest_type) != manifest_type:
        raise LayoutError(f"manifest {entry['digest']}: mediaType is "
                          f"{manifest.get('mediaType')}")
    config_type = MANIFEST_CONFIG_TYPES[manifest_type]
    if manifest["config"].get("mediaType") != config_type:
        raise LayoutError(f"config descriptor has media type "
                          f"{manifest['config'].get('mediaType')}, expected "
                          f"{config_type}")
    family = LAYER_FAMILIES[manifest_type]
    for layer in manifest["layers"]:
        if (layer["mediaType"] in LAYER_TYPES and
                not layer["mediaType"].startswith(family)):
            raise LayoutError(f"layer {layer['digest']} has media type "
                              f"{layer['mediaType']} in a {manifest_type}")

    config = json.loads(read_blob(layout, manifest["config"]))
    diff_ids = config["rootfs"]["diff_ids"]
    layers = manifest["layers"]
    if len(diff_ids) != len(layers):
        raise LayoutError(
            f"{len(layers)} layers but {len(diff_ids)} diff_ids")

    for layer, diff_id in zip(layers, diff_ids):
        validate_layer(layout, layer, diff_id)

    history = config.get("history")
    if history is not None:
        layer_entries = [h for h in history if not h.get("empty_layer")]
        if len(layer_entries) != len(layers):
            raise LayoutError(
                f"{len(layers)} layers but {len(layer_entries)} "
                "non-empty history entries")


LEFTOVER_PREFIX = ".ocicap-tmp-"


def validate_blob_names(layout, allow_leftovers=False):
    """Check that every file under blobs/ is named after its own digest,
    which catches partial or temporary files left behind, unless
    ALLOW_LEFTOVERS lets ocicap's temporary files pass."""
    blobs = os.path.join(layout, "blobs")
    for algorithm in sorted(os.listdir(blobs)):
        directory = os.path.join(blobs, algorithm)
        if (algorithm not in DIGEST_ALGORITHMS or
                not os.path.isdir(directory)):
            raise LayoutError(f"unexpected entry blobs/{algorithm}")
        for name in sorted(os.listdir(directory)):
            if allow_leftovers and name.startswith(LEFTOVER_PREFIX):
                continue
            path = os.path.join(directory, name)
            if not os.path.isfile(path):
                raise LayoutError(f"unexpected entry blobs/{algorithm}/{name}")
            with open(path, "rb") as blob:
                actual = hashlib.new(algorithm, blob.read()).hexdigest()
            if actual != name:
                raise LayoutError(
                    f"blobs/{algorithm}/{name} has digest "
                    f"{algorithm}:{actual}")


def validate_entry(layout, entry):
    """Check an index.json entry: an image, or an image index whose every
    entry is checked in turn."""
    if entry.get("mediaType") not in INDEX_TYPES:
        validate_image(layout, entry)
        return
    index = json.loads(read_blob(layout, entry))
    if index.get("schemaVersion") != 2:
        raise LayoutError(f"index {entry['digest']}: schemaVersion is "
                          f"{index.get('schemaVersion')}, expected 2")
    for child in index["manifests"]:
        try:
            validate_entry(layout, child)
        except LayoutError as error:
            raise LayoutError(f"index {entry['digest']}: {error}") from error


def validate(layout, allow_leftovers=False):
    validate_blob_names(layout, allow_leftovers)
    with open(os.path.join(layout, "oci-layout"), "rb") as layout_file:
        version = json.load(layout_file).get("imageLayoutVersion")
    if version != "1.0.0":
        raise LayoutError(f"oci-layout: imageLayoutVersion is {version}, "
                          "expected 1.0.0")
    index = load_index(layout)
    if index.get("schemaVersion") != 2:
        raise LayoutError("index.json: schemaVersion is "
                          f"{index.get('schemaVersion')}, expected 2")
    for entry in index["manifests"]:
        ref = entry.get("annotations", {}).get(REF_ANNOTATION, "(no ref)")
        try:
            validate_entry(layout, entry)
        except LayoutError as error:
            raise LayoutError(f"image {ref}: {error}") from error


def entry_type(member):
    if member.isfile():
        return "file"
    if member.isdir():
        return "dir"
    if member.issym():
        return "symlink"
    if member.islnk():
        return "hardlink"
    if member.ischr():
        return "char"
    if member.isblk():
        return "block"
    if member.isfifo():
        return "fifo"
    return "other"


def capability_hex(pax_headers):
    value = pax_headers.get(CAPABILITY_XATTR)
    if value is None:
        return "-"
    return value.encode("utf-8", "surrogateescape").hex()


def decode_capabilities(data):
    """Return a vfs_cap_data value (<linux/capability.h>) as text:
    "e=EFFECTIVE p=PERMITTED i=INHERITABLE rootid=ROOTID", with the masks
    as 16 hex digits. Revisions 1 and 2 carry no root ID and print 0."""
    if len(data) < 4:
        raise LayoutError(f"capability value has {len(data)} bytes")
    magic = int.from_bytes(data[0:4], "little")
    revision = magic & 0xFF000000
    sizes = {0x01000000: 12, 0x02000000: 20, 0x03000000: 24}
    if sizes.get(revision) != len(data):
        raise LayoutError(
            f"capability revision {revision >> 24:#x} with {len(data)} bytes")
    words = [int.from_bytes(data[offset:offset + 4], "little")
             for offset in range(4, len(data), 4)]
    permitted = words[0]
    inheritable = words[1]
    if revision != 0x01000000:
        permitted |= words[2] << 32
        inheritable |= words[3] << 32
    rootid = words[4] if revision == 0x03000000 else 0
    effective = magic & 0x000001
    return (f"e={effective} p={permitted:016x} i={inheritable:016x} "
            f"rootid={rootid}")


def image_manifests(layout, entry):
    """Yield the image manifest below ENTRY, or each one below it when
    ENTRY is an image index."""
    document = json.loads(read_blob(layout, entry))
    if entry.get("mediaType") in INDEX_TYPES:
        for child in document["manifests"]:
            yield from image_manifests(layout, child)
    else:
        yield document


def list_entries(layout, digest):
    """Print one line per tar entry of layer DIGEST:
    name type mode uid gid size content-sha256 link capability-xattr-hex,
    with "-" for a missing value."""
    manifest_layers = {}
    for entry in load_index(layout)["manifests"]:
        for manifest in image_manifests(layout, entry):
            for layer in manifest["layers"]:
                manifest_layers[layer["digest"]] = layer
    if digest not in manifest_layers:
        raise LayoutError(f"layer {digest} is in no manifest")
    layer = manifest_layers[digest]
    tar_bytes = uncompressed_layer(layer["mediaType"], read_blob(layout, layer))

    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:",
                      errors="surrogateescape") as archive:
        for member in archive:
            content_digest = "-"
            if member.isfile():
                content = archive.extractfile(member).read()
                content_digest = hashlib.sha256(content).hexdigest()
            print(member.name, entry_type(member), oct(member.mode),
                  member.uid, member.gid, member.size, content_digest,
                  member.linkname or "-",
                  capability_hex(member.pax_headers))


def rewrite_manifest(layout, ref, manifest_bytes):
    index = load_index(layout)
    entry = find_entry(index, ref)
    entry["digest"] = write_blob(layout, manifest_bytes)
    entry["size"] = len(manifest_bytes)
    store_index(layout, index)


def load_manifest(layout, ref):
    entry = find_entry(load_index(layout), ref)
    path = blob_path(layout, entry["digest"])
    with open(path, "rb") as manifest_file:
        return json.load(manifest_file)


def store_manifest(layout, ref, manifest):
    data = json.dumps(manifest, separators=(",", ":")).encode()
    rewrite_manifest(layout, ref, data)


def reachable_digests(layout, entry):
    """Return the digests of ENTRY's blob and of every blob below it."""
    digests = {entry["digest"]}
    document = json.loads(read_blob(layout, entry))
    if entry.get("mediaType") in INDEX_TYPES:
        for child in document["manifests"]:
            digests |= reachable_digests(layout, child)
        return digests
    digests.add(document["config"]["digest"])
    for layer in document["layers"]:
        digests.add(layer["digest"])
    return digests


def rehash_image(layout, ref, algorithm, diff_ids):
    """Store the layers, config and manifest of REF again under ALGORITHM
    and point REF at the new manifest. With DIFF_IDS the config's diff IDs
    use ALGORITHM too. Blobs of the old image that no other index.json
    entry reaches are removed, so that a reader cannot fall back to them."""
    index = load_index(layout)
    entry = find_entry(index, ref)
    old_digests = reachable_digests(layout, entry)
    manifest = json.loads(read_blob(layout, entry))
    config_bytes = read_blob(layout, manifest["config"])
    new_diff_ids = []
    for layer in manifest["layers"]:
        data = read_blob(layout, layer)
        new_diff_ids.append(make_digest(
            uncompressed_layer(layer["mediaType"], data), algorithm))
        layer["digest"] = write_blob(layout, data, algorithm)
    if diff_ids:
        config = json.loads(config_bytes)
        config["rootfs"]["diff_ids"] = new_diff_ids
        config_bytes = json.dumps(config, separators=(",", ":")).encode()
    manifest["config"]["digest"] = write_blob(layout, config_bytes, algorithm)
    manifest["config"]["size"] = len(config_bytes)
    manifest_bytes = json.dumps(manifest, separators=(",", ":")).encode()
    entry["digest"] = write_blob(layout, manifest_bytes, algorithm)
    entry["size"] = len(manifest_bytes)
    store_index(layout, index)

    kept = set()
    for other in index["manifests"]:
        kept |= reachable_digests(layout, other)
    for digest in old_digests - kept:
        os.remove(blob_path(layout, digest))


def parse_platform(text):
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise LayoutError(f"invalid platform {text}: expected OS/ARCH[/VARIANT]")
    platform = {"architecture": parts[1], "os": parts[0]}
    if len(parts) == 3:
        platform["variant"] = parts[2]
    return platform


def store_document(layout, document):
    """Store DOCUMENT as compact JSON and return its descriptor fields."""
    data = json.dumps(document, separators=(",", ":")).encode()
    return {"mediaType": document["mediaType"],
            "digest": write_blob(layout, data), "size": len(data)}


def make_index(layout, ref, sources, annotations, media_type):
    """Store an image index of type MEDIA_TYPE of the manifests that the
    SOURCE refs point at and tag it REF in index.json in place of the
    SOURCE entries."""
    index = load_index(layout)
    manifests = []
    for source in sources:
        source_ref, _, platform = source.partition("=")
        entry = dict(find_entry(index, source_ref))
        entry["annotations"] = {"org.example.source": source_ref}
        entry["platform"] = parse_platform(platform)
        manifests.append(entry)
        index["manifests"].remove(find_entry(index, source_ref))
    document = {"schemaVersion": 2, "mediaType": media_type,
                "manifests": manifests}
    if annotations:
        document["annotations"] = annotations
    entry = store_document(layout, document)
    entry["annotations"] = {REF_ANNOTATION: ref}
    index["manifests"].append(entry)
    store_index(layout, index)


def update_index_document(layout, ref, change):
    """Apply CHANGE to the image index that REF points at, store the
    result and point REF at it."""
    index = load_index(layout)
    entry = find_entry(index, ref)
    if entry.get("mediaType") not in INDEX_TYPES:
        raise LayoutError(f"ref {ref} is not an image index")
    document = json.loads(read_blob(layout, entry))
    change(document)
    entry.update(store_document(layout, document))
    store_index(layout, index)


def attestation_manifest(layout, subject):
    """Store an attestation manifest for SUBJECT as buildx writes one: an
    OCI manifest whose layer is an in-toto statement about SUBJECT, and
    return its index entry."""
    predicate_type = "https://spdx.dev/Document"
    statement = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": predicate_type,
        "subject": [{"name": "pkg:docker/app",
                     "digest": {"sha256": subject["digest"].split(":")[1]}}],
        "predicate": {"spdxVersion": "SPDX-2.3", "name": "e2e"},
    }
    statement_bytes = json.dumps(statement, separators=(",", ":")).encode()
    statement_digest = write_blob(layout, statement_bytes)

    config = {"architecture": "unknown", "os": "unknown", "config": {},
              "rootfs": {"type": "layers", "diff_ids": [statement_digest]}}
    config_bytes = json.dumps(config, separators=(",", ":")).encode()

    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": CONFIG_TYPE,
                   "digest": write_blob(layout, config_bytes),
                   "size": len(config_bytes)},
        "layers": [{"mediaType": IN_TOTO_TYPE, "digest": statement_digest,
                    "size": len(statement_bytes),
                    "annotations": {
                        "in-toto.io/predicate-type": predicate_type}}],
    }
    entry = store_document(layout, manifest)

    entry["annotations"] = {
        "vnd.docker.reference.digest": subject["digest"],
        "vnd.docker.reference.type": ATTESTATION_TYPE,
    }
    entry["platform"] = dict(ATTESTATION_PLATFORM)
    return entry


def add_attestation(layout, ref, position):
    def change(document):
        subject = document["manifests"][position]
        document["manifests"].append(attestation_manifest(layout, subject))
    update_index_document(layout, ref, change)


def nest_index(layout, ref):
    """Point REF at a new image index whose one entry is REF's old one."""
    index = load_index(layout)
    entry = find_entry(index, ref)
    inner = {key: value for key, value in entry.items()
             if key != "annotations"}
    outer = store_document(layout, {"schemaVersion": 2,
                                    "mediaType": INDEX_TYPE,
                                    "manifests": [inner]})
    entry.clear()
    entry.update(outer)
    entry["annotations"] = {REF_ANNOTATION: ref}
    store_index(layout, index)


def parse_field(text):
    key, _, value = text.partition("=")
    if key == "size":
        return key, int(value)
    return key, value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    validate_command = commands.add_parser("validate")
    validate_command.add_argument("layout")
    validate_command.add_argument("--allow-leftovers", action="store_true")
    entries = commands.add_parser("entries")
    entries.add_argument("layout")
    entries.add_argument("digest")
    commands.add_parser("caps-hex").add_argument("file")
    commands.add_parser("decode-caps").add_argument("hex")
    put_blob = commands.add_parser("put-blob")
    put_blob.add_argument("layout")
    put_blob.add_argument("file")
    for name in ("set-manifest", "set-config"):
        command = commands.add_parser(name)
        command.add_argument("layout")
        command.add_argument("ref")
        command.add_argument("file")
    set_layer = commands.add_parser("set-layer")
    set_layer.add_argument("layout")
    set_layer.add_argument("ref")
    set_layer.add_argument("index", type=int)
    set_layer.add_argument("file")
    edit_layer = commands.add_parser("edit-layer")
    edit_layer.add_argument("layout")
    edit_layer.add_argument("ref")
    edit_layer.add_argument("index", type=int)
    edit_layer.add_argument("fields", nargs="+", type=parse_field)
    rehash = commands.add_parser("rehash")
    rehash.add_argument("layout")
    rehash.add_argument("ref")
    rehash.add_argument("algorithm", choices=DIGEST_ALGORITHMS)
    rehash.add_argument("--diff-ids", action="store_true")
    make_index_command = commands.add_parser("make-index")
    make_index_command.add_argument("layout")
    make_index_command.add_argument("ref")
    make_index_command.add_argument("sources", nargs="+")
    make_index_command.add_argument("--annotation", action="append",
                                    default=[], type=parse_field)
    make_index_command.add_argument("--docker", action="store_true")
    add_attestation_command = commands.add_parser("add-attestation")
    add_attestation_command.add_argument("layout")
    add_attestation_command.add_argument("ref")
    add_attestation_command.add_argument("position", type=int)
    nest = commands.add_parser("nest-index")
    nest.add_argument("layout")
    nest.add_argument("ref")
    args = parser.parse_args()

    try:
        if args.command == "validate":
            validate(args.layout, args.allow_leftovers)
        elif args.command == "entries":
            list_entries(args.layout, args.digest)
        elif args.command == "caps-hex":
            print(os.getxattr(args.file, "security.capability",
                              follow_symlinks=False).hex())
        elif args.command == "decode-caps":
            print(decode_capabilities(bytes.fromhex(args.hex)))
        elif args.command == "put-blob":
            with open(args.file, "rb") as source:
                print(write_blob(args.layout, source.read()))
        elif args.command == "set-manifest":
            with open(args.file, "rb") as source:
                rewrite_manifest(args.layout, args.ref, source.read())
        elif args.command == "set-config":
            with open(args.file, "rb") as source:
                data = source.read()
            manifest = load_manifest(args.layout, args.ref)
            manifest["config"]["digest"] = write_blob(args.layout, data)
            manifest["config"]["size"] = len(data)
            store_manifest(args.layout, args.ref, manifest)
        elif args.command == "set-layer":
            with open(args.file, "rb") as source:
                data = source.read()
            manifest = load_manifest(args.layout, args.ref)
            layer = manifest["layers"][args.index]
            layer["digest"] = write_blob(args.layout, data)
            layer["size"] = len(data)
            store_manifest(args.layout, args.ref, manifest)
        elif args.command == "edit-layer":
            manifest = load_manifest(args.layout, args.ref)
            manifest["layers"][args.index].update(dict(args.fields))
            store_manifest(args.layout, args.ref, manifest)
        elif args.command == "rehash":
            rehash_image(args.layout, args.ref, args.algorithm,
                         args.diff_ids)
        elif args.command == "make-index":
            make_index(args.layout, args.ref, args.sources,
                       dict(args.annotation),
                       DOCKER_LIST_TYPE if args.docker else INDEX_TYPE)
        elif args.command == "add-attestation":
            add_attestation(args.layout, args.ref, args.position)
        elif args.command == "nest-index":
            nest_index(args.layout, args.ref)
    except (LayoutError, OSError, KeyError, ValueError) as error:
        print(f"ocitool: {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
