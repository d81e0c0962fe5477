#!/usr/bin/env python3
"""Fedstat's own Paillier test vectors, computed from `Protocols/paillier.md` with plain
Python integers (no Fedstat code, no Paillier library), for the fixed 512-bit test key.

    paillier-vectors.py --write FILE   write the vectors (Protocols/vectors/paillier/vectors.json)
    paillier-vectors.py --check FILE   regenerate and require FILE to be identical

Everything is deterministic: the key is hard-coded and every "random" number is derived
from the name of its case, so regenerating gives the same bytes and `--check` can tell
whether the committed file still matches this script.

Every negative case has one defect (or several that all call for the same error code),
so its expected code does not depend on the order in which an implementation runs its
checks. A small reference parser and
reference decryption below (written from the spec) confirm each case before it is
written, so a mistake in building a case fails here rather than in the Swift tests.
"""

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path

# The shared fixed key lives next to this script.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import paillier_fixed_key as fixed  # noqa: E402

# Raw values of `PaillierError.Code` (Sources/Paillier/PaillierError.swift) that cases
# here may expect; listed so that a typo in a case is caught when generating.
ERROR_CODES = {
    "invalidCiphertext", "keyMismatch", "plaintextOutOfRange", "overflow", "invalidKey",
    "wrongLength", "unsupportedFormat", "invalidDecimal", "packingBound",
    "headroomExhausted", "layoutMismatch",
}

DESCRIPTION = (
    "Fedstat Paillier vectors (Protocols/paillier.md), computed by scripts/paillier-vectors.py "
    "in plain Python integer arithmetic, independently of Fedstat's code, for one fixed 512-bit "
    "test key (g = n + 1). Conventions: fields n, p, q, n_squared, max_signed, m, r, c, residue "
    "and value_hex are unsigned lowercase hexadecimal without prefix or padding; fields named "
    "bytes are byte strings as even-length lowercase hex; value, bound and the elements of "
    "values and packed are signed decimal strings; additions, count, index, slot_bits and "
    "slots_per_plaintext are JSON numbers; error is the raw value of PaillierError.Code the "
    "operation must throw. Sections: key; textbook (c = (1 + m*n) * r^n mod n^2 from "
    "PublicKey.encryptTextbook(residue: m, randomness: r); decrypting c gives residue m); "
    "textbook_invalid; signed_encode (SignedEncoding.encode(value) = residue); "
    "signed_encode_invalid; signed_decode (SignedEncoding.decode(residue) = value, and c is a "
    "textbook encryption of residue that PrivateKey.decrypt must turn into value); "
    "signed_decode_invalid (c is null when residue is not below n); serialization (public_key, "
    "private_key and ciphertexts are canonical encodings of the fixed key and of values under "
    "it; invalid cases name the parser by kind: publicKey = PublicKey(serialized:), privateKey "
    "= PrivateKey(serialized:), ciphertext = fixed public key's ciphertext(serialized:)); "
    "packing (layouts for the fixed key, each with pack cases values -> packed, pack_invalid "
    "cases with the index of the offending value, unpack cases packed -> values where packed is "
    "a sum of up to 'additions' packed vectors, and unpack_invalid cases; layouts_invalid are "
    "PackingLayout initialisations that must fail). Every case has a unique name."
)


class Refused(Exception):
    """A reference operation refusing its input, with the error code it stands for."""

    def __init__(self, code: str):
        assert code in ERROR_CODES, code
        super().__init__(code)
        self.code = code


# ---------------------------------------------------------------------------------
# Reference arithmetic, from the spec.


class Key:
    def __init__(self, p: int, q: int):
        self.p, self.q = max(p, q), min(p, q)
        self.n = p * q
        self.n2 = self.n * self.n
        self.bits = self.n.bit_length()
        self.max_signed = self.n // 3 - 1
        # Textbook decryption through λ and μ, deliberately not Fedstat's CRT route
        # (§4.2), so the two cannot share a mistake.
        self.lam = math.lcm(p - 1, q - 1)
        self.mu = pow((pow(self.n + 1, self.lam, self.n2) - 1) // self.n, -1, self.n)


def check_residue(key: Key, m: int) -> None:
    if not 0 <= m < key.n:
        raise Refused("plaintextOutOfRange")


def textbook_encrypt(key: Key, m: int, r: int) -> int:
    check_residue(key, m)
    if not (0 < r < key.n and math.gcd(r, key.n) == 1):
        raise Refused("invalidCiphertext")
    return (1 + m * key.n) * pow(r, key.n, key.n2) % key.n2


def check_ciphertext(key: Key, c: int) -> None:
    if not (0 < c < key.n2 and math.gcd(c, key.n) == 1):
        raise Refused("invalidCiphertext")


def decrypt_residue(key: Key, c: int) -> int:
    check_ciphertext(key, c)
    return (pow(c, key.lam, key.n2) - 1) // key.n * key.mu % key.n


def encode_signed(key: Key, value: int) -> int:
    if abs(value) > key.max_signed:
        raise Refused("overflow")
    return value % key.n


def decode_signed(key: Key, residue: int) -> int:
    check_residue(key, residue)
    if residue <= key.max_signed:
        return residue
    if residue >= key.n - key.max_signed:
        return residue - key.n
    raise Refused("overflow")


# Encodings (§7).

def modulus_bytes(bits: int) -> int:
    return (bits + 7) // 8


def prime_bytes(bits: int) -> int:
    return ((bits + 1) // 2 + 7) // 8


def public_key_encoding(bits: int, n: int, n_length: int | None = None) -> bytes:
    length = modulus_bytes(bits) if n_length is None else n_length
    return bytes([1, 1]) + bits.to_bytes(2, "big") + n.to_bytes(length, "big")


def private_key_encoding(bits: int, p: int, q: int) -> bytes:
    return bytes([1, 2]) + bits.to_bytes(2, "big") + p.to_bytes(prime_bytes(bits), "big") + q.to_bytes(prime_bytes(bits), "big")


def ciphertext_encoding(key: Key, c: int) -> bytes:
    return bytes([1, 3]) + c.to_bytes(2 * modulus_bytes(key.bits), "big")


def parse_header(data: bytes, kind: int) -> None:
    if len(data) < 2:
        raise Refused("wrongLength")
    if data[0] != 1 or data[1] != kind:
        raise Refused("unsupportedFormat")


def parse_bits(data: bytes) -> int:
    if len(data) < 4:
        raise Refused("wrongLength")
    bits = int.from_bytes(data[2:4], "big")
    if bits < 64:
        raise Refused("invalidKey")
    return bits


def valid_modulus(n: int) -> bool:
    return n % 2 == 1 and n.bit_length() >= 64 and math.isqrt(n) ** 2 != n


def parse_public_key(data: bytes) -> int:
    parse_header(data, 1)
    bits = parse_bits(data)
    if len(data) != 4 + modulus_bytes(bits):
        raise Refused("wrongLength")
    n = int.from_bytes(data[4:], "big")
    if n.bit_length() != bits or not valid_modulus(n):
        raise Refused("invalidKey")
    return n


def parse_private_key(data: bytes) -> tuple[int, int]:
    parse_header(data, 2)
    bits = parse_bits(data)
    count = prime_bytes(bits)
    if len(data) != 4 + 2 * count:
        raise Refused("wrongLength")
    p = int.from_bytes(data[4:4 + count], "big")
    q = int.from_bytes(data[4 + count:], "big")
    n = p * q
    half = (n.bit_length() + 1) // 2
    # p > q: one key, one encoding (§7).
    if (p <= q or min(p, q) <= 2 or not fixed.is_probable_prime(p) or not fixed.is_probable_prime(q)
            or p.bit_length() > half or q.bit_length() > half
            or math.gcd(n, (p - 1) * (q - 1)) != 1 or not valid_modulus(n) or n.bit_length() != bits):
        raise Refused("invalidKey")
    return p, q


def parse_ciphertext(key: Key, data: bytes) -> int:
    parse_header(data, 3)
    if len(data) != 2 + 2 * modulus_bytes(key.bits):
        raise Refused("wrongLength")
    c = int.from_bytes(data[2:], "big")
    check_ciphertext(key, c)
    return c


# Packing (§6.2).

def packing_layout(key: Key, bound: int, additions: int) -> tuple[int, int]:
    """(slot bits w, slots per plaintext k)."""
    if bound <= 0 or additions < 1:
        raise Refused("packingBound")
    s = bound * additions
    w = s.bit_length() + 1
    # Σ_{i<k} 2^(w·i) in closed form, (2^(wk) − 1)/(2^w − 1): a different computation
    # from the running sum an implementation is likely to use.
    k = 0
    while s * ((1 << (w * (k + 1))) - 1) // ((1 << w) - 1) <= key.max_signed:
        k += 1
    if k == 0:
        raise Refused("packingBound")
    return w, k


def pack(bound: int, w: int, k: int, values: list[int]) -> list[int]:
    for index, value in enumerate(values):
        if abs(value) > bound:
            raise Refused("packingBound")
    return [sum(v * (1 << (w * i)) for i, v in enumerate(values[j:j + k])) for j in range(0, len(values), k)]


def unpack(w: int, k: int, packed: list[int], count: int) -> list[int]:
    if len(packed) != -(-count // k):
        raise Refused("layoutMismatch")
    values = []
    for j, p in enumerate(packed):
        for _ in range(min(k, count - j * k)):
            d = p % (1 << w)  # Python's % is the non-negative residue the spec means
            if d >= 1 << (w - 1):
                d -= 1 << w
            values.append(d)
            p = (p - d) >> w
        if p != 0:
            raise Refused("overflow")
    return values


# ---------------------------------------------------------------------------------
# The cases.


def hx(value: int) -> str:
    return f"{value:x}"


def refusal(operation) -> str:
    """The code `operation` is refused with; a case that is not refused is a bug here."""
    try:
        operation()
    except Refused as refused:
        return refused.code
    raise AssertionError("a negative case was accepted by the reference implementation")


def derived(label: str, below: int) -> int:
    return fixed.derived_int(f"paillier-vectors/{label}", below)


def derived_unit(key: Key, label: str) -> int:
    return fixed.derived_unit(f"paillier-vectors/{label}", key.n)


def textbook_cases(key: Key) -> tuple[list, list]:
    n = key.n
    plain = [
        ("textbook m=0 r=1", 0, 1),
        ("textbook m=1 r=1", 1, 1),
        ("textbook m=0 random r", 0, None),
        ("textbook m=1 random r", 1, None),
        ("textbook m=max_signed", key.max_signed, None),
        ("textbook m=n-1", n - 1, None),
        ("textbook m=n//2 (overflow band residue)", n // 2, None),
        ("textbook m=123456789 r=n-1", 123456789, n - 1),
        ("textbook random m 1", derived("textbook/m1", n), None),
        ("textbook random m 2", derived("textbook/m2", n), None),
    ]
    cases = []
    for name, m, r in plain:
        r = derived_unit(key, f"textbook/{name}") if r is None else r
        c = textbook_encrypt(key, m, r)
        assert decrypt_residue(key, c) == m
        cases.append({"name": name, "m": hx(m), "r": hx(r), "c": hx(c)})

    invalid = []
    for name, m, r in [
        ("textbook m=n refused", n, 1),
        ("textbook r=0 refused", 5, 0),
        ("textbook r=n refused", 5, n),
        ("textbook r=p refused (not a unit)", 5, key.p),
        ("textbook r=2q refused (not a unit)", 5, 2 * key.q),
    ]:
        invalid.append({"name": name, "m": hx(m), "r": hx(r), "error": refusal(lambda: textbook_encrypt(key, m, r))})
    return cases, invalid


def signed_cases(key: Key) -> dict:
    n, top = key.n, key.max_signed
    encode, encode_invalid, decode, decode_invalid = [], [], [], []
    for name, value in [
        ("encode 0", 0), ("encode 1", 1), ("encode -1", -1), ("encode 2^40", 2**40),
        ("encode -2^62", -(2**62)), ("encode max_signed", top), ("encode -max_signed", -top),
    ]:
        residue = encode_signed(key, value)
        assert decode_signed(key, residue) == value
        encode.append({"name": name, "value": str(value), "residue": hx(residue)})
    for name, value in [
        ("encode max_signed+1 refused", top + 1), ("encode -(max_signed+1) refused", -(top + 1)),
        ("encode n refused", n), ("encode -n refused", -n),
    ]:
        encode_invalid.append({"name": name, "value": str(value), "error": refusal(lambda: encode_signed(key, value))})

    for name, residue in [
        ("decode residue 0", 0), ("decode residue 1", 1), ("decode residue max_signed", top),
        ("decode residue n-max_signed", n - top), ("decode residue n-1", n - 1),
    ]:
        c = textbook_encrypt(key, residue, derived_unit(key, f"signed/{name}"))
        decode.append({"name": name, "residue": hx(residue), "value": str(decode_signed(key, residue)), "c": hx(c)})
    # The overflow band is (max_signed, n − max_signed): its first residue n//3, the
    # middle, and its last residue n − n//3 (= n − max_signed − 1).
    for name, residue in [
        ("decode residue n//3 (first of the overflow band)", n // 3),
        ("decode residue n//2 (middle of the overflow band)", n // 2),
        ("decode residue n-n//3 (last of the overflow band)", n - n // 3),
        ("decode residue n refused", n),
    ]:
        code = refusal(lambda: decode_signed(key, residue))
        c = textbook_encrypt(key, residue, derived_unit(key, f"signed/{name}")) if residue < n else None
        decode_invalid.append({"name": name, "residue": hx(residue), "c": None if c is None else hx(c), "error": code})
    assert n - n // 3 == n - top - 1
    return {
        "signed_encode": encode, "signed_encode_invalid": encode_invalid,
        "signed_decode": decode, "signed_decode_invalid": decode_invalid,
    }


def serialization_cases(key: Key) -> dict:
    n, p, q, bits = key.n, key.p, key.q, key.bits
    public = public_key_encoding(bits, n)
    private = private_key_encoding(bits, p, q)
    assert parse_public_key(public) == n and parse_private_key(private) == (p, q)
    assert len(public) == 4 + modulus_bytes(bits) and len(private) == 4 + 2 * prime_bytes(bits)

    sample = textbook_encrypt(key, 42, derived_unit(key, "serialization/sample"))
    ciphertexts = []
    for name, c in [
        ("ciphertext value 1", 1),
        ("ciphertext value 0x1234 (leading zero bytes)", 0x1234),
        ("ciphertext encrypting 42", sample),
        ("ciphertext value n^2-1", key.n2 - 1),
    ]:
        data = ciphertext_encoding(key, c)
        assert parse_ciphertext(key, data) == c
        ciphertexts.append({"name": name, "value_hex": hx(c), "bytes": data.hex()})

    def with_byte(data: bytes, index: int, value: int) -> bytes:
        return data[:index] + bytes([value]) + data[index + 1:]

    # Not a prime: p + 2 is checked composite below rather than assumed.
    not_prime = p + 2
    assert not fixed.is_probable_prime(not_prime)
    # q divides p − 1 for the Sophie Germain pair of the safe prime p = 2p' + 1.
    sophie = (p - 1) // 2
    sophie_bits = (p * sophie).bit_length()
    small_n = (1 << 62) + 1 + 2 * derived("serialization/63-bit", 1 << 60)  # odd, 63 bits
    assert small_n % 2 == 1 and small_n.bit_length() == 63 and math.isqrt(small_n) ** 2 != small_n
    # A valid 504-bit modulus: padded to n's 64 bytes, only its length is wrong.
    short_n = (n >> 8) | 1
    assert short_n.bit_length() == 504 and valid_modulus(short_n)
    # An unbalanced pair whose product still has room for p in the declared prime
    # length: 505 bits give ⌈⌈505/2⌉/8⌉ = 32-byte primes, but p has 256 > 253 bits.
    unbalanced = (3 << 503) // p
    while not fixed.is_probable_prime(unbalanced):
        unbalanced += 1
    assert (p * unbalanced).bit_length() == 505 and prime_bytes(505) == prime_bytes(bits)

    invalid = [
        # Public keys.
        ("public key empty", "publicKey", b""),
        ("public key one byte", "publicKey", public[:1]),
        ("public key header only", "publicKey", public[:2]),
        ("public key wrong version 0", "publicKey", with_byte(public, 0, 0)),
        ("public key wrong version 2", "publicKey", with_byte(public, 0, 2)),
        ("public key wrong kind (ciphertext)", "publicKey", with_byte(public, 1, 3)),
        ("public key wrong kind (private key bytes)", "publicKey", private),
        ("public key one byte short", "publicKey", public[:-1]),
        ("public key one byte long", "publicKey", public + b"\x00"),
        ("public key declares 511 bits for a 512-bit n", "publicKey", public_key_encoding(511, n)),
        ("public key declares 520 bits for a 512-bit n", "publicKey", public_key_encoding(520, n)),
        ("public key 504-bit modulus padded to 64 bytes", "publicKey", public_key_encoding(504, short_n, 64)),
        ("public key 63-bit modulus", "publicKey", public_key_encoding(63, small_n)),
        ("public key even n", "publicKey", public_key_encoding(bits, n + 1)),
        ("public key n is a perfect square", "publicKey", public_key_encoding(bits, p * p)),
        # Private keys.
        ("private key wrong version", "privateKey", with_byte(private, 0, 2)),
        ("private key wrong kind (public key bytes)", "privateKey", public),
        ("private key one byte short", "privateKey", private[:-1]),
        ("private key one byte long", "privateKey", private + b"\x00"),
        ("private key declares 511 bits for a 512-bit n", "privateKey", private_key_encoding(511, p, q)),
        ("private key p not prime", "privateKey", private_key_encoding((not_prime * q).bit_length(), not_prime, q)),
        ("private key p equals q", "privateKey", private_key_encoding((p * p).bit_length(), p, p)),
        ("private key primes in increasing order", "privateKey", private_key_encoding(bits, q, p)),
        ("private key unequal prime sizes", "privateKey", private_key_encoding(505, p, unbalanced)),
        ("private key gcd(n, (p-1)(q-1)) != 1", "privateKey", private_key_encoding(sophie_bits, p, sophie)),
        # Ciphertexts under the fixed key.
        ("ciphertext empty", "ciphertext", b""),
        ("ciphertext wrong version", "ciphertext", with_byte(ciphertext_encoding(key, sample), 0, 2)),
        ("ciphertext wrong kind (public key)", "ciphertext", with_byte(ciphertext_encoding(key, sample), 1, 1)),
        ("ciphertext one byte short", "ciphertext", ciphertext_encoding(key, sample)[:-1]),
        ("ciphertext one byte long", "ciphertext", ciphertext_encoding(key, sample) + b"\x00"),
        ("ciphertext value 0", "ciphertext", ciphertext_encoding(key, 0)),
        ("ciphertext value n^2", "ciphertext", ciphertext_encoding(key, key.n2)),
        ("ciphertext value n^2+1 (a unit, out of range)", "ciphertext", ciphertext_encoding(key, key.n2 + 1)),
        ("ciphertext value all ff bytes", "ciphertext", b"\x01\x03" + b"\xff" * (2 * modulus_bytes(bits))),
        ("ciphertext value n", "ciphertext", ciphertext_encoding(key, n)),
        ("ciphertext value multiple of p", "ciphertext",
         ciphertext_encoding(key, p * (1 + derived("serialization/multiple-of-p", n * q - 1)))),
        ("ciphertext value q", "ciphertext", ciphertext_encoding(key, q)),
    ]
    parsers = {
        "publicKey": parse_public_key,
        "privateKey": parse_private_key,
        "ciphertext": lambda data: parse_ciphertext(key, data),
    }
    invalid_cases = []
    for name, kind, data in invalid:
        invalid_cases.append({"name": name, "kind": kind, "bytes": data.hex(), "error": refusal(lambda: parsers[kind](data))})
    return {
        "public_key": {"name": "fixed-512 public key", "bytes": public.hex()},
        "private_key": {"name": "fixed-512 private key", "bytes": private.hex()},
        "ciphertexts": ciphertexts,
        "invalid": invalid_cases,
    }


def packing_cases(key: Key) -> dict:
    top = key.max_signed
    layouts = []
    for name, bound, additions in [
        ("layout bits", 1, 1),
        ("layout bytes summed 7 times", 255, 7),
        ("layout 40-bit values no additions", 2**40 - 1, 1),
        ("layout 40-bit values 1000 additions", 2**40 - 1, 1000),
        ("layout slot sum a power of two", 2**31, 2),
        ("layout one slot of max_signed", top, 1),
    ]:
        w, k = packing_layout(key, bound, additions)
        s = bound * additions
        # Sanity of the definition: k slots of S fit, k + 1 do not, and S < 2^(w−1).
        assert s * sum(1 << (w * i) for i in range(k)) <= top < s * sum(1 << (w * i) for i in range(k + 1))
        assert s < 1 << (w - 1)
        layout = {"name": name, "bound": str(bound), "additions": additions, "slot_bits": w,
                  "slots_per_plaintext": k, "pack": [], "pack_invalid": [], "unpack": [], "unpack_invalid": []}

        def add_pack(case_name: str, values: list[int]) -> None:
            packed = pack(bound, w, k, values)
            assert all(abs(x) <= top for x in packed)
            assert unpack(w, k, packed, len(values)) == values
            layout["pack"].append({"name": f"{name}: {case_name}", "values": [str(v) for v in values],
                                   "packed": [str(x) for x in packed]})

        # Lengths that end mid-plaintext exercise the shorter last plaintext; capped so
        # that the one-bit layout (hundreds of slots) keeps the file small.
        length = min(k + 2, 12) if k > 1 else 3
        mixed = [derived(f"packing/{name}/mixed/{i}", 2 * bound + 1) - bound for i in range(length)]
        add_pack("mixed signs", mixed)
        add_pack("alternating at the bound", [bound if i % 2 == 0 else -bound for i in range(length)])
        add_pack("all at minus the bound", [-bound] * length)
        add_pack("zeros and ones", [[0, 1, -1][i % 3] for i in range(length)])
        add_pack("one full plaintext plus one value", [bound if i % 5 else -bound for i in range(k + 1)])
        if name == "layout bits":
            add_pack("empty vector", [])

        for case_name, index, value in [("bound+1 refused", length // 2, bound + 1),
                                        ("-(bound+1) refused", length - 1, -(bound + 1))]:
            values = [0] * length
            values[index] = value
            layout["pack_invalid"].append({"name": f"{name}: {case_name}", "values": [str(v) for v in values],
                                           "index": index, "error": refusal(lambda: pack(bound, w, k, values))})

        # A sum of `additions` packed vectors can put ±S in a slot; unpacking must
        # still recover every slot exactly (§6.2: no carry crosses a slot boundary).
        sums = [s if i % 2 == 0 else -s for i in range(length)]
        sums[0] = derived(f"packing/{name}/sum0", 2 * s + 1) - s
        packed_sum = pack(s, w, k, sums)
        assert all(abs(x) <= top for x in packed_sum)
        assert unpack(w, k, packed_sum, len(sums)) == sums
        layout["unpack"].append({"name": f"{name}: slot sums at +-S (S = bound*additions)", "count": len(sums),
                                 "packed": [str(x) for x in packed_sum], "values": [str(v) for v in sums]})

        mismatched = [0] * (-(-length // k) + 1)
        layout["unpack_invalid"].append({"name": f"{name}: one plaintext too many", "count": length,
                                         "packed": [str(x) for x in mismatched],
                                         "error": refusal(lambda: unpack(w, k, mismatched, length))})
        # A plaintext with a bit just above its last slot (as a sum past the headroom
        # would produce) must be refused, not silently truncated.
        beyond = [1 << (w * min(k, length))]
        layout["unpack_invalid"].append({"name": f"{name}: bits beyond the slots", "count": min(k, length),
                                         "packed": [str(x) for x in beyond],
                                         "error": refusal(lambda: unpack(w, k, beyond, min(k, length)))})
        layouts.append(layout)

    layouts_invalid = []
    for name, bound, additions in [
        ("layout bound 0 refused", 0, 1),
        ("layout negative bound refused", -5, 1),
        ("layout zero additions refused", 255, 0),
        ("layout bound max_signed+1 refused", top + 1, 1),
        ("layout max_signed with 2 additions refused", top, 2),
    ]:
        layouts_invalid.append({"name": name, "bound": str(bound), "additions": additions,
                                "error": refusal(lambda: packing_layout(key, bound, additions))})
    return {"layouts": layouts, "layouts_invalid": layouts_invalid}


def build() -> dict:
    fixed.check_fixed_key()
    key = Key(fixed.FIXED_P, fixed.FIXED_Q)
    textbook, textbook_invalid = textbook_cases(key)
    document = {
        "description": DESCRIPTION,
        "generator": "scripts/paillier-vectors.py (plain Python integers)",
        "key": {
            "name": fixed.FIXED_NAME, "bits": key.bits, "n": hx(key.n), "p": hx(key.p), "q": hx(key.q),
            "n_squared": hx(key.n2), "max_signed": hx(key.max_signed),
        },
        "textbook": textbook,
        "textbook_invalid": textbook_invalid,
        **signed_cases(key),
        "serialization": serialization_cases(key),
        "packing": packing_cases(key),
    }
    check_names(document)
    return document


def check_names(document: dict) -> None:
    """Every case named, names unique (tests report failures by name)."""
    names = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if "name" in node:
                names.append(node["name"])
            if "error" in node:
                assert node["error"] in ERROR_CODES, node["error"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                if isinstance(item, dict):
                    assert "name" in item, item
                walk(item)

    walk(document)
    duplicates = {name for name in names if names.count(name) > 1}
    assert not duplicates, duplicates


def render(document: dict) -> str:
    return json.dumps(document, indent=2) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description="Generate Fedstat's own Paillier test vectors.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", metavar="FILE", help="write the vector file")
    mode.add_argument("--check", metavar="FILE", help="require FILE to equal a fresh generation")
    arguments = parser.parse_args()

    try:
        text = render(build())
    except (AssertionError, ValueError) as error:
        print(f"paillier-vectors: FAIL: a generated case is inconsistent: {error!r}", file=sys.stderr)
        return 1

    if arguments.write:
        path = Path(arguments.write)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8") as handle:
            handle.write(text)
            temporary = handle.name
        # NamedTemporaryFile creates mode 0600; a vector file is public, so give it the
        # mode an ordinary new file would get.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
        print(f"paillier-vectors: wrote {path}")
        return 0

    try:
        current = Path(arguments.check).read_text(encoding="utf-8")
    except OSError as error:
        print(f"paillier-vectors: FAIL: cannot read {arguments.check}: {error}", file=sys.stderr)
        return 1
    if current != text:
        print(f"paillier-vectors: FAIL: {arguments.check} differs from a fresh generation; run `make vectors`",
              file=sys.stderr)
        return 1
    print(f"paillier-vectors: OK: {arguments.check} matches a fresh generation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
