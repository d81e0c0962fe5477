#!/usr/bin/env python3
"""Writes the example city's data: every department's rows of its dataset.

The three hospitals hold `visits` (North Hospital and East Clinic as CSV, South Hospital
as SQLite); the Civil-Affairs Bureau (SQLite) and the Housing Office (CSV) hold
`assistance`, the households they support. Deterministic (a fixed seed per department),
so the committed CSV files can be checked with --check; SQLite databases are generated,
never committed. The rows are synthetic: no real person is in them.

`--seed`, `--rows` (up to 1,000,000 per department) and `--out` write other, larger or
differently drawn data elsewhere, e.g. `--rows 1000000 --out /tmp/city` for a load test.
Each department's files go to OUT/<department>/<dataset>.csv or .sqlite (table
<dataset>), the names Examples/city/nodes/<department>/datasets.yaml maps.
"""
import argparse
import contextlib
import io
import pathlib
import random
import sqlite3
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "Examples" / "city" / "nodes"
DISTRICTS = ["north", "south", "east", "west", "centre"]
# department: (dataset, format, seed, rows, how its people spread over the districts)
DEPARTMENTS = {
    "north-hospital": ("visits", "csv", 101, 2400, [0.55, 0.10, 0.10, 0.15, 0.10]),
    "south-hospital": ("visits", "sqlite", 202, 1800, [0.10, 0.55, 0.15, 0.10, 0.10]),
    "east-clinic": ("visits", "csv", 303, 900, [0.05, 0.10, 0.60, 0.05, 0.20]),
    "civil-affairs": ("assistance", "sqlite", 404, 1500, [0.20, 0.25, 0.20, 0.20, 0.15]),
    "housing-office": ("assistance", "csv", 505, 1100, [0.15, 0.20, 0.25, 0.25, 0.15]),
}
COLUMNS = {
    "visits": ["district", "age", "sex", "cost", "days", "insured", "chronic"],
    "assistance": ["district", "head_age", "members", "amount", "months", "disabled"],
}


def visits(rng, count, weights):
    """(district, age, sex, cost in cents, days, insured, chronic); None is NULL."""
    for _ in range(count):
        district = rng.choices(DISTRICTS, weights)[0]
        age = min(120, max(0, int(rng.gauss(52, 22))))
        sex = rng.choices(["f", "m", "x"], [0.51, 0.48, 0.01])[0]
        chronic = rng.random() < (0.15 + age / 250)
        days = None if rng.random() < 0.03 else min(365, int(rng.expovariate(1 / (2 + age / 20))))
        # Cost grows with age, stay and chronic illness; a few are unknown.
        if rng.random() < 0.05:
            cost = None
        else:
            base = 150 + 12 * age + 420 * (days or 0) + (900 if chronic else 0)
            cost = min(50_000_000, int(rng.lognormvariate(0, 0.35) * base * 100))
        insured = None if rng.random() < 0.04 else rng.random() < 0.92
        yield district, age, sex, cost, days, insured, chronic


def assistance(rng, count, weights):
    """(district, head_age, members, monthly amount in cents, months, disabled)."""
    for _ in range(count):
        district = rng.choices(DISTRICTS, weights)[0]
        head_age = min(120, max(16, int(rng.gauss(55, 18))))
        members = min(12, 1 + int(rng.expovariate(1 / 1.4)))
        months = rng.choice([12] * 6 + list(range(1, 12)))
        # A base per household plus a share per member, older heads a little more.
        amount = min(2_000_000, int((420 + 180 * members + 2 * head_age) * rng.uniform(0.8, 1.2) * 100))
        disabled = None if rng.random() < 0.06 else rng.random() < 0.18
        yield district, head_age, members, amount, months, disabled


def cells(dataset, row):
    """The row's cells as text for CSV, None for NULL: cents as a decimal with two places."""
    def cents(value):
        return None if value is None else f"{value // 100}.{value % 100:02d}"

    def boolean(value):
        return None if value is None else ("true" if value else "false")

    if dataset == "visits":
        district, age, sex, cost, days, insured, chronic = row
        return [district, str(age), sex, cents(cost), None if days is None else str(days), boolean(insured), boolean(chronic)]
    district, head_age, members, amount, months, disabled = row
    return [district, str(head_age), str(members), cents(amount), str(months), boolean(disabled)]


def table(department, seed, rows):
    dataset, _, own_seed, default_rows, weights = DEPARTMENTS[department]
    rng = random.Random(own_seed + seed)
    draw = visits if dataset == "visits" else assistance
    return [cells(dataset, row) for row in draw(rng, rows or default_rows, weights)]


def csv_text(dataset, rows):
    out = io.StringIO()
    out.write(",".join(COLUMNS[dataset]) + "\n")
    for row in rows:
        out.write(",".join("" if cell is None else cell for cell in row) + "\n")
    return out.getvalue()


def write_sqlite(path, dataset, rows):
    """A table named after the dataset; decimals as TEXT (exact), booleans as 0/1."""
    path.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        types = {"district": "TEXT", "sex": "TEXT", "cost": "TEXT", "amount": "TEXT"}
        columns = ", ".join(f"{c} {types.get(c, 'INTEGER')}" for c in COLUMNS[dataset])
        db.execute(f"CREATE TABLE {dataset} (id INTEGER PRIMARY KEY, {columns})")
        booleans = {"insured", "chronic", "disabled"}
        stored = [
            [None if cell is None else (int(cell == "true") if name in booleans else cell)
             for name, cell in zip(COLUMNS[dataset], row)]
            for row in rows
        ]
        marks = ", ".join("?" for _ in COLUMNS[dataset])
        db.executemany(f"INSERT INTO {dataset} ({', '.join(COLUMNS[dataset])}) VALUES ({marks})", stored)
    path.chmod(0o644)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a committed CSV file differs")
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
    for department, (dataset, kind, *_) in DEPARTMENTS.items():
        if arguments.check and kind != "csv":
            continue
        rows = table(department, arguments.seed, arguments.rows)
        path = arguments.out / department / f"{dataset}.{kind}"
        if arguments.check:
            if not path.exists() or path.read_text() != csv_text(dataset, rows):
                stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "csv":
            path.write_text(csv_text(dataset, rows))
        else:
            write_sqlite(path, dataset, rows)
    if stale:
        sys.exit("make-example-data: out of date (run scripts/make-example-data.py): " + ", ".join(stale))
    print("make-example-data: " + ("OK" if arguments.check else f"written to {arguments.out}"))


if __name__ == "__main__":
    main()
