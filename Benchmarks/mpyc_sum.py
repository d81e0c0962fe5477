"""MPyC's secure sum of one vector per party: the peer `compare-mpyc.sh` measures
Fedstat's secure sum against.

Every party (run this script with -M<parties>; MPyC starts the local parties) inputs a
vector of --values secret integers; the parties add them and open the sum. Prints one
JSON line (party 0 only) with the median wall time of --rounds sums after a warm-up.
"""
import argparse
import json
import statistics
import sys
import time

from mpyc.runtime import mpc


async def main(values: int, rounds: int) -> None:
    await mpc.start()
    secint = mpc.SecInt(64)
    own = [(mpc.pid * 7919 + i) % 1000 for i in range(values)]
    timings = []
    for round_ in range(rounds + 1):
        await mpc.barrier()
        started = time.perf_counter()
        vectors = mpc.input([secint(v) for v in own])  # one list per party
        total = vectors[0]
        for vector in vectors[1:]:
            total = mpc.vector_add(total, vector)
        opened = await mpc.output(total)
        elapsed = (time.perf_counter() - started) * 1000
        expected = [sum((p * 7919 + i) % 1000 for p in range(len(mpc.parties))) for i in range(values)]
        if opened != expected:
            raise SystemExit("mpyc_sum.py: the opened sum is wrong")
        if round_ > 0:
            timings.append(elapsed)
    await mpc.shutdown()
    if mpc.pid == 0:
        print(json.dumps({
            "peer": "mpyc", "parties": len(mpc.parties), "values": values, "rounds": rounds,
            "median_ms": round(statistics.median(timings), 2), "min_ms": round(min(timings), 2),
        }))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--values", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    known, rest = parser.parse_known_args()
    sys.argv = [sys.argv[0]] + rest  # MPyC reads its own options (-M, -I, …)
    mpc.run(main(known.values, known.rounds))
