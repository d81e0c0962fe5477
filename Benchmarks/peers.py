#!/usr/bin/env python3
"""Measure Fedstat's Paillier peers on the operations `fedbench paillier` measures.

Peers:
  phe         python-paillier 1.5.0 (pure Python over gmpy2)
  pypaillier  pypaillier 0.8.0, import name `paillier` (Rust over GMP, parallel with rayon)

Every figure uses the operation and operand sizes of Sources/fedbench/PaillierBenchmark.swift
(plaintext 123456789 for encryption, E(1000000) and E(-2000) for decryption and addition,
the scalar 2^63 - 1 for multiplication) and is the median of --rounds timed rounds, each
about --round-seconds long (key generation: median of --keygen-runs runs). Keys in the
output are named like fedbench's where the meaning is the same; Benchmarks/README.md
documents every one.

Each library is measured in a process of its own: pypaillier reads RAYON_NUM_THREADS when
its thread pool starts, so the one-core figures come from a child started with
RAYON_NUM_THREADS=1 and the all-cores figure from another child without it. Each child
records the CPU time / wall time ratio of its encryption loop, which shows how many
cores really did the work.

    python Benchmarks/peers.py --bits 2048 --format json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Callable

VALUE = 123_456_789          # fedbench: the plaintext of the encryption figures
C1_VALUE = 1_000_000         # fedbench: c1
C2_VALUE = -2_000            # fedbench: c2
SCALAR = 0x7FFF_FFFF_FFFF_FFFF  # fedbench: the 63-bit scalar 2^63 - 1

# pypaillier's batched calls: values (or ciphertexts) handed to ONE call. The library is
# built to be called with lists (it crosses into Rust once per call, then runs the batch
# with the GIL released), so per-operation figures are per-call time / batch size.
ENCRYPT_BATCH = 128
ADD_BATCH = 1024             # terms per add_many call: ADD_BATCH - 1 modular multiplications
SCALAR_BATCH = 32
DECRYPT_BATCH = 16

MODULUS_ENV = "PEERS_PYPAILLIER_MODULUS_HEX"


def progress(message: str) -> None:
    print(f"peers: {message}…", file=sys.stderr, flush=True)


class Timer:
    """fedbench's Timer: calibrate how many calls fill one round, then time `rounds`
    rounds and return the median seconds per call."""

    def __init__(self, rounds: int, round_seconds: float):
        self.rounds = rounds
        self.round_seconds = round_seconds

    def per_call(self, operation: Callable[[], object]) -> float:
        count = 1
        while True:
            start = time.perf_counter()
            for _ in range(count):
                operation()
            elapsed = time.perf_counter() - start
            if elapsed >= self.round_seconds / 4 or count >= 1 << 24:
                count = max(1, int(count * self.round_seconds / max(elapsed, 1e-9)))
                break
            count *= 4
        per_op = []
        for _ in range(self.rounds):
            start = time.perf_counter()
            for _ in range(count):
                operation()
            per_op.append((time.perf_counter() - start) / count)
        return statistics.median(per_op)

    def per_call_with_cpu(self, operation: Callable[[], object]) -> tuple[float, float]:
        """Like per_call, and also the process CPU time / wall time over the timed rounds
        (about 1.0 when one core does the work, about the core count when all do)."""
        wall0, cpu0 = time.perf_counter(), time.process_time()
        seconds = self.per_call(operation)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        return seconds, cpu / wall


def os_threads() -> int | None:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# --------------------------------------------------------------------------- phe


def measure_phe(args: argparse.Namespace) -> dict:
    import gmpy2
    import phe
    from phe import paillier as phe_paillier
    from phe import util as phe_util

    timer = Timer(args.rounds, args.round_seconds)
    out: dict = {
        "library": "phe",
        "version": getattr(phe, "__version__", None),
        "backend": f"gmpy2 {gmpy2.version()} ({gmpy2.mp_version()})",
        "gmpy2_in_use": bool(getattr(phe_util, "HAVE_GMP", False)),
        "bits": args.bits,
    }

    progress(f"phe: key generation ({args.keygen_runs} runs)")
    times = []
    for _ in range(args.keygen_runs):
        start = time.perf_counter()
        public_key, private_key = phe_paillier.generate_paillier_keypair(n_length=args.bits)
        times.append(time.perf_counter() - start)
    out["keygen_s"] = rounded(statistics.median(times), 3)
    out["keygen_primes"] = "random primes (not safe primes)"
    n = public_key.n
    out["encrypt_method"] = "(1+n*m)*r^n mod n^2, random base r < n, fixed exponent n"
    out["exponent_bits"] = None  # no random exponent: the randomness is the base r
    out["encrypt_exponent_bits"] = n.bit_length()

    progress("phe: encryption (one core, randomness included, one call per value)")
    seconds, cpu_per_wall = timer.per_call_with_cpu(lambda: public_key.encrypt(VALUE))
    out["encrypt_ops_per_s"] = rounded(1 / seconds, 1)
    out["encrypt_us"] = rounded(seconds * 1e6, 1)
    out["encrypt_batch"] = 1
    out["encrypt_how"] = "public_key.encrypt(123456789) in a Python loop (phe has no batch call)"
    out["encrypt_cpu_per_wall"] = rounded(cpu_per_wall, 2)
    out["encrypt_ops_per_s_all_cores"] = None  # phe has no parallel encryption

    c1 = public_key.encrypt(C1_VALUE)
    c2 = public_key.encrypt(C2_VALUE)
    assert private_key.decrypt(c1 + c2) == C1_VALUE + C2_VALUE

    progress("phe: decryption")
    out["decrypt_ms"] = rounded(timer.per_call(lambda: private_key.decrypt(c1)) * 1e3, 3)
    p, q = private_key.p, private_key.q
    p2, q2 = p * p, q * q
    c = gmpy2.mpz(c1.ciphertext(be_secure=False))
    cp, cq = c % p2, c % q2
    pm1, qm1 = gmpy2.mpz(p - 1), gmpy2.mpz(q - 1)
    p2, q2 = gmpy2.mpz(p2), gmpy2.mpz(q2)
    out["raw_gmp_crt_powm_ms"] = rounded(
        timer.per_call(lambda: (gmpy2.powmod(cp, pm1, p2), gmpy2.powmod(cq, qm1, q2))) * 1e3, 3)

    progress("phe: homomorphic operations")
    out["add_us"] = rounded(timer.per_call(lambda: c1 + c2) * 1e6, 2)
    out["add_how"] = "c1 + c2, one Python call per addition (phe has no batch call)"
    a = gmpy2.mpz(c1.ciphertext(be_secure=False))
    b = gmpy2.mpz(c2.ciphertext(be_secure=False))
    nsq = gmpy2.mpz(public_key.nsquare)
    out["raw_gmp_modmul_us"] = rounded(timer.per_call(lambda: a * b % nsq) * 1e6, 2)
    product = c1 * SCALAR
    assert private_key.decrypt(product) == C1_VALUE * SCALAR
    out["scalar_mul_us"] = rounded(timer.per_call(lambda: c1 * SCALAR) * 1e6, 1)
    out["scalar_mul_negative_us"] = rounded(timer.per_call(lambda: c1 * -SCALAR) * 1e6, 1)
    out["scalar_mul_how"] = "c1 * (2**63 - 1): powmod with the public scalar, one call per product"
    out["os_threads"] = os_threads()
    return out


# --------------------------------------------------------------------------- pypaillier


def measure_pypaillier(args: argparse.Namespace) -> dict:
    threads_env = os.environ.get("RAYON_NUM_THREADS")
    if args.mode == "one-core" and threads_env != "1":
        sys.exit("peers.py: the one-core pypaillier child needs RAYON_NUM_THREADS=1 set before start")
    import paillier  # after RAYON_NUM_THREADS is in the environment: rayon reads it once

    timer = Timer(args.rounds, args.round_seconds)
    out: dict = {
        "library": "pypaillier",
        "version": getattr(paillier, "__version__", None),
        "mode": args.mode,
        "rayon_num_threads": threads_env,
        "bits": args.bits,
    }

    if args.mode == "all-cores":
        # Only the parallel encryption throughput, under the one-core child's public key
        # (its modulus comes in MODULUS_ENV); key generation and the rest come from that child.
        modulus = os.environ.get(MODULUS_ENV)
        public_key = (paillier.PublicKey.from_n(bytes.fromhex(modulus)) if modulus
                      else paillier.generate_keypair(args.bits)[0])
        values = [VALUE] * ENCRYPT_BATCH
        progress(f"pypaillier: encryption on all cores (RAYON_NUM_THREADS unset, {os.cpu_count()} CPUs)")
        seconds, cpu_per_wall = timer.per_call_with_cpu(lambda: paillier.encrypt_integers(public_key, values))
        out["encrypt_ops_per_s_all_cores"] = rounded(ENCRYPT_BATCH / seconds, 1)
        out["encrypt_all_cores_cpu_per_wall"] = rounded(cpu_per_wall, 2)
        out["os_threads"] = os_threads()
        return out

    progress(f"pypaillier: key generation ({args.keygen_runs} runs)")
    times = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(args.keygen_runs):
        start = time.perf_counter()
        public_key, secret_key = paillier.generate_keypair(args.bits)
        times.append(time.perf_counter() - start)
    out["keygen_s"] = rounded(statistics.median(times), 3)
    out["keygen_cpu_per_wall"] = rounded((time.process_time() - cpu0) / (time.perf_counter() - wall0), 2)
    out["keygen_primes"] = "safe primes"
    out["encrypt_method"] = "(1+n*m)*hs^r mod n^2, fixed base hs, random exponent r"
    out["exponent_bits"] = public_key.exponent_bits
    out["plaintext_bound_bits"] = public_key.plaintext_bound_bits
    out["modulus_hex"] = public_key.modulus_bytes().hex()  # for the all-cores child; dropped from the report

    progress(f"pypaillier: encryption (one core, randomness included, {ENCRYPT_BATCH} values per call)")
    values = [VALUE] * ENCRYPT_BATCH
    seconds, cpu_per_wall = timer.per_call_with_cpu(lambda: paillier.encrypt_integers(public_key, values))
    out["encrypt_ops_per_s"] = rounded(ENCRYPT_BATCH / seconds, 1)
    out["encrypt_us"] = rounded(seconds / ENCRYPT_BATCH * 1e6, 1)
    out["encrypt_batch"] = ENCRYPT_BATCH
    out["encrypt_how"] = (f"encrypt_integers(pub, [123456789] * {ENCRYPT_BATCH}) per call, "
                          f"time per call / {ENCRYPT_BATCH}, RAYON_NUM_THREADS=1")
    out["encrypt_cpu_per_wall"] = rounded(cpu_per_wall, 2)
    single = timer.per_call(lambda: paillier.encrypt_integers(public_key, [VALUE]))
    out["encrypt_single_call_us"] = rounded(single * 1e6, 1)

    c1, c2 = paillier.encrypt_integers(public_key, [C1_VALUE, C2_VALUE])
    assert paillier.decrypt_exact_many(secret_key, [paillier.add_many(public_key, [c1, c2])]) == [
        (C1_VALUE + C2_VALUE, 0)]

    progress(f"pypaillier: decryption ({DECRYPT_BATCH} ciphertexts per call, one thread)")
    batch = [c1] * DECRYPT_BATCH
    out["decrypt_ms"] = rounded(
        timer.per_call(lambda: paillier.decrypt_exact_many(secret_key, batch)) / DECRYPT_BATCH * 1e3, 3)
    out["decrypt_how"] = (f"decrypt_exact_many(sec, [c1] * {DECRYPT_BATCH}) (exact integers), "
                          f"time per call / {DECRYPT_BATCH}")
    out["decrypt_single_ms"] = rounded(timer.per_call(lambda: paillier.decrypt(secret_key, c1)) * 1e3, 3)

    progress(f"pypaillier: homomorphic operations (add_many of {ADD_BATCH} terms, "
             f"{SCALAR_BATCH} products per call)")
    terms = [c1, c2] * (ADD_BATCH // 2)
    out["add_us"] = rounded(
        timer.per_call(lambda: paillier.add_many(public_key, terms)) / (ADD_BATCH - 1) * 1e6, 2)
    out["add_how"] = (f"add_many(pub, [c1, c2] * {ADD_BATCH // 2}), time per call / {ADD_BATCH - 1} additions "
                      "(includes parsing each blob and serialising the sum)")
    out["add_pair_us"] = rounded(timer.per_call(lambda: paillier.add_many(public_key, [c1, c2])) * 1e6, 2)

    blobs = [c1] * SCALAR_BATCH
    positive = [SCALAR] * SCALAR_BATCH
    negative = [-SCALAR] * SCALAR_BATCH
    product = paillier.multiply_integers_public(public_key, [c1], [SCALAR])
    assert paillier.decrypt_exact_many(secret_key, product) == [(C1_VALUE * SCALAR, 0)]
    out["scalar_mul_us"] = rounded(
        timer.per_call(lambda: paillier.multiply_integers_public(public_key, blobs, positive))
        / SCALAR_BATCH * 1e6, 1)
    out["scalar_mul_negative_us"] = rounded(
        timer.per_call(lambda: paillier.multiply_integers_public(public_key, blobs, negative))
        / SCALAR_BATCH * 1e6, 1)
    out["scalar_mul_how"] = (f"multiply_integers_public(pub, [c1] * {SCALAR_BATCH}, [2**63 - 1] * {SCALAR_BATCH}) "
                             "(public scalar, variable time, as fedbench's c1 * scalar), "
                             f"time per call / {SCALAR_BATCH}")
    out["scalar_mul_secret_us"] = rounded(
        timer.per_call(lambda: paillier.multiply_integers(public_key, blobs, positive))
        / SCALAR_BATCH * 1e6, 1)
    out["os_threads"] = os_threads()
    return out


# --------------------------------------------------------------------------- driver


def run_child(args: argparse.Namespace, library: str, mode: str, env_threads: str | None,
              extra_env: dict | None = None) -> dict:
    env = dict(os.environ)
    env.pop("RAYON_NUM_THREADS", None)
    if env_threads is not None:
        env["RAYON_NUM_THREADS"] = env_threads
    env.update(extra_env or {})
    command = [sys.executable, os.path.abspath(__file__), "--child", library, "--mode", mode,
               "--bits", str(args.bits), "--rounds", str(args.rounds),
               "--round-seconds", str(args.round_seconds), "--keygen-runs", str(args.keygen_runs)]
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(result.stdout)


def text_report(report: dict) -> str:
    lines = []
    for name, figures in report.items():
        lines.append(f"[{name}]")
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            lines.append(f"{key.ljust(width)}  {'-' if value is None else value}")
        lines.append("")
    return "\n".join(lines).rstrip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bits", type=int, default=2048, choices=[2048, 3072])
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--library", choices=["all", "phe", "pypaillier"], default="all")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per figure (median reported)")
    parser.add_argument("--round-seconds", type=float, default=0.5, help="seconds per timed round")
    parser.add_argument("--keygen-runs", type=int, default=3, help="key generations to time (median reported)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 3 rounds of 0.2 s, 1 key generation (less precise)")
    parser.add_argument("--child", choices=["phe", "pypaillier"], help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=["one-core", "all-cores"], default="one-core", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.round_seconds, args.keygen_runs = 3, 0.2, 1
    if args.rounds < 1 or args.round_seconds <= 0 or args.keygen_runs < 1:
        parser.error("--rounds, --round-seconds and --keygen-runs must be positive")

    if args.child:
        measure = measure_phe if args.child == "phe" else measure_pypaillier
        print(json.dumps(measure(args)))
        return

    report: dict = {}
    if args.library in ("all", "phe"):
        report["phe"] = run_child(args, "phe", "one-core", None)
    if args.library in ("all", "pypaillier"):
        one = run_child(args, "pypaillier", "one-core", "1")
        modulus = one.pop("modulus_hex")
        every = run_child(args, "pypaillier", "all-cores", None, {MODULUS_ENV: modulus})
        one["encrypt_ops_per_s_all_cores"] = every["encrypt_ops_per_s_all_cores"]
        one["encrypt_all_cores_cpu_per_wall"] = every["encrypt_all_cores_cpu_per_wall"]
        one["all_cores_os_threads"] = every["os_threads"]
        if one.get("encrypt_ops_per_s"):
            one["all_cores_speedup"] = round(one["encrypt_ops_per_s_all_cores"] / one["encrypt_ops_per_s"], 2)
        report["pypaillier"] = one
    if args.format == "json":
        print(json.dumps(report))
    else:
        print(text_report(report))


if __name__ == "__main__":
    main()
