"""Synthetic world: seeded simulation of US-to-Mexico gun trafficking with ground truth.

    from ironriver.world import WorldConfig, generate_world, world_report
    paths = generate_world(WorldConfig(scale=0.05, years=1, seed=7, out=Path("w")))
    print(world_report(paths.root))

`generate_world` writes `agencies/<agency>/` (each agency's native CSV / JSON Lines files and
the `mapping.yaml` that ingests them) and `truth/*.parquet` (the true persons, guns,
vehicles, memberships, chains sale -> crossing -> recovery, and the truth behind every
record id). Same seed, same bytes.
"""

from ironriver.world.config import RATES, Rate, WorldConfig, WorldPaths
from ironriver.world.evaluate import measure, trace_outcomes
from ironriver.world.generate import generate_world
from ironriver.world.report import ReportRow, format_report, world_report

__all__ = [
    "RATES",
    "Rate",
    "ReportRow",
    "WorldConfig",
    "WorldPaths",
    "format_report",
    "generate_world",
    "measure",
    "trace_outcomes",
    "world_report",
]
