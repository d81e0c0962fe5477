"""The fixed Paillier test key and deterministic randomness shared by the vector scripts.

Used by `paillier-interop.py` and `paillier-vectors.py`. Plain Python integers only:
nothing here comes from Fedstat or from python-paillier, so the vectors built on it are
an independent reading of `Protocols/paillier.md`.

The key is for test vectors only. It is published, so it protects nothing.
"""

import hashlib
import math

# Two 256-bit safe primes (p = 2p' + 1 with p' prime) with their two top bits set, so
# n = p·q has exactly 512 bits, like the keys Fedstat generates itself (§2.1 of the
# spec). They were found once as follows, for a reader who wants to reproduce them:
# x = SHA-256(label) as a big-endian integer with bits 255 and 254 set, then p' is
# the smallest integer ≥ ⌊x/2⌋ for which p' and 2p' + 1 are both prime, with the labels
# "fedstat/paillier/fixed-test-key/p" and ".../q". The search is not repeated here
# (slow in pure Python); `check_fixed_key` verifies what matters.
FIXED_P = int("fe4a85b65017338425010fcb104ff7c376daa8fd04ffcecd06d437c2118c8313", 16)
FIXED_Q = int("c8098a017659d05ae1b4f5ddfd4d137dcccb040594d2f7d44691b26ae8d6123f", 16)
FIXED_BITS = 512
FIXED_NAME = "fixed-512"


def derived_int(label: str, below: int) -> int:
    """A uniform integer in [0, below) determined by `label` alone.

    SHA-256 in counter mode with rejection sampling. Deriving every "random" vector
    value from a label naming its case keeps a regenerated file byte-identical, and
    adding a case does not shift the values of the others.
    """
    if below <= 0:
        raise ValueError("below must be positive")
    bits = (below - 1).bit_length()
    nbytes = (bits + 7) // 8
    attempt = 0
    while True:
        stream = b""
        block = 0
        while len(stream) < nbytes:
            stream += hashlib.sha256(f"{label}/{attempt}/{block}".encode()).digest()
            block += 1
        candidate = int.from_bytes(stream[:nbytes], "big") & ((1 << bits) - 1)
        if candidate < below:
            return candidate
        attempt += 1


def derived_unit(label: str, n: int) -> int:
    """A deterministic unit modulo n in [1, n), as encryption randomness r."""
    attempt = 0
    while True:
        r = derived_int(f"{label}/unit{attempt}", n)
        if r > 0 and math.gcd(r, n) == 1:
            return r
        attempt += 1


_SMALL_PRIMES = [p for p in range(3, 1000, 2) if all(p % d for d in range(3, math.isqrt(p) + 1, 2))]


def is_probable_prime(candidate: int, rounds: int = 64) -> bool:
    """Miller–Rabin with `rounds` bases derived from the candidate.

    The bases are deterministic so a check gives the same answer on every machine; for
    the fixed constants here (not chosen adversarially against these bases) the error
    probability is below 4^-64.
    """
    if candidate < 2:
        return False
    if candidate % 2 == 0:
        return candidate == 2
    for small in _SMALL_PRIMES:
        if candidate % small == 0:
            return candidate == small
    d, s = candidate - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for i in range(rounds):
        a = 2 + derived_int(f"miller-rabin/{candidate:x}/{i}", candidate - 3)
        x = pow(a, d, candidate)
        if x in (1, candidate - 1):
            continue
        for _ in range(s - 1):
            x = x * x % candidate
            if x == candidate - 1:
                break
        else:
            return False
    return True


def check_fixed_key() -> None:
    """Raise ValueError unless the fixed key meets the spec's conditions for a key."""
    p, q = FIXED_P, FIXED_Q
    # Safe primes are what Fedstat generates; checking p' and q' too keeps the fixed key
    # representative of Fedstat's own keys (and makes gcd(n, φ(n)) = 1 automatic).
    for name, prime in (("p", p), ("q", q)):
        if not is_probable_prime(prime):
            raise ValueError(f"fixed key: {name} is not prime")
        if not is_probable_prime((prime - 1) // 2):
            raise ValueError(f"fixed key: {name} is not a safe prime")
        if prime.bit_length() != FIXED_BITS // 2:
            raise ValueError(f"fixed key: {name} does not have {FIXED_BITS // 2} bits")
    n = p * q
    if p <= q:
        raise ValueError("fixed key: p must be the larger prime (canonical order)")
    if n.bit_length() != FIXED_BITS:
        raise ValueError(f"fixed key: n does not have {FIXED_BITS} bits")
    if math.gcd(n, (p - 1) * (q - 1)) != 1:
        raise ValueError("fixed key: gcd(n, (p-1)(q-1)) != 1")
    if (p - q).bit_length() <= FIXED_BITS // 2 - 100:
        raise ValueError("fixed key: p and q too close (Fermat factoring)")
