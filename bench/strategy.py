"""Benchmark of ironriver.strategy: one 10-year scenario run and a 1,000-run Monte Carlo.

`run_10y_ms`: median wall time of `simulate("status-quo", years=10)` (2012-2021 history
plus ten years, 1,040 weekly Runge-Kutta steps, members of all 150 groups kept).
`montecarlo_1000_s`: median wall time of `monte_carlo("status-quo", years=10, runs=1000)`.
Targets: < 100 ms and < 10 s.

Peer: SciPy's `solve_ivp` (RK45, adaptive, rtol 1e-6) integrating the same equations from
the same initial sizes over the same 20 years, dense M, one run: the usual way to integrate
such a model. The ratio printed is its time over ours for one run, and over ours for 1,000
runs divided by 1,000 (the Monte Carlo batches runs into one array).
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


def _peer_solve_ivp() -> Callable[[], object]:
    """SciPy's adaptive RK45 on the same ODE (dense M) over 2012-2031."""
    import numpy as np
    from scipy.integrate import solve_ivp

    from ironriver.strategy import load_network
    from ironriver.strategy.parameters import ModelParameters

    net = load_network()
    p = ModelParameters()
    m = net.conflict_matrix()
    c0 = p.initial_members * net.initial_shares()

    def rhs(_t: float, c: np.ndarray) -> np.ndarray:
        total = max(float(c.sum()), 1e-12)
        return c * (p.rho - p.eta / total - p.theta * (m @ c) - p.omega * c)

    weeks = 52 * 20
    t_eval = np.arange(weeks + 1, dtype=float)
    return lambda: solve_ivp(rhs, (0.0, float(weeks)), c0, t_eval=t_eval, rtol=1e-6)


def main() -> None:
    from ironriver.strategy import load_network, monte_carlo, simulate

    load_network()  # reading the packaged CSVs is not part of a run
    peer = _median_seconds(_peer_solve_ivp(), repeats=5)
    print(f"peer scipy solve_ivp RK45, one 20-year run: median {peer * 1000:.1f} ms")
    simulate("status-quo", years=1)  # warm-up
    run_10y = _median_seconds(lambda: simulate("status-quo", years=10), repeats=15)
    print(f"simulate status-quo 10y: median {run_10y * 1000:.1f} ms over 15 runs")
    mc = _median_seconds(lambda: monte_carlo("status-quo", years=10, runs=1000), repeats=3)
    print(f"monte_carlo 1000 runs 10y: median {mc:.2f} s over 3 repeats")
    print(
        f"speedup vs solve_ivp: one run {peer / run_10y:.1f}x, "
        f"per run in the Monte Carlo {peer / (mc / 1000):.0f}x"
    )
    print(f"strategy: run_10y_ms={run_10y * 1000:.1f} montecarlo_1000_s={mc:.2f}")
