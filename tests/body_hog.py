#!/usr/bin/python3
"""Half-sent request bodies against akmad's SBI (issue 13 item 2), raw HTTP/2.

Opens CONNS connections of STREAMS streams each; every stream declares a
body of 16000 octets, sends CHUNK of them and holds the rest. Reports
akmad's resident memory before, while they are held and after they close,
what a complete register request gets while they are held and after, and
what a request declaring a body above sbi.max_body gets before sending it.
Usage: body_hog.py PORT PID CONNS STREAMS CHUNK
prints: rss_base_mb= rss_held_mb= rss_after_mb= early=<status> during=<status> after=<status>
"""
import json, socket, sys, time

from h2raw import PREFACE, frame, lit

port, pid, conns, streams, chunk = (int(sys.argv[1]), sys.argv[2], int(sys.argv[3]),
                                    int(sys.argv[4]), int(sys.argv[5]))

def rss_mb():
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024

def request_headers(op, length):
    return (b"\x83\x86" + lit(4, b"/naanf-akma/v1/" + op) + lit(1, b"localhost")
            + lit(31, b"application/json") + lit(28, str(length).encode()))

def connect():
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(PREFACE + frame(4, 0, 0, b"") + frame(4, 1, 0, b""))
    return s

def status_of(s, sid, timeout=10):
    """The :status of the response on sid (from HPACK static-table codes or a literal)."""
    buf, deadline = b"", time.time() + timeout
    while time.time() < deadline:
        while len(buf) >= 9:
            n = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + n:
                break
            t, sidf, p = buf[3], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF, buf[9:9 + n]
            buf = buf[9 + n:]
            if t == 1 and sidf == sid:
                static = {0x88: 200, 0x89: 204, 0x8a: 206, 0x8b: 304, 0x8c: 400, 0x8d: 404, 0x8e: 500}
                if p[0] in static:
                    return str(static[p[0]])
                if p[0] & 0xF0 in (0x00, 0x10, 0x40) and p[0] & 0x0F in (8, 9, 10, 11, 12, 13, 14):
                    i = 2 if p[0] & 0x40 == 0 else 2
                    return p[i:i + 3].decode()
                return "?"
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            x = s.recv(65536)
        except socket.timeout:
            break
        if not x:
            return "closed"
        buf += x
    return "none"

def register(s, sid, n):
    body = json.dumps({"supi": "imsi-00101%010d" % n, "aKId": "hog%d@akma.example" % n,
                       "kAkma": "3D" * 32}).encode()
    s.sendall(frame(1, 0x4, sid, request_headers(b"register-anchorkey", len(body)))
              + frame(0, 0x1, sid, body))
    return status_of(s, sid)

base = rss_mb()
# Declared above any sane sbi.max_body: answered before the body is sent.
probe = connect()
probe.sendall(frame(1, 0x4, 1, request_headers(b"register-anchorkey", 1 << 20)))
early = status_of(probe, 1)
probe.close()

held = []
for _ in range(conns):
    s = connect()
    out = b"".join(frame(1, 0x4, 1 + 2 * k, request_headers(b"register-anchorkey", 16000))
                   + frame(0, 0, 1 + 2 * k, b"{" * chunk) for k in range(streams))
    s.sendall(out)
    held.append(s)
# wait until akmad has read them all: its memory stops growing
last, still = -1, 0
for _ in range(100):
    time.sleep(0.2)
    now = rss_mb()
    still = still + 1 if now == last else 0
    last = now
    if still >= 5:
        break
held_mb = rss_mb()
c = connect()
during = register(c, 1, 1)
for s in held:
    s.close()
time.sleep(1)
after = register(c, 3, 2)
c.close()
print("rss_base_mb=%d rss_held_mb=%d rss_after_mb=%d early=%s during=%s after=%s"
      % (base, held_mb, rss_mb(), early, during, after))
