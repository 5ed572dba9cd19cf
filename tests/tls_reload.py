#!/usr/bin/python3
"""tls_reload.py PORT CAFILE: certificate rotation as a client sees it. Opens
an HTTP/2 connection over TLS, registers on it, prints "before SHA256" (the
server certificate's fingerprint) and "ready", then waits for a line on
standard input (the test rotates the files and sends SIGHUP meanwhile),
registers again on the same connection, opens a new one and registers on it,
and prints "held ok" and "after SHA256". Exit status 1 when a request fails."""
import hashlib, json, os, socket, ssl, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h2raw import PREFACE, frame
from h2_hold import SETTINGS, request


def connect(port, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.set_alpn_protocols(["h2"])
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30),
                        server_hostname="localhost")
    s.sendall(PREFACE + frame(SETTINGS, 0, 0, b""))
    return s, hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()


def register(s, sid, n):
    body = json.dumps({"supi": "imsi-00101000000%04d" % n, "aKId": "%d.rot@akma.example" % n,
                       "kAkma": "%064x" % (n + 1)}).encode()
    request(s, sid, "https", "/naanf-akma/v1/register-anchorkey", body)


port, cafile = int(sys.argv[1]), sys.argv[2]
held, before = connect(port, cafile)
register(held, 1, 1)
print("before", before)
print("ready", flush=True)
sys.stdin.readline()
register(held, 3, 2)
print("held ok")
fresh, after = connect(port, cafile)
register(fresh, 1, 3)
print("after", after, flush=True)
