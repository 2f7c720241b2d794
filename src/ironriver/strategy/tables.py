"""The strategy's tables as a person reads them: headings and texts in the current
language, counts of people whole; and as JSON reads them (`records`).

The command line (`ironriver strategy`, `ironriver eval strategy`) prints them; they are
here, beside the simulator, so that the command module imports no pandas until a command
runs (docs/performance.md, "CLI start-up").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from ironriver.i18n import Msg, current_lang, msg, render, translate
from ironriver.model.labels import yes_no
from ironriver.strategy.evaluate import HEADLINES
from ironriver.strategy.simulate import Simulation, week_of


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
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


# Table columns as a reader sees them, in words (JSON keeps the column names). A table for
# people may name a column after its year (`YEAR_HEADINGS`: `members_2027`); JSON keeps a
# stable key and the year beside it (`members`, `year`).
HEADINGS: dict[str, Msg] = {
    "date": msg("date"),
    "members": msg("members"),
    "deaths_per_week": msg("deaths/week"),
    "recruits_per_week": msg("recruits/week"),
    "incapacitated_per_week": msg("incapacitated/week"),
    "scenario": msg("scenario"),
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
    (
        re.compile(r"deaths_from_2022_to_(\d{4})"),
        lambda y: msg("total deaths, Jan 2022 to Jan {year}", year=y),
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
COUNT_COLUMNS = re.compile(r"members(_\d{4})?|deaths_from_2022(_to_\d{4})?")


def _whole(value: object) -> object:
    """A count as a whole number, its thousands separated as every count the CLI prints
    (a model count is an expected value: 24458.3 people read as 24,458); NaN as it is."""
    if isinstance(value, float) and math.isnan(value):
        return value
    return count_words(value)


def count_words(value: object) -> str:
    """A number of people as a reader sees it: whole, thousands separated by a comma (as
    Mexico writes them too), e.g. 173,837."""
    return f"{round(float(value)):,}"  # type: ignore[arg-type]


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


def yearly(sim: Simulation) -> pd.DataFrame:
    series = sim.series()
    rows = [week_of(y) for y in range(2012, 2013 + sim.weeks // 52)]
    table = series.iloc[rows].drop(columns=["week"]).copy()
    table["date"] = table["date"].dt.strftime("%Y-%m-%d")
    return whole_counts(table.round(1))


def compare_table(table: pd.DataFrame) -> pd.DataFrame:
    """`compare_simulations`' table for a person: one column per scenario; one row per
    quantity and year (members and deaths per week in 2022, then also their changes at each
    later year), and the deaths from January 2022 to the horizon; headings in words, numbers
    to one decimal, counts whole."""
    names = list(dict.fromkeys(table["scenario"]))
    years = sorted(set(table["year"]))
    by_year = table.set_index(["year", "scenario"])
    rows: dict[str, pd.Series] = {}
    for year in years:
        values = by_year.loc[year].reindex(names)
        rows[f"members_{year}"] = values["members"]
        if year != years[0]:
            rows[f"members_change_{year}_pct"] = values["members_change_pct"]
        rows[f"deaths_per_week_{year}"] = values["deaths_per_week"]
        if year != years[0]:
            rows[f"deaths_change_{year}_pct"] = values["deaths_change_pct"]
    rows[f"deaths_from_2022_to_{years[-1]}"] = by_year.loc[years[-1]].reindex(names)[
        "deaths_from_2022"
    ]
    wide = pd.DataFrame(rows).T.astype(float).round(1)
    counts = pd.Series([bool(COUNT_COLUMNS.fullmatch(r)) for r in wide.index], index=wide.index)
    wide = whole_counts(wide, counts)
    wide.index = pd.Index([heading(c) for c in wide.index])
    wide.columns = pd.Index(names, name=heading("scenario"))
    return wide


def compare_records(sims: list[Simulation], table: pd.DataFrame) -> list[dict[str, Any]]:
    """`compare_simulations`' table as JSON reads it: per scenario its name, description and
    milestones (one record per year, with its `year`; no key has a year in its name)."""
    return [
        {
            "scenario": sim.scenario.name,
            "description": sim.scenario.description,
            "milestones": records(
                table[table["scenario"] == sim.scenario.name].drop(
                    columns=["scenario", "description"]
                )
            ),
        }
        for sim in sims
    ]


def shown_sweep(table: pd.DataFrame) -> pd.DataFrame:
    """`interdiction_sweep`'s table for a person: its changes headed by their year ("members
    change 2027 (%)"), numbers to two decimals."""
    year = int(table["year"].iloc[0])
    out = table.drop(columns=["year"]).rename(
        columns={
            "members_change_pct": f"members_change_{year}_pct",
            "deaths_change_pct": f"deaths_change_{year}_pct",
        }
    )
    return shown(out.round(2))
