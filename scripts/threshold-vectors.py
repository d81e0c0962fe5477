#!/usr/bin/env python3
"""Fedstat's threshold Paillier test vectors, computed from `Protocols/threshold-paillier.md`
with plain Python integers (no Fedstat code, no Paillier library).

    threshold-vectors.py --write DIR   write DIR/small-3-of-5.json and DIR/2048-3-of-5.json
    threshold-vectors.py --check DIR   regenerate in memory; require the files in DIR to be identical

This is a second, independent reading of the spec: the dealer (§2), textbook encryption
(`paillier.md` §3), partial decryption (§3), the proof and its transcript byte for byte
(§4), verification (§4.3), combination with integer Lagrange coefficients (§5) and the
encodings (§6). Everything is deterministic: the primes are hard-coded and every "random"
number (polynomial coefficients, the root of v, encryption randomness, the proofs' r, the
query ids) is derived from a label naming it, so a regeneration gives the same bytes and
`--check` can tell whether the committed files still match this script.

Each result is confirmed by a route that does not share the step it checks: the dealer's
d and shares against their defining congruences, every combination against ordinary
λ-decryption with the primes, every proof by the reference verifier, and every negative
case by the reference verifier, combiner or parser refusing it with the expected error
code and party. Every negative case has exactly one defect, so its expected code does not
depend on the order in which an implementation runs its checks.

Modular exponentiation goes through gmpy2 when it is installed (it is in the venv of
Benchmarks/requirements.txt) and through Python's `pow` otherwise; the output is the same.
"""

import argparse
import hashlib
import json
import math
import os
import sys
import tempfile
import traceback
from fractions import Fraction
from pathlib import Path

# The shared fixed key and label-derived randomness live next to this script.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import paillier_fixed_key as fixed  # noqa: E402

try:
    import gmpy2
except ImportError:  # pragma: no cover - the venv has it; plain pow gives the same numbers
    gmpy2 = None

# Raw values of `ThresholdError.Code` (Sources/Paillier/ThresholdDecryption.swift) that
# cases may expect; a typo in a case is caught when generating.
ERROR_CODES = {
    "invalidKey", "invalidShare", "indexOutOfRange", "duplicateNode", "notEnoughShares",
    "wrongCiphertext", "invalidProof", "invalidQueryID", "invalidEncoding",
}

# Two 1024-bit safe primes (p = 2p' + 1 with p' prime) with their two top bits set, so
# n = p·q has exactly 2048 bits. Made once with `openssl prime -generate -safe -bits 1024`;
# `check_primes` verifies what matters every time the script runs.
P_2048 = int(
    "f6e947dfcc21ab412da8a8602eb66efb5a6fba61a536bf61e63a4affe0d777fde05865c2fab489c41d2dc58133599ef9"
    "8dc7bd7ae9c7353dc585438af39328c9dd1a30df24a4bf38d1a74fff02ed2128cdc4fed7e67184da4da3ad68656160b8"
    "fa8ad6591261bb2aac7d7d7eea93ab104b1548d7b168b88584f5eb4a0e471643", 16)
Q_2048 = int(
    "e98d70f98d742ea0aec607ff937e6293aeed0d934303394b6a762bbdbfdf601dca2be34897424cca47c6efbe81ebffe1"
    "e0bfa3eb6b73e16f684b9d747f1fd289f688c8a2687004ed0f1a892c4e78361f70befa7ae481bf310225640796ef7944"
    "2606d2196a312f791d346c924363ee85df14098d5094b90c43e50aec34c4eba3", 16)

# §4.2: the domain tag, 54 ASCII characters and one zero byte.
PROOF_TAG = b"fedstat/threshold-paillier/v1/partial-decryption-proof\x00"
QUERY_ID_LENGTH = 16

# Kind bytes (§6 and paillier.md §7).
VERSION = 1
KIND_CIPHERTEXT = 3
KIND_PUBLIC_KEY = 4
KIND_PARTIAL = 5
KIND_SHARE = 6

DESCRIPTION = (
    "Fedstat threshold Paillier vectors (Protocols/threshold-paillier.md), computed by "
    "scripts/threshold-vectors.py in plain Python integer arithmetic, independently of Fedstat's "
    "code. Test keys only: the primes are published. Conventions: integers (p, q, n, n_squared, "
    "delta, v, verification_keys, shares, dealer values, m, r, c, proof_randomness, a, b, value, "
    "challenge, response, residue) are unsigned lowercase hexadecimal without prefix or padding; "
    "fields named bytes, digest, query_id and transcript are byte strings as even-length "
    "lowercase hex; threshold, parties, party, bits, proof_random_bits and node are JSON numbers. "
    "key: the dealer's output (section 2) for the given safe primes p, q with threshold t and "
    "parties l: delta = l!, v = x^2 mod n^2, verification_keys[i-1] = v^(delta*s_i) mod n^2, "
    "shares[i-1] = s_i = f(i) mod n*m for f(X) = d + a_1 X + ... with d = m*(m^-1 mod n), "
    "m = p'q'; key.dealer holds m, d, the coefficients a_1 ... a_(t-1) and x (informational: a real "
    "dealer forgets them); public_key_bytes "
    "is the threshold public key encoding (kind 04) and share_bytes[i-1] the key share encoding "
    "(kind 06) of party i; proof_random_bits is B of section 4.1. query_id is the 16-byte query "
    "id every listed partial decryption is bound to. ciphertexts: textbook encryptions "
    "c = (1 + m*n) * r^n mod n^2 with bytes = 01 03 | c and digest = SHA-256(bytes); partials "
    "lists, for every party, the partial decryption made with the given proof_randomness r: "
    "value = c_i = c^(2*delta*s_i) mod n^2, a = (c^4)^r, b = v^r (both mod n^2), challenge "
    "e = SHA-256(transcript) (section 4.2), response z = r + e*delta*s_i, and bytes, its "
    "encoding (kind 05); transcript, present on the first partial of the first ciphertext only, "
    "is the hashed transcript itself (informational, for locating a transcript mismatch). combinations: combining the listed parties' partial "
    "decryptions in the listed order (the first t are used, all are verified) gives residue "
    "= m. negative_partials: operation 'verify' checks the single listed partial decryption "
    "against the named ciphertext and query_id; 'combine' combines the listed partials in "
    "order; a partial is either {ciphertext, party} (that listed partial decryption) or "
    "{bytes} (an encoding to parse with the key); the operation must throw ThresholdError with "
    "code error and node equal to node (null: no party named). negative_encodings: parsing "
    "bytes as kind publicKey (ThresholdPublicKey(serialized:)), keyShare "
    "(ThresholdKeyShare(serialized:publicKey:) with this file's key) or partialDecryption "
    "(PartialDecryption(serialized:for:) with this file's key) must throw error; where node is "
    "present the error must name that party. Every case has a unique name."
)


class Refused(Exception):
    """A reference operation refusing its input: the error code and the party it names."""

    def __init__(self, code: str, node: int | None = None):
        assert code in ERROR_CODES, code
        super().__init__(code, node)
        self.code = code
        self.node = node


def powmod(base: int, exponent: int, modulus: int) -> int:
    """base^exponent mod modulus; a negative exponent inverts base first."""
    if exponent < 0:
        base = pow(base, -1, modulus)
        exponent = -exponent
    if gmpy2 is not None:
        return int(gmpy2.powmod(base, exponent, modulus))
    return pow(base, exponent, modulus)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def u16(value: int) -> bytes:
    return value.to_bytes(2, "big")


def hx(value: int) -> str:
    return f"{value:x}"


# ---------------------------------------------------------------------------------
# Keys.


def check_primes(name: str, p: int, q: int, bits: int) -> None:
    """Raise ValueError unless p > q are safe primes of bits/2 bits with p·q of `bits` bits."""
    for label, prime in (("p", p), ("q", q)):
        if not fixed.is_probable_prime(prime):
            raise ValueError(f"{name}: {label} is not prime")
        if not fixed.is_probable_prime((prime - 1) // 2):
            raise ValueError(f"{name}: {label} is not a safe prime")
        if prime.bit_length() != bits // 2 or prime >> (bits // 2 - 2) != 3:
            raise ValueError(f"{name}: {label} does not have {bits // 2} bits with the top two set")
    n = p * q
    if p <= q:
        raise ValueError(f"{name}: p must be the larger prime")
    if n.bit_length() != bits:
        raise ValueError(f"{name}: n does not have {bits} bits")
    if math.gcd(n, (p - 1) * (q - 1)) != 1:
        raise ValueError(f"{name}: gcd(n, (p-1)(q-1)) != 1")
    if (p - q).bit_length() <= bits // 2 - 100:
        raise ValueError(f"{name}: p and q too close")


class Key:
    """The public part of a threshold key (n, t, ℓ, v, v_1 … v_ℓ), with the derived sizes."""

    def __init__(self, n: int, t: int, parties: int, v: int, vks: list[int]):
        self.n, self.t, self.l, self.v, self.vks = n, t, parties, v, vks
        self.n2 = n * n
        self.bits = n.bit_length()
        self.nb = (self.bits + 7) // 8
        self.delta = math.factorial(parties)
        # §4.1: B = |n²| + |Δ| + 256 + 128.
        self.B = self.n2.bit_length() + self.delta.bit_length() + 256 + 128
        self.zb = (self.B + 1 + 7) // 8

    def vk(self, i: int) -> int:
        return self.vks[i - 1]


class Dealt:
    """The dealer's output plus the secrets it forgets (kept here to document the vectors)."""

    def __init__(self, label: str, p: int, q: int, t: int, parties: int):
        n = p * q
        n2 = n * n
        m = ((p - 1) // 2) * ((q - 1) // 2)
        nm = n * m
        # §2.2: d ≡ 0 (mod m), d ≡ 1 (mod n).
        d = m * pow(m, -1, n)
        assert 0 < d < nm and d % m == 0 and d % n == 1
        # §2.3: f(X) = d + a_1 X + … + a_{t−1} X^{t−1} over Z_{nm}.
        coefficients = [d] + [fixed.derived_int(f"{label}/dealer/a{j}", nm) for j in range(1, t)]
        shares = [sum(a * i ** j for j, a in enumerate(coefficients)) % nm for i in range(1, parties + 1)]
        # §2.5: x uniform in Z*_{n²}.
        attempt = 0
        while True:
            x = fixed.derived_int(f"{label}/dealer/x/{attempt}", n2)
            if x > 0 and math.gcd(x, n) == 1:
                break
            attempt += 1
        v = x * x % n2
        delta = math.factorial(parties)
        vks = [powmod(v, delta * s, n2) for s in shares]
        # v is a square, so its order divides n·m (the group of squares of Z*_{n²}).
        assert powmod(v, nm, n2) == 1
        assert v != 1 and all(value != 1 for value in vks)
        self.p, self.q, self.m, self.d, self.coefficients, self.x = p, q, m, d, coefficients, x
        self.shares = shares
        self.key = Key(n, t, parties, v, vks)
        # Ordinary decryption with λ, a route that shares nothing with §5.
        self.lam = math.lcm(p - 1, q - 1)
        self.mu = pow((powmod(n + 1, self.lam, n2) - 1) // n, -1, n)

    def decrypt(self, c: int) -> int:
        n = self.key.n
        return (powmod(c, self.lam, self.key.n2) - 1) // n * self.mu % n


def encrypt(key: Key, m: int, r: int) -> int:
    assert 0 <= m < key.n and 0 < r < key.n and math.gcd(r, key.n) == 1
    return (1 + m * key.n) * powmod(r, key.n, key.n2) % key.n2


# ---------------------------------------------------------------------------------
# Encodings (§6 and paillier.md §7).


def ciphertext_encoding(key: Key, c: int) -> bytes:
    return bytes([VERSION, KIND_CIPHERTEXT]) + c.to_bytes(2 * key.nb, "big")


def public_key_encoding(key: Key, bits: int | None = None, t: int | None = None) -> bytes:
    out = bytes([VERSION, KIND_PUBLIC_KEY]) + u16(key.bits if bits is None else bits)
    out += u16(key.t if t is None else t) + u16(key.l) + key.n.to_bytes(key.nb, "big")
    for value in [key.v] + key.vks:
        out += value.to_bytes(2 * key.nb, "big")
    assert len(out) == 8 + key.nb + 2 * key.nb * (key.l + 1)
    return out


def share_encoding(key: Key, i: int, s: int, t: int | None = None, parties: int | None = None) -> bytes:
    out = bytes([VERSION, KIND_SHARE]) + u16(key.bits) + u16(key.t if t is None else t)
    out += u16(key.l if parties is None else parties) + u16(i) + s.to_bytes(2 * key.nb, "big")
    assert len(out) == 10 + 2 * key.nb
    return out


class Partial:
    def __init__(self, index: int, digest: bytes, value: int, e: int, z: int):
        self.index, self.digest, self.value, self.e, self.z = index, digest, value, e, z

    def relabelled(self, **changes) -> "Partial":
        fields = {"index": self.index, "digest": self.digest, "value": self.value, "e": self.e, "z": self.z}
        fields.update(changes)
        return Partial(**fields)


def partial_encoding(key: Key, pd: Partial) -> bytes:
    out = bytes([VERSION, KIND_PARTIAL]) + u16(pd.index) + pd.digest + pd.value.to_bytes(2 * key.nb, "big")
    out += pd.e.to_bytes(32, "big") + pd.z.to_bytes(key.zb, "big")
    # 2 + 2 + 32 + 2nb + 32 + zb by the layout of §6. (The table's length column says
    # 36 + 2nb + zb, which leaves out the 32 bytes of e; the layout is what counts.)
    assert len(out) == 68 + 2 * key.nb + key.zb
    return out


def parse_header(data: bytes, kind: int) -> None:
    if len(data) < 2 or data[0] != VERSION or data[1] != kind:
        raise Refused("invalidEncoding")


def valid_modulus(n: int, parties: int) -> bool:
    # paillier.md §2: odd, ≥ 64 bits, not a square; and every prime factor larger than ℓ
    # (§5: 4Δ² must be invertible modulo n).
    return (n % 2 == 1 and n.bit_length() >= 64 and math.isqrt(n) ** 2 != n
            and math.gcd(n, math.factorial(parties)) == 1)


def parse_public_key(data: bytes) -> Key:
    parse_header(data, KIND_PUBLIC_KEY)
    if len(data) < 8:
        raise Refused("invalidEncoding")
    bits, t, parties = (int.from_bytes(data[k:k + 2], "big") for k in (2, 4, 6))
    nb = (bits + 7) // 8
    if len(data) != 8 + nb + 2 * nb * (parties + 1):
        raise Refused("invalidEncoding")
    n = int.from_bytes(data[8:8 + nb], "big")
    values = [int.from_bytes(data[8 + nb + 2 * nb * k:8 + nb + 2 * nb * (k + 1)], "big") for k in range(parties + 1)]
    if n.bit_length() != bits or not valid_modulus(n, parties) or not 1 <= t <= parties <= 255:
        raise Refused("invalidKey")
    if any(not (1 < value < n * n and math.gcd(value, n) == 1) for value in values):
        raise Refused("invalidKey")
    return Key(n, t, parties, values[0], values[1:])


def parse_share(key: Key, data: bytes) -> tuple[int, int]:
    parse_header(data, KIND_SHARE)
    if len(data) != 10 + 2 * key.nb:
        raise Refused("invalidEncoding")
    bits, t, parties, i = (int.from_bytes(data[k:k + 2], "big") for k in (2, 4, 6, 8))
    s = int.from_bytes(data[10:], "big")
    if (bits, t, parties) != (key.bits, key.t, key.l):
        raise Refused("invalidShare")
    # §6 lists "index in range" among the share checks; no case here pins its code.
    assert 1 <= i <= key.l, "a share index out of range is not used by any case"
    if powmod(key.v, key.delta * s, key.n2) != key.vk(i):
        raise Refused("invalidShare", i)
    return i, s


def parse_partial(key: Key, data: bytes) -> Partial:
    parse_header(data, KIND_PARTIAL)
    if len(data) != 68 + 2 * key.nb + key.zb:
        raise Refused("invalidEncoding")
    index = int.from_bytes(data[2:4], "big")
    digest = data[4:36]
    at = 36
    value = int.from_bytes(data[at:at + 2 * key.nb], "big")
    at += 2 * key.nb
    e = int.from_bytes(data[at:at + 32], "big")
    z = int.from_bytes(data[at + 32:], "big")
    return Partial(index, digest, value, e, z)


# ---------------------------------------------------------------------------------
# Partial decryption, proof, verification, combination (§3–5).


def transcript(key: Key, i: int, c: int, ci: int, a: int, b: int, query_id: bytes) -> bytes:
    """§4.2, field by field."""
    assert len(PROOF_TAG) == 55 and len(query_id) == QUERY_ID_LENGTH
    out = PROOF_TAG
    out += u16(key.bits) + u16(key.t) + u16(key.l) + u16(i)
    out += key.n.to_bytes(key.nb, "big")
    for value in (key.v, key.vk(i), c, ci, a, b):
        out += value.to_bytes(2 * key.nb, "big")
    out += query_id
    assert len(out) == 55 + 8 + key.nb + 6 * 2 * key.nb + 16
    return out


def challenge(key: Key, i: int, c: int, ci: int, a: int, b: int, query_id: bytes) -> int:
    return int.from_bytes(sha256(transcript(key, i, c, ci, a, b, query_id)), "big")


def partial_decrypt(key: Key, i: int, s: int, c: int, query_id: bytes, r: int) -> tuple[Partial, int, int]:
    """Party i's c_i with its proof for randomness r; also returns a and b."""
    assert 0 <= r < 1 << key.B
    ci = powmod(c, 2 * key.delta * s, key.n2)
    a = powmod(powmod(c, 4, key.n2), r, key.n2)
    b = powmod(key.v, r, key.n2)
    e = challenge(key, i, c, ci, a, b, query_id)
    z = r + e * key.delta * s
    assert z < 1 << (key.B + 1)
    digest = sha256(ciphertext_encoding(key, c))
    return Partial(i, digest, ci, e, z), a, b


def verify(key: Key, pd: Partial, c: int, query_id: bytes) -> None:
    """§4.3, in its order; refusals name party i."""
    if len(query_id) != QUERY_ID_LENGTH:
        raise Refused("invalidQueryID")
    i = pd.index
    if not 1 <= i <= key.l:
        raise Refused("indexOutOfRange", i)
    if pd.digest != sha256(ciphertext_encoding(key, c)):
        raise Refused("wrongCiphertext", i)
    n2 = key.n2
    if not (0 < pd.value < n2 and math.gcd(pd.value, key.n) == 1 and 0 <= pd.e < 1 << 256
            and 0 <= pd.z < 1 << (key.B + 1)):
        raise Refused("invalidProof", i)
    a = powmod(c, 4 * pd.z, n2) * powmod(pd.value, -2 * pd.e, n2) % n2
    b = powmod(key.v, pd.z, n2) * powmod(key.vk(i), -pd.e, n2) % n2
    if challenge(key, i, c, pd.value, a, b, query_id) != pd.e:
        raise Refused("invalidProof", i)


def lagrange(key: Key, indices: list[int], i: int) -> int:
    """μ_i = Δ · Π_{j ≠ i} j / (j − i), exactly, as a fraction that must be an integer."""
    mu = Fraction(key.delta)
    for j in indices:
        if j != i:
            mu *= Fraction(j, j - i)
    assert mu.denominator == 1
    return mu.numerator


def combine(key: Key, partials: list[Partial], c: int, query_id: bytes) -> int:
    """§5: the plaintext residue M, or a refusal.

    §5 does not fix the order of its checks; this one verifies each partial as it goes
    (Fedstat checks every index first, then verifies). The negative cases each have one
    defect, so both orders give the same refusal.
    """
    if len(partials) < key.t:
        raise Refused("notEnoughShares")
    seen: set[int] = set()
    for pd in partials:
        if pd.index in seen:
            raise Refused("duplicateNode", pd.index)
        seen.add(pd.index)
        verify(key, pd, c, query_id)
    used = partials[:key.t]
    indices = [pd.index for pd in used]
    product = 1
    for pd in used:
        product = product * powmod(pd.value, 2 * lagrange(key, indices, pd.index), key.n2) % key.n2
    assert (product - 1) % key.n == 0
    return (product - 1) // key.n * pow(4 * key.delta * key.delta, -1, key.n) % key.n


def refusal(operation) -> Refused:
    try:
        operation()
    except Refused as refused:
        return refused
    raise AssertionError("a negative case was accepted by the reference implementation")


# ---------------------------------------------------------------------------------
# The vector files.


class Spec:
    """What one file holds."""

    def __init__(self, file: str, label: str, p: int, q: int, bits: int, t: int, parties: int,
                 messages: list, combinations: dict, full_negatives: bool):
        self.file, self.label, self.p, self.q, self.bits = file, label, p, q, bits
        self.t, self.parties, self.messages, self.combinations = t, parties, messages, combinations
        self.full_negatives = full_negatives


def specs() -> list[Spec]:
    small_combinations = [[1, 2, 3], [3, 4, 5], [1, 3, 5], [5, 3, 1], [2, 5, 4], [4, 1, 2, 5], [1, 2, 3, 4, 5]]
    return [
        Spec(
            file="small-3-of-5.json", label="threshold-vectors/small-3-of-5",
            p=fixed.FIXED_P, q=fixed.FIXED_Q, bits=fixed.FIXED_BITS, t=3, parties=5,
            # (name, residue m or a function of n, encryption randomness r or None to derive)
            # The first two also serve the negative cases, so they are ordinary ciphertexts.
            messages=[
                ("m=42", 42, None),
                ("m random residue", "random", None),
                ("m=0 r=1 (c = 1)", 0, 1),
                ("m=1", 1, None),
                ("m=n-1 (signed -1)", lambda n: n - 1, None),
                ("m=n//3-1 (signed maximum)", lambda n: n // 3 - 1, None),
            ],
            combinations={
                "default": small_combinations,
                # Every t-subset, in increasing and in decreasing order, for one ciphertext.
                "m random residue": [list(s) for s in _subsets([1, 2, 3, 4, 5], 3)]
                + [list(reversed(s)) for s in _subsets([1, 2, 3, 4, 5], 3)] + [[4, 1, 2, 5], [1, 2, 3, 4, 5]],
            },
            full_negatives=True,
        ),
        Spec(
            file="2048-3-of-5.json", label="threshold-vectors/2048-3-of-5",
            p=P_2048, q=Q_2048, bits=2048, t=3, parties=5,
            messages=[("m=42", 42, None), ("m random residue", "random", None)],
            combinations={
                "m=42": [[1, 2, 3], [5, 3, 1], [2, 4, 5, 1]],
                "m random residue": [[3, 4, 5], [4, 2, 5]],
            },
            full_negatives=False,
        ),
    ]


def _subsets(items: list[int], k: int) -> list[tuple[int, ...]]:
    if k == 0:
        return [()]
    if len(items) < k:
        return []
    first, rest = items[0], items[1:]
    return [(first,) + s for s in _subsets(rest, k - 1)] + _subsets(rest, k)


def build(spec: Spec) -> dict:
    check_primes(spec.file, spec.p, spec.q, spec.bits)
    dealt = Dealt(spec.label, spec.p, spec.q, spec.t, spec.parties)
    key = dealt.key
    n, n2 = key.n, key.n2
    assert key.bits == spec.bits
    # Every prime factor of n exceeds ℓ, so 4Δ² is invertible modulo n (§5).
    assert math.gcd(4 * key.delta * key.delta, n) == 1

    # The dealer's sharing: any t shares recombine to Δ·d modulo nm.
    nm = n * dealt.m
    for subset in _subsets(list(range(1, key.l + 1)), key.t):
        total = sum(lagrange(key, list(subset), i) * dealt.shares[i - 1] for i in subset)
        assert total % nm == key.delta * dealt.d % nm

    public = public_key_encoding(key)
    assert parse_public_key(public).vks == key.vks
    share_bytes = [share_encoding(key, i, s) for i, s in enumerate(dealt.shares, start=1)]
    for i, data in enumerate(share_bytes, start=1):
        assert parse_share(key, data) == (i, dealt.shares[i - 1])

    query_id = fixed.derived_int(f"{spec.label}/query-id", 1 << 128).to_bytes(16, "big")
    other_query_id = fixed.derived_int(f"{spec.label}/other-query-id", 1 << 128).to_bytes(16, "big")
    assert query_id != other_query_id

    def proof_r(tag: str) -> int:
        return fixed.derived_int(f"{spec.label}/proof/{tag}", 1 << key.B)

    ciphertexts = []
    honest: dict[str, dict[int, Partial]] = {}
    values: dict[str, int] = {}
    for name, m_spec, r in spec.messages:
        if m_spec == "random":
            m = fixed.derived_int(f"{spec.label}/message/{name}", n)
        elif callable(m_spec):
            m = m_spec(n)
        else:
            m = m_spec
        if r is None:
            r = fixed.derived_unit(f"{spec.label}/encryption/{name}", n)
        c = encrypt(key, m, r)
        assert dealt.decrypt(c) == m
        c_bytes = ciphertext_encoding(key, c)
        partials = []
        honest[name] = {}
        values[name] = c
        for i in range(1, key.l + 1):
            rr = proof_r(f"{name}/party{i}")
            pd, a, b = partial_decrypt(key, i, dealt.shares[i - 1], c, query_id, rr)
            verify(key, pd, c, query_id)
            data = partial_encoding(key, pd)
            parsed = parse_partial(key, data)
            assert vars(parsed) == vars(pd)
            honest[name][i] = pd
            entry = {
                "party": i, "proof_randomness": hx(rr), "value": hx(pd.value), "a": hx(a), "b": hx(b),
                "challenge": hx(pd.e), "response": hx(pd.z), "bytes": data.hex(),
            }
            if not ciphertexts and i == 1:
                entry["transcript"] = transcript(key, i, c, pd.value, a, b, query_id).hex()
            partials.append(entry)
        combinations = []
        for parties in spec.combinations.get(name, spec.combinations.get("default", [])):
            residue = combine(key, [honest[name][i] for i in parties], c, query_id)
            assert residue == m, (name, parties)
            combinations.append({"name": f"{name}: combine {parties}", "parties": parties, "residue": hx(residue)})
        ciphertexts.append({
            "name": name, "m": hx(m), "r": hx(r), "c": hx(c), "bytes": c_bytes.hex(),
            "digest": sha256(c_bytes).hex(), "partials": partials, "combinations": combinations,
        })

    names = [message[0] for message in spec.messages]
    document = {
        "description": DESCRIPTION,
        "generator": "scripts/threshold-vectors.py (plain Python integers)",
        "name": spec.file.removesuffix(".json"),
        "key": {
            "bits": key.bits, "threshold": key.t, "parties": key.l,
            "p": hx(dealt.p), "q": hx(dealt.q), "n": hx(n), "n_squared": hx(n2), "delta": hx(key.delta),
            "v": hx(key.v), "verification_keys": [hx(x) for x in key.vks], "shares": [hx(s) for s in dealt.shares],
            "proof_random_bits": key.B,
            "dealer": {"m": hx(dealt.m), "d": hx(dealt.d), "coefficients": [hx(a) for a in dealt.coefficients[1:]],
                       "x": hx(dealt.x)},
            "public_key_bytes": public.hex(),
            "share_bytes": [data.hex() for data in share_bytes],
        },
        "query_id": query_id.hex(),
        "ciphertexts": ciphertexts,
        "negative_partials": negative_partials(dealt, honest, values, names, query_id, other_query_id, proof_r),
        "negative_encodings": negative_encodings(spec, dealt, honest, values, names, public, share_bytes),
    }
    check_names(document)
    return document


def negative_partials(dealt, honest, values, names, query_id, other_query_id, proof_r) -> list:
    key = dealt.key
    first, second = names[0], names[1]
    c = values[first]
    n, n2 = key.n, key.n2

    def ref(i: int, name: str = first) -> dict:
        return {"ciphertext": name, "party": i}

    def raw(pd: Partial) -> dict:
        return {"bytes": partial_encoding(key, pd).hex()}

    def resolve(item: dict) -> Partial:
        if "bytes" in item:
            return parse_partial(key, bytes.fromhex(item["bytes"]))
        return honest[item["ciphertext"]][item["party"]]

    h = honest[first]
    # Party 3 sends c_3·(1 + n): still a unit, a wrong value.
    tampered_value = h[3].relabelled(value=h[3].value * (n + 1) % n2)
    tampered_response = h[3].relabelled(z=h[3].z + 1)
    tampered_challenge = h[3].relabelled(e=(h[3].e + 1) % (1 << 256))
    not_a_unit = h[3].relabelled(value=dealt.p * h[3].value % n2)
    zero_value = h[3].relabelled(value=0)
    # Party 4's honest partial decryption of the second ciphertext, and the same with its
    # digest relabelled to name the first ciphertext.
    other_ciphertext = honest[second][4]
    other_relabelled = other_ciphertext.relabelled(digest=h[4].digest)
    # Party 3's partial decryption of the first ciphertext bound to another query id.
    other_query = partial_decrypt(key, 3, dealt.shares[2], c, other_query_id, proof_r(f"{first}/party3/other-query"))[0]
    verify(key, other_query, c, other_query_id)
    # Party 1's partial decryption passed off as party 2's.
    stolen = h[1].relabelled(index=2)
    index0 = h[1].relabelled(index=0)
    index_past = h[1].relabelled(index=key.l + 1)

    cases = [
        # (name, operation, partials, expected code, expected node)
        ("verify: tampered value c_3", "verify", [raw(tampered_value)], "invalidProof", 3),
        ("verify: tampered response z", "verify", [raw(tampered_response)], "invalidProof", 3),
        ("verify: tampered challenge e", "verify", [raw(tampered_challenge)], "invalidProof", 3),
        ("verify: value c_3 not a unit (multiple of p)", "verify", [raw(not_a_unit)], "invalidProof", 3),
        ("verify: value c_3 = 0", "verify", [raw(zero_value)], "invalidProof", 3),
        ("verify: partial decryption of another ciphertext", "verify", [ref(4, second)], "wrongCiphertext", 4),
        ("verify: another ciphertext's proof relabelled with this digest", "verify", [raw(other_relabelled)],
         "invalidProof", 4),
        ("verify: proof bound to another query id", "verify", [raw(other_query)], "invalidProof", 3),
        ("verify: party 1's proof relabelled as party 2", "verify", [raw(stolen)], "invalidProof", 2),
        ("verify: index 0", "verify", [raw(index0)], "indexOutOfRange", 0),
        (f"verify: index l+1 = {key.l + 1}", "verify", [raw(index_past)], "indexOutOfRange", key.l + 1),
        ("combine: tampered value c_3 among honest partials", "combine", [ref(1), raw(tampered_value), ref(5)],
         "invalidProof", 3),
        ("combine: tampered response z", "combine", [ref(5), ref(1), raw(tampered_response)], "invalidProof", 3),
        ("combine: partial decryption of another ciphertext", "combine", [ref(1), ref(2), ref(4, second)],
         "wrongCiphertext", 4),
        ("combine: another ciphertext's proof relabelled with this digest", "combine",
         [ref(1), ref(2), raw(other_relabelled)], "invalidProof", 4),
        ("combine: proof bound to another query id", "combine", [ref(1), ref(2), raw(other_query)], "invalidProof", 3),
        ("combine: party 1's proof relabelled as party 2", "combine", [ref(3), raw(stolen), ref(4)], "invalidProof", 2),
        ("combine: bad partial beyond the first t is still verified", "combine",
         [ref(1), ref(2), ref(5), raw(tampered_value)], "invalidProof", 3),
        ("combine: duplicate party 2", "combine", [ref(1), ref(2), ref(2)], "duplicateNode", 2),
        ("combine: duplicate party 1 beyond the first t", "combine", [ref(1), ref(2), ref(3), ref(1)],
         "duplicateNode", 1),
        ("combine: index 0", "combine", [ref(1), ref(2), raw(index0)], "indexOutOfRange", 0),
        (f"combine: index l+1 = {key.l + 1}", "combine", [ref(1), raw(index_past), ref(2)], "indexOutOfRange",
         key.l + 1),
        ("combine: t-1 partials", "combine", [ref(1), ref(4)], "notEnoughShares", None),
        ("combine: no partials", "combine", [], "notEnoughShares", None),
    ]
    out = []
    for name, operation, items, code, node in cases:
        partials = [resolve(item) for item in items]
        if operation == "verify":
            assert len(partials) == 1
            refused = refusal(lambda: verify(key, partials[0], c, query_id))
        else:
            refused = refusal(lambda: combine(key, partials, c, query_id))
        assert (refused.code, refused.node) == (code, node), (name, refused.code, refused.node)
        out.append({"name": name, "operation": operation, "ciphertext": first, "query_id": query_id.hex(),
                    "partials": items, "error": code, "node": node})
    return out


def negative_encodings(spec, dealt, honest, values, names, public, share_bytes) -> list:
    key = dealt.key
    n, n2, p = key.n, key.n2, dealt.p
    partial = partial_encoding(key, honest[names[0]][1])

    def with_byte(data: bytes, index: int, value: int) -> bytes:
        return data[:index] + bytes([value]) + data[index + 1:]

    def public_with(n_value: int | None = None, v: int | None = None, vk: tuple[int, int] | None = None,
                    bits: int | None = None, vks: list[int] | None = None) -> bytes:
        k = Key(key.n if n_value is None else n_value, key.t, key.l, key.v if v is None else v,
                list(key.vks if vks is None else vks))
        if vk is not None:
            k.vks[vk[0] - 1] = vk[1]
        k.bits, k.nb = key.bits, key.nb  # keep the layout of this key
        return public_key_encoding(k, bits=bits)

    # A modulus of the right size that is not a valid threshold modulus because 3 divides
    # it (4Δ² not invertible). The key's v and v_i need not be units modulo it, so that
    # encoding carries small powers of 4 instead: units modulo any odd number, and the
    # modulus stays the only defect.
    multiple_of_3 = 3 * (n // 3)
    if multiple_of_3 % 2 == 0:
        multiple_of_3 -= 3
    assert multiple_of_3 % 6 == 3 and multiple_of_3.bit_length() == key.bits
    fours = [4 ** (k + 1) for k in range(key.l + 1)]
    # n = p², a perfect square of the same size.
    square = p * p
    assert square.bit_length() == key.bits

    s1 = dealt.shares[0]
    E, K, S = "invalidEncoding", "invalidKey", "invalidShare"
    cases = [
        # (name, parser, bytes, expected code, party the error must name or None)
        # Threshold public keys.
        ("public key empty", "publicKey", b"", E, None),
        ("public key header only", "publicKey", public[:2], E, None),
        ("public key wrong version 0", "publicKey", with_byte(public, 0, 0), E, None),
        ("public key wrong version 2", "publicKey", with_byte(public, 0, 2), E, None),
        ("public key wrong kind (05)", "publicKey", with_byte(public, 1, KIND_PARTIAL), E, None),
        ("public key wrong kind (key share bytes)", "publicKey", share_bytes[0], E, None),
        ("public key one byte short", "publicKey", public[:-1], E, None),
        ("public key one byte long", "publicKey", public + b"\x00", E, None),
        ("public key missing the last verification key", "publicKey", public[:-2 * key.nb], E, None),
        ("public key declares bits-1 for its modulus", "publicKey", public_with(bits=key.bits - 1), K, None),
        ("public key verification base v = 1", "publicKey", public_with(v=1), K, None),
        ("public key verification key v_2 = 0", "publicKey", public_with(vk=(2, 0)), K, None),
        ("public key verification key v_3 = n^2", "publicKey", public_with(vk=(3, n2)), K, None),
        ("public key verification key v_4 a multiple of p", "publicKey",
         public_with(vk=(4, p * key.vk(4) % n2)), K, None),
        ("public key even modulus", "publicKey", public_with(n_value=n + 1), K, None),
        ("public key modulus a perfect square", "publicKey", public_with(n_value=square), K, None),
        ("public key modulus divisible by 3 (4*delta^2 not invertible)", "publicKey",
         public_with(n_value=multiple_of_3, v=fours[0], vks=fours[1:]), K, None),
        # Key shares, parsed with this file's public key.
        ("key share empty", "keyShare", b"", E, None),
        ("key share wrong version", "keyShare", with_byte(share_bytes[0], 0, 2), E, None),
        ("key share wrong kind (04)", "keyShare", with_byte(share_bytes[0], 1, KIND_PUBLIC_KEY), E, None),
        ("key share one byte short", "keyShare", share_bytes[0][:-1], E, None),
        ("key share one byte long", "keyShare", share_bytes[0] + b"\x00", E, None),
        ("key share s_1 + 1 does not match v_1", "keyShare", share_encoding(key, 1, s1 + 1), S, 1),
        ("key share 0 for party 3", "keyShare", share_encoding(key, 3, 0), S, 3),
        ("key share of party 1 relabelled as party 2", "keyShare", share_encoding(key, 2, s1), S, 2),
        ("key share declares another threshold", "keyShare", share_encoding(key, 1, s1, t=key.t - 1), S, None),
        ("key share declares another number of parties", "keyShare",
         share_encoding(key, 1, s1, parties=key.l + 1), S, None),
        # Partial decryptions, parsed with this file's public key.
        ("partial decryption empty", "partialDecryption", b"", E, None),
        ("partial decryption wrong version", "partialDecryption", with_byte(partial, 0, 2), E, None),
        ("partial decryption wrong kind (06)", "partialDecryption", with_byte(partial, 1, KIND_SHARE), E, None),
        ("partial decryption wrong kind (ciphertext bytes)", "partialDecryption",
         ciphertext_encoding(key, values[names[0]]), E, None),
        ("partial decryption one byte short", "partialDecryption", partial[:-1], E, None),
        ("partial decryption one byte long", "partialDecryption", partial + b"\x00", E, None),
    ]
    if not spec.full_negatives:
        keep = {
            "public key one byte short", "public key wrong version 2", "public key verification base v = 1",
            "key share wrong kind (04)", "key share s_1 + 1 does not match v_1",
            "key share of party 1 relabelled as party 2", "partial decryption one byte long",
            "partial decryption wrong kind (06)",
        }
        cases = [case for case in cases if case[0] in keep]
        assert len(cases) == len(keep)
    parsers = {
        "publicKey": parse_public_key,
        "keyShare": lambda data: parse_share(key, data),
        "partialDecryption": lambda data: parse_partial(key, data),
    }
    out = []
    for name, kind, data, code, node in cases:
        refused = refusal(lambda: parsers[kind](data))
        assert refused.code == code, (name, refused.code)
        assert node is None or refused.node == node, (name, refused.node)
        case = {"name": name, "kind": kind, "bytes": data.hex(), "error": code}
        if node is not None:
            case["node"] = node
        out.append(case)
    return out


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
                walk(item)

    walk(document)
    duplicates = {name for name in names if names.count(name) > 1}
    assert not duplicates, duplicates


def render(document: dict) -> str:
    return json.dumps(document, indent=2) + "\n"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8") as handle:
        handle.write(text)
        temporary = handle.name
    # NamedTemporaryFile creates mode 0600; a vector file is public.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    os.replace(temporary, path)


def main() -> int:
    parser = argparse.ArgumentParser(description="Generate Fedstat's threshold Paillier test vectors.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", metavar="DIR", help="write the vector files into DIR")
    mode.add_argument("--check", metavar="DIR", help="require the files in DIR to equal a fresh generation")
    arguments = parser.parse_args()

    texts = {}
    try:
        for spec in specs():
            texts[spec.file] = render(build(spec))
    except (AssertionError, ValueError) as error:
        where = traceback.extract_tb(error.__traceback__)[-1]
        print(f"threshold-vectors: FAIL: a generated case is inconsistent: {error!r} "
              f"(line {where.lineno}: {where.line})", file=sys.stderr)
        return 1

    if arguments.write:
        directory = Path(arguments.write)
        for file, text in texts.items():
            write(directory / file, text)
            print(f"threshold-vectors: wrote {directory / file}")
        return 0

    directory = Path(arguments.check)
    failed = False
    for file, text in texts.items():
        try:
            current = (directory / file).read_text(encoding="utf-8")
        except OSError as error:
            print(f"threshold-vectors: FAIL: cannot read {directory / file}: {error}", file=sys.stderr)
            failed = True
            continue
        if current != text:
            print(f"threshold-vectors: FAIL: {directory / file} differs from a fresh generation; run `make vectors`",
                  file=sys.stderr)
            failed = True
    extra = sorted(path.name for path in directory.glob("*.json") if path.name not in texts) if directory.is_dir() else []
    if extra:
        print(f"threshold-vectors: FAIL: {directory} holds files this script does not generate: {extra}",
              file=sys.stderr)
        failed = True
    if failed:
        return 1
    print(f"threshold-vectors: OK: {directory} matches a fresh generation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
