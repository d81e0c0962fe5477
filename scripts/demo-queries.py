#!/usr/bin/env python3
"""Runs the demo's queries (Examples/city/queries.sql) with fedquery and checks every
answer against the pooled computation (scripts/pooled.py).

    python3 scripts/demo-queries.py --fedquery BIN --config fedquery.yaml --data DIR ...

Prints each query, fedquery's table, and the cell-by-cell comparison; a query marked
`-- expect: denied` must be refused (exit 1) with every node's decision. Exit 0 when
every answer matches and every expected denial happened.
"""
import argparse
import json
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import pooled  # noqa: E402

QUERIES = pathlib.Path(__file__).resolve().parent.parent / "Examples" / "city" / "queries.sql"


def paragraphs(text):
    """(comment lines, SQL) per blank-line-separated paragraph that has SQL."""
    for block in text.split("\n\n"):
        lines = [line for line in block.strip().splitlines() if line.strip()]
        comments = [line[2:].strip() for line in lines if line.startswith("--")]
        sql = " ".join(line.strip() for line in lines if not line.startswith("--"))
        if sql:
            yield comments, sql


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fedquery", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--data", action="append", required=True)
    options = parser.parse_args()
    failures = 0
    rows_of = {}  # dataset -> every department's rows, read once
    for comments, sql in paragraphs(QUERIES.read_text()):
        title = " ".join(c for c in comments if not c.startswith(("protocol:", "expect:")))
        protocol = next((c.split(":", 1)[1].strip() for c in comments if c.startswith("protocol:")), "secure-sum")
        denied = any(c == "expect: denied" for c in comments)
        print(f"\n== {title}\n   {sql}   [{protocol}]")
        base = [options.fedquery, "--config", options.config, "--protocol", protocol]
        table = subprocess.run(base + [sql], capture_output=True, text=True)
        if denied:
            print(table.stderr.rstrip())
            ok = table.returncode == 1 and "denies:" in table.stderr
            print(f"   {'refused, as expected' if ok else 'EXPECTED A DENIAL'}")
            failures += 0 if ok else 1
            continue
        if table.returncode != 0:
            print(f"   FAILED (exit {table.returncode}): {table.stderr.strip()}")
            failures += 1
            continue
        print("\n".join("   " + line for line in table.stdout.rstrip().splitlines()))
        answer = subprocess.run(base + ["--format", "json", sql], capture_output=True, text=True)
        if answer.returncode != 0:
            print(f"   FAILED (exit {answer.returncode}): {answer.stderr.strip()}")
            failures += 1
            continue
        federated = json.loads(answer.stdout)
        print("   against the pooled computation (all departments' rows in one table):")
        dataset = pooled.dataset_of(sql)
        if dataset not in rows_of:
            rows_of[dataset] = pooled.load(options.data, dataset)
        rows = rows_of[dataset]
        compared, mismatches = pooled.compare(federated, pooled.answer(sql, rows))
        failures += 1 if mismatches or compared == 0 else 0
    print()
    print("every answer equals the pooled computation" if failures == 0 else f"{failures} queries did not behave as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
