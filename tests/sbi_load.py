#!/usr/bin/python3
"""Naanf_AKMA load over one h2c connection (python3-h2), for the route
table's tests: subscriber i has RID rids[i % len(rids)], SUPI
imsi-00101<i, 10 digits>, A-KID <RID>.s<i>@akma.example and K_AKMA
SHA-256("k<i>"); every K_AF is checked against the TS 33.535 A.4 KDF
computed here, independently of akmad.

  sbi_load.py PORT populate N RID...   register N, then retrieve each
  sbi_load.py PORT retrieve N RID...   retrieve each of N
  sbi_load.py PORT watch SECONDS OUT N RID...
      retrieve subscribers 10..N-1 round robin for SECONDS (the first ten
      are the tests' to move and remove), one line per answer in OUT:
      "<ms since start> <RID> <status>"

populate and retrieve print the count of each status and of wrong K_AFs,
and exit 0 only when every answer was 200 with the right K_AF.
"""
import hashlib
import hmac
import json
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events

AF = "af.example.com"
UA = bytes.fromhex("0100000007")
WINDOW = 100  # streams in flight


def subscriber(i, rids):
    rid = rids[i % len(rids)]
    return rid, "imsi-00101%010d" % i, "%s.s%d@akma.example" % (rid, i), \
        hashlib.sha256(b"k%d" % i).digest()


def kaf(kakma):
    af_id = AF.encode() + UA
    s = b"\x82" + af_id + len(af_id).to_bytes(2, "big")
    return hmac.new(kakma, s, hashlib.sha256).hexdigest()


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.h2 = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.h2.initiate_connection()
        self.h2.increment_flow_control_window(1 << 24)
        self.sock.sendall(self.h2.data_to_send())
        self.open = {}  # stream -> [tag, status, body]
        self.done = []

    def send(self, op, body, tag):
        sid = self.h2.get_next_available_stream_id()
        data = json.dumps(body).encode()
        self.h2.send_headers(sid, [(":method", "POST"), (":scheme", "http"),
                                   (":authority", "akmad"),
                                   (":path", "/naanf-akma/v1/" + op),
                                   ("content-type", "application/json"),
                                   ("content-length", str(len(data)))])
        self.h2.send_data(sid, data, end_stream=True)
        self.open[sid] = [tag, None, b""]

    def pump(self):
        self.sock.sendall(self.h2.data_to_send())
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            raise SystemExit("sbi_load: no answer in 30 s, %d streams open (tags %s)" % (
                len(self.open), [v[0] for v in list(self.open.values())[:8]]))
        if not data:
            raise SystemExit("sbi_load: the server closed the connection")
        for ev in self.h2.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                self.open[ev.stream_id][1] = int(dict(ev.headers)[":status"])
            elif isinstance(ev, h2.events.DataReceived):
                self.open[ev.stream_id][2] += ev.data
                self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                self.done.append(self.open.pop(ev.stream_id))
            elif isinstance(ev, h2.events.StreamReset):
                st = self.open.pop(ev.stream_id)
                st[1] = -1
                self.done.append(st)
        self.sock.sendall(self.h2.data_to_send())

    def run(self, requests):
        """requests: iterator of (op, body, tag); yields (tag, status, body)."""
        it = iter(requests)
        more = True
        while more or self.open:
            while more and len(self.open) < WINDOW:
                try:
                    self.send(*next(it))
                except StopIteration:
                    more = False
            if not self.open:
                break  # the last answers came with the last pump
            self.pump()
            while self.done:
                yield tuple(self.done.pop(0))


def check_all(port, n, rids, register):
    c = Client(port)
    statuses, wrong = {}, 0
    if register:
        reqs = ((
            "register-anchorkey",
            {"supi": s, "aKId": a, "kAkma": k.hex()}, i)
            for i, (r, s, a, k) in ((i, subscriber(i, rids)) for i in range(n)))
        for tag, st, body in c.run(reqs):
            statuses["register %s" % st] = statuses.get("register %s" % st, 0) + 1
    reqs = (("retrieve-applicationkey", {"aKId": subscriber(i, rids)[2], "afId": AF}, i)
            for i in range(n))
    shown = 0
    for i, st, body in c.run(reqs):
        statuses["retrieve %s" % st] = statuses.get("retrieve %s" % st, 0) + 1
        if st != 200 and shown < 5:
            shown += 1
            print("subscriber %d (%s): %s %s" % (i, subscriber(i, rids)[2], st,
                                                 body.decode(errors="replace")))
        if st == 200:
            got = json.loads(body)
            if got.get("kaf") != kaf(subscriber(i, rids)[3]) or \
                    got.get("supi") != subscriber(i, rids)[1]:
                wrong += 1
    print(" ".join("%s: %d" % kv for kv in sorted(statuses.items())), "; wrong K_AF:", wrong)
    ok = wrong == 0 and all(k.endswith(" 200") for k in statuses)
    return 0 if ok else 1


def watch(port, seconds, out, n, rids):
    c = Client(port)
    t0 = time.monotonic()
    end = t0 + seconds

    def reqs():
        i = 0
        while time.monotonic() < end:
            k = 10 + i % (n - 10)
            rid, _, akid, _ = subscriber(k, rids)
            yield ("retrieve-applicationkey", {"aKId": akid, "afId": AF}, (rid, k))
            i += 1

    with open(out, "w") as f:
        for (rid, i), st, body in c.run(reqs()):
            if st == 200 and json.loads(body).get("kaf") != kaf(subscriber(i, rids)[3]):
                st = "wrong"
            f.write("%d %s %s\n" % ((time.monotonic() - t0) * 1000, rid, st))
    return 0


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    if mode in ("populate", "retrieve"):
        return check_all(port, int(sys.argv[3]), sys.argv[4:], mode == "populate")
    if mode == "watch":
        return watch(port, float(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6:])
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
