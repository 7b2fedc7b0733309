#!/usr/bin/env python3
"""Write a layer tar whose entries, and their order, a spec gives exactly.

GNU tar points every hard link at the first name it archived and sorts
entries its own way; the tests need hard-link chains (c -> b -> a),
whiteouts next to the files they delete, and links in any order. This
writes PAX entries with numeric root ownership and a fixed mtime, so the
output depends only on the spec and the files it copies.

Usage: speclayer.py OUTPUT.tar MTIME < SPEC
SPEC has one entry per line; blank lines and "#" lines are skipped:
  dir PATH
  file PATH HOSTFILE        a regular file, mode 0755, HOSTFILE's bytes
  hardlink PATH TARGET      a hard link to the earlier entry TARGET
  symlink PATH TARGET
  whiteout PATH             the empty file .wh.NAME that deletes PATH
Only the standard library is used.
"""

import io
import os
import sys
import tarfile


def make_info(name, kind, mtime):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o755 if kind in (tarfile.DIRTYPE, tarfile.REGTYPE) else 0o777
    return info


def add_entry(archive, words, mtime):
    kind, path = words[0], words[1].lstrip("/")
    if kind == "dir":
        archive.addfile(make_info(path, tarfile.DIRTYPE, mtime))
    elif kind == "file":
        with open(words[2], "rb") as source:
            data = source.read()
        info = make_info(path, tarfile.REGTYPE, mtime)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    elif kind in ("hardlink", "symlink"):
        info = make_info(path, tarfile.LNKTYPE if kind == "hardlink"
                         else tarfile.SYMTYPE, mtime)
        info.linkname = words[2].lstrip("/") if kind == "hardlink" \
            else words[2]
        if kind == "hardlink":
            info.mode = 0o755
        archive.addfile(info)
    elif kind == "whiteout":
        directory, name = os.path.split(path)
        info = make_info(os.path.join(directory, ".wh." + name),
                         tarfile.REGTYPE, mtime)
        info.mode = 0o644
        archive.addfile(info, io.BytesIO(b""))
    else:
        raise SystemExit(f"speclayer: unknown entry kind {kind!r}")


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: speclayer.py OUTPUT.tar MTIME < SPEC")
    mtime = int(sys.argv[2])
    with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as archive:
        for line in sys.stdin:
            words = line.split()
            if words and not words[0].startswith("#"):
                add_entry(archive, words, mtime)


if __name__ == "__main__":
    main()
