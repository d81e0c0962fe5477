#!/usr/bin/env python3
"""Two-way Paillier interoperability check between Fedstat and python-paillier (phe).

phe is an independent implementation of the same scheme (g = n + 1, signed values in
[-max_int, max_int] with max_int = n//3 - 1, the middle third of Z_n reserved for
overflow detection), so agreement in both directions shows that Fedstat's key handling,
encryption, CRT decryption and signed encoding match the scheme and not just each other.

    paillier-interop.py --fedvectors PATH --check        live check, writes nothing
    paillier-interop.py --fedvectors PATH --write FILE   also writes the vector file

For every key (a fixed 512-bit key so the file is partly reproducible, and fresh
1024- and 2048-bit keys from phe):
  1. phe encrypts signed values with recorded randomness r; Fedstat decrypts them
     (`fedvectors paillier-decrypt`);
  2. Fedstat encrypts the same values with its fast fixed-base encryptor
     (`fedvectors paillier-encrypt`); phe decrypts them;
  3. products of Fedstat ciphertexts modulo n² must decrypt in phe to the sums, and
     sums leaving the signed range must be refused as overflow by both sides;
     mixed phe·Fedstat products must decrypt in Fedstat.

Prime factors are test keys but are still kept out of everything this script prints.
"""

import argparse
import json
import math
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import gmpy2
import phe
from phe import paillier

# The shared fixed key lives next to this script; running `python scripts/x.py` puts
# that folder on sys.path already, this keeps importing from elsewhere working too.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import paillier_fixed_key as fixed  # noqa: E402

PHE_VERSION = "1.5.0"
OUTPUT_SCHEMA_DESCRIPTION = (
    "Cross-implementation Paillier vectors (Protocols/paillier.md §8), generator g = n + 1. "
    "Integers n, p, q, r and ciphertext are unsigned lowercase hexadecimal without prefix or "
    "padding; plaintext is a signed decimal string. Each entry of 'keys' has: name, bits (bit "
    "length of n), n, p, q (the primes as python-paillier holds them, p < q; n = p*q), "
    "phe_ciphertexts (each: plaintext, r, ciphertext = (1 + (plaintext mod n)*n) * r^n mod n^2 "
    "as computed by phe's encrypt(plaintext, r_value=r); Fedstat must decrypt ciphertext to "
    "plaintext) and fedstat_ciphertexts (each: plaintext, ciphertext made by Fedstat's fast "
    "encryptor via `fedvectors paillier-encrypt`, which phe decrypted to plaintext when the file "
    "was generated; Fedstat must decrypt them too). The key 'fixed-512' is hard-coded in "
    "scripts/paillier_fixed_key.py (safe primes) and its phe_ciphertexts use randomness derived "
    "from labels, so they are identical on every regeneration; the other keys, all "
    "fedstat_ciphertexts and the random values are fresh each time. Test keys only."
)

# Fedstat may build a 2048-bit fixed-base table in a debug build; generous, but a hang
# must still end the run with a message instead of stalling `make test`.
SUBPROCESS_TIMEOUT_SECONDS = 900


class InteropError(Exception):
    """A disagreement or a failure, with a message naming the key and the value."""


def short(hex_text: str, keep: int = 16) -> str:
    """Long hex values shortened for messages."""
    return hex_text if len(hex_text) <= 2 * keep else f"{hex_text[:keep]}…{hex_text[-keep:]}"


class TestKey:
    """A Paillier key as both phe objects and plain integers."""

    def __init__(self, name: str, p: int, q: int, deterministic: bool):
        self.name = name
        self.public = paillier.PaillierPublicKey(p * q)
        self.private = paillier.PaillierPrivateKey(self.public, p, q)
        self.n = int(self.public.n)
        self.n2 = self.n * self.n
        self.bits = self.n.bit_length()
        self.max_int = int(self.public.max_int)
        # Fixed-key randomness comes from labels so the vectors are reproducible; fresh
        # keys use the system CSPRNG (a vector file records r either way).
        self.deterministic = deterministic
        self._secret_hex = (f"{p:x}", f"{q:x}")

    def random_below(self, label: str, bound: int) -> int:
        if self.deterministic:
            return fixed.derived_int(f"phe-interop/{self.name}/{label}", bound)
        return secrets.randbelow(bound)

    def random_unit(self, label: str) -> int:
        if self.deterministic:
            return fixed.derived_unit(f"phe-interop/{self.name}/{label}", self.n)
        while True:
            r = 1 + secrets.randbelow(self.n - 1)
            if math.gcd(r, self.n) == 1:
                return r

    def redact(self, text: str) -> str:
        """Removes the primes from text we did not write (a subprocess's error output)."""
        for secret in self._secret_hex:
            text = text.replace(secret, "<redacted>")
        return text

    @property
    def fedvectors_prime_arguments(self) -> list[str]:
        # phe keeps p < q; Fedstat accepts either order.
        return ["--p", f"{self.private.p:x}", "--q", f"{self.private.q:x}"]

    def phe_decrypt(self, ciphertext: int) -> int:
        """Signed value of a raw ciphertext through phe's public API; raises OverflowError
        for the overflow band like phe does."""
        return self.private.decrypt(paillier.EncryptedNumber(self.public, ciphertext, exponent=0))


def test_values(key: TestKey, random_count: int) -> list[int]:
    """The values of the brief, then random ones of several sizes and both signs."""
    values = [0, 1, -1, 2, -2, 123456789, -987654321, 2**40, -(2**62), key.max_int, -key.max_int]
    # Magnitude bounds cycle through 64 bits, half the key, and the whole signed range,
    # so the random values exercise short, medium and full-length residues.
    bounds = [2**64, 2 ** (key.bits // 2), key.max_int + 1]
    for i in range(random_count):
        magnitude = key.random_below(f"value{i}/magnitude", bounds[i % len(bounds)])
        negative = key.random_below(f"value{i}/sign", 2) == 1
        values.append(-magnitude if negative else magnitude)
    return values


def run_fedvectors(binary: str, key: TestKey, arguments: list[str], lines: list[str], what: str):
    """Runs fedvectors with one input per line; returns (exit status, output lines, stderr)."""
    try:
        result = subprocess.run(
            [binary, *arguments],
            input="".join(line + "\n" for line in lines),
            capture_output=True,
            text=True,
            timeout=SUBPROCESS_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise InteropError(f"[{key.name}] {what}: fedvectors did not finish in {SUBPROCESS_TIMEOUT_SECONDS} s")
    except OSError as error:
        raise InteropError(f"[{key.name}] {what}: cannot run fedvectors: {error}")
    output = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    return result.returncode, output, key.redact(result.stderr.strip())


def fedvectors_checked(binary: str, key: TestKey, arguments: list[str], lines: list[str], what: str) -> list[str]:
    """Like run_fedvectors, but any failure is an error naming the input it stopped at."""
    status, output, stderr = run_fedvectors(binary, key, arguments, lines, what)
    if status != 0:
        # fedvectors prints one line per input and stops at the first failure, so the
        # number of lines it printed is the index of the input it refused.
        raise InteropError(
            f"[{key.name}] {what}: fedvectors failed at input #{len(output)} "
            f"(exit status {status}): {stderr or 'no error message'}")
    if len(output) != len(lines):
        raise InteropError(f"[{key.name}] {what}: fedvectors printed {len(output)} lines for {len(lines)} inputs")
    return output


def phe_to_fedstat(binary: str, key: TestKey, values: list[int]) -> list[dict]:
    """phe encrypts with recorded r; Fedstat must decrypt to the same signed values."""
    records = []
    for index, value in enumerate(values):
        r = key.random_unit(f"r{index}")
        encrypted = key.public.encrypt(value, r_value=r)
        if encrypted.exponent != 0:
            raise InteropError(f"[{key.name}] value #{index}: phe encoded an integer with exponent {encrypted.exponent}")
        c = int(encrypted.ciphertext(be_secure=False))
        # The file claims c is the textbook encryption with this r; check that phe did
        # exactly that (with r_value given, phe must not re-randomise).
        expected = (1 + (value % key.n) * key.n) * pow(r, key.n, key.n2) % key.n2
        if c != expected:
            raise InteropError(f"[{key.name}] value #{index}: phe's ciphertext is not (1 + m·n)·r^n mod n²")
        if key.phe_decrypt(c) != value:
            raise InteropError(f"[{key.name}] value #{index}: phe does not decrypt its own ciphertext")
        records.append({"plaintext": str(value), "r": f"{r:x}", "ciphertext": f"{c:x}"})

    output = fedvectors_checked(
        binary, key, ["paillier-decrypt", *key.fedvectors_prime_arguments],
        [record["ciphertext"] for record in records], "Fedstat decrypting phe ciphertexts")
    for index, (record, line) in enumerate(zip(records, output)):
        if line != record["plaintext"]:
            raise InteropError(
                f"[{key.name}] phe ciphertext #{index} (ciphertext {short(record['ciphertext'])}): "
                f"Fedstat decrypted {line!r}, phe encrypted {record['plaintext']!r}")
    return records


def fedstat_to_phe(binary: str, key: TestKey, values: list[int]) -> list[dict]:
    """Fedstat encrypts; phe must decrypt to the same signed values."""
    # A second encryption of 0 at the end: Fedstat's encryption must be randomised.
    inputs = [str(value) for value in values] + ["0"]
    output = fedvectors_checked(
        binary, key, ["paillier-encrypt", "--n", f"{key.n:x}"], inputs, "Fedstat encrypting")
    ciphertexts = []
    for index, line in enumerate(output):
        try:
            c = int(line, 16)
        except ValueError:
            raise InteropError(f"[{key.name}] Fedstat ciphertext #{index}: not hexadecimal: {short(line)!r}")
        if not (0 < c < key.n2 and math.gcd(c, key.n) == 1):
            raise InteropError(f"[{key.name}] Fedstat ciphertext #{index}: not a unit modulo n²")
        ciphertexts.append(c)
    if ciphertexts[-1] == ciphertexts[values.index(0)]:
        raise InteropError(f"[{key.name}] Fedstat encrypted 0 twice to the same ciphertext: no fresh randomness")
    ciphertexts.pop()

    records = []
    for index, (value, c) in enumerate(zip(values, ciphertexts)):
        try:
            decrypted = key.phe_decrypt(c)
        except (OverflowError, ValueError) as error:
            raise InteropError(f"[{key.name}] Fedstat ciphertext #{index} (plaintext {value}): phe refused it: {error}")
        if decrypted != value:
            raise InteropError(
                f"[{key.name}] Fedstat ciphertext #{index} (ciphertext {short(f'{c:x}')}): "
                f"phe decrypted {decrypted}, Fedstat encrypted {value}")
        records.append({"plaintext": str(value), "ciphertext": f"{c:x}"})
    return records


def homomorphic_checks(binary: str, key: TestKey, phe_records: list[dict], fedstat_records: list[dict]) -> tuple[int, int, int]:
    """Sums through ciphertext products; returns (sums, overflows, mixed sums) checked."""
    fedstat = {int(record["plaintext"]): int(record["ciphertext"], 16) for record in fedstat_records}
    phe_made = {int(record["plaintext"]): int(record["ciphertext"], 16) for record in phe_records}
    m = key.max_int
    # Pairs chosen for the sign conventions: cancelling, mixed signs, and sums landing
    # exactly at ±max_int; the last two leave the signed range by a little.
    in_range = [(1, -1), (123456789, -987654321), (2**40, -(2**62)), (m, -m), (m, -1), (-m, 2)]
    overflowing = [(m, 1), (-m, -2)]

    for a, b in in_range:
        product = fedstat[a] * fedstat[b] % key.n2
        decrypted = key.phe_decrypt(product)
        if decrypted != a + b:
            raise InteropError(f"[{key.name}] product of Fedstat ciphertexts of {a} and {b}: phe decrypted {decrypted}")

    for a, b in overflowing:
        product = fedstat[a] * fedstat[b] % key.n2
        try:
            decrypted = key.phe_decrypt(product)
        except OverflowError:
            pass
        else:
            raise InteropError(
                f"[{key.name}] sum of {a} and {b} leaves the signed range but phe decrypted it to {decrypted}")
        # Fedstat must refuse the same ciphertext, as overflow and not as something else.
        status, _, stderr = run_fedvectors(
            binary, key, ["paillier-decrypt", *key.fedvectors_prime_arguments], [f"{product:x}"],
            "Fedstat decrypting an overflowing sum")
        if status == 0 or "overflow" not in stderr:
            raise InteropError(
                f"[{key.name}] sum of {a} and {b} leaves the signed range: Fedstat should refuse it as "
                f"overflow (exit status {status}, message: {stderr or 'none'})")

    # Mixed products: a phe ciphertext times a Fedstat ciphertext, decrypted by Fedstat.
    mixed = [(a, b) for a, b in in_range] + [(b, a) for a, b in in_range]
    lines = [f"{phe_made[a] * fedstat[b] % key.n2:x}" for a, b in mixed]
    output = fedvectors_checked(
        binary, key, ["paillier-decrypt", *key.fedvectors_prime_arguments], lines,
        "Fedstat decrypting phe·Fedstat products")
    for index, ((a, b), line) in enumerate(zip(mixed, output)):
        if line != str(a + b):
            raise InteropError(
                f"[{key.name}] mixed product #{index} (phe {a} · Fedstat {b}): Fedstat decrypted {line!r}, expected {a + b}")
    return len(in_range), len(overflowing), len(mixed)


def make_keys() -> list[tuple[TestKey, int]]:
    """The keys with how many random values each gets."""
    fixed.check_fixed_key()
    # An independent second opinion on the fixed primes (GMP's BPSW + Miller–Rabin).
    for name, prime in (("p", fixed.FIXED_P), ("q", fixed.FIXED_Q)):
        if not (gmpy2.is_prime(prime, 50) and gmpy2.is_prime((prime - 1) // 2, 50)):
            raise InteropError(f"[{fixed.FIXED_NAME}] gmpy2 says {name} is not a safe prime")
    keys = [(TestKey(fixed.FIXED_NAME, fixed.FIXED_P, fixed.FIXED_Q, deterministic=True), 4)]
    for bits, random_count in ((1024, 4), (2048, 1)):
        _, private = paillier.generate_paillier_keypair(n_length=bits)
        keys.append((TestKey(f"phe-{bits}", int(private.p), int(private.q), deterministic=False), random_count))
    return keys


def write_json(path: Path, document: dict) -> None:
    """Writes atomically so an interrupted run never leaves half a vector file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
        temporary = handle.name
    # NamedTemporaryFile creates mode 0600; a vector file is public, so give it the
    # mode an ordinary new file would get.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    os.replace(temporary, path)


def main() -> int:
    parser = argparse.ArgumentParser(description="Cross-check Fedstat's Paillier with python-paillier (phe).")
    parser.add_argument("--fedvectors", required=True, help="path of the built fedvectors binary")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="live two-way check; writes nothing")
    mode.add_argument("--write", metavar="FILE", help="check, then write the JSON vector file")
    arguments = parser.parse_args()

    binary = arguments.fedvectors
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print(f"paillier-interop: FAIL: fedvectors binary not found or not executable: {binary}", file=sys.stderr)
        return 1
    if phe.__version__ != PHE_VERSION:
        message = f"python-paillier is {phe.__version__}, expected {PHE_VERSION} (Benchmarks/requirements.txt)"
        if arguments.write:
            # The file names the generating version; do not write a false claim.
            print(f"paillier-interop: FAIL: {message}", file=sys.stderr)
            return 1
        print(f"paillier-interop: warning: {message}", file=sys.stderr)

    document_keys = []
    totals = {"phe->fedstat": 0, "fedstat->phe": 0, "sums": 0, "overflows": 0, "mixed": 0}
    try:
        for key, random_count in make_keys():
            values = test_values(key, random_count)
            phe_records = phe_to_fedstat(binary, key, values)
            fedstat_records = fedstat_to_phe(binary, key, values)
            sums, overflows, mixed = homomorphic_checks(binary, key, phe_records, fedstat_records)
            totals["phe->fedstat"] += len(phe_records)
            totals["fedstat->phe"] += len(fedstat_records)
            totals["sums"] += sums
            totals["overflows"] += overflows
            totals["mixed"] += mixed
            print(
                f"{key.name}: {key.bits}-bit n, {len(phe_records)} phe ciphertexts decrypted by Fedstat, "
                f"{len(fedstat_records)} Fedstat ciphertexts decrypted by phe, {sums} sums and "
                f"{overflows} overflows agreed, {mixed} mixed sums decrypted by Fedstat")
            document_keys.append({
                "name": key.name,
                "bits": key.bits,
                "n": f"{key.n:x}",
                "p": f"{key.private.p:x}",
                "q": f"{key.private.q:x}",
                "phe_ciphertexts": phe_records,
                "fedstat_ciphertexts": fedstat_records,
            })
    except InteropError as error:
        print(f"paillier-interop: FAIL: {error}", file=sys.stderr)
        return 1

    if arguments.write:
        write_json(Path(arguments.write), {
            "description": OUTPUT_SCHEMA_DESCRIPTION,
            "generator": f"python-paillier (phe) {phe.__version__} via scripts/paillier-interop.py",
            "keys": document_keys,
        })
        print(f"wrote {arguments.write}")
    print(
        f"paillier-interop: OK: {totals['phe->fedstat']} phe→Fedstat and {totals['fedstat->phe']} "
        f"Fedstat→phe decryptions, {totals['sums']} homomorphic sums, {totals['overflows']} overflow "
        f"refusals and {totals['mixed']} mixed sums agree over {len(document_keys)} keys "
        f"({', '.join(str(k['bits']) for k in document_keys)} bits)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
