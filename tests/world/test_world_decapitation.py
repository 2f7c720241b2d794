"""Decapitation: a recognised successor keeps violence flat; a split into rival factions
raises it (Lindo & Padilla-Romo 2018; Jones 2013)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ironriver.world import WorldConfig, generate_world
from ironriver.world.dynamics import Dynamics, simulate
from ironriver.world.organisations import build

WEEK = 26


def _run(succession: str) -> Dynamics:
    cfg = WorldConfig(scale=0.2, years=1, seed=5, decapitation_week=WEEK, succession=succession)  # type: ignore[arg-type]
    return simulate(cfg, build(cfg))


def _ratio(d: Dynamics) -> float:
    ev = d.events
    k = ev[(ev["kind"] == "killed") & ev["org_id"].str.startswith(d.target_org)]
    before = ((k["week"] >= 0) & (k["week"] < WEEK)).sum()
    after = (k["week"] >= WEEK).sum()
    return float(after / before)


def test_split_creates_rival_factions_and_violence() -> None:
    d = _run("split")
    assert d.succession == "split"
    active = d.positions[d.positions["end_week"] == -1]
    factions = sorted(o for o in active["org_id"].unique() if o.startswith(d.target_org + "-F"))
    assert len(factions) >= 2
    leaders = active[active["org_id"].isin(factions) & (active["role"] == "leader")]
    assert set(leaders["org_id"]) == set(factions)
    assert (d.events["kind"] == "decapitation").sum() == 1
    assert _ratio(d) > 1.4


def test_successor_keeps_violence_flat() -> None:
    d = _run("successor")
    assert d.succession == "successor"
    active = d.positions[d.positions["end_week"] == -1]
    leaders = active[(active["org_id"] == d.target_org) & (active["role"] == "leader")]
    assert len(leaders) == 1
    assert 0.7 < _ratio(d) < 1.3


def test_generated_world_records_the_decapitation(tmp_path: Path) -> None:
    paths = generate_world(
        WorldConfig(
            scale=0.003, years=1, seed=2, out=tmp_path, decapitation_week=10, succession="split"
        )
    )
    meta = json.loads((paths.root / "world.json").read_text(encoding="utf-8"))
    assert meta["succession"] == "split" and meta["decapitation_week"] == 10
    intel = (paths.agency("cni") / "informes.jsonl").read_text(encoding="utf-8")
    assert "Abatido alias" in intel
    assert np.isfinite(float(meta["scale"]))
