"""Uncertainty: Monte Carlo over initial sizes and parameter ranges, as one batched run.

Each run draws
- the initial members of each group from Poisson(share_rank * initial_members), as in the
  authors' code (`rpois`), so the total in January 2012 varies too;
- rho, eta, theta and omega uniformly within +- the relative half-widths declared in
  `parameters.MONTE_CARLO_SPREAD`.

All runs advance together: the state is a (runs, groups) array and each Runge-Kutta stage
is one matrix product, so 1,000 runs cost about as much as a few dozen single runs.
Bands are quantiles across runs, week by week.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ironriver.errors import StrategyOptionError
from ironriver.i18n import msg
from ironriver.strategy.model import Rates
from ironriver.strategy.network import CartelNetwork, load_network
from ironriver.strategy.parameters import MONTE_CARLO_SPREAD, PAPER_PARAMETERS, ModelParameters
from ironriver.strategy.scenarios import Scenario, get_scenario
from ironriver.strategy.simulate import Simulation, run_batch

#: Runs at most: every run keeps 4 totals a week, so 10,000 runs of 50 years hold about
#: 1 GiB; 1,000 runs already give 5-95% bands stable to a fraction of a percent.
MAX_RUNS = 10_000

QUANTITIES = ("members", "deaths_per_week", "recruits_per_week", "incapacitated_per_week")


def sample_rates(
    params: ModelParameters, runs: int, rng: np.random.Generator, spread: float = 1.0
) -> Rates:
    """Rates drawn uniformly within the declared ranges; `spread` scales every range."""

    def draw(name: str) -> np.ndarray:
        centre = float(getattr(params, name))
        half = MONTE_CARLO_SPREAD[name].value * spread
        out: np.ndarray = centre * rng.uniform(1.0 - half, 1.0 + half, size=(runs, 1))
        return out

    return Rates(draw("rho"), draw("eta"), draw("theta"), draw("omega"))


def monte_carlo(
    scenario: Scenario | str = "status-quo",
    years: int = 10,
    runs: int = 1000,
    seed: int = 0,
    params: ModelParameters = PAPER_PARAMETERS,
    network: CartelNetwork | None = None,
    spread: float = 1.0,
) -> Simulation:
    """`runs` runs of the scenario with random initial sizes and rates (totals only)."""
    if not 1 <= runs <= MAX_RUNS:
        raise StrategyOptionError(
            msg("Monte Carlo needs 1 to {max} runs, got {runs}.", max=MAX_RUNS, runs=runs),
            hint=msg("e.g. {example}", example="--runs 1000"),
        )
    if isinstance(scenario, str):
        scenario = get_scenario(scenario)
    network = network or load_network()
    rng = np.random.default_rng(seed)
    lam = network.initial_shares() * params.initial_members
    c0 = rng.poisson(lam, size=(runs, network.size)).astype(np.float64)
    rates = sample_rates(params, runs, rng, spread)
    return run_batch(c0, rates, scenario, years, network, keep_groups=False)


def bands(sim: Simulation, quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
    """Week-by-week quantiles across runs: columns like members_q05, members_q50, ..."""
    q = np.quantile(sim.totals, quantiles, axis=2)  # (len(q), T + 1, 4)
    data: dict[str, object] = {"date": pd.to_datetime(sim.dates())}
    for k, name in enumerate(QUANTITIES):
        for j, level in enumerate(quantiles):
            data[f"{name}_q{round(level * 100):02d}"] = q[j, :, k]
    return pd.DataFrame(data)
