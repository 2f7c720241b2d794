"""Run a scenario: the 2012-2021 history, then the scenario's levers from January 2022.

Time: week t of the model is 1/52 of a year after week t - 1, as in the paper (52 weeks a
year, 520 weeks from January 2012 to January 2022). Week 52 y + w is labelled January 1 of
2012 + y plus 7 w days, so every model year starts on January 1 and "January 2027" is exactly
week 780.

`simulate` gives one deterministic run (expected initial sizes); `run_batch` takes a batch
of initial states and rates (used by `montecarlo` and `calibrate`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ironriver.errors import StrategyError, StrategyOptionError
from ironriver.i18n import msg
from ironriver.strategy.decapitation import pad, split_network
from ironriver.strategy.model import Array, Rates, integrate, observe
from ironriver.strategy.network import CartelNetwork, load_network
from ironriver.strategy.parameters import PAPER_PARAMETERS, ModelParameters
from ironriver.strategy.scenarios import Scenario, get_scenario

START_YEAR = 2012
WEEKS_PER_YEAR = 52
HISTORY_WEEKS = 520  # January 2012 -> January 2022
MAX_YEARS = 50


def week_date(week: int) -> dt.date:
    """Calendar label of model week `week` (see the module docstring)."""
    year, w = divmod(week, WEEKS_PER_YEAR)
    return dt.date(START_YEAR + year, 1, 1) + dt.timedelta(days=7 * w)


def week_of(year: int) -> int:
    """Model week of January 1 of `year`."""
    return (year - START_YEAR) * WEEKS_PER_YEAR


@dataclass(frozen=True)
class Simulation:
    """Weekly outputs of B runs from January 2012.

    totals: (T + 1, 4, B) members, deaths, recruits, incapacitated per week.
    groups: (T + 1, B, n) members per group, or None (Monte Carlo keeps totals only).
    network: the final network (with any factions), whose names label the groups.
    """

    scenario: Scenario
    totals: Array
    groups: Array | None
    network: CartelNetwork

    @property
    def weeks(self) -> int:
        return int(self.totals.shape[0]) - 1

    @property
    def runs(self) -> int:
        return int(self.totals.shape[2])

    def dates(self) -> list[dt.date]:
        return [week_date(t) for t in range(self.weeks + 1)]

    def series(self, run: int = 0) -> pd.DataFrame:
        """One row per week: date, week, members, deaths/recruits/incapacitated per week."""
        t = self.totals[:, :, run]
        return pd.DataFrame(
            {
                "date": pd.to_datetime(self.dates()),
                "week": np.arange(self.weeks + 1),
                "members": t[:, 0],
                "deaths_per_week": t[:, 1],
                "recruits_per_week": t[:, 2],
                "incapacitated_per_week": t[:, 3],
            }
        )

    def by_group(self, run: int = 0) -> pd.DataFrame:
        """Members per group per week (columns: short names in rank order, factions last)."""
        if self.groups is None:
            raise StrategyError(
                msg("This simulation kept totals only."),
                hint=msg(
                    "Use {simulate} (not {monte_carlo}) for members by group.",
                    simulate="simulate()",
                    monte_carlo="monte_carlo()",
                ),
            )
        return pd.DataFrame(
            self.groups[:, run, :],
            index=pd.to_datetime(self.dates()),
            columns=self.network.names,
        )

    def at(self, year: int, run: int = 0) -> pd.Series:
        """The weekly row of January 1 of `year`."""
        return self.series(run).iloc[week_of(year)]


def _check_years(years: int, scenario: Scenario) -> None:
    if not 1 <= years <= MAX_YEARS:
        raise StrategyOptionError(
            msg("--years must be between 1 and {max}, got {years}.", max=MAX_YEARS, years=years),
            hint=msg("The paper looks 5 to 10 years ahead; --years 5 stops in January 2027."),
        )
    late = [s for s in scenario.splits if s.week > years * WEEKS_PER_YEAR]
    if late:
        raise StrategyOptionError(
            msg("The split {split} happens after the end of the run.", split=late[0].label()),
            hint=msg(
                "Use a week between 0 and {last}, or more --years.", last=years * WEEKS_PER_YEAR
            ),
        )


def run_batch(
    c0: Array,
    base: Rates,
    scenario: Scenario,
    years: int,
    network: CartelNetwork | None = None,
    keep_groups: bool = True,
) -> Simulation:
    """History from c0 (B, 150) under `base`, then `scenario` for `years` years."""
    _check_years(years, scenario)
    network = network or load_network()
    splits = sorted(scenario.splits, key=lambda s: s.week)
    # Build every network the run passes through, to know the final number of groups.
    stages = [network]
    parents: list[int] = []
    for s in splits:
        parent = stages[-1].index_of(s.group)
        parents.append(parent)
        stages.append(split_network(stages[-1], parent, s.factions, scenario.faction_rivalry))
    size = stages[-1].size
    runs = c0.shape[0]
    c = np.zeros((runs, size))
    c[:, : c0.shape[1]] = c0

    policy = base.scaled(scenario.recruitment, scenario.incapacitation, scenario.lethality)
    # Segments: (weeks, rates, stage index); a split happens at the start of its segment.
    bounds = [HISTORY_WEEKS + s.week for s in splits]
    edges = [0, HISTORY_WEEKS, *bounds, HISTORY_WEEKS + years * WEEKS_PER_YEAR]
    totals_parts = []
    group_parts = []
    first = observe(c, np.ascontiguousarray(pad(stages[0], size).dense().T), base)
    totals_parts.append(
        np.array([[first.members, first.deaths, first.recruits, first.incapacitated]])
    )
    if keep_groups:
        group_parts.append(c[None].copy())
    stage = 0
    for k in range(len(edges) - 1):
        start, stop = edges[k], edges[k + 1]
        if k >= 2:  # segment k >= 2 starts with split k - 2
            split, parent = splits[k - 2], parents[k - 2]
            stage += 1
            new = stages[stage].size - stages[stage - 1].size
            members = c[:, parent].copy()
            fractions = split.fractions()
            c[:, parent] = members * fractions[0]
            first_new = stages[stage - 1].size
            c[:, first_new : first_new + new] = members[:, None] * fractions[None, 1:]
        rates = base if start < HISTORY_WEEKS else policy
        if stop > start:
            c, totals, groups = integrate(
                c, pad(stages[stage], size), rates, stop - start, keep_groups=keep_groups
            )
            totals_parts.append(totals)
            if groups is not None:
                group_parts.append(groups)
    totals = np.concatenate(totals_parts)
    if not np.all(np.isfinite(totals)):
        # the lever bounds keep the weekly step accurate; this guards the bounds themselves
        raise StrategyError(
            msg(
                "The model gave a value that is not a finite number (NaN or infinity): the "
                "run was stopped."
            ),
            hint=msg("Report the command and its options; smaller lever values should run."),
        )
    return Simulation(
        scenario=scenario,
        totals=totals,
        groups=np.concatenate(group_parts) if keep_groups else None,
        network=stages[-1],
    )


def simulate(
    scenario: Scenario | str = "status-quo",
    years: int = 10,
    params: ModelParameters = PAPER_PARAMETERS,
    network: CartelNetwork | None = None,
) -> Simulation:
    """One deterministic run: expected 1/rank initial sizes, then the scenario from 2022.

    >>> sim = simulate("half-recruitment", years=5)
    >>> round(sim.at(2022)["members"], -3) > 150_000
    True
    """
    if isinstance(scenario, str):
        scenario = get_scenario(scenario)
    network = network or load_network()
    c0 = (network.initial_shares() * params.initial_members)[None, :]
    return run_batch(c0, Rates.from_parameters(params), scenario, years, network)
