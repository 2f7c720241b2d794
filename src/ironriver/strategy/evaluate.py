"""Headline numbers and the reproduction table: our model run beside the paper's figures.

Every number here comes out of `simulate` with the published parameters; the paper's
figures and the accepted ranges are data, not inputs to the model. "By January 2027" is
model week 780, five model years after January 2022.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ironriver.i18n import Msg, marked, msg
from ironriver.strategy.scenarios import Scenario, get_scenario
from ironriver.strategy.simulate import HISTORY_WEEKS, Simulation, simulate, week_of


@dataclass(frozen=True)
class Headline:
    """One reproduced quantity with the paper's value and the accepted range. The texts
    are messages: the tables hold their English (`quantity`, `paper`), a reader sees them
    translated (`table_texts`)."""

    label: Msg
    paper_text: Msg | str  # a str: no words to translate
    low: float
    high: float
    count: bool = False  # a count of people (shown as a whole number)

    @property
    def quantity(self) -> str:
        return str(self.label)

    @property
    def paper(self) -> str:
        return str(self.paper_text)

    def accepted(self) -> Msg:
        """The accepted range as text."""
        if self.high == float("inf"):
            return msg("> {low:,g}", low=self.low)
        return msg("{low:,g} to {high:,g}", low=self.low, high=self.high)


HEADLINES: tuple[Headline, ...] = (
    Headline(
        msg("members, January 2022"), msg("~175,000 (160-185k)"), 168_780, 179_220, count=True
    ),
    Headline(msg("recruits per week, mean 2012-2021"), "350-370", 350, 370),
    Headline(
        msg("status quo: members, Jan 2027 vs Jan 2022 (%)"), msg("about +{pct}%", pct=26), 20, 28
    ),
    Headline(
        msg("status quo: deaths per week, Jan 2027 vs Jan 2022 (%)"),
        msg("about +{pct}%", pct=40),
        33,
        42,
    ),
    Headline(
        msg("recruitment halved: members, Jan 2027 vs Jan 2022 (%)"),
        msg("about {pct}%", pct=-11),
        -13,
        -7,
    ),
    Headline(
        msg("incapacitation doubled: members, Jan 2027 vs Jan 2022 (%)"),
        msg("cartels keep growing (> 0)"),
        0,
        float("inf"),
    ),
)


def change(sim: Simulation, column: str, year: int = 2027, base: int = 2022) -> float:
    """Percent change of a weekly series between January of `base` and January of `year`."""
    s = sim.series()[column]
    return float(100 * (s.iloc[week_of(year)] / s.iloc[week_of(base)] - 1))


def reproduction(years: int = 5) -> pd.DataFrame:
    """The reproduction table: quantity, ours, paper, accepted range, within range."""
    sims = {
        name: simulate(name, years=years)
        for name in ("status-quo", "half-recruitment", "double-incapacitation")
    }
    sq = sims["status-quo"].series()
    ours = [
        float(sq["members"].iloc[HISTORY_WEEKS]),
        float(sq["recruits_per_week"].iloc[:HISTORY_WEEKS].mean()),
        change(sims["status-quo"], "members"),
        change(sims["status-quo"], "deaths_per_week"),
        change(sims["half-recruitment"], "members"),
        change(sims["double-incapacitation"], "members"),
    ]
    return pd.DataFrame(
        {
            "quantity": [h.quantity for h in HEADLINES],
            "ours": ours,
            "paper": [h.paper for h in HEADLINES],
            "accepted": [str(h.accepted()) for h in HEADLINES],
            "ok": [h.low <= v <= h.high for h, v in zip(HEADLINES, ours, strict=True)],
        }
    )


def horizon_check() -> pd.DataFrame:
    """The 2027 headlines read two ways: on January 1 2027, and averaged over 2027.

    Both relative to January 2022. Our January-2027 values sit a little below the paper's
    (+23% vs +26%, +36% vs +40%, -10% vs -11%); the 2027 averages match them, which
    suggests the paper's "by 2027" is the year 2027 as a whole (about mid-2027).
    """
    start, stop = week_of(2027), week_of(2028)
    rows = []
    for name, column, paper in (
        ("status-quo", "members", "+26%"),
        ("status-quo", "deaths_per_week", "+40%"),
        ("half-recruitment", "members", "-11%"),
        ("double-incapacitation", "members", marked("keeps growing")),
    ):
        series = simulate(name, years=6).series()[column]
        base = series.iloc[HISTORY_WEEKS]
        rows.append(
            {
                "scenario": name,
                "quantity": column,
                "january_2027_pct": float(100 * (series.iloc[start] / base - 1)),
                "mean_2027_pct": float(100 * (series.iloc[start:stop].mean() / base - 1)),
                "paper": paper,
            }
        )
    return pd.DataFrame(rows)


def headline_bands(runs: int = 1000, seed: int = 0) -> pd.DataFrame:
    """5/50/95% Monte Carlo quantiles of the headline numbers (per-run ratios)."""
    from ironriver.strategy.montecarlo import monte_carlo

    jan22, jan27 = HISTORY_WEEKS, week_of(2027)
    rows = []
    for name in ("status-quo", "half-recruitment", "double-incapacitation"):
        totals = monte_carlo(name, years=5, runs=runs, seed=seed).totals
        values = (
            (msg("members, January 2022"), totals[jan22, 0]),
            (msg("recruits per week, mean 2012-2021"), totals[:jan22, 2].mean(axis=0)),
            (
                msg("members, Jan 2027 vs Jan 2022 (%)"),
                100 * (totals[jan27, 0] / totals[jan22, 0] - 1),
            ),
            (
                msg("deaths per week, Jan 2027 vs Jan 2022 (%)"),
                100 * (totals[jan27, 1] / totals[jan22, 1] - 1),
            ),
        )
        for label, v in values:
            quantity = str(label)  # English in the table, translated when shown
            if name != "status-quo" and "2027" not in quantity:
                continue
            q05, q50, q95 = (float(x) for x in np.quantile(v, (0.05, 0.5, 0.95)))
            rows.append(
                {"scenario": name, "quantity": quantity, "q05": q05, "q50": q50, "q95": q95}
            )
    return pd.DataFrame(rows)


#: Years after 2022 between the years `compare` reports (and the horizon itself).
MILESTONE_STEP = 5


def milestones_within(years: int, step: int = MILESTONE_STEP) -> tuple[int, ...]:
    """The years after 2022 that `compare` reports by default: every `step` years within
    the horizon, then the horizon itself (10 -> 5, 10; 7 -> 5, 7; 3 -> 3)."""
    return (*range(step, years, step), years)


def compare(
    scenarios: list[Scenario | str], years: int = 10, milestones: tuple[int, ...] | None = None
) -> pd.DataFrame:
    """Members and deaths of each scenario in January 2022 and at each milestone (years
    after 2022; default `milestones_within(years)`): `compare_simulations`' table."""
    sims = [
        simulate(get_scenario(item) if isinstance(item, str) else item, years=years)
        for item in scenarios
    ]
    return compare_simulations(sims, years, milestones)


def compare_simulations(
    sims: list[Simulation], years: int = 10, milestones: tuple[int, ...] | None = None
) -> pd.DataFrame:
    """`compare` of runs already made (e.g. also drawn as a chart).

    One row per scenario and year, in the scenarios' order, each from 2022 on: `year`, and
    in January of it `members`, `deaths_per_week`, their change since January 2022
    (`members_change_pct`, `deaths_change_pct`; 0 in 2022) and the deaths since then
    (`deaths_from_2022`). The years are 2022 + each milestone within the horizon; the last
    row of a scenario is its horizon's (2022 + `years`) whatever the milestones.
    """
    steps = sorted({m for m in milestones or milestones_within(years) if 0 < m < years})
    chosen = [2022, *(2022 + m for m in steps), 2022 + years]
    rows = []
    for sim in sims:
        series = sim.series()
        deaths = series["deaths_per_week"]
        for year in chosen:
            week = week_of(year)
            rows.append(
                {
                    "scenario": sim.scenario.name,
                    "description": sim.scenario.description,
                    "year": year,
                    "members": float(series["members"].iloc[week]),
                    "members_change_pct": change(sim, "members", year),
                    "deaths_per_week": float(deaths.iloc[week]),
                    "deaths_change_pct": change(sim, "deaths_per_week", year),
                    # each week's deaths from January 2022 to the week before January `year`
                    "deaths_from_2022": float(deaths.iloc[HISTORY_WEEKS:week].sum()),
                }
            )
    return pd.DataFrame(rows)


def interdiction_sweep(
    shares: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5),
    elasticities: tuple[float, ...] | None = None,
    years: int = 5,
) -> pd.DataFrame:
    """Sensitivity of the interdiction lever: every (share, elasticity) pair, its effect in
    January of `year` (2022 + `years`) against January 2022.

    Lower lethality means fewer deaths but also fewer members killed, so membership grows
    faster: the sweep reports both.
    """
    from ironriver.strategy.parameters import INTERDICTION_ELASTICITY_SWEEP

    base = get_scenario("status-quo")
    rows = []
    year = 2022 + years
    for e in elasticities or INTERDICTION_ELASTICITY_SWEEP:
        for s in shares:
            scenario = base.with_levers(interdiction=s, elasticity=e)
            sim = simulate(scenario, years=years)
            rows.append(
                {
                    "elasticity": e,
                    "share_interdicted": s,
                    "lethality_factor": scenario.lethality,
                    "year": year,
                    "members_change_pct": change(sim, "members", year),
                    "deaths_change_pct": change(sim, "deaths_per_week", year),
                }
            )
    return pd.DataFrame(rows)
