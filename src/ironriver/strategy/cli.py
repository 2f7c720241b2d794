"""`ironriver strategy ...`: parse options, call one library function, render the result.

Tables for people, `--json` for programs, `--chart PATH` (.png or .svg) for pictures.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from ironriver.cli_support import json_flag
from ironriver.errors import StrategyError
from ironriver.i18n import Msg, current_lang, msg, render, t, translate
from ironriver.model.labels import yes_no
from ironriver.strategy.calibrate import calibrate as run_calibration
from ironriver.strategy.decapitation import Split
from ironriver.strategy.evaluate import (
    HEADLINES,
    compare_simulations,
    headline_bands,
    horizon_check,
    interdiction_sweep,
    reproduction,
)
from ironriver.strategy.montecarlo import bands, monte_carlo
from ironriver.strategy.parameters import INTERDICTION_ELASTICITY, all_parameters
from ironriver.strategy.scenarios import HEADLINE_SCENARIOS, SCENARIOS, get_scenario
from ironriver.strategy.simulate import Simulation, simulate, week_of

SCENARIO_CHOICE = click.Choice(list(SCENARIOS))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: dates as YYYY-MM-DD, numbers as floats, NaN as null."""
    out = []
    for row in frame.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, pd.Timestamp):
                clean[str(key)] = value.strftime("%Y-%m-%d")
            elif isinstance(value, float) and math.isnan(value):
                clean[str(key)] = None
            elif hasattr(value, "item"):
                clean[str(key)] = value.item()
            else:
                clean[str(key)] = value
        out.append(clean)
    return out


def _json_text(payload: dict[str, Any]) -> str:
    """`payload` as strict JSON: NaN and infinity are not JSON (Python would print them as
    bare `NaN`/`Infinity` tokens that other parsers refuse), so they are an error here."""
    try:
        return json.dumps(payload, allow_nan=False)
    except ValueError:
        raise StrategyError(
            msg(
                "The result holds a value that is not a finite number (NaN or infinity), "
                "which JSON cannot carry: nothing was printed."
            ),
            hint=msg("Check the lever values; run without --json to see the table."),
        ) from None


# Table columns as a reader sees them, in words (JSON keeps the column names).
HEADINGS: dict[str, Msg] = {
    "date": msg("date"),
    "members": msg("members"),
    "deaths_per_week": msg("deaths/week"),
    "recruits_per_week": msg("recruits/week"),
    "incapacitated_per_week": msg("incapacitated/week"),
    "scenario": msg("scenario"),
    "total_deaths_from_2022": msg("total deaths from 2022"),
    "parameter": msg("parameter"),
    "fitted": msg("fitted"),
    "paper": msg("paper"),
    "lower": msg("lower"),
    "upper": msg("upper"),
    "initial_members": msg("initial members"),
    "at_bound": msg("at bound"),
    "elasticity": msg("elasticity"),
    "share_interdicted": msg("share interdicted"),
    "lethality_factor": msg("lethality factor"),
    "quantity": msg("quantity"),
    "ours": msg("this model"),
    "accepted": msg("accepted range"),
    "ok": msg("in range"),
    "january_2027_pct": msg("January 2027 (%)"),
    "mean_2027_pct": msg("mean 2027 (%)"),
    "rmse_deaths_per_week": msg("RMSE deaths/week"),
    "r2": msg("R²"),
    "mape_percent": msg("MAPE (%)"),
    "bias_deaths_per_week": msg("bias deaths/week"),
}
YEAR_HEADINGS: tuple[tuple[re.Pattern[str], Callable[[str], Msg]], ...] = (
    (re.compile(r"members_(\d{4})"), lambda y: msg("members {year}", year=y)),
    (re.compile(r"deaths_per_week_(\d{4})"), lambda y: msg("deaths/week {year}", year=y)),
    (
        re.compile(r"members_change_(\d{4})_pct"),
        lambda y: msg("members change {year} (%)", year=y),
    ),
    (
        re.compile(r"deaths_change_(\d{4})_pct"),
        lambda y: msg("deaths change {year} (%)", year=y),
    ),
)


def heading(column: object) -> str:
    """A column name (or a row label naming a column) in the current language."""
    name = str(column)
    if name in HEADINGS:
        return HEADINGS[name].render()
    for pattern, label in YEAR_HEADINGS:
        match = pattern.fullmatch(name)
        if match:
            return label(match[1]).render()
    return name


def _cell(value: object) -> object:
    """A table cell as a reader sees it: yes/no (`yes_no`), a column name as its heading, a
    text the library marked for translation (descriptions, quantities) translated; data as it
    is."""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, str):
        return heading(value) if value in HEADINGS else translate(value, current_lang())
    return value


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` for a person: headings and texts in the current language, in words (numbers
    as they are; `--json` keeps the column names)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if is_bool_dtype(values) or not is_numeric_dtype(values):
            # (not `map`: it would make floats again of whole counts in a mixed column)
            out[column] = pd.Series([_cell(v) for v in values], index=out.index, dtype=object)
    out.columns = pd.Index([heading(c) for c in out.columns])
    return out


#: Columns that count people (members, deaths in all): shown as whole numbers.
COUNT_COLUMNS = re.compile(r"members(_\d{4})?|total_deaths_from_2022")


def _whole(value: object) -> object:
    """A count as a whole number (a model count is an expected value: 24458.3 people read as
    24458); NaN as it is."""
    if isinstance(value, float) and math.isnan(value):
        return value
    return round(float(value))  # type: ignore[arg-type]


def whole_counts(frame: pd.DataFrame, rows: pd.Series | None = None) -> pd.DataFrame:
    """`frame` with its counts of people as whole numbers: the columns named as counts
    (`COUNT_COLUMNS`), and when `rows` (a boolean mask) is given, every number of those rows
    (a table whose rows are quantities, e.g. a transposed one)."""
    out = frame.copy()
    for column in out.columns:
        if COUNT_COLUMNS.fullmatch(str(column)):
            out[column] = out[column].map(_whole).astype(object)
    if rows is not None and rows.any():
        for column in out.columns:
            if is_numeric_dtype(out[column]) and not is_bool_dtype(out[column]):
                out[column] = pd.Series(
                    [_whole(v) if r else v for v, r in zip(out[column], rows, strict=True)],
                    index=out.index,
                    dtype=object,
                )
    return out


def shown_reproduction(table: pd.DataFrame) -> pd.DataFrame:
    """`reproduction()`'s table for a person: its texts (one row per headline) translated,
    numbers to one decimal, counts whole."""
    counts = pd.Series([h.count for h in HEADLINES], index=table.index)
    table = whole_counts(table.round(1), counts)
    texts = table.assign(
        quantity=[render(h.label) for h in HEADLINES],
        paper=[render(h.paper_text) for h in HEADLINES],
        accepted=[render(h.accepted()) for h in HEADLINES],
    )
    return shown(texts)


def _yearly(sim: Simulation) -> pd.DataFrame:
    series = sim.series()
    rows = [week_of(y) for y in range(2012, 2013 + sim.weeks // 52)]
    table = series.iloc[rows].drop(columns=["week"]).copy()
    table["date"] = table["date"].dt.strftime("%Y-%m-%d")
    return whole_counts(table.round(1))


@click.group("strategy")
def strategy() -> None:
    """Cartel dynamics: recruitment, incapacitation, arms interdiction, decapitation.

    The Prieto-Curiel et al. (Science, 2023) model on the 150-group CIDE network, weekly
    from January 2012; scenarios change the levers from January 2022.

    \b
    Example: ironriver strategy run --scenario half-recruitment --years 5
    """


@strategy.command("run")
@click.option(
    "--scenario",
    "name",
    type=SCENARIO_CHOICE,
    default="status-quo",
    show_default=True,
    help="A named scenario; the options below change it.",
)
@click.option("--recruitment", type=float, default=1.0, help="Multiply recruitment (rho).")
@click.option("--incapacitation", type=float, default=1.0, help="Multiply arrests (eta).")
@click.option(
    "--interdiction", type=float, default=0.0, help="Share of southbound guns stopped, 0-1."
)
@click.option(
    "--elasticity",
    type=float,
    default=None,
    help=f"Lethality removed per unit interdicted (default {INTERDICTION_ELASTICITY.value}).",
)
@click.option(
    "--split",
    "splits",
    multiple=True,
    help="Decapitation GROUP:K@WEEK[:s1,s2..] (WEEK after Jan 2022), e.g. CJNG:3@26.",
)
@click.option("--faction-rivalry", type=float, default=None, help="Rivalry between factions.")
@click.option("--years", type=int, default=5, show_default=True, help="Years after 2022.")
@click.option(
    "--runs", type=int, default=0, help="Monte Carlo runs for bands (0 = none, at most 10000)."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Monte Carlo seed.")
@json_flag("Print JSON: {scenario, series, ...}.")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a chart: .png or .svg.",
)
def run(
    name: str,
    recruitment: float,
    incapacitation: float,
    interdiction: float,
    elasticity: float | None,
    splits: tuple[str, ...],
    faction_rivalry: float | None,
    years: int,
    runs: int,
    seed: int,
    as_json: bool,
    chart: Path | None,
) -> None:
    """Run one scenario; lever flags multiply on top of it from January 2022.

    \b
    Example: ironriver strategy run --scenario status-quo --recruitment 0.5 --split CJNG:3@26
    """
    scenario = get_scenario(name).with_levers(
        recruitment=recruitment,
        incapacitation=incapacitation,
        interdiction=interdiction,
        elasticity=elasticity,
        splits=tuple(Split.parse(s) for s in splits),
        faction_rivalry=faction_rivalry,
    )
    sim = simulate(scenario, years=years)
    band = bands(monte_carlo(scenario, years=years, runs=runs, seed=seed)) if runs else None
    if chart is not None:
        from ironriver.strategy.charts import scenario_chart

        scenario_chart(sim, chart, band)
    final = sim.by_group().iloc[-1].sort_values(ascending=False)
    if as_json:
        payload: dict[str, Any] = {  # the scenario's keys as `compare`'s rows name them
            "scenario": scenario.name,
            "description": scenario.description_in("en"),
            "changed": [str(change) for change in scenario.changes],
            "recruitment": scenario.recruitment,
            "incapacitation": scenario.incapacitation,
            "interdiction": scenario.interdiction,
            "elasticity": scenario.elasticity,
            "lethality_factor": scenario.lethality,
            "faction_rivalry": scenario.faction_rivalry,
            "splits": [s.label() for s in scenario.splits],
            "years": years,
            "series": _records(sim.series().drop(columns=["week"])),
            "groups_final": {str(k): float(v) for k, v in final.items()},
        }
        if band is not None:
            payload["bands"] = _records(band)
        click.echo(_json_text(payload))
        return
    click.echo(
        t(
            "Scenario {name}: {description}",
            name=scenario.label_in(),
            description=scenario.description_in(),
        )
    )
    click.echo(shown(_yearly(sim)).to_string(index=False))
    click.echo("\n" + t("Largest groups at the end:"))
    click.echo(final.head(10).round(0).astype(int).to_string())
    if band is not None:
        last = band.iloc[-1]
        click.echo(
            "\n"
            + t(
                "Monte Carlo ({runs} runs), last week, 5-95%: members {members_low:,.0f}-"
                "{members_high:,.0f}; deaths/week {deaths_low:.0f}-{deaths_high:.0f}",
                runs=runs,
                members_low=last["members_q05"],
                members_high=last["members_q95"],
                deaths_low=last["deaths_per_week_q05"],
                deaths_high=last["deaths_per_week_q95"],
            )
        )
    if chart is not None:
        click.echo(t("Chart written to {path}", path=chart))


@strategy.command("compare")
@click.option(
    "--scenario",
    "names",
    type=SCENARIO_CHOICE,
    multiple=True,
    help="Scenarios to compare (default: the four of the paper).",
)
@click.option("--years", type=int, default=10, show_default=True, help="Years after 2022.")
@json_flag()
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a chart: .png or .svg.",
)
def compare(names: tuple[str, ...], years: int, as_json: bool, chart: Path | None) -> None:
    """Members and deaths of several scenarios at 5 and 10 years.

    \b
    Example: ironriver strategy compare --scenario status-quo --scenario no-recruitment
    """
    sims = [simulate(n, years=years) for n in names or HEADLINE_SCENARIOS]
    table = compare_simulations(sims, years=years)
    if chart is not None:
        from ironriver.strategy.charts import compare_chart

        compare_chart(sims, chart)
    if as_json:
        click.echo(_json_text({"years": years, "scenarios": _records(table)}))
        return
    wide = table.drop(columns=["description"]).set_index("scenario").T.round(1)
    counts = pd.Series([bool(COUNT_COLUMNS.fullmatch(r)) for r in wide.index], index=wide.index)
    wide = whole_counts(wide, counts)
    wide.index = pd.Index([heading(c) for c in wide.index])
    wide.columns.name = heading("scenario")
    click.echo(wide.to_string())
    if chart is not None:
        click.echo(t("Chart written to {path}", path=chart))


@strategy.command("calibrate")
@click.option(
    "--max-evals",
    type=click.IntRange(min=1),
    default=60,
    show_default=True,
    help="Model runs the fit may use.",
)
@json_flag()
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a chart: .png or .svg.",
)
def calibrate(max_evals: int, as_json: bool, chart: Path | None) -> None:
    """Fit the five parameters to 2012-2021 deaths (bounded least squares).

    \b
    Example: ironriver strategy calibrate --chart fit.png
    """
    result = run_calibration(max_nfev=max_evals)
    if chart is not None:
        from ironriver.strategy.charts import calibration_chart

        calibration_chart(result.curve, chart)
    if as_json:
        click.echo(
            _json_text(
                {
                    # `paper` is a published figure's text elsewhere (`reproduce`), and
                    # `name`, `value` are not a parameter's anywhere else
                    "parameters": _records(result.table.rename(columns={"paper": "paper_value"})),
                    "fit": result.fit,
                    "paper_fit": result.paper_fit,
                    "success": result.success,
                    "optimiser_message": result.message,  # (`message` is an error's)
                    "status": result.status,
                    "declared_parameters": [
                        {
                            "parameter": p.name,
                            "default_value": p.value,
                            "unit": p.unit,
                            "description": p.description,
                            "source": p.source,
                        }
                        for p in all_parameters()
                    ],
                }
            )
        )
        return
    click.echo(shown(result.table).to_string(index=False))
    click.echo("\n" + t("Fit to weekly deaths 2012-2021 (fitted | paper parameters):"))
    for key, value in result.fit.items():
        click.echo(f"  {heading(key):24s} {value:10.3f} | {result.paper_fit[key]:10.3f}")
    click.echo(t("Optimiser: {outcome}", outcome=result.outcome()))


@strategy.command("sweep")
@click.option("--years", type=int, default=5, show_default=True, help="Years after 2022.")
@json_flag()
def sweep(years: int, as_json: bool) -> None:
    """Sensitivity of arms interdiction: share interdicted x elasticity.

    \b
    Example: ironriver strategy sweep --years 5
    """
    table = interdiction_sweep(years=years)
    if as_json:
        click.echo(_json_text({"years": years, "sweep": _records(table)}))
        return
    click.echo(shown(table.round(2)).to_string(index=False))


@strategy.command("reproduce")
@click.option("--runs", type=int, default=0, help="Also Monte Carlo bands (e.g. 1000).")
@json_flag()
def reproduce(runs: int, as_json: bool) -> None:
    """The published headlines beside ours (the README table).

    \b
    Example: ironriver strategy reproduce --runs 1000
    """
    table = reproduction()
    horizon = horizon_check()
    band = headline_bands(runs=runs) if runs else None
    if as_json:
        payload: dict[str, Any] = {
            "reproduction": _records(table),
            "horizon": _records(horizon),
        }
        if band is not None:
            payload["bands"] = _records(band)
        click.echo(_json_text(payload))
        return
    click.echo(shown_reproduction(table).to_string(index=False))
    click.echo(
        "\n" + t("The 2027 headlines on 1 January 2027 and averaged over 2027 (vs Jan 2022):")
    )
    click.echo(shown(horizon.round(1)).to_string(index=False))
    if band is not None:
        click.echo(
            "\n" + t("Monte Carlo, {runs} runs (Poisson sizes, parameter ranges):", runs=runs)
        )
        counts = band["quantity"].isin({str(h.label) for h in HEADLINES if h.count})
        click.echo(shown(whole_counts(band.round(1), counts)).to_string(index=False))
