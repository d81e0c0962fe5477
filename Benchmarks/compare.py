#!/usr/bin/env python3
"""Print Fedstat against its Paillier peers from the JSON outputs of one run.

    python Benchmarks/compare.py FEDBENCH_JSON PEERS_JSON [FEDBENCH_JSON PEERS_JSON ...]

FEDBENCH_JSON is the output of `fedbench paillier --format json`, PEERS_JSON the output of
`Benchmarks/peers.py --format json`, measured one after the other on the same machine.
Every ratio is oriented so that a value above 1 means Fedstat is better (faster or higher
throughput) by that factor.

With several pairs (compare-paillier.sh --repeat N), each figure is the median over the
pairs and each ratio is the median of the per-pair ratios, with their range.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from typing import Callable

PEERS = ("phe", "pypaillier")

# (key, unit, better, note). better: "lower" for times, "higher" for throughputs,
# None for a property that is shown but not a ratio.
ROWS = [
    ("keygen_s", "s", "lower", "phe: random primes; Fedstat and pypaillier: safe primes"),
    ("exponent_bits", "bits", None, "random exponent of the fixed-base encryption"),
    ("encrypt_ops_per_s", "ops/s", "higher", "one core, randomness included"),
    ("encrypt_us", "us", "lower", "one core, randomness included"),
    ("encrypt_ops_per_s_all_cores", "ops/s", "higher", "every core; each library's own parallel path"),
    ("decrypt_ms", "ms", "lower", "one ciphertext, one core"),
    ("add_us", "us", "lower", "per addition"),
    ("scalar_mul_us", "us", "lower", "scalar 2^63-1, public"),
    ("scalar_mul_negative_us", "us", "lower", "scalar -(2^63-1), public"),
]

FEDSTAT_ONLY = [
    ("table_build_s", "s"), ("window_bits", "bits"), ("table_mb", "MiB"),
    ("encrypt_online_us", "us"), ("encrypt_textbook_ops_per_s", "ops/s"),
    ("short_exponent_1024_ops_per_s", "ops/s"), ("raw_gmp_crt_powm_ms", "ms"),
    ("raw_gmp_crt_powm_sec_ms", "ms"), ("raw_gmp_modmul_us", "us"),
    ("pack_10k_s", "s"), ("pack_10k_ciphertexts", ""), ("pack_slot_bits", "bits"),
]


def fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:.6g}"
        return text if "." in text or "e" in text else text + ".0"
    return str(value)


def ratio(fedstat, peer, better) -> float | None:
    if better is None or not fedstat or not peer:
        return None
    return peer / fedstat if better == "lower" else fedstat / peer


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


class Runs:
    """One or more (fedbench, phe, pypaillier) measurements of the same configuration."""

    def __init__(self, pairs: list[tuple[dict, dict]]):
        self.runs = []
        for fed, peers in pairs:
            self.runs.append((fed, peers.get("phe", {}), peers.get("pypaillier", {})))
        self.fed, self.phe, self.pyp = (self._merge([run[i] for run in self.runs]) for i in range(3))

    @staticmethod
    def _merge(dicts: list[dict]) -> dict:
        """Median of every numeric figure across the runs; other values from the first run."""
        merged = dict(dicts[0])
        for key, value in dicts[0].items():
            values = [d.get(key) for d in dicts]
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                m = statistics.median(values)
                if all(isinstance(v, int) for v in values) and m == int(m):
                    merged[key] = int(m)
                else:  # no more decimals than the inputs have
                    decimals = max(len(repr(float(v)).partition(".")[2]) for v in values)
                    merged[key] = round(float(m), decimals)
        return merged

    def ratio(self, fn: Callable[[dict, dict, dict], float | None]) -> str:
        """fn applied to each run; the median, and with several runs the range."""
        values = [v for v in (fn(*run) for run in self.runs) if v is not None]
        if not values:
            return "-"
        text = fmt_ratio(statistics.median(values))
        if len(self.runs) > 1:
            text += f" ({min(values):.2f}-{max(values):.2f})"
        return text

    def each(self, who: int, key: str) -> list:
        return [run[who].get(key) for run in self.runs]


def table(header: list[str], rows: list[list[str]], left: set[int] = frozenset({0})) -> str:
    """Columns whose index is in `left` are left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]

    def line(cells):
        return "  ".join(c.ljust(w) if i in left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule] + [line(r) for r in rows])


def main() -> None:
    paths = sys.argv[1:]
    if not paths or len(paths) % 2:
        sys.exit(__doc__)
    pairs = []
    for fed_path, peers_path in zip(paths[0::2], paths[1::2]):
        with open(fed_path) as f, open(peers_path) as g:
            pairs.append((json.load(f), json.load(g)))
    runs = Runs(pairs)
    fed, phe, pyp = runs.fed, runs.phe, runs.pyp
    many = len(runs.runs) > 1
    out = []

    out.append(f"== Fedstat vs peers, {fed.get('bits')}-bit modulus ==")
    out.append("Ratios are oriented so that >1 means Fedstat is better (faster, or more ops/s) by that")
    out.append("factor; <1 means the peer is better. Times are medians of several rounds.")
    if many:
        out.append(f"{len(runs.runs)} repeats: figures are medians over the repeats; ratios are the median of the "
                   "per-repeat ratios, (min-max) after them.")
    out.append("")
    header = ["figure", "unit", "better", "Fedstat", "phe", "pypaillier",
              "Fedstat vs phe", "Fedstat vs pypaillier", "note"]
    rows = []
    for key, unit, better, note in ROWS:
        rows.append([key, unit, better or "", fmt(fed.get(key)), fmt(phe.get(key)), fmt(pyp.get(key)),
                     runs.ratio(lambda f, a, b: ratio(f.get(key), a.get(key), better)),
                     runs.ratio(lambda f, a, b: ratio(f.get(key), b.get(key), better)), note])
    out.append(table(header, rows, left={0, 1, 2, 8}))
    out.append("")

    out.append("== Like-for-like encryption (same exponentiation shape, one core; >1 = Fedstat better) ==")
    bits = pyp.get("exponent_bits")
    out.append(f"Fedstat short_exponent_1024_ops_per_s vs pypaillier encrypt_ops_per_s: "
               f"{fmt(fed.get('short_exponent_1024_ops_per_s'))} vs {fmt(pyp.get('encrypt_ops_per_s'))} ops/s = "
               + runs.ratio(lambda f, a, b: ratio(f.get("short_exponent_1024_ops_per_s"),
                                                  b.get("encrypt_ops_per_s"), "higher")))
    out.append(f"  fixed-base h^r with a 1024-bit r on Fedstat's side (the table power alone), "
               f"{bits if bits else '?'}-bit r on pypaillier's (its whole encryption)")
    if bits and bits != 1024 and fed.get("short_exponent_1024_ops_per_s"):
        scaled = fed["short_exponent_1024_ops_per_s"] * 1024 / bits
        estimate = runs.ratio(lambda f, a, b: ratio(
            f.get("short_exponent_1024_ops_per_s", 0) * 1024 / bits, b.get("encrypt_ops_per_s"), "higher"))
        out.append(f"  exponent lengths differ at this key size: Fedstat scaled to {bits} bits (a fixed-base "
                   f"power costs one product per window, linear in the length): ~{scaled:.1f} ops/s, "
                   f"estimated ratio {estimate}")
    out.append(f"Fedstat encrypt_textbook_ops_per_s vs phe encrypt_ops_per_s: "
               f"{fmt(fed.get('encrypt_textbook_ops_per_s'))} vs {fmt(phe.get('encrypt_ops_per_s'))} ops/s = "
               + runs.ratio(lambda f, a, b: ratio(f.get("encrypt_textbook_ops_per_s"),
                                                  a.get("encrypt_ops_per_s"), "higher")))
    out.append("  both (1+n*m)*r^n mod n^2 with a fresh random r: one |n|-bit exponentiation modulo n^2")
    out.append("")

    def quotient(x, y):
        return x / y if x and y else None

    out.append("== Reference ratios (library time / bare GMP time of the same operation; lower = less overhead) ==")
    ref = []
    for who, index, data in (("Fedstat", 0, fed), ("phe", 1, phe)):
        if data.get("decrypt_ms") and data.get("raw_gmp_crt_powm_ms"):
            ref.append([f"{who}: decrypt_ms / raw_gmp_crt_powm_ms",
                        f"{fmt(data['decrypt_ms'])} / {fmt(data['raw_gmp_crt_powm_ms'])} ms",
                        runs.ratio(lambda *run: quotient(run[index].get("decrypt_ms"),
                                                         run[index].get("raw_gmp_crt_powm_ms")))])
        if data.get("add_us") and data.get("raw_gmp_modmul_us"):
            ref.append([f"{who}: add_us / raw_gmp_modmul_us",
                        f"{fmt(data['add_us'])} / {fmt(data['raw_gmp_modmul_us'])} us",
                        runs.ratio(lambda *run: quotient(run[index].get("add_us"),
                                                         run[index].get("raw_gmp_modmul_us")))])
    for key, unit, label in (("raw_gmp_crt_powm_ms", "ms", "gmpy2's GMP / Fedstat's GMP"),
                             ("raw_gmp_modmul_us", "us", "gmpy2 (from Python) / Fedstat")):
        if fed.get(key) and phe.get(key):
            ref.append([f"{key}: {label}", f"{fmt(phe[key])} / {fmt(fed[key])} {unit}",
                        runs.ratio(lambda f, a, b: quotient(a.get(key), f.get(key)))])
    out.append(table(["ratio", "figures", "value"], ref, left={0, 1}))
    out.append("(The values are plain quotients, not oriented: 0.80x means the library takes 0.8 of the raw")
    out.append("GMP time. phe's raw figures are gmpy2.powmod / a*b % n^2 on phe's own key, timed from Python.)")
    out.append("")

    out.append("== How the peers were driven ==")
    for name, data in (("phe", phe), ("pypaillier", pyp)):
        for key in ("encrypt_how", "decrypt_how", "add_how", "scalar_mul_how"):
            if data.get(key):
                out.append(f"{name} {key.removesuffix('_how')}: {data[key]}")
    out.append("")

    def listed(who: int, key: str) -> str:
        return ", ".join(fmt(v) for v in runs.each(who, key))

    out.append("== One-thread check ==")
    if pyp:
        out.append(f"pypaillier one-core child: RAYON_NUM_THREADS={pyp.get('rayon_num_threads')}, "
                   f"CPU/wall during encryption {listed(2, 'encrypt_cpu_per_wall')}, "
                   f"OS threads {listed(2, 'os_threads')} (the interpreter + rayon's pool)")
        out.append(f"pypaillier all-cores child: RAYON_NUM_THREADS unset, CPU/wall during encryption "
                   f"{listed(2, 'encrypt_all_cores_cpu_per_wall')}, OS threads {listed(2, 'all_cores_os_threads')}, "
                   f"all-cores / one-core throughput {listed(2, 'all_cores_speedup')}")
    if phe:
        out.append(f"phe: CPU/wall during encryption {listed(1, 'encrypt_cpu_per_wall')}, "
                   f"OS threads {listed(1, 'os_threads')}")
    out.append("CPU/wall near 1.0 means one core did the work; near the core count, all of them.")
    cores = os.cpu_count() or 1
    for name, who, key, expected in (("pypaillier one-core", 2, "encrypt_cpu_per_wall", 1.0),
                                     ("phe", 1, "encrypt_cpu_per_wall", 1.0),
                                     ("pypaillier all-cores", 2, "encrypt_all_cores_cpu_per_wall", float(cores))):
        for seen in runs.each(who, key):
            if seen is not None and seen < 0.85 * expected:
                out.append(f"WARNING: {name} got {seen} cores' worth of CPU where {expected:g} was expected: "
                           "the machine was busy with other work; repeat the run")
            if name == "pypaillier one-core" and seen is not None and seen > 1.15:
                out.append(f"WARNING: the one-core pypaillier child used {seen} cores: "
                           "RAYON_NUM_THREADS=1 did not hold")
    out.append("")

    out.append("== Figures only one side has ==")
    rows = [[k, u, fmt(fed.get(k))] for k, u in FEDSTAT_ONLY if k in fed]
    out.append(table(["Fedstat", "unit", "value"], rows, left={0, 1}))
    out.append("")
    extra = []
    for name, data in (("phe", phe), ("pypaillier", pyp)):
        for key in ("version", "backend", "keygen_primes", "keygen_cpu_per_wall", "encrypt_method",
                    "encrypt_exponent_bits", "plaintext_bound_bits", "encrypt_batch", "encrypt_single_call_us",
                    "decrypt_single_ms", "add_pair_us", "scalar_mul_secret_us", "raw_gmp_crt_powm_ms",
                    "raw_gmp_modmul_us"):
            if data.get(key) is not None:
                extra.append([name, key, fmt(data[key])])
    out.append(table(["peer", "figure", "value"], extra, left={0, 1, 2}))
    print("\n".join(out))


if __name__ == "__main__":
    main()
