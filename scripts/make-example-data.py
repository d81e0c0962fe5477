#!/usr/bin/env python3
"""Writes the example city's hospital visits (Examples/city/nodes/*/visits.csv).

Deterministic (a fixed seed per node), so the committed files can be checked with
--check. The rows are synthetic: no real person is in them. `--seed`, `--rows` (up to
1,000,000 per department) and `--out` write other, larger or differently drawn data
elsewhere, e.g. `--rows 1000000 --out /tmp/city` for a load test.
"""
import argparse
import io
import pathlib
import random
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "Examples" / "city" / "nodes"
NODES = {
    # node: (seed, rows, how its patients spread over the districts)
    "north-hospital": (101, 2400, [0.55, 0.10, 0.10, 0.15, 0.10]),
    "south-hospital": (202, 1800, [0.10, 0.55, 0.15, 0.10, 0.10]),
    "east-clinic": (303, 900, [0.05, 0.10, 0.60, 0.05, 0.20]),
}
DISTRICTS = ["north", "south", "east", "west", "centre"]


def rows(seed, count, weights):
    rng = random.Random(seed)
    for _ in range(count):
        district = rng.choices(DISTRICTS, weights)[0]
        age = min(120, max(0, int(rng.gauss(52, 22))))
        sex = rng.choices(["f", "m", "x"], [0.51, 0.48, 0.01])[0]
        chronic = rng.random() < (0.15 + age / 250)
        days = None if rng.random() < 0.03 else min(365, int(rng.expovariate(1 / (2 + age / 20))))
        # Cost in cents grows with age, stay and chronic illness; a few are unknown.
        if rng.random() < 0.05:
            cost = None
        else:
            base = 150 + 12 * age + 420 * (days or 0) + (900 if chronic else 0)
            cost = min(50_000_000, int(rng.lognormvariate(0, 0.35) * base * 100))
        insured = None if rng.random() < 0.04 else rng.random() < 0.92
        yield district, age, sex, cost, days, insured, chronic


def text(seed, count, weights):
    out = io.StringIO()
    out.write("district,age,sex,cost,days,insured,chronic\n")
    for district, age, sex, cost, days, insured, chronic in rows(seed, count, weights):
        cost_text = "" if cost is None else f"{cost // 100}.{cost % 100:02d}"
        days_text = "" if days is None else str(days)
        insured_text = "" if insured is None else ("true" if insured else "false")
        out.write(f"{district},{age},{sex},{cost_text},{days_text},{insured_text},{'true' if chronic else 'false'}\n")
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if a committed file differs")
    parser.add_argument("--seed", type=int, default=0,
                        help="added to every department's own seed (0: the committed files)")
    parser.add_argument("--rows", type=int, default=None,
                        help="rows per department, 1 to 1000000 (default: each department's own count)")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT,
                        help="folder with one subfolder per department (default: Examples/city/nodes)")
    arguments = parser.parse_args()
    if arguments.rows is not None and not 1 <= arguments.rows <= 1_000_000:
        parser.error("--rows must be 1 to 1000000 (the catalog's max_rows_per_node)")
    if arguments.check and (arguments.seed or arguments.rows is not None or arguments.out != ROOT):
        parser.error("--check verifies the committed files: no --seed, --rows or --out")
    stale = []
    for node, (seed, count, weights) in NODES.items():
        path = arguments.out / node / "visits.csv"
        wanted = text(seed + arguments.seed, arguments.rows or count, weights)
        if arguments.check:
            if not path.exists() or path.read_text() != wanted:
                stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(wanted)
    if stale:
        sys.exit("make-example-data: out of date (run scripts/make-example-data.py): " + ", ".join(stale))
    print("make-example-data: " + ("OK" if arguments.check else f"written to {arguments.out}"))


if __name__ == "__main__":
    main()
