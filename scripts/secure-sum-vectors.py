#!/usr/bin/env python3
"""Secure-sum mask vectors from an independent implementation (pyca/cryptography).

Follows Protocols/secure-sum.md: X25519 shared secrets, HKDF-SHA256 pair keys bound to
the query id, plan hash and ordered pair of names, ChaCha20 expansion into little-endian
128-bit words, + for the lower name and - for the higher. Writes (or with --check,
compares) Protocols/vectors/secure-sum/vectors.json, which the Swift tests read.
"""
import argparse
import hashlib
import json
import pathlib
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import serialization

MODULUS = 1 << 128
SALT = b"fedstat/secure-sum/v1"


def private_key(seed):
    # A fixed private key per party: SHA-256 of a label (clamping is X25519's own).
    return hashlib.sha256(b"fedstat secure-sum vector key " + seed.encode()).digest()


def field(data):
    return len(data).to_bytes(4, "big") + data


def pair_key(own_private, peer_public, query_id, plan_hash, low, high):
    shared = X25519PrivateKey.from_private_bytes(own_private).exchange(X25519PublicKey.from_public_bytes(peer_public))
    info = field(query_id) + field(plan_hash) + field(low.encode()) + field(high.encode())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=info).derive(shared)


def expand(key, count):
    # pyca's ChaCha20 takes a 16-byte nonce: 4-byte little-endian counter, then the 12-byte nonce.
    cipher = Cipher(algorithms.ChaCha20(key, b"\x00" * 16), mode=None).encryptor()
    stream = cipher.update(b"\x00" * (16 * count))
    return [int.from_bytes(stream[16 * i:16 * i + 16], "little") for i in range(count)]


def public(private):
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def case(names, query_id, plan_hash, count):
    keys = {name: private_key(name) for name in names}
    parties = []
    for name in names:
        mask = [0] * count
        for peer in names:
            if peer == name:
                continue
            low, high = sorted([name, peer], key=lambda n: n.encode())
            stream = expand(pair_key(keys[name], public(keys[peer]), query_id, plan_hash, low, high), count)
            sign = 1 if name.encode() < peer.encode() else -1
            mask = [(m + sign * s) % MODULUS for m, s in zip(mask, stream)]
        parties.append({
            "name": name, "private_key": keys[name].hex(), "public_key": public(keys[name]).hex(),
            "mask": [str(m) for m in mask],
        })
    return {"query_id": query_id.hex(), "plan_hash": plan_hash.hex(), "count": count, "parties": parties}


def vectors():
    return {
        "spec": "Protocols/secure-sum.md",
        "generator": "scripts/secure-sum-vectors.py (pyca/cryptography)",
        "cases": [
            case(["north", "south"], bytes(range(16)), hashlib.sha256(b"plan 1").digest(), 3),
            case(["north-hospital", "south-hospital", "east-clinic"], bytes([0xA5] * 16),
                 hashlib.sha256(b"plan 2").digest(), 5),
            case(["b", "a", "c", "ä", "d"], bytes(16), bytes(32), 2),
        ],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("path", nargs="?", default=str(pathlib.Path(__file__).resolve().parent.parent
                                                        / "Protocols/vectors/secure-sum/vectors.json"))
    arguments = parser.parse_args()
    text = json.dumps(vectors(), indent=1, ensure_ascii=False) + "\n"
    path = pathlib.Path(arguments.path)
    if arguments.check:
        if path.read_text(encoding="utf-8") != text:
            sys.exit(f"secure-sum-vectors: {path} differs from a fresh generation")
        print(f"secure-sum-vectors: OK: {path} matches a fresh generation")
    else:
        path.write_text(text, encoding="utf-8")
        print(f"secure-sum-vectors: wrote {path}")


if __name__ == "__main__":
    main()
