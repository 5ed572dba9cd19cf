#!/usr/bin/python3
"""An independent client of the wire protocol (engine/wire.md, version 2)
on Python's AES-GCM, for the attacks of the hardening tests: a captured
answer sent back (self-loop), a request under akmad's own sender id, and
requests captured and replayed after akmad restarts. The server is
127.0.0.1, or $WIRE_HOST.

    wire_attack.py loop PSK_FILE PORT
        prints one line per probe: "answer-sent-back: no answer",
        "own-sender-id: no answer", "control: answered"
    wire_attack.py capture PSK_FILE PORT FILE register SUPI AKID KAKMA_HEX
    wire_attack.py capture PSK_FILE PORT FILE remove SUPI
        learns akmad's epoch, seals the request, keeps the datagram in FILE,
        sends it and prints the answer's status
    wire_attack.py bigget PSK_FILE PORT AKID N
        N GET_KAF of AKID in one datagram; prints the answer datagram's
        size and its statuses (a big answer: IP fragments on a DPDK port)
    wire_attack.py replay PSK_FILE PORT FILE
        sends FILE's datagram as it is and prints the answer's status (8 is
        EPOCH: not applied) or "no answer"
"""
import os
import socket
import struct
import sys
import time

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HDR = 32


def psk_of(path):
    with open(path) as f:
        return bytes.fromhex(f.read().strip())


def seal(psk, sender, seq, epoch, body, response=False):
    hdr = b"AK" + bytes([2, 1 | (0x80 if response else 0)]) + \
        struct.pack(">QIQQ", sender, seq, int(time.time() * 1000), epoch)
    return hdr + AESGCM(psk).encrypt(hdr[4:16], body, hdr)


def open_(psk, d):
    """(header fields, body) of an authentic datagram, or None."""
    if len(d) < HDR + 16 or d[:3] != b"AK\x02" or d[3] & 0x0f != 1:
        return None
    sender, seq, t, epoch = struct.unpack(">QIQQ", d[4:HDR])
    try:
        body = AESGCM(psk).decrypt(d[4:16], d[HDR:], d[:HDR])
    except Exception:
        return None
    return {"sender": sender, "epoch": epoch, "response": bool(d[3] & 0x80)}, body


def msg(mtype, mid, payload):
    return bytes([mtype, 0]) + struct.pack(">HQ", 12 + len(payload), mid) + payload


def statuses(body):
    out, off = [], 0
    while off + 12 <= len(body):
        n = struct.unpack(">H", body[off + 2:off + 4])[0]
        out.append(body[off + 12] if n > 12 else 255)
        off += n
    return out


class Client:
    def __init__(self, psk, port):
        self.psk, self.port = psk, port
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(1.0)
        self.sender = int.from_bytes(os.urandom(8), "big")
        self.seq, self.epoch = 1, 0

    def send_raw(self, d):
        self.s.sendto(d, (os.environ.get("WIRE_HOST", "127.0.0.1"), self.port))

    def recv(self):
        try:
            d, _ = self.s.recvfrom(70000)
        except socket.timeout:
            return None
        return d

    def request(self, body):
        d = seal(self.psk, self.sender, self.seq, self.epoch, body)
        self.seq += 1
        self.send_raw(d)
        return d

    def learn(self):
        """A STATS under epoch 0: its EPOCH answer carries the epoch."""
        for _ in range(10):
            self.request(msg(4, 1, b""))
            d = self.recv()
            got = d and open_(self.psk, d)
            if got and got[0]["response"]:
                self.epoch = got[0]["epoch"]
                return d, got[0]
        sys.exit("no answer from akmad")


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, psk, port = sys.argv[1], psk_of(sys.argv[2]), int(sys.argv[3])
    c = Client(psk, port)
    if cmd == "loop":
        answer, hdr = c.learn()
        c.send_raw(answer)  # an answer of akmad's own, sent back to it
        print("answer-sent-back:", "answered" if c.recv() else "no answer")
        d = seal(psk, hdr["sender"], 1 << 30, c.epoch, msg(4, 2, b""))
        c.send_raw(d)       # a request under akmad's own sender id
        print("own-sender-id:", "answered" if c.recv() else "no answer")
        c.request(msg(4, 3, b""))
        got = c.recv()
        print("control:", "answered" if got and open_(psk, got) else "no answer")
        return 0
    if cmd == "capture":
        path, kind = sys.argv[4], sys.argv[5]
        c.learn()
        supi = sys.argv[6].encode()
        if kind == "register":
            akid, key = sys.argv[7].encode(), bytes.fromhex(sys.argv[8])
            payload = bytes([1]) + struct.pack(">H", len(supi)) + supi + bytes([len(akid)]) + \
                akid + key + b"\x00"
            body = msg(1, 10, payload)
        else:
            body = msg(3, 11, struct.pack(">H", len(supi)) + supi)
        d = c.request(body)
        with open(path, "wb") as f:
            f.write(d)
        got = c.recv()
        got = got and open_(psk, got)
        print(statuses(got[1])[0] if got else "no answer")
        return 0
    if cmd == "bigget":
        c.learn()
        akid, n = sys.argv[4].encode(), int(sys.argv[5])
        af = b"af.example.com\x01\x00\x00\x00\x07"
        payload = bytes([len(akid)]) + akid + struct.pack(">H", len(af)) + af
        c.request(b"".join(msg(2, 100 + i, payload) for i in range(n)))
        for _ in range(10):
            d = c.recv()
            got = d and open_(psk, d)
            if got and got[0]["response"]:
                print(len(d), " ".join(str(x) for x in statuses(got[1])))
                return 0
        print("no answer")
        return 1
    if cmd == "replay":
        with open(sys.argv[4], "rb") as f:
            c.send_raw(f.read())
        got = c.recv()
        got = got and open_(psk, got)
        print(statuses(got[1])[0] if got else "no answer")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
