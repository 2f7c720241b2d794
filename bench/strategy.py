"""Benchmark of ironriver.strategy: one 10-year scenario run and a 1,000-run Monte Carlo.

`run_10y_ms`: median wall time of `simulate("status-quo", years=10)` (2012-2021 history
plus ten years, 1,040 weekly Runge-Kutta steps, members of all 150 groups kept).
`montecarlo_1000_s`: median wall time of `monte_carlo("status-quo", years=10, runs=1000)`.
Targets: < 100 ms and < 10 s.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def _median_seconds(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    from ironriver.strategy import load_network, monte_carlo, simulate

    load_network()  # reading the packaged CSVs is not part of a run
    simulate("status-quo", years=1)  # warm-up
    run_10y = _median_seconds(lambda: simulate("status-quo", years=10), repeats=15)
    print(f"simulate status-quo 10y: median {run_10y * 1000:.1f} ms over 15 runs")
    mc = _median_seconds(lambda: monte_carlo("status-quo", years=10, runs=1000), repeats=3)
    print(f"monte_carlo 1000 runs 10y: median {mc:.2f} s over 3 repeats")
    print(f"strategy: run_10y_ms={run_10y * 1000:.1f} montecarlo_1000_s={mc:.2f}")
