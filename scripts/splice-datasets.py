#!/usr/bin/env python3
"""Puts a department's `datasets` section (Examples/city/nodes/<department>/datasets.yaml)
into the node.yaml the key ceremony wrote, in place of its empty `datasets: {}`.

    python3 scripts/splice-datasets.py DATASETS.yaml NODE.yaml
"""
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip())
    sources, config = sys.argv[1], sys.argv[2]
    lines = [line for line in open(sources).read().splitlines() if line.strip() and not line.startswith("#")]
    text = open(config).read()
    if "datasets: {}" not in text:
        sys.exit(f"splice-datasets: {config} has no empty `datasets: {{}}` to fill")
    with open(config, "w") as handle:
        handle.write(text.replace("datasets: {}", "datasets:\n" + "\n".join("  " + line for line in lines), 1))


if __name__ == "__main__":
    main()
