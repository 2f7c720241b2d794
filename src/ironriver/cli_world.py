"""`ironriver world`: generate a synthetic world; report it against the calibration figures.

The top-level CLI loads it on first use (`LAZY_COMMANDS` in `cli_lazy.py`); each command
parses options, calls one library function and prints its result. It lives outside the
`world` package, and imports the library in the commands' bodies, so that `world --help`
loads neither the generator nor NumPy (docs/performance.md, "CLI start-up").
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ironriver.cli_json import report_row_json
from ironriver.cli_support import json_flag
from ironriver.errors import WorldOptionError
from ironriver.i18n import msg, t
from ironriver.progress import stderr_progress

if TYPE_CHECKING:
    from ironriver.world.config import Succession


@click.group("world")
def world() -> None:
    """Synthetic binational world: ground truth plus every agency's records.

    \b
    Example: ironriver world generate --scale 0.02 --years 1 --seed 7 --out w
             ironriver world report w
    """


@world.command("generate")
@click.option(
    "--scale",
    type=float,
    default=0.01,
    show_default=True,
    help="1.0 = one real year's volume per simulated year.",
)
@click.option("--years", type=int, default=1, show_default=True, help="Simulated years.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder to write (agencies/, truth/, world.json).",
)
@click.option(
    "--decapitation",
    "decapitation",
    type=int,
    default=None,
    help="Remove the largest organisation's leader at this week.",
)
@click.option(
    "--succession",
    type=click.Choice(["random", "successor", "split"]),
    default=None,
    help="After --decapitation: a recognised successor, a split into factions, or chance "
    "(random, the default).",
)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2024-01-01",
    show_default=True,
    help="First simulated day (a Monday is best).",
)
def generate(
    scale: float,
    years: int,
    seed: int,
    out: Path,
    decapitation: int | None,
    succession: str | None,
    start: object,
) -> None:
    """Generate a synthetic world into the folder --out names.

    \b
    Example: ironriver world generate --scale 0.02 --years 2 --seed 1 --out w-decap --decapitation 30
    """
    if succession is not None and decapitation is None:
        raise WorldOptionError(
            msg(
                "--succession {mode} needs --decapitation: there is no succession without one.",
                mode=succession,
            ),
            hint=msg("Add --decapitation WEEK, e.g. {example}.", example="--decapitation 26"),
        )
    from ironriver.world import WorldConfig, generate_world

    start_date = start.date() if isinstance(start, datetime) else date(2024, 1, 1)
    mode: Succession = (
        "split"
        if succession == "split"
        else ("successor" if succession == "successor" else "random")
    )
    cfg = WorldConfig(
        scale=scale,
        years=years,
        seed=seed,
        out=out,
        start=start_date,
        decapitation_week=decapitation,
        succession=mode,
    )
    paths = generate_world(cfg, progress=stderr_progress())
    click.echo(
        t(
            "world written to {path} ({n} mapping files)",
            path=paths.root,
            n=len(paths.mappings()),
        )
    )


@world.command("report")
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@json_flag("Print rows as JSON.")
@click.option(
    "--all", "show_all", is_flag=True, help="Also list figures the world does not measure."
)
def report(directory: Path, as_json: bool, show_all: bool) -> None:
    """Print each calibration figure beside the world's value.

    \b
    Example: ironriver world report w
    """
    from ironriver.world import format_report, world_report

    rows = world_report(directory, include_unmeasured=show_all)
    if as_json:
        click.echo(json.dumps([report_row_json(r) for r in rows], indent=2, ensure_ascii=False))
    else:
        click.echo(format_report(rows))
