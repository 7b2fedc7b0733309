"""Write tar archives byte by byte, including archives that tar and
Python's tarfile refuse to make: names with "..", absolute names, hard links
to missing or later entries, huge declared sizes, raw PAX records with any
bytes, and no end-of-archive blocks.

The format is POSIX ustar (512-byte blocks, octal fields, a checksum over
the header with the checksum field read as spaces) with PAX extended
headers (typeflag "x") and GNU long names (typeflag "L" and "K") on top.
Only the standard library is used; the fuzz seeds and the hostile-layer
tests import this module.
"""

BLOCK = 512

REGULAR = b"0"
HARD_LINK = b"1"
SYMLINK = b"2"
CHARACTER_DEVICE = b"3"
BLOCK_DEVICE = b"4"
DIRECTORY = b"5"
FIFO = b"6"
PAX_HEADER = b"x"
GNU_LONG_NAME = b"L"
GNU_LONG_LINK = b"K"


def _octal(value, width):
    """Return VALUE as a NUL-terminated octal field of WIDTH bytes, or in
    GNU base-256 form when it does not fit."""
    text = b"%0*o" % (width - 1, value)
    if len(text) < width:
        return text + b"\0"
    encoded = value.to_bytes(width - 1, "big")
    return b"\x80" + encoded


def _field(value, width):
    if len(value) > width:
        raise ValueError(f"{value!r} is longer than {width} bytes")
    return value + b"\0" * (width - len(value))


def header(name, *, size=0, typeflag=REGULAR, mode=0o644, uid=0, gid=0,
           mtime=1700000000, linkname=b"", prefix=b"", magic=b"ustar\x0000",
           devmajor=0, devminor=0, size_field=None):
    """Return one 512-byte header block. SIZE_FIELD, when given, replaces
    the encoded size field (12 bytes) as it is."""
    block = b"".join([
        _field(name, 100),
        _octal(mode, 8),
        _octal(uid, 8),
        _octal(gid, 8),
        size_field if size_field is not None else _octal(size, 12),
        _octal(mtime, 12),
        b" " * 8,
        typeflag,
        _field(linkname, 100),
        _field(magic, 8),
        _field(b"root", 32),
        _field(b"root", 32),
        _octal(devmajor, 8),
        _octal(devminor, 8),
        _field(prefix, 155),
    ])
    block = _field(block, BLOCK)
    checksum = b"%06o\0 " % sum(block)
    return block[:148] + checksum + block[156:]


def padded(data):
    """Return DATA followed by NUL bytes up to a whole number of blocks."""
    return data + b"\0" * (-len(data) % BLOCK)


def member(name, data=b"", **fields):
    """Return a header and its content. FIELDS go to header(); size defaults
    to the length of DATA."""
    fields.setdefault("size", len(data))
    return header(name, **fields) + padded(data)


def pax_record(key, value):
    """Return one PAX record, "LENGTH KEY=VALUE\\n", where LENGTH counts
    the whole record including its own digits."""
    body = b" " + key + b"=" + value + b"\n"
    length = len(body) + 1
    while len(b"%d" % length) + len(body) != length:
        length += 1
    return b"%d" % length + body


def pax(records, name=b"PaxHeaders/entry"):
    """Return a PAX extended header (typeflag x) holding RECORDS, a list of
    (key, value) byte pairs, applied to the next member."""
    data = b"".join(pax_record(key, value) for key, value in records)
    return member(name, data, typeflag=PAX_HEADER)


def gnu_long_name(name):
    return member(b"././@LongLink", name + b"\0", typeflag=GNU_LONG_NAME)


def gnu_long_link(target):
    return member(b"././@LongLink", target + b"\0", typeflag=GNU_LONG_LINK)


def end():
    """Return the two zero blocks that end an archive."""
    return b"\0" * (2 * BLOCK)


def capability_value(permitted, effective=True, revision=2, root_id=None):
    """Return a security.capability value (struct vfs_cap_data)."""
    magic = revision << 24 | (1 if effective else 0)
    words = [magic, permitted & 0xFFFFFFFF, 0]
    if revision >= 2:
        words += [permitted >> 32, 0]
    if revision == 3:
        words.append(root_id or 0)
    return b"".join(word.to_bytes(4, "little") for word in words)
