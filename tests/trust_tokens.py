#!/usr/bin/python3
"""Mint OAuth2 access tokens as an NRF would (TS 29.510 AccessTokenClaims),
with an independent JWT implementation (PyJWT), and the forged ones an
attacker would try.

    trust_tokens.py keys DIR            make DIR/nrf-ec.{key,pub} (P-256),
                                        DIR/nrf-rsa.{key,pub} (RSA 2048),
                                        DIR/rogue-ec.key (a key no NRF has)
    trust_tokens.py token DIR KIND CLAIMS_JSON
                                        print a token; KIND: es256, rs256,
                                        rogue (ES256 under the rogue key),
                                        none (alg none, no signature),
                                        hs256-pem (HS256 keyed with the RSA
                                        public key's PEM: key confusion)

CLAIMS_JSON gives the claims; "exp": "+N" / "nbf": "+N" / "iat": "+N" are
seconds from now (negative for the past).
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def write_key(path, key):
    with open(path + ".key", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(path + ".pub", "wb") as f:
        f.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo))


def load(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(text):
    claims = json.loads(text)
    now = int(time.time())
    for k in ("exp", "nbf", "iat"):
        v = claims.get(k)
        if isinstance(v, str) and v[:1] in "+-":
            claims[k] = now + int(v)
    return claims


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "keys":
        d = sys.argv[2]
        write_key(os.path.join(d, "nrf-ec"), ec.generate_private_key(ec.SECP256R1()))
        write_key(os.path.join(d, "nrf-rsa"), rsa.generate_private_key(65537, 2048))
        write_key(os.path.join(d, "rogue-ec"), ec.generate_private_key(ec.SECP256R1()))
        return 0
    if len(sys.argv) != 5 or sys.argv[1] != "token":
        print(__doc__, file=sys.stderr)
        return 2
    d, kind, claims = sys.argv[2], sys.argv[3], claims_of(sys.argv[4])
    if kind == "es256":
        tok = jwt.encode(claims, load(os.path.join(d, "nrf-ec.key")), algorithm="ES256",
                         headers={"kid": "nrf-ec"})
    elif kind == "rs256":
        tok = jwt.encode(claims, load(os.path.join(d, "nrf-rsa.key")), algorithm="RS256",
                         headers={"kid": "nrf-rsa"})
    elif kind == "rogue":
        tok = jwt.encode(claims, load(os.path.join(d, "rogue-ec.key")), algorithm="ES256",
                         headers={"kid": "nrf-ec"})
    elif kind == "none":
        tok = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." + \
            b64(json.dumps(claims).encode()) + "."
    elif kind == "hs256-pem":
        # PyJWT refuses a PEM as an HMAC secret, as a verifier must: made by hand.
        with open(os.path.join(d, "nrf-rsa.pub"), "rb") as f:
            secret = f.read()
        signing = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "nrf-rsa"}).encode()) + \
            "." + b64(json.dumps(claims).encode())
        tok = signing + "." + b64(hmac.new(secret, signing.encode(), hashlib.sha256).digest())
    else:
        print("unknown kind " + kind, file=sys.stderr)
        return 2
    print(tok)
    return 0


if __name__ == "__main__":
    sys.exit(main())
