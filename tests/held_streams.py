#!/usr/bin/python3
"""Clients that hold the SBI's connections (issue 13 item 1), raw HTTP/2.

  held_streams.py hold PORT N      N connections, each one HEADERS without
                                   END_STREAM; then how long until a fresh
                                   client gets an answer, and how many of
                                   the N akmad closed
  held_streams.py drip PORT        one HEADERS whose block arrives an octet
                                   every 300 ms: closed, and after how long
  held_streams.py per_address PORT N  N connections from 127.0.0.1: how many
                                   akmad closed at once; then whether one
                                   from 127.0.0.2 gets an answer
Every wait has a deadline (20 s); nothing is timed against a bound here.
"""
import socket, sys, time

from h2raw import PREFACE, frame, lit

mode, port = sys.argv[1], int(sys.argv[2])

HEADERS = (b"\x83\x86" + lit(4, b"/naanf-akma/v1/remove-context") + lit(1, b"localhost")
           + lit(31, b"application/json"))

def connect(source="127.0.0.1"):
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(PREFACE + frame(4, 0, 0, b""))
    return s

def closed(s, wait):
    """Whether the peer closed s within wait seconds (reading what it sends)."""
    s.settimeout(wait)
    deadline = time.time() + wait
    try:
        while time.time() < deadline:
            s.settimeout(max(0.01, deadline - time.time()))
            if not s.recv(65536):
                return True
    except socket.timeout:
        return False
    except OSError:
        return True
    return False

def answered(source="127.0.0.1"):
    """A complete request on a new connection gets a HEADERS frame back."""
    try:
        s = connect(source)
        s.sendall(frame(4, 1, 0, b"") + frame(1, 0x4, 1, HEADERS) + frame(0, 0x1, 1, b"{}"))
        s.settimeout(1)
        buf, deadline = b"", time.time() + 1
        while time.time() < deadline:
            x = s.recv(65536)
            if not x:
                return False
            buf += x
            while len(buf) >= 9:
                n = int.from_bytes(buf[:3], "big")
                if len(buf) < 9 + n:
                    break
                if buf[3] == 1:
                    return True
                buf = buf[9 + n:]
    except OSError:
        return False
    finally:
        try:
            s.close()
        except Exception:
            pass
    return False

if mode == "hold":
    n = int(sys.argv[3])
    held = []
    for k in range(n):
        s = connect()
        s.sendall(frame(1, 0x4, 1, HEADERS))          # END_HEADERS, never END_STREAM
        held.append(s)
    t0, served = time.time(), None
    while time.time() - t0 < 20:
        if answered():
            served = time.time() - t0
            break
        time.sleep(0.1)
    n_closed = sum(closed(s, 0.01) for s in held)
    print("held=%d served_after_s=%s closed=%d"
          % (n, "never" if served is None else "%.1f" % served, n_closed))
elif mode == "drip":
    s = connect()
    block = HEADERS + lit(28, b"2")
    s.sendall(frame(4, 1, 0, b"") + frame(1, 0x4, 1, block)[:9 + 3])
    t0, gone = time.time(), None
    for octet in block[3:] * 100:                  # more than 20 s of it
        if closed(s, 0.3):
            gone = time.time() - t0
            break
        try:
            s.sendall(bytes([octet]))
        except OSError:
            gone = time.time() - t0
            break
        if time.time() - t0 > 20:
            break
    print("drip_closed_after_s=%s" % ("never" if gone is None else "%.1f" % gone))
elif mode == "per_address":
    n = int(sys.argv[3])
    conns = [connect() for _ in range(n)]
    n_closed = sum(closed(s, 1.0) for s in conns)
    print("connections=%d closed_at_once=%d other_address=%s"
          % (n, n_closed, "answered" if answered("127.0.0.2") else "nothing"))
