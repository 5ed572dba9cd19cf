#!/usr/bin/python3
"""A small NRF for the tests (no NRF is packaged for Debian): TS 29.510
Nnrf_NFManagement and NFDiscovery over HTTP/2 (python3-h2), h2c or TLS.

  nrf_server.py --port P --spec DIR --log FILE [--heartbeat S] [--mode M]
                [--tls CERT KEY [--client-ca CA]]

  PUT    /nnrf-nfm/v1/nf-instances/ID   store an NFProfile: 201 (new) or 200,
                                        the profile back with heartBeatTimer S
  PATCH  /nnrf-nfm/v1/nf-instances/ID   RFC 6902 (replace only): 204; 404 unknown
  DELETE /nnrf-nfm/v1/nf-instances/ID   204; 404 unknown
  GET    /nnrf-disc/v1/nf-instances?target-nf-type=AANF&requester-nf-type=AUSF
         [&routing-indicator=RID]       SearchResult: the REGISTERED profiles of
                                        that type whose aanfInfoList has RID (or
                                        that have none)
  GET    /test/profiles                 every stored profile (for the test)

Every body received is validated against the OpenAPI of DIR
(TS29510_Nnrf_NFManagement.yaml and what its $refs reach, with
tests/validate_openapi.py): an invalid one is answered 400 and logged
"invalid". FILE gets one JSON line per request: method, path, status,
valid, why, the body. Modes that misbehave: garbage (bytes that are not
HTTP/2, then close), 500 (every NFManagement request answered 500), slow
(nothing answered); close answers but ends every connection after its
answer (GOAWAY, then closed), as an NRF with short idle timeouts does. Profiles live in memory only: a restart forgets them.
"""
import argparse
import json
import os
import selectors
import socket
import ssl
import sys
import urllib.parse

import h2.config
import h2.connection
import h2.events

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from validate_openapi import Validator  # noqa: E402

NFM = "TS29510_Nnrf_NFManagement.yaml"


class Nrf:
    def __init__(self, args):
        self.args = args
        self.validator = Validator(args.spec)
        self.profiles = {}
        self.log = open(args.log, "a", buffering=1)

    def record(self, method, path, status, body, why):
        self.log.write(json.dumps({"method": method, "path": path, "status": status,
                                   "valid": why is None, "why": why, "body": body}) + "\n")

    def problem(self, status, detail):
        return status, {"status": status, "detail": detail}, "application/problem+json"

    def handle(self, method, path, body):
        """Returns ((status, JSON or None, content type), why invalid or None)."""
        url = urllib.parse.urlsplit(path)
        parts = url.path.strip("/").split("/")
        if parts[:3] == ["nnrf-nfm", "v1", "nf-instances"] and len(parts) == 4:
            if self.args.mode == "500":
                return self.problem(500, "the test NRF is told to fail"), None
            nf_id = parts[3]
            if method == "PUT":
                schema = {"$ref": "#/components/schemas/NFProfile"}
                why = self.validator.check(NFM, schema, body)
                if why is None and body.get("nfInstanceId") != nf_id:
                    why = "nfInstanceId is not the URI's"
                if why:
                    return (400, {"status": 400, "cause": "MANDATORY_IE_INCORRECT",
                                  "detail": why}, "application/problem+json"), why
                new = nf_id not in self.profiles
                stored = dict(body)
                stored["heartBeatTimer"] = self.args.heartbeat
                self.profiles[nf_id] = stored
                return (201 if new else 200, stored, "application/json"), None
            if method == "PATCH":
                # The operation's requestBody schema, as TS29510 gives it.
                schema = {"type": "array", "minItems": 1, "items": {
                    "$ref": "TS29571_CommonData.yaml#/components/schemas/PatchItem"}}
                op = self.validator.check(NFM, schema, body)
                if op:
                    return (400, {"status": 400, "detail": op}, "application/problem+json"), op
                if nf_id not in self.profiles:
                    return self.problem(404, "no such NF instance"), None
                for item in body:
                    if item["op"] != "replace" or not item["path"].startswith("/"):
                        return self.problem(400, "only replace is supported here"), None
                    self.profiles[nf_id][item["path"][1:]] = item.get("value")
                return (204, None, None), None
            if method == "DELETE":
                if self.profiles.pop(nf_id, None) is None:
                    return self.problem(404, "no such NF instance"), None
                return (204, None, None), None
            return self.problem(405, "method not allowed"), None
        if parts == ["nnrf-disc", "v1", "nf-instances"] and method == "GET":
            q = urllib.parse.parse_qs(url.query)
            if "target-nf-type" not in q or "requester-nf-type" not in q:
                return self.problem(400, "target-nf-type and requester-nf-type are mandatory"), None
            rid = q.get("routing-indicator", [None])[0]
            found = []
            for p in self.profiles.values():
                if p.get("nfType") != q["target-nf-type"][0] or p.get("nfStatus") != "REGISTERED":
                    continue
                infos = p.get("aanfInfoList")
                if rid is not None and infos is not None and not any(
                        rid in i.get("routingIndicators", []) for i in infos.values()):
                    continue
                found.append(p)
            return (200, {"validityPeriod": 60, "nfInstances": found}, "application/json"), None
        if parts == ["test", "profiles"]:
            return (200, self.profiles, "application/json"), None
        return self.problem(404, "no such resource"), None


class Conn:
    def __init__(self, nrf, sock):
        self.nrf, self.sock = nrf, sock
        self.h2 = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        self.h2.initiate_connection()
        self.streams = {}
        self.closing = False

    def flush(self):
        data = self.h2.data_to_send()
        if data:
            self.sock.sendall(data)

    def on_data(self, data):
        for ev in self.h2.receive_data(data):
            if isinstance(ev, h2.events.RequestReceived):
                self.streams[ev.stream_id] = [dict(ev.headers), b""]
            elif isinstance(ev, h2.events.DataReceived):
                self.streams[ev.stream_id][1] += ev.data
                self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                self.answer(ev.stream_id)
        self.flush()

    def answer(self, sid):
        headers, raw = self.streams.pop(sid)
        method, path = headers[":method"], headers[":path"]
        body, why = None, None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError as e:
                why = "not JSON: %s" % e
        if why:
            (status, out, ctype) = (400, {"status": 400, "detail": why}, "application/problem+json")
        else:
            (status, out, ctype), why = self.nrf.handle(method, path, body)
        self.nrf.record(method, path, status, body, why)
        if self.nrf.args.mode == "slow" and path.startswith("/nnrf-nfm"):
            return  # never answered
        data = json.dumps(out).encode() if out is not None else b""
        hdrs = [(":status", str(status))]
        if ctype:
            hdrs += [("content-type", ctype), ("content-length", str(len(data)))]
        self.h2.send_headers(sid, hdrs, end_stream=not data)
        step = self.h2.max_outbound_frame_size  # a profile of 5000 RIDs is 40 kB
        for off in range(0, len(data), step):
            self.h2.send_data(sid, data[off:off + step], end_stream=off + step >= len(data))
        if self.nrf.args.mode == "close":
            self.h2.close_connection()
            self.closing = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--spec", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--heartbeat", type=int, default=2)
    ap.add_argument("--mode", default="normal",
                    choices=["normal", "garbage", "500", "slow", "close"])
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--client-ca")
    args = ap.parse_args()
    nrf = Nrf(args)
    ctx = None
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*args.tls)
        ctx.set_alpn_protocols(["h2"])
        if args.client_ca:
            ctx.load_verify_locations(args.client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", args.port))
    lsock.listen(16)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ, None)
    print("nrf listening on 127.0.0.1:%d (%s)" % (args.port, args.mode), flush=True)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                s, _ = lsock.accept()
                if args.mode == "garbage":
                    s.sendall(b"HTTP/1.1 200 OK\r\n\r\nthis is no NRF\r\n")
                    s.close()
                    continue
                if ctx:
                    try:
                        s = ctx.wrap_socket(s, server_side=True)
                    except (ssl.SSLError, OSError) as e:
                        nrf.record("TLS", "-", 0, None, "handshake: %s" % e)
                        s.close()
                        continue
                c = Conn(nrf, s)
                c.flush()
                sel.register(s, selectors.EVENT_READ, c)
                continue
            c = key.data
            try:
                data = c.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                sel.unregister(c.sock)
                c.sock.close()
                continue
            try:
                c.on_data(data)
            except Exception as e:  # a broken client: drop it, keep serving
                nrf.record("ERROR", "-", 0, None, repr(e))
                c.closing = True
            if c.closing:
                sel.unregister(c.sock)
                c.sock.close()


if __name__ == "__main__":
    main()
