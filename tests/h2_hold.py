#!/usr/bin/python3
"""h2_hold.py HOST PORT CAFILE|- SUBSCRIBERS KAFS: one HTTP/2 connection
(TLS with ALPN h2 when CAFILE is given, h2c with prior knowledge when it is
"-") that registers every subscriber of SUBSCRIBERS (lines "SUPI AKID
KAKMA") and retrieves a K_AF for each, appending "kaf-AKID-hold HEX" lines
to KAFS; then prints "ready" and holds the connection open until its
standard input closes, so that a core dump taken meanwhile sees a live
connection's buffers (nghttp2's, OpenSSL's, the read buffer with the last
request, a register). Exit status 1 when a request does not get a 200."""
import json, os, socket, ssl, struct, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h2raw import PREFACE, frame, lit

DATA, HEADERS, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 4, 6, 7, 8
END_STREAM, END_HEADERS, ACK = 1, 4, 1


def recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise SystemExit("h2_hold: the server closed the connection")
        out += chunk
    return out


def read_frame(s):
    head = recv_exact(s, 9)
    length = struct.unpack(">I", b"\0" + head[:3])[0]
    return head[3], head[4], struct.unpack(">I", head[5:])[0] & 0x7FFFFFFF, recv_exact(s, length)


def request(s, sid, scheme, path, body):
    block = (bytes([0x83])                        # :method POST (static 3)
             + bytes([0x87 if scheme == "https" else 0x86])  # :scheme
             + lit(4, path.encode())              # :path
             + lit(1, b"localhost")               # :authority
             + lit(31, b"application/json")       # content-type
             + lit(28, str(len(body)).encode()))  # content-length
    s.sendall(frame(HEADERS, END_HEADERS, sid, block) + frame(DATA, END_STREAM, sid, body))
    data, status_ok = b"", None
    while True:
        ftype, flags, fsid, payload = read_frame(s)
        if ftype == SETTINGS and not flags & ACK:
            s.sendall(frame(SETTINGS, ACK, 0, b""))
        elif ftype == PING and not flags & ACK:
            s.sendall(frame(PING, ACK, 0, payload))
        elif ftype == GOAWAY:
            raise SystemExit("h2_hold: GOAWAY")
        elif fsid == sid and ftype == HEADERS:
            status_ok = payload[:1] == b"\x88"  # :status 200 (static 8)
        elif fsid == sid and ftype == DATA:
            data += payload
            if payload:
                s.sendall(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", len(payload)))
                          + frame(WINDOW_UPDATE, 0, sid, struct.pack(">I", len(payload))))
        if fsid == sid and flags & END_STREAM and ftype in (HEADERS, DATA):
            if not status_ok:
                raise SystemExit("h2_hold: %s answered %r" % (path, data[:200]))
            return json.loads(data) if data else None


def main():
    host, port, cafile, subscribers, kafs = sys.argv[1:6]
    raw = socket.create_connection((host, int(port)), timeout=30)
    scheme = "http"
    if cafile != "-":
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.set_alpn_protocols(["h2"])
        raw = ctx.wrap_socket(raw, server_hostname="localhost")
        scheme = "https"
    raw.sendall(PREFACE + frame(SETTINGS, 0, 0, b""))
    api = "/naanf-akma/v1/"
    sid = 1
    with open(kafs, "a") as out:
        for line in open(subscribers):
            supi, akid, kakma = line.split()
            request(raw, sid, scheme, api + "register-anchorkey",
                    json.dumps({"supi": supi, "aKId": akid, "kAkma": kakma}).encode())
            answer = request(raw, sid + 2, scheme, api + "retrieve-applicationkey",
                             json.dumps({"afId": "af-hold.example.com;ua=0100000007",
                                         "aKId": akid}).encode())
            out.write("kaf-%s-hold %s\n" % (akid.split(".")[0], answer["kaf"]))
            sid += 4
        # The last request a register, so that the read buffers hold K_AKMA.
        request(raw, sid, scheme, api + "register-anchorkey",
                json.dumps({"supi": supi, "aKId": akid, "kAkma": kakma}).encode())
    print("ready", flush=True)
    sys.stdin.read()
    raw.close()


if __name__ == "__main__":
    main()
