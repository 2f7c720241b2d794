"""`ironriver strategy ...`: parse options, call one library function, render the result.

Tables for people, `--json` for programs, `--chart PATH` (.png or .svg) for pictures.

The top-level CLI loads it on first use (`LAZY_COMMANDS` in `cli_lazy.py`). It lives outside
the `strategy` package and imports the simulator and pandas in the commands' bodies, so that
`strategy --help` loads neither (docs/performance.md, "CLI start-up"); the scenario names and
the default elasticity its help states are light copies (`SCENARIO_NAMES`,
`DEFAULT_ELASTICITY`), which a test holds equal to the library's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ironriver.cli_support import json_flag
from ironriver.errors import StrategyError
from ironriver.i18n import msg, t

#: `strategy.scenarios.SCENARIOS`' names, in its order (the choices `--help` lists)
SCENARIO_NAMES = (
    "status-quo",
    "half-recruitment",
    "double-incapacitation",
    "no-recruitment",
    "half-recruitment-double-incapacitation",
    "interdiction-50",
    "decapitate-cjng",
)
#: `strategy.parameters.INTERDICTION_ELASTICITY.value` (said by `run --help`)
DEFAULT_ELASTICITY = 0.35
SCENARIO_CHOICE = click.Choice(list(SCENARIO_NAMES))


def _json_text(payload: dict[str, Any]) -> str:
    """`payload` as strict JSON: NaN and infinity are not JSON (Python would print them as
    bare `NaN`/`Infinity` tokens that other parsers refuse), so they are an error here."""
    try:  # (as every command prints its JSON: `CliContext.emit`)
        return json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False)
    except ValueError:
        raise StrategyError(
            msg(
                "The result holds a value that is not a finite number (NaN or infinity), "
                "which JSON cannot carry: nothing was printed."
            ),
            hint=msg("Check the lever values; run without --json to see the table."),
        ) from None


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
    help=f"Lethality removed per unit interdicted (default {DEFAULT_ELASTICITY}).",
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
    from ironriver.strategy import Split, bands, get_scenario, monte_carlo, simulate
    from ironriver.strategy.tables import count_words, records, shown, yearly

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
            "series": records(sim.series().drop(columns=["week"])),
            "groups_final": {str(k): float(v) for k, v in final.items()},
        }
        if band is not None:
            payload["bands"] = records(band)
        click.echo(_json_text(payload))
        return
    click.echo(
        t(
            "Scenario {name}: {description}",
            name=scenario.label_in(),
            description=scenario.description_in(),
        )
    )
    click.echo(shown(yearly(sim)).to_string(index=False))
    click.echo("\n" + t("Largest groups at the end:"))
    click.echo(final.head(10).map(count_words).to_string())
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
    """Members and deaths of several scenarios in January 2022, every 5 years after it and
    at the end of --years (January 2022 + --years), with the deaths until then.

    \b
    Example: ironriver strategy compare --scenario status-quo --scenario no-recruitment
             ironriver strategy compare --years 7
    """
    from ironriver.strategy import simulate
    from ironriver.strategy.evaluate import compare_simulations
    from ironriver.strategy.scenarios import HEADLINE_SCENARIOS
    from ironriver.strategy.tables import compare_records, compare_table

    sims = [simulate(n, years=years) for n in names or HEADLINE_SCENARIOS]
    table = compare_simulations(sims, years=years)
    if chart is not None:
        from ironriver.strategy.charts import compare_chart

        compare_chart(sims, chart)
    if as_json:
        scenarios = compare_records(sims, table)
        click.echo(_json_text({"years": years, "scenarios": scenarios}))
        return
    click.echo(compare_table(table).to_string())
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
    from ironriver.strategy import all_parameters
    from ironriver.strategy import calibrate as run_calibration
    from ironriver.strategy.tables import heading, records, shown

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
                    "parameters": records(result.table.rename(columns={"paper": "paper_value"})),
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
    from ironriver.strategy import interdiction_sweep
    from ironriver.strategy.tables import records, shown_sweep

    table = interdiction_sweep(years=years)
    if as_json:
        click.echo(_json_text({"years": years, "sweep": records(table)}))
        return
    click.echo(shown_sweep(table).to_string(index=False))


@strategy.command("reproduce")
@click.option("--runs", type=int, default=0, help="Also Monte Carlo bands (e.g. 1000).")
@json_flag()
def reproduce(runs: int, as_json: bool) -> None:
    """The published headlines beside ours (the README table).

    \b
    Example: ironriver strategy reproduce --runs 1000
    """
    from ironriver.strategy import reproduction
    from ironriver.strategy.evaluate import HEADLINES, headline_bands, horizon_check
    from ironriver.strategy.tables import records, shown, shown_reproduction, whole_counts

    table = reproduction()
    horizon = horizon_check()
    band = headline_bands(runs=runs) if runs else None
    if as_json:
        payload: dict[str, Any] = {
            "reproduction": records(table),
            "horizon": records(horizon),
        }
        if band is not None:
            payload["bands"] = records(band)
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
