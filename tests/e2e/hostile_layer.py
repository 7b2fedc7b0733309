#!/usr/bin/env python3
"""Append hand-made tar archives as layers of an image, for
hostile_layers.sh.

  append LAYOUT REF CASE [--compression none|gzip|zstd]
      write the tar of CASE (see CASES) and append it to image REF as a
      new layer, updating config, manifest and index.json; print the
      layer's digest
  cases
      list the case names

The tars come from tarcraft.py, byte by byte, so they can hold what tar
refuses to write. Blobs are written as they are, with matching digests
and diff IDs, so ocicap's checks pass and only the tar content is hostile.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import threading
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ocitool  # noqa: E402
import tarcraft as t  # noqa: E402

CAPABILITY = t.capability_value(1 << 13)  # cap_net_raw+ep
SCRIPT = b"#!/bin/sh\necho hostile\n"


def capable(name, data=SCRIPT):
    """Return a regular file entry with cap_net_raw+ep."""
    return (t.pax([(b"SCHILY.xattr.security.capability", CAPABILITY)]) +
            t.member(name, data, mode=0o755))


def zeros_member(name, size):
    """Yield a regular file entry of SIZE zero bytes, in pieces, so that a
    large file never sits in memory whole."""
    yield t.header(name, size=size, mode=0o755)
    piece = b"\0" * (1 << 20)
    remaining = size + (-size % t.BLOCK)
    while remaining > 0:
        chunk = piece[:min(remaining, len(piece))]
        remaining -= len(chunk)
        yield chunk


def case_dot_dot():
    return [
        capable(b"../../../usr/bin/escape"),
        t.member(b"usr/bin/../../../../etc/escape.conf", b"x"),
        t.member(b"..", typeflag=t.DIRECTORY),
        t.member(b"usr/bin/dotdot-link", typeflag=t.SYMLINK,
                 linkname=b"../../../../../../etc/passwd"),
        t.end(),
    ]


def case_absolute():
    return [
        capable(b"/usr/bin/absolute"),
        t.member(b"/usr/bin/absolute-link", typeflag=t.SYMLINK,
                 linkname=b"/etc/shadow"),
        t.member(b"//usr//bin//slashes", SCRIPT, mode=0o755),
        t.end(),
    ]


def case_long_names():
    long_directory = b"/".join([b"d" * 200] * 30)  # 6029 bytes
    return [
        t.pax([(b"path", b"usr/bin/" + b"n" * 4000)]),
        t.member(b"placeholder", SCRIPT, mode=0o755),
        t.pax([(b"path", long_directory + b"/deep-file")]),
        t.member(b"placeholder", SCRIPT, mode=0o755),
        # A PAX record of 512 KiB, which libarchive takes.
        t.pax([(b"comment", b"c" * (512 << 10))]),
        t.member(b"usr/bin/big-record", SCRIPT, mode=0o755),
        t.gnu_long_name(b"usr/bin/" + b"g" * 3000),
        t.member(b"short", SCRIPT, mode=0o755),
        t.end(),
    ]


def case_big_record():
    # A PAX header of 1 MiB and a bit, more than libarchive takes.
    return [
        t.pax([(b"comment", b"c" * (1 << 20)),
               (b"SCHILY.xattr.security.capability", CAPABILITY)]),
        t.member(b"usr/bin/big-record", SCRIPT, mode=0o755),
        t.end(),
    ]


def case_huge_pax_header():
    # A PAX header that declares 8 GiB but contains a few bytes.
    return [
        t.header(b"PaxHeaders/huge", typeflag=t.PAX_HEADER,
                 size=8 << 30),
        t.padded(t.pax_record(b"path", b"usr/bin/huge-pax")),
        t.end(),
    ]


def case_huge_size():
    # A file that declares 1 TiB (base-256 size field) and contains 100
    # bytes, then the archive ends.
    return [
        t.member(b"usr/bin/before", SCRIPT, mode=0o755),
        t.header(b"usr/bin/huge", size=1 << 40, mode=0o755),
        t.padded(b"x" * 100),
        t.end(),
    ]


def case_huge_size_pax():
    # The same through a PAX size record, past what the octal field holds.
    return [
        t.pax([(b"size", b"99999999999999999999")]),
        t.member(b"usr/bin/huge-pax-size", SCRIPT, mode=0o755),
        t.end(),
    ]


def case_hard_links():
    return [
        t.member(b"usr/bin/missing-link", typeflag=t.HARD_LINK,
                 linkname=b"usr/bin/not-there"),
        t.member(b"usr/bin/forward-link", typeflag=t.HARD_LINK,
                 linkname=b"usr/bin/later"),
        capable(b"usr/bin/later"),
        t.member(b"usr/bin/self-link", typeflag=t.HARD_LINK,
                 linkname=b"usr/bin/self-link"),
        t.member(b"usr/bin/outside-link", typeflag=t.HARD_LINK,
                 linkname=b"../../../../etc/passwd"),
        t.member(b"usr/bin/directory-link", typeflag=t.HARD_LINK,
                 linkname=b"usr/bin"),
        t.member(b"usr/bin/good-link", typeflag=t.HARD_LINK,
                 linkname=b"usr/bin/later"),
        t.end(),
    ]


def case_symlink_loops():
    return [
        t.member(b"usr/bin/loop-a", typeflag=t.SYMLINK, linkname=b"loop-b"),
        t.member(b"usr/bin/loop-b", typeflag=t.SYMLINK, linkname=b"loop-a"),
        t.member(b"usr/bin/self", typeflag=t.SYMLINK, linkname=b"self"),
        t.member(b"loopdir", typeflag=t.SYMLINK, linkname=b"loopdir/x"),
        t.member(b"usr/bin/host-marker", typeflag=t.SYMLINK,
                 linkname=b"/tmp/ocicap-hostile-marker"),
        t.end(),
    ]


def case_duplicates():
    return [
        t.member(b"usr/bin/dup", b"#!/bin/sh\necho first\n", mode=0o755),
        capable(b"usr/bin/dup", b"#!/bin/sh\necho second\n"),
        t.member(b"usr/bin/dup-then-dir", SCRIPT, mode=0o755),
        t.member(b"usr/bin/dup-then-dir/", typeflag=t.DIRECTORY),
        t.member(b"usr/bin/linked", b"#!/bin/sh\necho linked\n", mode=0o755),
        t.member(b"usr/bin/relinked", b"#!/bin/sh\necho v1\n", mode=0o755),
        t.member(b"usr/bin/relinked", typeflag=t.HARD_LINK,
                 linkname=b"usr/bin/linked"),
        # The hard link is the later of two entries and its target lies
        # between them.
        t.member(b"usr/bin/late-link", b"#!/bin/sh\necho v1\n", mode=0o755),
        t.member(b"usr/bin/late-target", b"#!/bin/sh\necho late\n",
                 mode=0o755),
        t.member(b"usr/bin/late-link", typeflag=t.HARD_LINK,
                 linkname=b"usr/bin/late-target"),
        t.end(),
    ]


def case_non_utf8():
    return [
        capable(b"usr/bin/caf\xe9"),
        t.pax([(b"path", "usr/bin/ünïcode".encode()),
               (b"SCHILY.xattr.security.capability", CAPABILITY)]),
        t.member(b"placeholder", SCRIPT, mode=0o755),
        t.member(b"usr/bin/\xff\xfe-binary", SCRIPT, mode=0o755),
        t.pax([(b"hdrcharset", b"BINARY"), (b"path", b"usr/bin/pax-\xe9")]),
        t.member(b"placeholder", SCRIPT, mode=0o755),
        t.end(),
    ]


def case_forged_line():
    # Printed raw, this name would read as two getcap lines, the first of
    # which gives /etc/passwd a capability.
    return [
        capable(b"etc/passwd cap_sys_admin=ep\nusr/bin/forged"),
        capable(b"usr/bin/with space"),
        # apply would read this name as a pattern of every file in usr/bin.
        capable(b"usr/bin/*"),
        t.end(),
    ]


def case_whiteout_tricks():
    return [
        t.member(b"usr/bin/.wh.."),
        t.member(b"usr/bin/.wh...."),
        t.member(b".wh.."),
        t.member(b"usr/.wh./"),
        t.end(),
    ]


def case_no_end():
    return [t.member(b"usr/bin/unterminated", SCRIPT, mode=0o755)]


def case_bomb():
    # 512 MiB of zeros, which gzip packs into about 0.5 MiB.
    return [zeros_member(b"opt/bomb", 512 << 20), [t.end()]]


CASES = {
    "dot-dot": case_dot_dot,
    "absolute": case_absolute,
    "long-names": case_long_names,
    "big-record": case_big_record,
    "huge-pax-header": case_huge_pax_header,
    "huge-size": case_huge_size,
    "huge-size-pax": case_huge_size_pax,
    "hard-links": case_hard_links,
    "symlink-loops": case_symlink_loops,
    "duplicates": case_duplicates,
    "non-utf8": case_non_utf8,
    "forged-line": case_forged_line,
    "whiteout-tricks": case_whiteout_tricks,
    "no-end": case_no_end,
    "bomb": case_bomb,
}

LAYER_TYPES = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


def chunks(parts):
    for part in parts:
        if isinstance(part, bytes):
            yield part
        else:
            yield from part


def compress(parts, compression):
    """Return the layer blob and the diff ID of the tar PARTS."""
    hasher = hashlib.sha256()
    if compression == "zstd":
        process = subprocess.Popen(["zstd", "-q", "-c", "--check"],
                                   stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE)
        output = []
        reader = threading.Thread(
            target=lambda: output.append(process.stdout.read()))
        reader.start()
        for chunk in chunks(parts):
            hasher.update(chunk)
            process.stdin.write(chunk)
        process.stdin.close()
        reader.join()
        process.wait()
        blob = output[0]
    elif compression == "gzip":
        compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        pieces = []
        for chunk in chunks(parts):
            hasher.update(chunk)
            pieces.append(compressor.compress(chunk))
        pieces.append(compressor.flush())
        blob = b"".join(pieces)
    else:
        blob = b"".join(chunks(parts))
        hasher.update(blob)
    return blob, "sha256:" + hasher.hexdigest()


def append(layout, ref, case, compression):
    blob, diff_id = compress(CASES[case](), compression)
    layer_digest = ocitool.write_blob(layout, blob)
    manifest = ocitool.load_manifest(layout, ref)
    config = json.loads(ocitool.read_blob(layout, manifest["config"]))
    config["rootfs"]["diff_ids"].append(diff_id)
    config.setdefault("history", []).append(
        {"created": "2023-11-14T22:13:20Z",
         "created_by": f"hostile layer {case}"})
    config_bytes = json.dumps(config, separators=(",", ":")).encode()
    manifest["config"]["digest"] = ocitool.write_blob(layout, config_bytes)
    manifest["config"]["size"] = len(config_bytes)
    manifest["layers"].append({"mediaType": LAYER_TYPES[compression],
                               "digest": layer_digest, "size": len(blob)})
    ocitool.store_manifest(layout, ref, manifest)
    print(layer_digest)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    append_command = commands.add_parser("append")
    append_command.add_argument("layout")
    append_command.add_argument("ref")
    append_command.add_argument("case", choices=sorted(CASES))
    append_command.add_argument("--compression", default="gzip",
                                choices=sorted(LAYER_TYPES))
    commands.add_parser("cases")
    args = parser.parse_args()
    if args.command == "cases":
        print("\n".join(sorted(CASES)))
    else:
        append(args.layout, args.ref, args.case, args.compression)
    return 0


if __name__ == "__main__":
    sys.exit(main())
