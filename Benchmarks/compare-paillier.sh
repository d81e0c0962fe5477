#!/usr/bin/env bash
# Fedstat's Paillier against python-paillier (phe) and pypaillier, measured in ONE run on
# this machine, printed as a table of figures and ratios (>1 = Fedstat better).
#
#   bash Benchmarks/compare-paillier.sh [--bits 2048|3072] [--quick] [--repeat N]
#
# --quick: fewer, shorter rounds and one key generation: a smoke test, not a measurement.
# --repeat N: run fedbench and the peers N times in alternation (default 1) and report
#   medians and the range of the per-repeat ratios: steadier ratios on a noisy machine.
# See Benchmarks/README.md for what every figure means.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
    sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

BITS=2048
QUICK=0
REPEAT=1
while [ $# -gt 0 ]; do
    case "$1" in
        --bits) [ $# -ge 2 ] || { usage >&2; exit 2; }; BITS="$2"; shift 2 ;;
        --bits=*) BITS="${1#--bits=}"; shift ;;
        --quick) QUICK=1; shift ;;
        --repeat) [ $# -ge 2 ] || { usage >&2; exit 2; }; REPEAT="$2"; shift 2 ;;
        --repeat=*) REPEAT="${1#--repeat=}"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "compare-paillier.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$BITS" in
    2048|3072) ;;
    *) echo "compare-paillier.sh: --bits must be 2048 or 3072" >&2; exit 2 ;;
esac
case "$REPEAT" in
    ''|*[!0-9]*|0) echo "compare-paillier.sh: --repeat must be a positive integer" >&2; exit 2 ;;
esac

SWIFT="${SWIFT:-swift}"
VENV=Benchmarks/.venv
PYTHON="$VENV/bin/python"

# The peers' virtual environment: the Makefile's $(VENV)/.ready convention.
if [ ! -f "$VENV/.ready" ] || [ Benchmarks/requirements.txt -nt "$VENV/.ready" ]; then
    if ! python3 -m venv --help >/dev/null 2>&1; then
        SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-venv
    fi
    echo "compare-paillier.sh: setting up $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r Benchmarks/requirements.txt
    touch "$VENV/.ready"
fi

echo "compare-paillier.sh: building fedbench (release)" >&2
"$SWIFT" build -c release --product fedbench >&2
BIN_DIR="$("$SWIFT" build -c release --show-bin-path)"
FEDBENCH="$(realpath --relative-to=. "$BIN_DIR/fedbench" 2>/dev/null || echo "$BIN_DIR/fedbench")"

FEDBENCH_ARGS=(paillier --bits "$BITS" --format json)
PEERS_ARGS=(--bits "$BITS" --format json)
if [ "$QUICK" = 1 ]; then
    FEDBENCH_ARGS+=(--rounds 3 --round-seconds 0.2 --keygen-runs 1)
    PEERS_ARGS+=(--quick)
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# How busy the machine was with OTHER work while we measured: the machine's busy CPU
# time (/proc/stat) minus our own children's (bash `times`), per second of wall time.
machine_jiffies() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8, $9; exit }' /proc/stat 2>/dev/null || echo "0 0"; }
# `times` must run in THIS shell (a $(...) subshell would report its own, empty, children).
children_cpu_s() {
    times >"$WORK/times"
    awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] } print s }' "$WORK/times"
}

STARTED="$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
read -r BUSY_BEFORE STEAL_BEFORE < <(machine_jiffies)
children_cpu_s >"$WORK/own-before"
WALL_BEFORE="$(date +%s.%N)"

RESULTS=()
for i in $(seq 1 "$REPEAT"); do
    echo "compare-paillier.sh: running fedbench ($i of $REPEAT)" >&2
    "$FEDBENCH" "${FEDBENCH_ARGS[@]}" >"$WORK/fedbench-$i.json"
    echo "compare-paillier.sh: running the peers ($i of $REPEAT)" >&2
    "$PYTHON" Benchmarks/peers.py "${PEERS_ARGS[@]}" >"$WORK/peers-$i.json"
    RESULTS+=("$WORK/fedbench-$i.json" "$WORK/peers-$i.json")
done

WALL_AFTER="$(date +%s.%N)"
children_cpu_s >"$WORK/own-after"
OWN_BEFORE="$(cat "$WORK/own-before")"
OWN_AFTER="$(cat "$WORK/own-after")"
read -r BUSY_AFTER STEAL_AFTER < <(machine_jiffies)
FINISHED="$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
HZ="$(getconf CLK_TCK 2>/dev/null || echo 100)"
FOREIGN="$(awk -v b0="$BUSY_BEFORE" -v b1="$BUSY_AFTER" -v s0="$STEAL_BEFORE" -v s1="$STEAL_AFTER" \
    -v o0="$OWN_BEFORE" -v o1="$OWN_AFTER" -v w0="$WALL_BEFORE" -v w1="$WALL_AFTER" -v hz="$HZ" 'BEGIN {
        wall = w1 - w0; other = ((b1 - b0) / hz - (o1 - o0)) / wall; if (other < 0) other = 0
        printf "%.2f cores on average (steal %.2f) over %.0f s", other, (s1 - s0) / hz / wall, wall
        if (other > 0.25) printf "  <- WARNING: other work competed with this run; repeat it on a quieter machine"
    }')"

CPU_MODEL="$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
CORES="$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"
SWIFT_VERSION="$("$SWIFT" --version 2>/dev/null | head -n1)"
REVISION="$(git describe --always --dirty 2>/dev/null || echo unknown)"
PEER_VERSIONS="$("$PYTHON" -c 'import importlib.metadata as m; print(", ".join(f"{p} {m.version(p)}" for p in ("phe", "gmpy2", "pypaillier")))')"

quote() { local out="" a; for a in "$@"; do out+=" $(printf '%q' "$a")"; done; echo "${out# }"; }

echo "== Machine =="
echo "CPU:        ${CPU_MODEL:-unknown}"
echo "cores:      $CORES (nproc)"
echo "date:       $STARTED to $FINISHED"
echo "load avg:   $LOAD_BEFORE before, $LOAD_AFTER after (1, 5, 15 min)"
echo "other load: $FOREIGN"
echo "kernel:     $(uname -srm)"
echo "swift:      $SWIFT_VERSION"
echo "python:     $("$PYTHON" --version 2>&1); $PEER_VERSIONS"
echo "revision:   $REVISION"
echo
echo "== Commands (from the repository root) =="
echo "bash Benchmarks/compare-paillier.sh --bits $BITS$([ "$QUICK" = 1 ] && echo " --quick" || true)$([ "$REPEAT" != 1 ] && echo " --repeat $REPEAT" || true)"
echo "  $SWIFT build -c release --product fedbench"
echo "  $(quote "$FEDBENCH" "${FEDBENCH_ARGS[@]}")"
echo "  $(quote "$PYTHON" Benchmarks/peers.py "${PEERS_ARGS[@]}")"
if [ "$REPEAT" = 1 ]; then
    echo "  $(quote "$PYTHON" Benchmarks/compare.py fedbench.json peers.json)"
else
    echo "  (the two measurements above run $REPEAT times, alternating: fedbench, peers, fedbench, ...)"
    echo "  $(quote "$PYTHON" Benchmarks/compare.py fedbench-1.json peers-1.json ... fedbench-$REPEAT.json peers-$REPEAT.json)"
fi
if [ "$QUICK" = 1 ]; then
    echo "  (--quick: 3 rounds of 0.2 s and one key generation per figure: a smoke test, not a measurement)"
fi
echo
"$PYTHON" Benchmarks/compare.py "${RESULTS[@]}"
echo
echo "== Raw JSON of this run =="
for i in $(seq 1 "$REPEAT"); do
    suffix=""; [ "$REPEAT" = 1 ] || suffix=" ($i)"
    echo "fedbench$suffix: $(cat "$WORK/fedbench-$i.json")"
    echo "peers$suffix:    $(cat "$WORK/peers-$i.json")"
done
