"""`python -m bench world`: time and peak memory of generating a world, against a peer that
writes the same tables with pandas.

Work: `generate_world(WorldConfig(scale=S, years=1, seed=1))` into bench/_work/world_S, run in
a child process so the peak resident memory measured (`ru_maxrss` of the child) is the
world's own, not this script's. Targets at scale 0.1: < 60 s and < 4,000 MB.

Peer (named, measured in the same run): most of a world's time goes to writing its files
(the agency CSVs, CBP's crossings and plate reads above all, and the truth tables), so the
peer writes the same tables, read back from the world just written, with the plain path
most Python code would use: `pandas.DataFrame.to_csv`, chunk by chunk (100,000 rows) so its
memory stays small. Only the `to_csv` calls are timed (not the reading). Ours is timed over
the generator's writing steps ("writing ATF records" to "done"), which also include the
sensors' own work (choosing, formatting and noising each agency's records); CBP crossings
streamed while simulating are not in it. The peer runs in a second child, so the world's
peak memory stays its own. `speedup_vs_pandas_to_csv` = peer seconds / our writing seconds.

Env: BENCH_WORLD_SCALE (default 0.1), BENCH_WORLD_YEARS (default 1).
Last line: `world: scale=<S> seconds=<s> peak_mb=<m> writing_s=<w> speedup_vs_pandas_to_csv=<x>`.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

WORK = Path(__file__).resolve().parent / "_work"

CHILD = """
import json, sys, time, resource
from pathlib import Path
from ironriver.world import WorldConfig, generate_world
scale, years, out = float(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
steps = []
def progress(message):
    steps.append((time.perf_counter(), str(message)))
t0 = time.perf_counter()
generate_world(WorldConfig(scale=scale, years=years, seed=1, out=out), progress=progress)
seconds = time.perf_counter() - t0
writing = steps[-1][0] - next(t for t, text in steps if text.startswith("writing"))
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "writing_s": writing, "peak_mb": peak_kb / 1024}))
"""

PEER = """
import json, sys, time
from pathlib import Path
import pandas as pd
import pyarrow.parquet as pq
world, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
CHUNK = 100_000
def chunks(path):
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=CHUNK)
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False, chunksize=CHUNK)
    return (b.to_pandas() for b in pq.ParquetFile(path).iter_batches(batch_size=CHUNK))
seconds, rows, tables = 0.0, 0, 0
files = sorted(p for p in world.rglob("*") if p.suffix in (".csv", ".jsonl", ".parquet"))
for n, path in enumerate(files):
    target = out / f"{n}.csv"
    tables += 1
    for i, frame in enumerate(chunks(path)):
        t0 = time.perf_counter()
        frame.to_csv(target, mode="w" if i == 0 else "a", header=i == 0, index=False)
        seconds += time.perf_counter() - t0
        rows += len(frame)
    target.unlink(missing_ok=True)  # (a table with no rows wrote none)
print(json.dumps({"seconds": seconds, "rows": rows, "tables": tables}))
"""


def _child(code: str, *args: str) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run(scale: float, years: int = 1) -> dict[str, float]:
    out = WORK / f"world_{scale:g}"
    if out.exists():
        shutil.rmtree(out)
    result = _child(CHILD, str(scale), str(years), str(out))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["peak_mb"] = max(result["peak_mb"], children)  # before the peer's child runs
    return result


def peer(scale: float) -> dict[str, float]:
    """pandas.DataFrame.to_csv of every table the world just wrote (see the docstring)."""
    scratch = WORK / f"peer_{scale:g}"
    try:
        return _child(PEER, str(WORK / f"world_{scale:g}"), str(scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    scale = float(os.environ.get("BENCH_WORLD_SCALE", "0.1"))
    years = int(os.environ.get("BENCH_WORLD_YEARS", "1"))
    r = run(scale, years)
    print(
        f"ours: generate_world scale {scale:g}: {r['seconds']:.1f} s, of which the writing "
        f"steps {r['writing_s']:.1f} s; peak {r['peak_mb']:.0f} MB"
    )
    p = peer(scale)
    speedup = p["seconds"] / r["writing_s"]
    print(
        f"peer pandas.DataFrame.to_csv of the same {p['tables']:.0f} tables "
        f"({p['rows']:,.0f} rows, 100,000-row chunks): {p['seconds']:.1f} s"
    )
    print(
        f"speedup vs pandas to_csv: {speedup:.2f}x (peer seconds / our writing seconds; "
        f"ours also builds the records)"
    )
    print(
        f"world: scale={scale:g} seconds={r['seconds']:.1f} peak_mb={r['peak_mb']:.0f} "
        f"writing_s={r['writing_s']:.1f} speedup_vs_pandas_to_csv={speedup:.2f}"
    )


if __name__ == "__main__":
    main()
