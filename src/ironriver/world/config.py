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

from ironriver.errors import WorldError

Succession = Literal["successor", "split", "random"]


@dataclass(frozen=True)
class Rate:
    """One declared assumption of the world: value, unit, description, source."""

    name: str
    value: float
    unit: str
    description: str
    source: str


_RATES = [
    Rate(
        "trafficked_guns_per_year",
        135_000,
        "guns/year at scale 1",
        "southbound flow of US guns",
        "McDougal & Campbell 2026; op-ed",
    ),
    Rate(
        "legit_sales_per_year",
        3_000_000,
        "sales/year at scale 1",
        "retail firearm sales by the simulated dealers (border states ~2.6M, others ~0.4M)",
        "assumption from NICS checks for AZ, CA, NM, TX",
    ),
    Rate(
        "border_state_dealers",
        8_700,
        "dealers at scale 1",
        "FFLs in AZ, CA, NM, TX covered by F 3310.12",
        "CALIBRATION.md",
    ),
    Rate(
        "members_2022", 175_000, "persons at scale 1", "cartel members", "Prieto-Curiel et al. 2023"
    ),
    Rate(
        "recruits_per_year",
        19_300,
        "persons/year at scale 1",
        "recruitment",
        "Prieto-Curiel et al. 2023",
    ),
    Rate(
        "deaths_per_year",
        6_500,
        "persons/year at scale 1",
        "members killed",
        "Prieto-Curiel et al. follow-up",
    ),
    Rate(
        "arrests_per_year",
        5_700,
        "persons/year at scale 1",
        "members incapacitated",
        "Prieto-Curiel et al. follow-up",
    ),
    Rate(
        "mexico_recoveries_per_year",
        25_000,
        "guns/year at scale 1",
        "guns recovered in Mexico and submitted for tracing",
        "trace requests 2022-24 (sec.)",
    ),
    Rate(
        "outbound_inspection_rate",
        0.0075,
        "share of southbound vehicles",
        "random outbound inspections",
        "assumption: yields ~0.9% of flow seized (1,171/135k)",
    ),
    Rate("inspection_detection", 0.9, "probability", "an inspected load is found", "assumption"),
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
        "NFCTA Vol. III: unlicensed dealing 41%",
    ),
    Rate(
        "recovery_mean_years",
        10.0,
        "years",
        "mean delay from crossing to recovery for a trafficked gun",
        "assumption",
    ),
    Rate(
        "foreign_share",
        0.17,
        "share of Mexico recoveries",
        "foreign-made guns that never passed through US commerce",
        "GAO-16-223, GAO-21-322",
    ),
    Rate(
        "stock_ttc_median_years",
        9.0,
        "years",
        "median time-to-crime of US guns trafficked before the run (lognormal, sigma 0.75)",
        "chosen so the mean is ~12-15 years (ATF via press)",
    ),
    Rate(
        "tampered_share",
        0.17,
        "share of recovered guns",
        "serial filed off (partly or fully)",
        "assumption; see calibration figure",
    ),
    Rate(
        "partial_share",
        0.35,
        "share of tampered serials",
        "tampered serials still partly legible",
        "assumption",
    ),
    Rate(
        "decapitation_violence",
        1.8,
        "multiplier",
        "killings in the beheaded organisation's territory after a contested succession",
        "Lindo & Padilla-Romo 2018 (+80%)",
    ),
    Rate(
        "decapitation_violence_successor",
        1.0,
        "multiplier",
        "killings after a recognised successor takes over",
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
            raise WorldError(f"Scale {self.scale} is out of range.", hint="Use 0 < scale <= 10.")
        if not 1 <= self.years <= 20:
            raise WorldError(f"Years {self.years} is out of range.", hint="Use 1 to 20 years.")
        if self.decapitation_week is not None and not 0 <= self.decapitation_week < self.weeks:
            raise WorldError(
                f"Decapitation week {self.decapitation_week} is outside the simulation.",
                hint=f"Use a week from 0 to {self.weeks - 1}.",
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


def ids(prefix: str, start: int, n: int) -> np.ndarray:
    """Stable string ids `prefix` + zero-padded counter, as a numpy object array."""
    return np.array([f"{prefix}{i:08d}" for i in range(start, start + n)], dtype=object)


def week_dates(cfg: WorldConfig, week: np.ndarray, day: np.ndarray | None = None) -> np.ndarray:
    """datetime64[D] of a week index (plus a day offset 0-6)."""
    d = cfg.start64 + (week.astype("int64") * 7).astype("timedelta64[D]")
    if day is not None:
        d = d + day.astype("timedelta64[D]")
    return d
