#!/usr/bin/env bash
# `make demo`: the example city federation, for real, on this machine.
#
# Builds fednode and fedquery in release mode, runs the key ceremony into Keys/demo/
# (git-ignored; fresh keys every run), starts every department's node as a background
# process on free loopback ports, waits until the coordinator sees them all (health
# checks, not sleeps), runs Examples/city/queries.sql with fedquery and checks every
# answer against the pooled computation (scripts/pooled.py), then stops the nodes —
# also when interrupted. Node logs are in Keys/demo/logs/.
#
# Every department's data is generated into its node folder (scripts/make-example-data.py:
# the committed CSV files, and SQLite databases for the departments that keep SQLite);
# ROWS=N and SEED=S draw other data (up to 1,000,000 rows per department). KEEP_RUNNING=1
# leaves the nodes running after the queries, for questions of your own, until Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SWIFT="${SWIFT:-swift}"
CONFIGURATION="${CONFIGURATION:-release}"   # debug: skip the release build while developing
DEMO=Keys/demo
CITY=Examples/city
NODES=(north-hospital south-hospital east-clinic civil-affairs housing-office)

echo "demo: building fednode and fedquery ($CONFIGURATION)"
"$SWIFT" build -c "$CONFIGURATION" --product fednode >&2
"$SWIFT" build -c "$CONFIGURATION" --product fedquery >&2
BIN="$("$SWIFT" build -c "$CONFIGURATION" --show-bin-path)"

# Free loopback ports below the ephemeral range (where no outgoing connection takes them).
read -r -a PORTS <<<"$(python3 - "${#NODES[@]}" <<'PY'
import random, socket, sys
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0]) if __import__("os").path.exists("/proc/sys/net/ipv4/ip_local_port_range") else 32768
chosen = []
while len(chosen) < int(sys.argv[1]):
    port = random.randrange(10000, max(low, 10001))
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
    if port not in chosen:
        chosen.append(port)
print(" ".join(map(str, chosen)))
PY
)"

rm -rf "$DEMO/city" "$DEMO/logs"
mkdir -p "$DEMO/logs"
NODE_ARGS=()
for i in "${!NODES[@]}"; do NODE_ARGS+=(--node "${NODES[$i]}=127.0.0.1:${PORTS[$i]}"); done
echo "demo: key ceremony (CA, node and analyst certificates, a 2048-bit threshold Paillier key) into $DEMO/city"
"$BIN/fednode" federation init --id city --out "$DEMO/city" --threshold 2 --catalog "$CITY/catalog.yaml" \
    --analyst alice --analyst carol "${NODE_ARGS[@]}" >/dev/null
python3 scripts/make-example-data.py --out "$DEMO/city/nodes" ${ROWS:+--rows "$ROWS"} ${SEED:+--seed "$SEED"} >/dev/null

PIDS=()
stop_nodes() {
    if [ "${#PIDS[@]}" -gt 0 ]; then
        echo "demo: stopping the nodes (SIGTERM: each drains and exits)"
        kill -TERM "${PIDS[@]}" 2>/dev/null || true
        wait "${PIDS[@]}" 2>/dev/null || true
        PIDS=()
    fi
}
trap stop_nodes EXIT
trap 'stop_nodes; exit 130' INT TERM

for i in "${!NODES[@]}"; do
    node="${NODES[$i]}"
    dir="$DEMO/city/nodes/$node"
    cp "$CITY/nodes/$node/policies/"*.yaml "$dir/policies/"
    python3 scripts/splice-datasets.py "$CITY/nodes/$node/datasets.yaml" "$dir/node.yaml"
    "$BIN/fednode" serve --config "$dir/node.yaml" >"$DEMO/logs/$node.log" 2>&1 &
    PIDS+=($!)
    echo "demo: started $node on 127.0.0.1:${PORTS[$i]} (pid $!; $(grep -v '^#' "$CITY/nodes/$node/datasets.yaml"))"
done

CONFIG="$DEMO/city/analysts/alice/fedquery.yaml"
echo "demo: waiting until the coordinator sees every department"
for attempt in $(seq 1 300); do
    if status="$("$BIN/fedquery" status --config "$CONFIG" 2>/dev/null)" \
        && [ "$(grep -c '  reachable' <<<"$status")" -eq "${#NODES[@]}" ]; then
        break
    fi
    if [ "$attempt" -eq 300 ]; then echo "demo: the nodes did not become healthy; see $DEMO/logs/" >&2; exit 1; fi
    sleep 0.2
done
echo "$status"

DATA=()
for node in "${NODES[@]}"; do DATA+=(--data "$DEMO/city/nodes/$node"); done
python3 scripts/demo-queries.py --fedquery "$BIN/fedquery" --config "$CONFIG" "${DATA[@]}"

if [ -n "${KEEP_RUNNING:-}" ]; then
    echo
    echo "demo: the federation keeps running (KEEP_RUNNING); ask it your own questions, e.g."
    echo "  $BIN/fedquery --config $CONFIG \\"
    echo "      'SELECT chronic, COUNT(*), AVG(cost) FROM visits WHERE age >= 65 GROUP BY chronic'"
    echo "demo: Ctrl-C stops the nodes"
    wait "${PIDS[@]}" 2>/dev/null || true
fi
