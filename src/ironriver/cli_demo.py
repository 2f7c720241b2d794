"""`ironriver demo`: the command over `ironriver.demo.run_demo`, which it prints.

The top-level CLI loads it on first use (`LAZY_COMMANDS` in `cli_lazy.py`); apart from the
library module, so that `demo --help` loads neither the store nor the world generator
(docs/performance.md, "CLI start-up").
"""

from __future__ import annotations

from pathlib import Path

import click

from ironriver.settings import to_url


@click.command("demo")
@click.option(
    "--workdir",
    type=click.Path(path_type=Path),
    default=Path("ironriver-demo"),
    show_default=True,
    help="Folder for the generated world and the demo store (both made afresh each run).",
)
@click.option(
    "--db",
    default=None,
    help="Put the demo in this store instead (URL or SQLite path); it must be empty.",
)
@click.option(
    "--scale", default=0.003, show_default=True, help="World scale (1.0 = one real year)."
)
@click.option(
    "--seed", default=7, show_default=True, help="The world's seed (same seed, same world)."
)
def demo_command(workdir: Path, db: str | None, scale: float, seed: int) -> None:
    """Generate a small world, ingest it, and print what each country's principal sees.

    \b
    Example: ironriver demo --workdir demo-seed-3 --seed 3
    """
    from ironriver.demo import print_report, run_demo

    print_report(run_demo(workdir, to_url(db) if db else None, scale=scale, seed=seed))
