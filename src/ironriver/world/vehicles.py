"""Vehicles: make, model, colour, model year and plates for ring and commuter vehicles.

Ring and commuter vehicles get their plates the same way: a plate country drawn at a
declared share (`mx_plate_share`, `ring_mx_plate_share`), and a Mexican plate mostly of the
state across the vehicle's port (`mx_plate_home_state_share`). Plate country never decides
what a vehicle does: it is drawn after ring membership, which alone decides who carries loads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ironriver.world.places import plates

MODELS = [
    ("Ford", "F-150", "pickup"),
    ("Chevrolet", "Silverado", "pickup"),
    ("Toyota", "Tacoma", "pickup"),
    ("Nissan", "Sentra", "sedan"),
    ("Honda", "Civic", "sedan"),
    ("Ram", "1500", "pickup"),
    ("Jeep", "Grand Cherokee", "SUV"),
    ("Nissan", "Frontier", "pickup"),
    ("Toyota", "Camry", "sedan"),
    ("Chevrolet", "Tahoe", "SUV"),
    ("Volkswagen", "Jetta", "sedan"),
    ("Kia", "Forte", "sedan"),
    ("Honda", "CR-V", "SUV"),
    ("Nissan", "Versa", "sedan"),
    ("GMC", "Sierra", "pickup"),
    ("Freightliner", "Cascadia", "truck"),
    ("Kenworth", "T680", "truck"),
]
COLORS = np.array(["white", "black", "silver", "gray", "red", "blue", "green", "beige", "gold"])
MX_PLATE_STATES = np.array(["BC", "SON", "CHIH", "COAH", "NL", "TAMPS", "SIN", "JAL"])


def sample(
    rng: np.random.Generator,
    n: int,
    country: np.ndarray,
    us_state: np.ndarray,
    truck: np.ndarray | None = None,
) -> pd.DataFrame:
    """`country` "US"/"MX" per vehicle; `us_state` its plate state when US."""
    cars = [m for m in MODELS if m[2] != "truck"]
    trucks = [m for m in MODELS if m[2] == "truck"]
    k = rng.integers(0, len(cars), n)
    make = np.array([m[0] for m in cars], dtype=object)[k]
    model = np.array([m[1] for m in cars], dtype=object)[k]
    body = np.array([m[2] for m in cars], dtype=object)[k]
    if truck is not None and truck.any():
        t = rng.integers(0, len(trucks), int(truck.sum()))
        make[truck] = np.array([m[0] for m in trucks], dtype=object)[t]
        model[truck] = np.array([m[1] for m in trucks], dtype=object)[t]
        body[truck] = "truck"
    mx_state = MX_PLATE_STATES[rng.integers(0, len(MX_PLATE_STATES), n)]
    return pd.DataFrame(
        {
            "make": make,
            "model": model,
            "body": body,
            "color": COLORS[rng.integers(0, len(COLORS), n)].astype(object),
            "year": rng.integers(2004, 2025, n),
            "plate": plates(rng, n, country),
            "plate_state": np.where(country == "MX", mx_state, us_state).astype(object),
            "plate_country": country.astype(object),
        }
    )


def plate_countries(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """Plate country ("US"/"MX") of `n` vehicles, exactly `round(share * n)` of them Mexican,
    chosen at random: a small set (a world's ring vehicles) holds the declared share itself,
    not a draw around it, so its plate mix cannot drift away from the commuters' by chance."""
    country = np.full(n, "US", dtype=object)
    country[rng.permutation(n)[: round(share * n)]] = "MX"
    return country


def home_plates(rng: np.random.Generator, v: pd.DataFrame, twin: np.ndarray, share: float) -> None:
    """Register `share` of the Mexican-plated vehicles of `v` in `twin` (per vehicle: the
    Mexican state across its port), in place; the rest keep the state `sample` drew."""
    home = (v["plate_country"].to_numpy(object) == "MX") & (rng.random(len(v)) < share)
    v["plate_state"] = np.where(home, twin, v["plate_state"].to_numpy(object)).astype(object)
