"""`generate_world(config) -> WorldPaths`: run the simulation, the sensors and the writers.

Order matters only through data: organisations -> membership dynamics -> dealers -> rings
-> sales -> trafficking trips -> crossings (streamed, CBP files written chunk by chunk) ->
recoveries in Mexico -> persons -> every other agency's files -> truth Parquet. Each step
draws from its own named random stream, so the same seed gives the same bytes.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ironriver.errors import WorldError, WorldOptionError
from ironriver.i18n import msg, nmsg
from ironriver.progress import Progress, no_progress
from ironriver.scratch import HeldInterrupts, owner_tag, sweep
from ironriver.world import (
    crossings,
    dealers,
    dynamics,
    organisations,
    people,
    recoveries,
    rings,
    sales,
)
from ironriver.world import guns as gunlib
from ironriver.world.config import WorldConfig, WorldPaths
from ironriver.world.names import NAME_PARAMETERS


@dataclass
class World:
    """Everything true about one world, held while the sensors write."""

    cfg: WorldConfig
    orgs: organisations.Organisations
    dyn: dynamics.Dynamics
    dealers: pd.DataFrame
    rings: rings.Rings
    sales: sales.Sales
    port_df: pd.DataFrame
    trips: crossings.Trips
    pool: pd.DataFrame
    pool_offset: np.ndarray
    pool_size: np.ndarray
    recoveries: recoveries.Recoveries | None = None
    guns: pd.DataFrame = field(default_factory=pd.DataFrame)
    all_sales: pd.DataFrame = field(default_factory=pd.DataFrame)
    persons: pd.DataFrame = field(default_factory=pd.DataFrame)
    multiple_sales: pd.DataFrame = field(default_factory=pd.DataFrame)
    sale_record_id: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    trip_crossing: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    inspections: pd.DataFrame = field(default_factory=pd.DataFrame)
    obliteration: pd.DataFrame = field(default_factory=pd.DataFrame)
    record_frames: list[pd.DataFrame] = field(default_factory=list)
    records_stream: Any = None  # ParquetStream of truth/records.parquet while sensors write


def simulate(cfg: WorldConfig) -> World:
    """The true world before any agency looks at it (crossings are streamed later)."""
    orgs = organisations.build(cfg)
    # too small a world is a wrong --scale: a usage error (exit 2), as one out of range is
    if len(orgs.orgs) == 0:
        raise WorldOptionError(
            msg("No organisation is large enough at this scale."), hint=msg("Use scale >= 0.001.")
        )
    if not (orgs.cells["function"] == "arms_procurement").any():
        # below about 0.001 an organisation may keep one cell, which need not buy arms
        raise WorldOptionError(
            msg(
                "At scale {scale} (seed {seed}) no organisation has an arms-procurement cell, "
                "so there is no trafficking ring to simulate.",
                scale=cfg.scale,
                seed=cfg.seed,
            ),
            hint=msg("Use scale >= 0.001."),
        )
    dyn = dynamics.simulate(cfg, orgs)
    port_df = crossings.port_frame()
    dealer_df = dealers.build(cfg)
    ring_set = rings.build(cfg, orgs, dealer_df, port_df)
    # a ring follows its cell: after a split, to the faction that holds it (at the end)
    ring_set.rings["org_id"] = dyn.cell_org(ring_set.rings["cell_id"].to_numpy(object), -1)
    sale_set = sales.simulate(cfg, dealer_df, ring_set)
    trips = crossings.plan_trips(cfg, ring_set, sale_set.guns)
    pool, offset = crossings.vehicle_pool(cfg, port_df)
    size = np.bincount(pool["port_idx"].to_numpy(), minlength=len(port_df))
    world = World(cfg, orgs, dyn, dealer_df, ring_set, sale_set, port_df, trips, pool, offset, size)
    world.recoveries = recoveries.simulate(
        cfg, orgs, dyn, ring_set, sale_set.guns, trips, port_df, dealer_df, sale_set.n_buyers
    )
    _assemble(world)
    return world


def _assemble(world: World) -> None:
    """Global ids: guns, sales (with buyer person ids) and the persons table."""
    rec = world.recoveries
    assert rec is not None
    guns = pd.concat([world.sales.guns, rec.extra_guns], ignore_index=True)
    guns.insert(0, "gun_id", np.array([f"G{i:08d}" for i in range(len(guns))], dtype=object))
    world.guns = guns
    stock = rec.stock_sales.copy()
    stock["sale_idx"] = len(world.sales.sales) + np.arange(len(stock))
    all_sales = pd.concat([world.sales.sales, stock.drop(columns="record_lost")], ignore_index=True)
    all_sales["record_lost"] = np.concatenate(
        [np.zeros(len(world.sales.sales), bool), stock["record_lost"].to_numpy(bool)]
    )
    ring_buyer = all_sales["buyer_kind"].to_numpy() == "ring"
    bidx = all_sales["buyer_idx"].to_numpy()
    buyer_id = np.where(
        ring_buyer, people.person_ids("ring", bidx), people.person_ids("buyer", bidx)
    )
    all_sales["buyer_id"] = buyer_id
    all_sales["sale_id"] = np.array([f"S{i:09d}" for i in all_sales["sale_idx"]], dtype=object)
    world.all_sales = all_sales
    # no gun sold before its model came to market (stock and secondary sales go back decades)
    sold = np.full(len(guns), np.datetime64("NaT"), "datetime64[D]")
    sold[all_sales["gun_idx"].to_numpy()] = all_sales["date"].to_numpy().astype("datetime64[D]")
    world.guns = guns = gunlib.on_the_market(world.cfg.rng("guns:on-the-market"), guns, sold)
    # the assembled tables replace the per-step ones (halves memory at scale 1)
    world.sales.guns = world.sales.guns.iloc[:0]
    world.sales.sales = world.sales.sales.iloc[:0]
    # persons
    cfg = world.cfg
    members = people.build(cfg, "member", np.arange(world.dyn.n_persons), 0.8)
    # a buyer is of age at the first purchase: 18, or 21 if any purchase is a handgun
    first = _first_purchases(all_sales, sales.is_handgun(guns["type"].to_numpy()))
    rm = world.rings.members
    ring_state = world.rings.rings["state_idx"].to_numpy()[rm["ring_idx"].to_numpy()]
    straw = first[first["buyer_kind"] == "ring"].set_index("buyer_idx")
    r_idx = rm["person_idx"].to_numpy()
    ring_people = people.build(
        cfg,
        "ring",
        r_idx,
        0.2,
        ring_state,
        mx_state=rm["mx_state"].to_numpy(object),
        as_of=straw["date"].reindex(r_idx).fillna(pd.Timestamp(cfg.start64)).to_numpy(),
        min_age=straw["min_age"].reindex(r_idx).fillna(0.0).to_numpy(),
    )
    b = first[first["buyer_kind"] != "ring"]
    b_state = world.dealers["state_idx"].to_numpy()[b["dealer_idx"].to_numpy()]
    buyers = people.build(
        cfg,
        "buyer",
        b["buyer_idx"].to_numpy(),
        0.02,
        b_state,
        as_of=b["date"].to_numpy(),
        min_age=b["min_age"].to_numpy(),
    )
    world.persons = pd.concat([members, ring_people, buyers], ignore_index=True)


def _first_purchases(all_sales: pd.DataFrame, handgun: np.ndarray) -> pd.DataFrame:
    """One row per buyer (buyer_kind, buyer_idx, sorted): the dealer and date of the first
    purchase, and the youngest age the law allows at it (`min_age`: 21 if the buyer ever buys
    a handgun, else 18)."""
    s = all_sales[["buyer_kind", "buyer_idx", "dealer_idx", "date"]].assign(
        handgun=handgun[all_sales["gun_idx"].to_numpy()]
    )
    s = s.sort_values(["buyer_kind", "buyer_idx", "date"], kind="stable")
    first = s.drop_duplicates(["buyer_kind", "buyer_idx"]).reset_index(drop=True)
    any_handgun = s.groupby(["buyer_kind", "buyer_idx"], sort=True)["handgun"].any().to_numpy()
    ages = NAME_PARAMETERS["handgun_age_min"].value, NAME_PARAMETERS["age_min"].value
    first["min_age"] = np.where(any_handgun, *ages)
    return first.drop(columns="handgun")


def _swap_in(staged: WorldPaths, paths: WorldPaths, old: Path) -> None:
    """Move the world at `paths` (if any) into `old` and the one at `staged` into its place,
    with Ctrl-C and SIGTERM held back meanwhile (a few renames), so the folder never holds
    half of each."""
    names = ("world.json", "agencies", "truth")
    held = HeldInterrupts()
    held.hold()
    moved_old: list[str] = []
    moved_new: list[str] = []
    try:
        old.mkdir()
        for name in names:
            if (paths.root / name).exists():
                (paths.root / name).rename(old / name)
                moved_old.append(name)
        for name in names:
            (staged.root / name).rename(paths.root / name)
            moved_new.append(name)
    except BaseException:  # a rename failed: put the old world back
        for name in moved_new:
            (paths.root / name).rename(staged.root / name)
        for name in moved_old:
            (old / name).rename(paths.root / name)
        raise
    finally:
        held.release()


def generate_world(config: WorldConfig, progress: Progress = no_progress) -> WorldPaths:
    """Generate a world into `config.out` (replacing what is there) and return its paths;
    `progress(message)` hears each step."""
    from ironriver.world import truth
    from ironriver.world.sensors import atf, cbp, hsi, mexico
    from ironriver.world.sensors.common import RECORD_SCHEMA
    from ironriver.world.writer import ParquetStream

    paths = WorldPaths(config.out)
    olds = [sub for sub in (paths.agencies, paths.truth) if sub.exists()]
    if olds and not (paths.root / "world.json").exists():
        # not a world this command wrote: its folders are not ours to delete
        raise WorldError(
            msg(
                "{path} already holds {folders} that no ironriver world wrote (it has no "
                "world.json): nothing was replaced.",
                path=paths.root,
                folders=", ".join(f"{sub.name}/" for sub in olds),
            ),
            hint=msg("Choose another --out folder (a new or empty one)."),
        )
    # written aside, then swapped in: an interrupted or failed run leaves the old world whole
    paths.root.mkdir(parents=True, exist_ok=True)
    sweep(paths.root)  # what a killed run left
    scratch = paths.root / f".ironriver-stage-{owner_tag()}-world"
    staged = WorldPaths(scratch / "new")
    try:
        staged.root.mkdir(parents=True)
        progress(
            nmsg(
                "simulating the truth: scale {scale}, {years} year",
                "simulating the truth: scale {scale}, {years} years",
                config.years,
                scale=config.scale,
                years=config.years,
            )
        )
        world = simulate(config)
        world.records_stream = ParquetStream(staged.truth / "records.parquet", RECORD_SCHEMA)
        for name, sensor in (("ATF", atf), ("CBP", cbp), ("HSI", hsi), ("FGR/SEDENA/CNI", mexico)):
            progress(msg("writing {agency} records", agency=name))
            world.record_frames.extend(sensor.write(world, staged))
        progress(msg("writing truth"))
        truth.write(world, staged)
        _swap_in(staged, paths, scratch / "old")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    progress(msg("done: {path}", path=paths.root))
    return paths
