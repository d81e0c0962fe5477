#!/usr/bin/env python3
"""The pooled computation a federated answer must equal, and the comparison.

Reads every department's rows of the queried dataset (CSV or SQLite) as if they were
one table, computes a demo query exactly (Python fractions; no floating point), formats
every value as Fedstat does (an exact decimal when it terminates, otherwise rounded
once, half away from zero, to 15 significant digits) and compares it with fedquery's JSON answer cell by cell. Cells the
federation suppressed (null) are not compared, but at least one cell must be shown.

    python3 scripts/pooled.py --data DIR [--data DIR ...] --sql "SQL" --answer answer.json

Understands exactly the queries of Examples/city/queries.sql (a small parser for that
shape, not SQL in general). Exit 0 when every shown cell matches, 1 otherwise.
"""
import argparse
import contextlib
import csv
import json
import pathlib
import re
import sqlite3
import sys
from fractions import Fraction


INTEGER = {"age", "days", "head_age", "members", "months"}
DECIMAL = {"cost", "amount"}
BOOLEAN = {"insured", "chronic", "disabled"}


def value(column, cell):
    """A cell as an exact Python value: int, Fraction, bool, str, or None for NULL."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, float):
        raise SystemExit(f"pooled.py: {column} holds a floating-point value ({cell!r}); the example data stores text")
    if column in INTEGER:
        return int(cell)
    if column in DECIMAL:
        return Fraction(cell)  # TEXT "123.45" (or an INTEGER) read exactly
    if column in BOOLEAN:
        if cell in (1, "1", "true"):
            return True
        if cell in (0, "0", "false"):
            return False
        raise SystemExit(f"pooled.py: {column} holds {cell!r}, not a boolean")
    return cell


def load(directories, dataset):
    """Every department's rows of `dataset`: DIR/<dataset>.csv or DIR/<dataset>.sqlite
    (table <dataset>); a folder with neither is a department that does not hold it."""
    rows = []
    for directory in directories:
        base = pathlib.Path(directory) / dataset
        if base.with_suffix(".csv").exists():
            with open(base.with_suffix(".csv"), newline="") as handle:
                for row in csv.DictReader(handle):
                    rows.append({column: value(column, cell) for column, cell in row.items()})
        elif base.with_suffix(".sqlite").exists():
            with contextlib.closing(sqlite3.connect(f"file:{base.with_suffix('.sqlite')}?mode=ro", uri=True)) as db:
                cursor = db.execute(f"SELECT * FROM {dataset}")
                names = [d[0] for d in cursor.description]
                for record in cursor:
                    rows.append({column: value(column, cell) for column, cell in zip(names, record)})
    if not rows:
        raise SystemExit(f"pooled.py: no department folder holds {dataset}")
    return rows


def dataset_of(sql):
    return re.search(r" FROM (\w+)", sql).group(1)


def shown(value, digits=15):
    """A rational as Fedstat shows it."""
    if value is None:
        return None
    d = value.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d == 1:  # terminating: in full
        places = max(twos, fives)
        scaled = value * 10 ** places
        return fixed(int(scaled), places)
    # Rounded once to `digits` significant digits, half away from zero, trailing zeros
    # kept (as BigRational.decimalString(significantDigits:) does).
    negative = value < 0
    magnitude = -value if negative else value
    exponent = 0  # floor(log10(magnitude))
    while magnitude >= Fraction(10) ** (exponent + 1):
        exponent += 1
    while magnitude < Fraction(10) ** exponent:
        exponent -= 1
    shift = digits - 1 - exponent
    scaled = magnitude * Fraction(10) ** shift
    rounded = int(scaled)
    if scaled - rounded >= Fraction(1, 2):
        rounded += 1
    if rounded == 10 ** digits:  # carried into a new digit
        rounded //= 10
        shift -= 1
    text = fixed(rounded, shift) if shift >= 0 else str(rounded * 10 ** (-shift))
    return ("-" if negative else "") + text


def fixed(integer, places):
    sign = "-" if integer < 0 else ""
    digits = str(abs(integer)).rjust(places + 1, "0")
    return sign + (digits[:-places] + "." + digits[-places:] if places else digits)


def width_bucket(value, low, high, count):
    if value < low:
        return 0
    if value >= high:
        return count + 1
    return int((Fraction(value) - low) * count // (high - low)) + 1


def answer(sql, rows):
    """The pooled result of `sql` as {group key tuple: [values]} in the query's column order."""
    where = re.search(r"WHERE (\w+) > (\d+)", sql)
    if where:
        column, bound = where.group(1), int(where.group(2))
        rows = [r for r in rows if r[column] is not None and r[column] > bound]
    bucket = re.search(r"GROUP BY WIDTH_BUCKET\((\w+), (\d+), (\d+), (\d+)\)", sql)
    group = re.search(r"GROUP BY (\w+)$", sql)
    if bucket:
        column, low, high, count = bucket.group(1), int(bucket.group(2)), int(bucket.group(3)), int(bucket.group(4))
        key = lambda r: (str(width_bucket(r[column], low, high, count)),)
    elif group:
        key = lambda r: (r[group.group(1)],)
    else:
        key = lambda r: ()
    groups = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    select = sql.split(" FROM ")[0][len("SELECT "):]
    items = [item.strip() for item in re.split(r",(?![^(]*\))", select)]
    result = {}
    for k, members in groups.items():
        values = []
        for item in items:
            if item.startswith("WIDTH_BUCKET") or re.fullmatch(r"\w+", item):
                continue  # the group label
            values.append(aggregate(item, members))
        result[k] = values
    return result


def aggregate(item, rows):
    if item == "COUNT(*)":
        return Fraction(len(rows))
    function, arguments = re.fullmatch(r"(\w+)\((.*)\)", item).groups()
    names = [a.strip() for a in arguments.split(",")]
    pairs = [[r[n] for n in names] for r in rows if all(r[n] is not None for n in names)]
    n = len(pairs)
    if function == "AVG":
        return None if n == 0 else sum(Fraction(p[0]) for p in pairs) / n
    if function == "VAR_SAMP":
        if n < 2:
            return None
        s = sum(Fraction(p[0]) for p in pairs)
        ss = sum(Fraction(p[0]) ** 2 for p in pairs)
        return (n * ss - s * s) / (n * (n - 1))
    if function in ("REGR_SLOPE", "REGR_INTERCEPT"):
        sy = sum(Fraction(p[0]) for p in pairs)
        sx = sum(Fraction(p[1]) for p in pairs)
        sxy = n * sum(Fraction(p[0]) * p[1] for p in pairs) - sx * sy
        sxx = n * sum(Fraction(p[1]) ** 2 for p in pairs) - sx * sx
        if sxx == 0:
            return None
        slope = sxy / sxx
        return slope if function == "REGR_SLOPE" else (sy - slope * sx) / n
    raise SystemExit(f"pooled.py: no pooled rule for {item}")


def compare(federated, pooled_result):
    """Prints every shown cell of fedquery's JSON answer beside the pooled value;
    returns (cells compared, mismatches)."""
    label_columns = [i for i, c in enumerate(federated["columns"]) if c["type"] in ("category", "bucket", "boolean")]
    value_columns = [i for i in range(len(federated["columns"])) if i not in label_columns]
    compared = mismatches = 0
    for row in federated["rows"]:
        key = tuple(row[i] for i in label_columns)
        expected = pooled_result.get(key)
        for index, column in enumerate(value_columns):
            cell = row[column]
            if cell is None:
                continue
            want = (shown(expected[index]) or "NULL") if expected is not None else "(no such group)"
            label = "/".join(str(k) for k in key) or "all"
            ok = cell == want
            compared += 1
            mismatches += 0 if ok else 1
            name = federated["columns"][column]["name"]
            print(f"    {label:>8}  {name:<26} federated {cell:>22}  pooled {want:>22}  {'ok' if ok else 'MISMATCH'}")
    if compared == 0:
        print("    no cell was shown to compare")
    else:
        print(f"    {compared} values compared, {mismatches} mismatches")
    return compared, mismatches


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", action="append", required=True,
                        help="a department's folder with <dataset>.csv or <dataset>.sqlite")
    parser.add_argument("--sql", required=True)
    parser.add_argument("--answer", required=True, help="fedquery --format json output")
    options = parser.parse_args()
    with open(options.answer) as handle:
        federated = json.load(handle)
    compared, mismatches = compare(federated, answer(options.sql, load(options.data, dataset_of(options.sql))))
    return 1 if mismatches or compared == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
