"""Places the world uses: Mexican states and municipalities, US states with cities, phone
area codes and licence-plate patterns, and the share of trafficking each US state sources.

Public geography only (state and city names); no address of any real person.
"""

from __future__ import annotations

import numpy as np

MX_PLACES: dict[str, list[str]] = {
    "Baja California": ["Tijuana", "Mexicali", "Ensenada", "Tecate"],
    "Sonora": [
        "Hermosillo",
        "Nogales",
        "San Luis Río Colorado",
        "Caborca",
        "Cajeme",
        "Agua Prieta",
    ],
    "Chihuahua": ["Ciudad Juárez", "Chihuahua", "Ojinaga", "Parral", "Guadalupe y Calvo"],
    "Coahuila": ["Piedras Negras", "Ciudad Acuña", "Saltillo", "Torreón"],
    "Nuevo León": ["Monterrey", "Apodaca", "Anáhuac", "Sabinas Hidalgo"],
    "Tamaulipas": ["Nuevo Laredo", "Reynosa", "Matamoros", "Ciudad Victoria", "Tampico"],
    "Sinaloa": ["Culiacán", "Mazatlán", "Los Mochis", "Navolato", "Badiraguato"],
    "Durango": ["Durango", "Gómez Palacio", "Tamazula"],
    "Zacatecas": ["Zacatecas", "Fresnillo", "Jerez"],
    "Jalisco": ["Guadalajara", "Zapopan", "Tlaquepaque", "Puerto Vallarta", "Lagos de Moreno"],
    "Michoacán": ["Morelia", "Uruapan", "Apatzingán", "Zamora", "Aguililla"],
    "Guerrero": ["Acapulco", "Chilpancingo", "Iguala", "Chilapa", "Zihuatanejo"],
    "Guanajuato": ["León", "Celaya", "Irapuato", "Salamanca"],
    "Colima": ["Colima", "Manzanillo", "Tecomán"],
    "Nayarit": ["Tepic", "Bahía de Banderas"],
    "Morelos": ["Cuernavaca", "Cuautla", "Jiutepec"],
    "Estado de México": ["Ecatepec", "Toluca", "Nezahualcóyotl", "Naucalpan"],
    "Ciudad de México": ["Iztapalapa", "Gustavo A. Madero", "Cuauhtémoc", "Tláhuac"],
    "Puebla": ["Puebla", "Tehuacán", "Texmelucan"],
    "Veracruz": ["Veracruz", "Xalapa", "Coatzacoalcos", "Poza Rica"],
    "Oaxaca": ["Oaxaca", "Juchitán", "Salina Cruz"],
    "Chiapas": ["Tuxtla Gutiérrez", "Tapachula", "Frontera Comalapa"],
    "Quintana Roo": ["Cancún", "Playa del Carmen", "Chetumal"],
    "Yucatán": ["Mérida", "Valladolid"],
    "Campeche": ["Campeche", "Ciudad del Carmen"],
    "San Luis Potosí": ["San Luis Potosí", "Ciudad Valles", "Matehuala"],
    "Querétaro": ["Querétaro", "San Juan del Río"],
    "Tabasco": ["Villahermosa", "Cárdenas"],
    "Hidalgo": ["Pachuca", "Tula"],
    "Aguascalientes": ["Aguascalientes"],
    "Tlaxcala": ["Tlaxcala", "Apizaco"],
    "Baja California Sur": ["La Paz", "Los Cabos"],
}

MX_STATE_CODES: dict[str, str] = {
    "Baja California": "BC",
    "Sonora": "SON",
    "Chihuahua": "CHIH",
    "Coahuila": "COAH",
    "Nuevo León": "NL",
    "Tamaulipas": "TAMPS",
    "Sinaloa": "SIN",
    "Durango": "DGO",
    "Zacatecas": "ZAC",
    "Jalisco": "JAL",
    "Michoacán": "MICH",
    "Guerrero": "GRO",
    "Guanajuato": "GTO",
    "Colima": "COL",
    "Nayarit": "NAY",
    "Morelos": "MOR",
    "Estado de México": "MEX",
    "Ciudad de México": "CDMX",
    "Puebla": "PUE",
    "Veracruz": "VER",
    "Oaxaca": "OAX",
    "Chiapas": "CHIS",
    "Quintana Roo": "QROO",
    "Yucatán": "YUC",
    "Campeche": "CAMP",
    "San Luis Potosí": "SLP",
    "Querétaro": "QRO",
    "Tabasco": "TAB",
    "Hidalgo": "HGO",
    "Aguascalientes": "AGS",
    "Tlaxcala": "TLAX",
    "Baja California Sur": "BCS",
}

# US states: cities, phone area codes. The source-state shares follow the `source_state.*`
# figures of `ironriver.world.calibration.FIGURES`
# (NFCTA Vol. IV 2022-23: TX 7,825, AZ 3,969, CA 1,575, NM 492 of Mexico traces; FOIA 7-year:
# TX ~40%, AZ ~17%, CA+NM ~17%): TX .41, AZ .19, CA .09, NM .03 satisfy both sets of
# tolerances; the remaining 28% is spread over interior states.
US_STATES: dict[str, tuple[list[str], list[str], float, float]] = {
    # state: (cities, area codes, share of trafficking sourced, share of legit sales)
    "TX": (
        [
            "Houston",
            "San Antonio",
            "Dallas",
            "El Paso",
            "Laredo",
            "McAllen",
            "Brownsville",
            "Austin",
            "Del Rio",
            "Eagle Pass",
            "Fort Worth",
            "Midland",
        ],
        ["713", "210", "214", "915", "956", "512", "830", "817", "432"],
        0.41,
        0.40,
    ),
    "AZ": (
        ["Phoenix", "Tucson", "Mesa", "Nogales", "Yuma", "Douglas", "Glendale"],
        ["602", "520", "480", "928", "623"],
        0.19,
        0.13,
    ),
    "CA": (
        [
            "Los Angeles",
            "San Diego",
            "Chula Vista",
            "Fresno",
            "Riverside",
            "El Centro",
            "Bakersfield",
            "Sacramento",
        ],
        ["213", "619", "858", "559", "951", "760", "661"],
        0.09,
        0.28,
    ),
    "NM": (["Albuquerque", "Las Cruces", "Deming", "Santa Fe"], ["505", "575"], 0.03, 0.05),
    "NV": (["Las Vegas", "Reno"], ["702", "775"], 0.04, 0.02),
    "CO": (["Denver", "Colorado Springs"], ["303", "719"], 0.04, 0.02),
    "IL": (["Chicago", "Aurora"], ["312", "773"], 0.05, 0.02),
    "FL": (["Miami", "Orlando", "Tampa"], ["305", "407", "813"], 0.05, 0.03),
    "GA": (["Atlanta", "Savannah"], ["404", "912"], 0.04, 0.02),
    "OK": (["Oklahoma City", "Tulsa"], ["405", "918"], 0.03, 0.02),
    "WA": (["Seattle", "Yakima"], ["206", "509"], 0.03, 0.01),
}
BORDER_STATES = ("AZ", "CA", "NM", "TX")


def us_states() -> list[str]:
    return list(US_STATES)


def trafficking_state_share() -> np.ndarray:
    s = np.array([v[2] for v in US_STATES.values()], dtype=float)
    out: np.ndarray = s / s.sum()
    return out


def legit_state_share() -> np.ndarray:
    s = np.array([v[3] for v in US_STATES.values()], dtype=float)
    out: np.ndarray = s / s.sum()
    return out


def us_city(rng: np.random.Generator, state_idx: np.ndarray) -> np.ndarray:
    states = list(US_STATES.values())
    out = np.empty(len(state_idx), dtype=object)
    for k, (cities, _, _, _) in enumerate(states):
        m = state_idx == k
        out[m] = np.array(cities, dtype=object)[rng.integers(0, len(cities), m.sum())]
    return out


def us_phone(rng: np.random.Generator, state_idx: np.ndarray) -> np.ndarray:
    states = list(US_STATES.values())
    area = np.empty(len(state_idx), dtype=object)
    for k, (_, codes, _, _) in enumerate(states):
        m = state_idx == k
        area[m] = np.array(codes, dtype=object)[rng.integers(0, len(codes), m.sum())]
    line = rng.integers(2_000_000, 9_999_999, len(state_idx))
    return np.array([f"+1{a}{n:07d}" for a, n in zip(area, line, strict=True)], dtype=object)


def mx_phone(rng: np.random.Generator, n: int) -> np.ndarray:
    lada = np.array(["33", "55", "81", "664", "656", "667", "662", "871", "744", "443"])
    k = rng.integers(0, len(lada), n)
    line = rng.integers(10_000_000, 99_999_999, n)
    return np.array(
        [f"+52{lada[a]}{b:08d}"[:13] for a, b in zip(k, line, strict=True)], dtype=object
    )


def mx_municipality(rng: np.random.Generator, states: np.ndarray) -> np.ndarray:
    out = np.empty(len(states), dtype=object)
    for st in np.unique(states.astype(str)):
        m = states == st
        towns = MX_PLACES.get(st, [st])
        out[m] = np.array(towns, dtype=object)[rng.integers(0, len(towns), m.sum())]
    return out


_LETTERS = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
_DIGITS = np.array(list("0123456789"))


def plates(rng: np.random.Generator, n: int, country: np.ndarray) -> np.ndarray:
    """Plate strings: US `ABC1234`, Mexican `ABC123A` (patterns vary by state in reality)."""
    letters = _LETTERS[rng.integers(0, len(_LETTERS), (n, 4))]
    digits = _DIGITS[rng.integers(0, 10, (n, 4))]
    us = np.char.add(
        np.char.add(np.char.add(letters[:, 0], letters[:, 1]), letters[:, 2]),
        np.char.add(
            np.char.add(digits[:, 0], digits[:, 1]), np.char.add(digits[:, 2], digits[:, 3])
        ),
    )
    mx = np.char.add(
        np.char.add(np.char.add(letters[:, 0], letters[:, 1]), letters[:, 2]),
        np.char.add(
            np.char.add(digits[:, 0], digits[:, 1]), np.char.add(digits[:, 2], letters[:, 3])
        ),
    )
    out: np.ndarray = np.where(country == "MX", mx, us).astype(object)
    return out
