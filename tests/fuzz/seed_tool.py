#!/usr/bin/env python3
"""Write fuzz seeds for make-seeds.sh.

  split-layout LAYOUT OUTPUT NAME
      sort the blobs of an image layout into the corpora under OUTPUT by
      media type; layers become tar, gzip and zstd seeds
  hand-made OUTPUT
      write the seeds that no tool above produces
"""

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import tarcraft  # noqa: E402

# Content of regular files in layer seeds is cut to this many bytes, so
# that the fuzzer spends its mutations on headers.
MAX_CONTENT = 512
CAPABILITY = b"security.capability"


def save(output, target, name, data):
    directory = os.path.join(output, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as seed:
        seed.write(data)


def gzip_bytes(data):
    return gzip.compress(data, mtime=0)


def zstd_bytes(data):
    return subprocess.run(["zstd", "-q", "-c", "--check"], input=data,
                          stdout=subprocess.PIPE, check=True).stdout


def save_layer(output, name, tar_bytes):
    save(output, "fuzz_layer_tar", name + ".tar", tar_bytes)
    save(output, "fuzz_layer_gzip", name + ".tar.gz", gzip_bytes(tar_bytes))
    save(output, "fuzz_layer_zstd", name + ".tar.zst", zstd_bytes(tar_bytes))


def shrink_tar(tar_bytes):
    """Return the archive with each file's content cut to MAX_CONTENT
    bytes; headers, PAX records and xattrs stay as they were."""
    source = tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:",
                          errors="surrogateescape")
    result = io.BytesIO()
    with tarfile.open(fileobj=result, mode="w:", format=tarfile.PAX_FORMAT,
                      errors="surrogateescape") as target:
        for member in source:
            data = None
            if member.isfile():
                data = source.extractfile(member).read()[:MAX_CONTENT]
                member.size = len(data)
            target.addfile(member, io.BytesIO(data) if data is not None
                           else None)
    return result.getvalue()


def decompress(media_type, data):
    if media_type.endswith("+gzip"):
        return gzip.decompress(data)
    if media_type.endswith("+zstd"):
        return subprocess.run(["zstd", "-q", "-d", "-c"], input=data,
                              stdout=subprocess.PIPE, check=True).stdout
    return data


def split_layout(layout, output, name):
    def blob(descriptor):
        algorithm, _, encoded = descriptor["digest"].partition(":")
        with open(os.path.join(layout, "blobs", algorithm, encoded),
                  "rb") as blob_file:
            return blob_file.read()

    with open(os.path.join(layout, "index.json"), "rb") as index_file:
        index_bytes = index_file.read()
    save(output, "fuzz_image_index", name + "-index.json", index_bytes)
    for number, entry in enumerate(json.loads(index_bytes)["manifests"]):
        manifest_bytes = blob(entry)
        save(output, "fuzz_manifest", f"{name}-manifest-{number}.json",
             manifest_bytes)
        manifest = json.loads(manifest_bytes)
        save(output, "fuzz_image_config", f"{name}-config-{number}.json",
             blob(manifest["config"]))
        for layer_number, layer in enumerate(manifest["layers"]):
            tar_bytes = decompress(layer["mediaType"], blob(layer))
            save_layer(output, f"{name}-{number}-layer-{layer_number}",
                       shrink_tar(tar_bytes))


def descriptor(media_type, content, **fields):
    value = {"mediaType": media_type,
             "digest": "sha256:" + hashlib.sha256(content).hexdigest(),
             "size": len(content)}
    value.update(fields)
    return value


def write_documents(output):
    manifest_type = "application/vnd.oci.image.manifest.v1+json"
    index_type = "application/vnd.oci.image.index.v1+json"
    docker_list = "application/vnd.docker.distribution.manifest.list.v2+json"
    docker_manifest = "application/vnd.docker.distribution.manifest.v2+json"
    config = {
        "created": "2023-11-14T22:13:20Z",
        "architecture": "arm64", "variant": "v8", "os": "linux",
        "config": {"User": "1000:1000", "Env": ["A=b"],
                   "Labels": {"k": "v"}},
        "rootfs": {"type": "layers", "diff_ids": [
            "sha256:" + "a" * 64, "sha512:" + "b" * 128]},
        "history": [{"created_by": "base"},
                    {"created_by": "ENV", "empty_layer": True},
                    {"created_by": "copy", "comment": "x"}],
    }
    config_bytes = json.dumps(config).encode()
    save(output, "fuzz_image_config", "hand-config.json", config_bytes)
    save(output, "fuzz_image_config", "hand-config-minimal.json",
         b'{"rootfs":{"type":"layers","diff_ids":[]}}')

    layers = [
        descriptor("application/vnd.oci.image.layer.v1.tar", b"a"),
        descriptor("application/vnd.oci.image.layer.v1.tar+gzip", b"b"),
        descriptor("application/vnd.oci.image.layer.v1.tar+zstd", b"c",
                   annotations={"org.example": "layer"}),
        descriptor("application/vnd.oci.image.layer.nondistributable.v1.tar"
                   "+gzip", b"d", urls=["https://example.invalid/d"]),
    ]
    manifest = {"schemaVersion": 2, "mediaType": manifest_type,
                "config": descriptor(
                    "application/vnd.oci.image.config.v1+json", config_bytes),
                "layers": layers,
                "subject": descriptor(manifest_type, b"subject"),
                "annotations": {"org.opencontainers.image.created": "now"}}
    manifest_bytes = json.dumps(manifest).encode()
    save(output, "fuzz_manifest", "hand-manifest.json", manifest_bytes)
    docker = dict(manifest, mediaType=docker_manifest)
    docker["config"] = dict(
        manifest["config"],
        mediaType="application/vnd.docker.container.image.v1+json")
    save(output, "fuzz_manifest", "hand-docker-manifest.json",
         json.dumps(docker).encode())
    save(output, "fuzz_manifest", "hand-schema1.json",
         b'{"schemaVersion":1,"name":"x","fsLayers":[]}')

    platforms = [{"os": "linux", "architecture": "amd64"},
                 {"os": "linux", "architecture": "arm64", "variant": "v8"},
                 {"os": "unknown", "architecture": "unknown"}]
    entries = [descriptor(manifest_type, manifest_bytes, platform=platform)
               for platform in platforms]
    entries[2]["annotations"] = {
        "vnd.docker.reference.type": "attestation-manifest",
        "vnd.docker.reference.digest": entries[0]["digest"]}
    nested = {"schemaVersion": 2, "mediaType": index_type,
              "manifests": entries}
    nested_bytes = json.dumps(nested).encode()
    save(output, "fuzz_image_index", "hand-platforms.json", nested_bytes)
    top = {"schemaVersion": 2, "mediaType": index_type, "manifests": [
        descriptor(index_type, nested_bytes, annotations={
            "org.opencontainers.image.ref.name": "multi"}),
        descriptor(docker_list, b"list"),
        descriptor(manifest_type, manifest_bytes, annotations={
            "org.opencontainers.image.ref.name": "single"})]}
    save(output, "fuzz_image_index", "hand-nested.json",
         json.dumps(top).encode())
    save(output, "fuzz_image_index", "hand-empty.json",
         b'{"schemaVersion":2,"manifests":[]}')


def write_layers(output):
    t = tarcraft
    cap2 = t.capability_value(1 << 14)
    cap3 = t.capability_value(1 << 13, revision=3, root_id=1000)
    cap1 = t.capability_value(1 << 12, revision=1, effective=False)
    layers = {
        "pax-xattrs": [
            t.member(b"usr/", typeflag=t.DIRECTORY, mode=0o755),
            t.member(b"usr/bin/", typeflag=t.DIRECTORY, mode=0o755),
            t.pax([(b"SCHILY.xattr.security.capability", cap2),
                   (b"SCHILY.xattr.user.note", b"a\0b")]),
            t.member(b"usr/bin/ping", b"\x7fELF" + b"\0" * 60, mode=0o755),
            t.pax([(b"SCHILY.xattr.security.capability", cap3)]),
            t.member(b"usr/bin/ns", b"ns", mode=0o755),
            t.pax([(b"LIBARCHIVE.xattr.security.capability",
                    b"AQAAAQAQAAAAAAAA")]),
            t.member(b"usr/bin/old", b"old", mode=0o755),
            t.pax([(b"SCHILY.xattr.security.capability", cap1)]),
            t.member(b"usr/bin/v1", b"v1", mode=0o755),
            t.end(),
        ],
        "long-names": [
            t.pax([(b"path", b"d/" * 120 + b"file"),
                   (b"linkpath", b"t/" * 80 + b"target"),
                   (b"uid", b"4294967295"), (b"uname", b"someone"),
                   (b"mtime", b"1700000000.123456789")]),
            t.member(b"placeholder", typeflag=t.SYMLINK),
            t.gnu_long_name(b"g/" * 70 + b"gnu-name"),
            t.member(b"short", b"gnu"),
            t.gnu_long_link(b"g/" * 70 + b"gnu-name"),
            t.member(b"gnu-hardlink", typeflag=t.HARD_LINK,
                     linkname=b"short"),
            t.member(b"file", b"ustar prefix", prefix=b"p" * 150),
            t.end(),
        ],
        "links": [
            t.member(b"bin/", typeflag=t.DIRECTORY, mode=0o755),
            t.member(b"bin/a", b"content a", mode=0o755),
            t.member(b"bin/b", typeflag=t.HARD_LINK, linkname=b"bin/a"),
            t.member(b"bin/c", typeflag=t.HARD_LINK, linkname=b"./bin/b"),
            t.member(b"bin/self", typeflag=t.HARD_LINK, linkname=b"bin/self"),
            t.member(b"bin/forward", typeflag=t.HARD_LINK,
                     linkname=b"bin/later"),
            t.member(b"bin/later", b"later"),
            t.member(b"bin/s", typeflag=t.SYMLINK, linkname=b"a"),
            t.member(b"bin/loop1", typeflag=t.SYMLINK, linkname=b"loop2"),
            t.member(b"bin/loop2", typeflag=t.SYMLINK, linkname=b"loop1"),
            t.member(b"lib", typeflag=t.SYMLINK, linkname=b"/usr/lib"),
            t.end(),
        ],
        "whiteouts": [
            t.member(b"etc/", typeflag=t.DIRECTORY, mode=0o755),
            t.member(b"etc/.wh.passwd"),
            t.member(b"opt/.wh..wh..opq"),
            t.member(b"opt/new", b"new"),
            t.member(b".wh..wh.plnk/1"),
            t.member(b".wh.usr"),
            t.member(b"var/.wh."),
            t.end(),
        ],
        "names": [
            t.member(b"../../escape", b"up"),
            t.member(b"/abs/file", b"abs"),
            t.member(b"./dot/./x", b"dot"),
            t.member(b"dup", b"first"),
            t.member(b"dup", b"second"),
            t.member(b"dup/", typeflag=t.DIRECTORY),
            t.member(b"caf\xe9/\xff\xfe", b"latin-1"),
            t.end(),
        ],
        "special": [
            t.member(b"dev/null", typeflag=t.CHARACTER_DEVICE, devmajor=1,
                     devminor=3),
            t.member(b"dev/sda", typeflag=t.BLOCK_DEVICE, devmajor=8),
            t.member(b"run/fifo", typeflag=t.FIFO),
            t.member(b"empty", b""),
            t.member(b"setuid", b"x", mode=0o4755),
            t.end(),
        ],
        "empty": [t.end()],
        "no-end-blocks": [t.member(b"file", b"no end")],
        "huge-size": [
            t.pax([(b"size", b"1099511627776")]),
            t.member(b"huge", b"short"),
            t.end(),
        ],
    }
    for name, parts in layers.items():
        save_layer(output, "hand-" + name, b"".join(parts))

    # A multi-member gzip stream, as pigz and concatenated gzip files give.
    tar_bytes = b"".join(layers["links"])
    half = len(tar_bytes) // 2
    save(output, "fuzz_layer_gzip", "hand-multi-member.tar.gz",
         gzip_bytes(tar_bytes[:half]) + gzip_bytes(tar_bytes[half:]))


def write_capabilities(output):
    t = tarcraft
    values = {
        "rev1": t.capability_value(1 << 12, revision=1),
        "rev2": t.capability_value(1 << 14),
        "rev2-not-effective": t.capability_value(1 << 13, effective=False),
        "rev2-high-bits": t.capability_value((1 << 40) | 1),
        "rev3": t.capability_value(1 << 14, revision=3, root_id=100000),
        "short": b"\x00\x00\x00\x02",
        "unknown-revision": b"\x00\x00\x00\x04" + b"\0" * 16,
    }
    for name, value in values.items():
        save(output, "fuzz_vfs_cap_data", name, value)
    texts = ["cap_ipc_lock+eip", "cap_net_raw,cap_net_admin=ep",
             "cap_chown+p cap_chown-p", "all=ep", "=", "cap_setuid+i",
             "CAP_SYS_ADMIN=eip", "40+ep", "cap_bpf,cap_perfmon=p"]
    for number, text in enumerate(texts):
        save(output, "fuzz_vfs_cap_data", f"text-{number}", text.encode())


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "split-layout" and len(sys.argv) == 5:
        split_layout(*sys.argv[2:])
    elif command == "hand-made" and len(sys.argv) == 3:
        write_documents(sys.argv[2])
        write_layers(sys.argv[2])
        write_capabilities(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
