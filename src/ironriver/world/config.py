"""World configuration and the plumbing every simulation module shares.

`WorldConfig` holds every knob of one run; the rates are declared as data with their unit
and source in `RATES`, so `ironriver world report` can print them and no module hides a
literal. Randomness: each module draws from its own stream, `cfg.rng("sales")`, derived
from the seed and the stream's name with hashlib, so adding a draw in one module never
shifts another module's numbers (same seed, same bytes).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np

from ironriver.errors import WorldOptionError
from ironriver.i18n import msg
from ironriver.world.calibration import figure

Succession = Literal["successor", "split", "random"]


@dataclass(frozen=True)
class Rate:
    """One declared assumption of the world: value, unit, description, source."""

    name: str
    value: float
    unit: str
    description: str
    source: str


def _fig(name: str, key: str, unit: str, description: str, factor: float = 1.0) -> Rate:
    """A rate whose value is a published calibration figure (single source of truth)."""
    f = figure(key)
    return Rate(name, f.value * factor, unit, description, f"{f.source} [{key}]")


_RATES = [
    _fig(
        "trafficked_guns_per_year",
        "flow.guns_per_year",
        "guns/year at scale 1",
        "southbound flow of US guns",
    ),
    Rate(
        "legit_sales_per_year",
        3_000_000,
        "sales/year at scale 1",
        "retail sales by the simulated dealers (border states ~2.2M, interior ~0.8M)",
        "assumption from NICS background checks for AZ, CA, NM, TX",
    ),
    _fig(
        "border_state_dealers",
        "rules.swb_dealers_covered",
        "dealers at scale 1",
        "FFLs in AZ, CA, NM, TX covered by F 3310.12",
    ),
    _fig("members_2022", "cartels.members_2022", "persons at scale 1", "cartel members"),
    _fig(
        "recruits_per_year",
        "cartels.recruits_per_week",
        "persons/year at scale 1",
        "recruitment",
        factor=52.0,
    ),
    _fig("deaths_per_year", "cartels.deaths_per_year", "persons/year at scale 1", "members killed"),
    _fig(
        "arrests_per_year",
        "cartels.incapacitations_per_year",
        "persons/year at scale 1",
        "members incapacitated",
    ),
    _fig(
        "mexico_recoveries_per_year",
        "traces.mexico_requests_2024",
        "guns/year at scale 1",
        "guns recovered in Mexico and submitted for tracing",
    ),
    Rate(
        "outbound_inspection_rate",
        0.0065,
        "share of southbound vehicles",
        "random outbound inspections",
        "assumption: with detection 0.9 it seizes ~0.6% of the flow (CBP: 1,171 of ~135,000)",
    ),
    Rate("inspection_detection", 0.9, "probability", "an inspected load is found", "assumption"),
    Rate(
        "mx_plate_share",
        0.6,
        "share of commuter vehicles",
        "Mexican-plated among the vehicles that cross southbound again and again (commuters)",
        "assumption: no published southbound plate mix (CBP does not count outbound traffic)",
    ),
    Rate(
        "ring_mx_plate_share",
        0.6,
        "share of ring vehicles (drivers)",
        "Mexican-plated among trafficking rings' vehicles, each driven by its owner, a Mexican "
        "resident; drawn after ring membership, never deciding it",
        "assumption: no figure for the couriers' residence in the calibration figures "
        "(ironriver.world.calibration.FIGURES) or shared data; "
        "public reporting on southbound gun smuggling names both US and Mexican nationals, "
        "with no share. "
        "Set equal to mx_plate_share, so plate country (a proxy for residence) tells ring "
        "vehicles from commuters little better than chance (docs/world.md, Known gaps)",
    ),
    Rate(
        "mx_plate_home_state_share",
        0.9,
        "share of Mexican-plated vehicles",
        "registered (and their owners living) in the Mexican state across from their port (a "
        "ring vehicle's: one of the ring's ports); the rest in another northern or western state",
        "assumption: commuters live in the twin city (Tijuana for San Ysidro, Juárez for El Paso)",
    ),
    Rate(
        "lpr_read_rate",
        0.97,
        "probability",
        "outbound plate reader reads a plate",
        "assumption; LPR on all 110 outbound lanes (CBP)",
    ),
    Rate(
        "evasive_ring_share",
        0.35,
        "share of rings",
        "rings that spread handgun purchases to stay under F 3310.4",
        "assumption",
    ),
    Rate(
        "secondary_market_share",
        0.3,
        "share of trafficked guns",
        "trafficked guns bought first by an unrelated buyer (private sale, gun show)",
        "NFCTA Vol. III: unlicensed dealing in 41% of cases",
    ),
    Rate(
        "recovered_share",
        0.16,
        "share of trafficked guns",
        "trafficked guns ever recovered in Mexico (~21,600 US-sourced recoveries / 135,000)",
        "derived from traces.mexico_requests_2024 and flow.guns_per_year",
    ),
    Rate(
        "recovery_mean_years",
        12.0,
        "years",
        "mean delay from crossing to recovery for a trafficked gun (exponential)",
        "assumption",
    ),
    _fig(
        "foreign_share",
        "traces.foreign_made_share",
        "share of Mexico recoveries",
        "foreign-made guns that never passed through US commerce",
    ),
    Rate(
        "stock_ttc_median_years",
        14.5,
        "years",
        "median time-to-crime of US guns trafficked before the run (lognormal, sigma 0.55)",
        "chosen so Mexico's mean time-to-crime is ~15 years (ATF via press)",
    ),
    Rate(
        "record_loss_years",
        40.0,
        "years",
        "a first-sale record older than t years is lost with probability 1 - exp(-t / this)",
        "assumption; yields ~36% of traces without a purchaser (press, 2024)",
    ),
    _fig(
        "tampered_share",
        "serial.tampered_share",
        "share of recovered guns",
        "serial filed off (partly or fully)",
    ),
    _fig(
        "partial_share",
        "serial.partial_share",
        "share of tampered serials",
        "tampered serials still partly legible",
    ),
    Rate(
        "incomplete_share",
        0.095,
        "share of recovered guns",
        "recovery record too incomplete to trace (make or model missing)",
        "assumption; with obliterated serials gives ~70% traced to the US (GAO)",
    ),
    Rate(
        "decapitation_violence",
        1.8,
        "multiplier",
        "killings in the municipality of the capture (the organisation's home plaza) after "
        "a contested succession",
        "Lindo & Padilla-Romo 2018 (homicide rate +80% in the municipality)",
    ),
    Rate(
        "decapitation_local_weeks",
        52.0,
        "weeks",
        "how long killings stay raised in the municipality of the capture",
        "Lindo & Padilla-Romo 2018 (at least 12 months)",
    ),
    Rate(
        "decapitation_violence_territory",
        1.3,
        "multiplier",
        "killings in the other municipalities of the organisation's territory after a "
        "contested succession",
        "Lindo & Padilla-Romo 2018 (+30% elsewhere in the cartel's territory)",
    ),
    Rate(
        "decapitation_territory_weeks",
        26.0,
        "weeks",
        "how long killings stay raised elsewhere in the organisation's territory",
        "Lindo & Padilla-Romo 2018 (6 months)",
    ),
    Rate(
        "decapitation_violence_successor",
        1.0,
        "multiplier",
        "killings in the organisation's territory after a recognised successor takes over",
        "Jones 2013",
    ),
]
RATES: dict[str, Rate] = {r.name: r for r in _RATES}


def rate(name: str) -> float:
    return RATES[name].value


@dataclass(frozen=True)
class WorldConfig:
    """One world run. `scale=1.0` is one real year's volume per simulated year."""

    scale: float = 0.01
    years: int = 1
    seed: int = 0
    out: Path = Path("world")
    start: date = date(2024, 1, 1)
    decapitation_week: int | None = None
    succession: Succession = "random"
    overrides: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < self.scale <= 10:
            raise WorldOptionError(
                msg("Scale {scale} is out of range.", scale=self.scale),
                hint=msg("Use 0 < scale <= 10."),
            )
        if not 1 <= self.years <= 20:
            raise WorldOptionError(
                msg("Years {years} is out of range.", years=self.years),
                hint=msg("Use 1 to 20 years."),
            )
        if self.decapitation_week is not None and not 0 <= self.decapitation_week < self.weeks:
            raise WorldOptionError(
                msg(
                    "Decapitation week {week} is outside the simulation.",
                    week=self.decapitation_week,
                ),
                hint=msg("Use a week from 0 to {last}.", last=self.weeks - 1),
            )

    @property
    def weeks(self) -> int:
        return 52 * self.years

    def value(self, name: str) -> float:
        return self.overrides.get(name, rate(name))

    def per_week(self, name: str) -> float:
        """A per-year rate at this scale, per simulated week."""
        return self.value(name) * self.scale / 52.0

    def rng(self, stream: str) -> np.random.Generator:
        digest = hashlib.sha256(f"{self.seed}:{stream}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))

    @property
    def start64(self) -> np.datetime64:
        return np.datetime64(self.start.isoformat(), "D")


@dataclass(frozen=True)
class WorldPaths:
    """Where a generated world lives."""

    root: Path

    @property
    def agencies(self) -> Path:
        return self.root / "agencies"

    @property
    def truth(self) -> Path:
        return self.root / "truth"

    def agency(self, name: str) -> Path:
        return self.agencies / name

    def mappings(self) -> list[Path]:
        return sorted(self.agencies.glob("*/mapping*.yaml"))

    def require(self) -> WorldPaths:
        """These paths, when `root` is a generated world: it holds the `world.json` that
        `generate_world` writes. Else a `WorldOptionError` (a wrong folder passed) saying
        which folder to pass: before, a folder with no world read as a file that could not
        be opened ("Cannot use fgr/world.json ... its folder must exist")."""
        if (self.root / "world.json").is_file():
            return self
        if self.root.is_dir():
            problem = msg(
                "{path} is not a generated world: it holds no world.json.", path=self.root
            )
        else:
            problem = msg(
                "{path} is not a generated world: there is no such folder.", path=self.root
            )
        raise WorldOptionError(
            problem,
            hint=msg(
                "Pass the folder a world was generated into, or generate one with {command}.",
                command="`ironriver world generate --out DIR`",
            ),
        )


def ids(prefix: str, start: int, n: int) -> np.ndarray:
    """Stable string ids `prefix` + zero-padded counter, as a numpy object array."""
    return np.array([f"{prefix}{i:08d}" for i in range(start, start + n)], dtype=object)


def week_dates(cfg: WorldConfig, week: np.ndarray, day: np.ndarray | None = None) -> np.ndarray:
    """datetime64[D] of a week index (plus a day offset 0-6)."""
    d = cfg.start64 + (week.astype("int64") * 7).astype("timedelta64[D]")
    if day is not None:
        d = d + day.astype("timedelta64[D]")
    return d
