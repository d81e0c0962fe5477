#!/usr/bin/env bash
# Fedstat's secure sum against MPyC's, in ONE run on this machine: the same vector length
# among the same number of local parties, printed as figures and a ratio (>1 = Fedstat
# faster).
#
#   bash Benchmarks/compare-mpyc.sh [--nodes N] [--values V] [--rounds R]
#
# Fedstat: `fedbench e2e --protocol secure-sum` (release build): N real nodes over mutual
# TLS 1.3 on loopback, a whole query from submission to result (planning, proposals and
# policy checks, every node scanning its rows, masking, summing, finalising, audit
# records). MPyC: N local parties (MPyC starts them, no TLS) each inputting a vector of V
# secret integers, adding them and opening the sum.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

NODES=3
VALUES=10000
ROUNDS=5
while [ $# -gt 0 ]; do
    case "$1" in
        --nodes) NODES="$2"; shift 2 ;;
        --values) VALUES="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "compare-mpyc.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done

SWIFT="${SWIFT:-swift}"
VENV=Benchmarks/.venv
if [ ! -f "$VENV/.ready" ] || [ Benchmarks/requirements.txt -nt "$VENV/.ready" ]; then
    if ! python3 -m venv --help >/dev/null 2>&1; then
        SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-venv
    fi
    echo "compare-mpyc.sh: setting up $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r Benchmarks/requirements.txt
    touch "$VENV/.ready"
fi

echo "compare-mpyc.sh: building fedbench (release)" >&2
"$SWIFT" build -c release --product fedbench >&2
FEDBENCH="$("$SWIFT" build -c release --show-bin-path)/fedbench"

echo "compare-mpyc.sh: machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
FEDSTAT_JSON="$("$FEDBENCH" e2e --nodes "$NODES" --values "$VALUES" --rounds "$ROUNDS" --protocol secure-sum --format json)"
MPYC_JSON="$("$VENV/bin/python" Benchmarks/mpyc_sum.py --values "$VALUES" --rounds "$ROUNDS" -M"$NODES" --no-log 2>/dev/null | tail -1)"
echo "fedstat: $FEDSTAT_JSON"
echo "mpyc:    $MPYC_JSON"
python3 - "$FEDSTAT_JSON" "$MPYC_JSON" <<'PY'
import json, sys
fedstat, mpyc = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"secure sum of {fedstat['values']} values among {fedstat['nodes']} parties: "
      f"Fedstat {fedstat['median_ms']:.1f} ms, MPyC {mpyc['median_ms']:.1f} ms, "
      f"Fedstat {mpyc['median_ms'] / fedstat['median_ms']:.1f}x faster")
PY
