"""`world_report(root)`: each calibration figure beside the world's value, with a verdict.

Rows come from `calibration.FIGURES` (published figures, with tolerance ranges) and
`evaluate.WORLD_FIGURES` (this project's documented assumptions) for every key that
`evaluate.measure` can compute; the rest of the published figures are listed as "n/a" so a
reader sees what the world does not claim to reproduce.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ironriver.i18n import nt, pt, t
from ironriver.model.labels import yes_no
from ironriver.world.calibration import FIGURES
from ironriver.world.evaluate import WORLD_FIGURES, measure

POINT_TOLERANCE = 0.05  # relative band around a published point figure (no range given)


@dataclass(frozen=True)
class ReportRow:
    key: str
    description: str
    unit: str
    target: float
    low: float
    high: float
    world: float | None
    ok: bool | None
    # a figure this world sets out to measure (e.g. a decapitation's, in a world with one)
    # whose spans or events are too few here (a capture in its first or last weeks)
    unmeasurable: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def world_report(root: Path | str, *, include_unmeasured: bool = True) -> list[ReportRow]:
    values = measure(root)
    rows: list[ReportRow] = []
    specs = [(f.key, f.description, f.unit, f.value, f.low, f.high) for f in FIGURES]
    specs += [(f.key, f.description, f.unit, f.value, f.low, f.high) for f in WORLD_FIGURES]
    for key, desc, unit, value, low, high in specs:
        got = values.get(key)
        if got is not None and math.isnan(got):  # measured, but not measurable here: said
            rows.append(ReportRow(key, desc, unit, value, low, high, None, None, True))
            continue
        if got is None:
            if include_unmeasured:
                rows.append(ReportRow(key, desc, unit, value, low, high, None, None))
            continue
        if low == high:  # a point figure: accept within POINT_TOLERANCE of it
            low, high = low * (1 - POINT_TOLERANCE), high * (1 + POINT_TOLERANCE)
        rows.append(ReportRow(key, desc, unit, value, low, high, got, low <= got <= high))
    return rows


def _fmt(x: float | None) -> str:
    if x is None:
        return t("n/a")
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def format_report(rows: list[ReportRow]) -> str:
    """A plain-text table: figure, target [low, high], world value, verdict (in the current
    language; figure keys are data and stay as they are)."""
    # "target" here is a target value, not an audit event's target: a context of its own
    figure, target, span, world, ok = (
        pt("calibration table", "figure"),
        pt("calibration table", "target"),
        pt("calibration table", "range"),
        pt("calibration table", "world"),
        pt("calibration table", "ok"),
    )
    header = f"{figure:44} {target:>10} {span:>23} {world:>10}  {ok}"
    lines = [header, "-" * len(header)]
    for r in rows:
        rng = f"[{_fmt(r.low)}, {_fmt(r.high)}]"
        verdict = t("not measurable") if r.unmeasurable else ("-" if r.ok is None else yes_no(r.ok))
        lines.append(f"{r.key:44} {_fmt(r.target):>10} {rng:>23} {_fmt(r.world):>10}  {verdict}")
    measured = [r for r in rows if r.ok is not None]
    passed = sum(1 for r in measured if r.ok)
    lines.append(
        t(
            "{passed} of {total} measured figures within range",
            passed=passed,
            total=len(measured),
        )
    )
    unmeasurable = sum(1 for r in rows if r.unmeasurable)
    if unmeasurable:
        lines.append(
            nt(
                "{count} figure this world sets out to measure is not measurable in it (too few "
                "weeks or killings: a capture in its first or last weeks, or a small world "
                "with no killing where it measures): not counted.",
                "{count} figures this world sets out to measure are not measurable in it (too "
                "few weeks or killings: a capture in its first or last weeks, or a small world "
                "with no killing where it measures): not counted.",
                unmeasurable,
                count=unmeasurable,
            )
        )
    return "\n".join(lines)
