#!/usr/bin/python3
"""core_search.py CORE KEYS: search a core file for every key of KEYS.

KEYS has one key per line: a label, a space, 64 hex digits (or "text:"
and a string, searched as it is). Each key is searched in three forms: the 32 raw octets, lower-case hex and upper-case
hex (ASCII). Prints one line per form found, with the label and where it
is (an address in the process, or a thread's registers; never the key), then "N of M forms found"; exit status 1 when any
form is found."""
import mmap
import struct
import sys


def segments(m):
    """The PT_LOAD segments of an ELF64 core as (offset, size, vaddr), and
    its notes as (offset, size, type, thread): registers are notes."""
    phoff, = struct.unpack_from("<Q", m, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", m, 0x36)
    loads, notes = [], []
    for i in range(phnum):
        ptype, _, off, vaddr, _, filesz = struct.unpack_from("<IIQQQQ", m, phoff + i * phentsize)
        if ptype == 1:
            loads.append((off, filesz, vaddr))
        elif ptype == 4:
            at, end, thread = off, off + filesz, 0
            while at + 12 <= end:
                namesz, descsz, ntype = struct.unpack_from("<III", m, at)
                desc = at + 12 + ((namesz + 3) & ~3)
                if ntype == 1:  # NT_PRSTATUS: pr_pid at 32 starts a thread's notes
                    thread, = struct.unpack_from("<i", m, desc + 32)
                notes.append((desc, descsz, ntype, thread))
                at = desc + ((descsz + 3) & ~3)
    return loads, notes


def where(segs, at, pid):
    loads, notes = segs
    for off, size, va in loads:
        if off <= at < off + size:
            return "%#x" % (va + at - off)
    for off, size, ntype, thread in notes:
        if off <= at < off + size:
            name = "?"
            try:
                name = open("/proc/%s/task/%d/comm" % (pid, thread)).read().strip()
            except (OSError, TypeError):
                pass
            return "registers(note %#x) of thread %d (%s)" % (ntype, thread, name)
    return "offset %#x" % at


def main():
    core, keys = sys.argv[1], sys.argv[2]
    pid = core.rsplit(".", 1)[-1]
    wanted = []
    for line in open(keys):
        if not line.strip():
            continue
        label, hexkey = line.split()
        if hexkey.startswith("text:"):  # a private key's PEM: one line of it
            wanted.append((label, "text", hexkey[5:].encode()))
            continue
        raw = bytes.fromhex(hexkey)
        wanted.append((label, "raw", raw))
        wanted.append((label, "hex", hexkey.lower().encode()))
        wanted.append((label, "HEX", hexkey.upper().encode()))
    found = 0
    with open(core, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        segs = segments(m)
        for label, form, needle in wanted:
            at = m.find(needle)
            hits = 0
            places = []
            while at >= 0 and hits < 1000:
                hits += 1
                if len(places) < 4:
                    places.append(where(segs, at, pid))
                at = m.find(needle, at + 1)
            if hits:
                found += 1
                print("found %s %s %d times, at %s" % (label, form, hits, ", ".join(places)))
    print("%d of %d forms found in %s" % (found, len(wanted), core))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
