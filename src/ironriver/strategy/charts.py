"""Charts: members and deaths over time (with Monte Carlo bands) and members by group.

PNG or SVG by the file suffix; matplotlib with the Agg backend, so no display is needed.
The same input gives the same bytes: no date stamp, and SVG element ids drawn from a fixed
salt instead of a random one.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ironriver.errors import StrategyOptionError
from ironriver.i18n import msg, t
from ironriver.strategy.simulate import HISTORY_WEEKS, Simulation

FORMATS = (".png", ".svg")
#: Characters per title line: a 9-inch-wide figure holds about 90 at the title's size.
TITLE_WIDTH = 80


def _check(path: Path) -> None:
    if path.suffix.lower() not in FORMATS:
        raise StrategyOptionError(
            msg("Cannot draw a chart as {suffix}.", suffix=path.suffix)
            if path.suffix
            else msg("Cannot draw a chart as a file without suffix."),
            hint=msg(
                "Name the chart file .png or .svg, e.g. {example}", example="--chart members.png"
            ),
        )


def _save(fig: Figure, path: Path) -> None:
    """Write `fig` reproducibly (see the module docstring) and close it."""
    with matplotlib.rc_context({"svg.hashsalt": "ironriver"}):
        fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def scenario_chart(
    sim: Simulation, path: Path, band: pd.DataFrame | None = None, top: int = 8
) -> Path:
    """Three panels: members, deaths per week (both with bands if given), members by group."""
    _check(path)
    series = sim.series()
    fig, axes = plt.subplots(3, 1, figsize=(9, 11), sharex=True)
    for ax, column, label in (
        (axes[0], "members", t("cartel members")),
        (axes[1], "deaths_per_week", t("deaths per week")),
    ):
        ax.plot(series["date"], series[column], color="tab:red", label=sim.scenario.label_in())
        if band is not None:
            ax.fill_between(
                band["date"],
                band[f"{column}_q05"],
                band[f"{column}_q95"],
                color="tab:red",
                alpha=0.2,
                label=t("5-95% Monte Carlo"),
            )
        ax.axvline(series["date"].iloc[HISTORY_WEEKS], color="grey", linestyle="--")
        ax.set_ylabel(label)
        ax.legend(loc="upper left")
    if sim.groups is not None:
        groups = sim.by_group()
        largest = groups.iloc[-1].sort_values(ascending=False).index[:top]
        for name in largest:
            members = groups[name]
            # factions are empty before their split: leave those weeks out of the log plot
            axes[2].plot(groups.index, members.where(members > 0), label=name)
        axes[2].set_yscale("log")
        axes[2].set_ylabel(t("members (log)"))
        axes[2].legend(loc="upper left", fontsize="small", ncol=2)
    title = t(
        "Scenario {name}: {description}",
        name=sim.scenario.label_in(),
        description=sim.scenario.description_in(),
    )
    # a scenario changed by lever flags is described at length: wrap rather than clip
    axes[0].set_title(textwrap.fill(title, TITLE_WIDTH))
    fig.tight_layout()
    _save(fig, path)
    return path


def compare_chart(sims: list[Simulation], path: Path) -> Path:
    """Members and deaths per week of several scenarios on shared axes."""
    _check(path)
    fig, axes = plt.subplots(2, 1, figsize=(9, 8), sharex=True)
    for sim in sims:
        series = sim.series()
        axes[0].plot(series["date"], series["members"], label=sim.scenario.label_in())
        axes[1].plot(series["date"], series["deaths_per_week"], label=sim.scenario.label_in())
    axes[0].set_ylabel(t("cartel members"))
    axes[1].set_ylabel(t("deaths per week"))
    for ax in axes:
        ax.axvline(sims[0].series()["date"].iloc[HISTORY_WEEKS], color="grey", linestyle="--")
        ax.legend(loc="upper left", fontsize="small")
    fig.tight_layout()
    _save(fig, path)
    return path


def calibration_chart(curve: pd.DataFrame, path: Path) -> Path:
    """Target deaths per week 2012-2021 against the fitted and the paper's parameters."""
    _check(path)
    fig, ax = plt.subplots(figsize=(9, 4))
    target = t("target: 0.1 x (hom. + missing)")
    ax.plot(curve["date"], curve["target"], color="black", label=target)
    ax.plot(curve["date"], curve["fitted"], color="tab:blue", label=t("fitted"))
    ax.plot(curve["date"], curve["paper"], color="tab:orange", linestyle="--", label=t("paper"))
    ax.set_ylabel(t("deaths per week"))
    ax.legend(loc="upper left")
    fig.tight_layout()
    _save(fig, path)
    return path
