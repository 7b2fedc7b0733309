#!/usr/bin/env python3
"""Inspect, validate and deliberately damage OCI image layouts for tests.

The end-to-end tests use this helper to check what ocicap writes without
trusting ocicap's own reader, and to build broken layouts whose digests
are still consistent, so that exactly one thing is wrong in each case.
Only the standard library is used.

Subcommands:
  validate LAYOUT          check every image in LAYOUT (see validate())
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
The set-* and edit-layer commands rewrite the manifest and index.json so
that every digest and size above the changed blob matches again. They
leave the replaced blobs in place.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import zlib

REF_ANNOTATION = "org.opencontainers.image.ref.name"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPES = {
    "application/vnd.oci.image.layer.v1.tar": None,
    "application/vnd.oci.image.layer.v1.tar+gzip": "gzip",
}
CAPABILITY_XATTR = "SCHILY.xattr.security.capability"


class LayoutError(Exception):
    pass


def blob_path(layout, digest):
    algorithm, _, encoded = digest.partition(":")
    return os.path.join(layout, "blobs", algorithm, encoded)


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


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
    if sha256_digest(data) != digest:
        raise LayoutError(f"blob {digest} has digest {sha256_digest(data)}")
    return data


def write_blob(layout, data):
    digest = sha256_digest(data)
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


def uncompressed_layer(media_type, data):
    compression = LAYER_TYPES.get(media_type, "unknown")
    if compression is None:
        return data
    if compression == "gzip":
        return gzip.decompress(data)
    raise LayoutError(f"unsupported layer media type {media_type}")


def validate_image(layout, entry):
    """Check one image: blob digests and sizes, media types, diff IDs and
    that the history has one non-empty entry per layer."""
    if entry.get("mediaType") != MANIFEST_TYPE:
        raise LayoutError(f"index entry has media type "
                          f"{entry.get('mediaType')}, expected {MANIFEST_TYPE}")
    manifest = json.loads(read_blob(layout, entry))
    if manifest.get("schemaVersion") != 2:
        raise LayoutError(f"manifest {entry['digest']}: schemaVersion is "
                          f"{manifest.get('schemaVersion')}, expected 2")
    if manifest.get("mediaType", MANIFEST_TYPE) != MANIFEST_TYPE:
        raise LayoutError(f"manifest {entry['digest']}: mediaType is "
                          f"{manifest.get('mediaType')}")
    if manifest["config"].get("mediaType") != CONFIG_TYPE:
        raise LayoutError(f"config descriptor has media type "
                          f"{manifest['config'].get('mediaType')}")

    config = json.loads(read_blob(layout, manifest["config"]))
    diff_ids = config["rootfs"]["diff_ids"]
    layers = manifest["layers"]
    if len(diff_ids) != len(layers):
        raise LayoutError(
            f"{len(layers)} layers but {len(diff_ids)} diff_ids")

    for layer, diff_id in zip(layers, diff_ids):
        data = read_blob(layout, layer)
        try:
            tar_bytes = uncompressed_layer(layer["mediaType"], data)
        except (OSError, EOFError, zlib.error) as error:
            raise LayoutError(f"layer {layer['digest']}: {error}") from error
        if sha256_digest(tar_bytes) != diff_id:
            raise LayoutError(
                f"layer {layer['digest']} has diff ID "
                f"{sha256_digest(tar_bytes)}, config says {diff_id}")

    history = config.get("history")
    if history is not None:
        layer_entries = [h for h in history if not h.get("empty_layer")]
        if len(layer_entries) != len(layers):
            raise LayoutError(
                f"{len(layers)} layers but {len(layer_entries)} "
                "non-empty history entries")


def validate_blob_names(layout):
    """Check that every file under blobs/ is named after its own digest,
    which catches partial or temporary files left behind."""
    blobs = os.path.join(layout, "blobs")
    for algorithm in sorted(os.listdir(blobs)):
        directory = os.path.join(blobs, algorithm)
        if algorithm != "sha256" or not os.path.isdir(directory):
            raise LayoutError(f"unexpected entry blobs/{algorithm}")
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if not os.path.isfile(path):
                raise LayoutError(f"unexpected entry blobs/sha256/{name}")
            with open(path, "rb") as blob:
                actual = hashlib.sha256(blob.read()).hexdigest()
            if actual != name:
                raise LayoutError(
                    f"blobs/sha256/{name} has digest sha256:{actual}")


def validate(layout):
    validate_blob_names(layout)
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
            validate_image(layout, entry)
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


def list_entries(layout, digest):
    """Print one line per tar entry of layer DIGEST:
    name type mode uid gid size content-sha256 link capability-xattr-hex,
    with "-" for a missing value."""
    manifest_layers = {}
    for entry in load_index(layout)["manifests"]:
        manifest = json.loads(read_blob(layout, entry))
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


def parse_field(text):
    key, _, value = text.partition("=")
    if key == "size":
        return key, int(value)
    return key, value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("validate").add_argument("layout")
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
    args = parser.parse_args()

    try:
        if args.command == "validate":
            validate(args.layout)
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
    except (LayoutError, OSError, KeyError, ValueError) as error:
        print(f"ocitool: {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
