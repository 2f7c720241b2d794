"""`python -m bench world`: time and peak memory of generating a world.

Work: `generate_world(WorldConfig(scale=S, years=1, seed=1))` into bench/_work/world_S, run in
a child process so the peak resident memory measured (`ru_maxrss` of the child) is the
world's own, not this script's. Targets at scale 0.1: < 60 s and < 4,000 MB.

Env: BENCH_WORLD_SCALE (default 0.1), BENCH_WORLD_YEARS (default 1).
Last line: `world: scale=<S> seconds=<s> peak_mb=<m>`.
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
t0 = time.perf_counter()
generate_world(WorldConfig(scale=scale, years=years, seed=1, out=out))
seconds = time.perf_counter() - t0
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024}))
"""


def run(scale: float, years: int = 1) -> dict[str, float]:
    out = WORK / f"world_{scale:g}"
    if out.exists():
        shutil.rmtree(out)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(scale), str(years), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["peak_mb"] = max(result["peak_mb"], children)
    return result


def main() -> None:
    scale = float(os.environ.get("BENCH_WORLD_SCALE", "0.1"))
    years = int(os.environ.get("BENCH_WORLD_YEARS", "1"))
    r = run(scale, years)
    print(f"world: scale={scale:g} seconds={r['seconds']:.1f} peak_mb={r['peak_mb']:.0f}")


if __name__ == "__main__":
    main()
