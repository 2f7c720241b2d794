"""Mexican agencies: SEDENA and FGR recovery records, FGR arrests, CNI intelligence reports.

Spanish column names, DD/MM/YYYY dates, Spanish gun terms. Recovered guns show their true
condition: a share have serials filed off, partly ("?" for unreadable characters) or fully
(empty); intact serials are sometimes misread (O/0, I/1, S/5, B/8). Makes and calibers are
written many ways. Possessors are named the Mexican way (two surnames, alias), with the
usual distortions. Organisations are named by full name, short name or without accents.
Intelligence reports are short Spanish texts naming aliases, places and organisations.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ironriver.world import guns as gunlib
from ironriver.world import noise, people
from ironriver.world.config import week_dates
from ironriver.world.places import MX_STATE_CODES
from ironriver.world.sensors.common import MX_FORM_NOISE, fmt_dates, lookup, noisy_names, records
from ironriver.world.writer import write_csv, write_jsonl, write_yaml

if TYPE_CHECKING:
    from ironriver.world.config import WorldPaths
    from ironriver.world.generate import World

MX_DATE = "%d/%m/%Y"
CIRC_ES = {"crime_scene": "escena del crimen", "arrest": "detención en flagrancia", "raid": "cateo"}
STATUS_ES = {"intact": "íntegra", "partial": "parcialmente borrada", "obliterated": "borrada"}
AGENCY_OF = {"SEDENA": "sedena", "GN": "sedena", "FGR": "fgr", "FGE": "fgr"}
AGENCY_ES = {"SEDENA": "SEDENA", "GN": "Guardia Nacional", "FGR": "FGR", "FGE": "Fiscalía Estatal"}
# Other spellings of a caliber in Mexican records: the numeric ones of CALIBER_VARIANTS
# ("9 mm", ".38", "cal. 12"), none with English words ("12 GA", ".22 Long Rifle", "38 SPL").
_ENGLISH_CALIBER_WORDS = re.compile(r"gauge|Long Rifle|L\.R\.|\bGA\b|\dga\b|Spl|SPL|Special")
MX_CALIBER_VARIANTS = {
    canonical: tuple(v for v in spellings if not _ENGLISH_CALIBER_WORDS.search(v))
    for canonical, spellings in noise.CALIBER_VARIANTS.items()
}


def org_variants(rng: np.random.Generator, names: np.ndarray, shorts: np.ndarray) -> np.ndarray:
    """Organisation names as written: full, short, unaccented or upper case."""
    k = rng.integers(0, 4, len(names))
    out = np.where(k == 0, names, shorts).astype(object)
    out[k == 2] = noise.drop_accents(out[k == 2])
    out[k == 3] = np.array([str(s).upper() for s in out[k == 3]], dtype=object)
    return out


def _org_written(rng: np.random.Generator, world: World, org_id: pd.Series) -> np.ndarray:
    """How a Mexican record names each organisation of `org_id` (`org_variants`)."""
    orgs = world.orgs.orgs.set_index("org_id")
    return org_variants(
        rng,
        org_id.map(orgs["name"]).to_numpy(object),
        org_id.map(orgs["short_name"]).to_numpy(object),
    )


def _full_name(
    given: pd.Series, paternal: pd.Series, maternal: pd.Series, alias: pd.Series
) -> pd.Series:
    """A person's name as one field: given names and both surnames, else the alias alone."""
    full = (given + " " + paternal + " " + maternal).str.split().str.join(" ")
    return full.where(full != "", alias)


def write(world: World, paths: WorldPaths) -> list[pd.DataFrame]:
    rng = world.cfg.rng("sensor:mexico")
    rec = world.recoveries
    assert rec is not None
    r = rec.recoveries
    guns = world.guns
    g = guns.iloc[r["gun_idx"].to_numpy()].reset_index(drop=True)
    # exact shares (not Bernoulli) keep small worlds on their calibration figures
    n = len(r)
    serial = g["serial"].to_numpy(object).copy()
    status = np.full(n, "intact", dtype=object)
    tampered = np.sort(rng.permutation(n)[: round(n * world.cfg.value("tampered_share"))])
    serial[tampered], status[tampered] = noise.obliterate_serials(
        rng, serial[tampered], 1.0, world.cfg.value("partial_share")
    )
    intact = status == "intact"
    misread, _ = noise.serial_misread(rng, serial[intact], 0.03)
    serial[intact] = misread
    make, _ = noise.make_variant(rng, g["maker"].to_numpy(object), 0.3)
    incomplete = np.zeros(n, bool)
    incomplete[rng.permutation(n)[: round(n * world.cfg.value("incomplete_share"))]] = True
    make[incomplete] = ""
    world.obliteration = pd.DataFrame(
        {
            "recovery_idx": r["recovery_idx"].to_numpy(),
            "serial_observed": serial,
            "serial_status": status,
            "incomplete": incomplete,
        }
    )
    # Spanish terms ("calibre 12", "cal. .38 especial", "Estados Unidos"), some written
    # another way (numeric caliber spellings; capitals or no accents for the country)
    caliber, varied = noise.caliber_variant(
        rng, g["caliber"].to_numpy(object), 0.3, MX_CALIBER_VARIANTS
    )
    spanish = g["caliber"].map(gunlib.spanish_terms["caliber"]).fillna(g["caliber"])
    caliber[~varied] = spanish.to_numpy(object)[~varied]
    country_es = g["country"].map(gunlib.spanish_terms["country"]).fillna(g["country"])
    country, _ = noise.country_variant(rng, country_es.to_numpy(object), 0.2)
    country = np.where(rng.random(len(g)) < 0.5, country, "")
    possessed = r["possessor_idx"].to_numpy() >= 0
    pid = np.where(
        possessed, people.person_ids("member", np.maximum(r["possessor_idx"].to_numpy(), 0)), ""
    )
    who = lookup(
        world.persons, np.where(possessed, pid, people.person_ids("member", np.zeros(len(r), int)))
    )
    nm = noisy_names(rng, who, MX_FORM_NOISE)
    for c in ("given_names", "paternal_surname", "maternal_surname", "nickname"):
        nm.loc[~possessed, c] = ""
    org_named = _org_written(rng, world, r["org_id"])
    org_named[rng.random(len(r)) < 0.4] = ""
    state_code = r["mx_state"].map(MX_STATE_CODES).fillna("MX").to_numpy(object)
    year = r["date"].to_numpy().astype("datetime64[Y]").astype(int) + 1970
    folio = np.array(
        [
            f"{AGENCY_ES[a].split()[0].upper()[:4]}/{s}/{y}/{e:06d}"
            for a, s, y, e in zip(r["agency"], state_code, year, r["event_idx"], strict=True)
        ],
        dtype=object,
    )
    item = r.groupby("event_idx").cumcount().to_numpy() + 1
    frame = pd.DataFrame(
        {
            "FOLIO": folio,
            "NUM_ARMA": item,
            "FECHA": fmt_dates(r["date"].to_numpy(), MX_DATE),
            "ESTADO": r["mx_state"].to_numpy(object),
            "MUNICIPIO": r["municipality"].to_numpy(object),
            "CIRCUNSTANCIA": r["circumstance"].map(CIRC_ES).to_numpy(object),
            "DEPENDENCIA": r["agency"].map(AGENCY_ES).to_numpy(object),
            "TIPO_ARMA": gunlib.spanish_type(
                g["type"].to_numpy(object), g["platform"].to_numpy(object)
            ),
            "MARCA": make,
            "MODELO": g["model"].to_numpy(object),
            "CALIBRE": caliber,
            "MATRICULA": serial,
            "ESTADO_MATRICULA": pd.Series(status).map(STATUS_ES).to_numpy(object),
            "PAIS_FABRICACION": country,
            "PORTADOR_NOMBRE": nm["given_names"].to_numpy(object),
            "PORTADOR_PATERNO": nm["paternal_surname"].to_numpy(object),
            "PORTADOR_MATERNO": nm["maternal_surname"].to_numpy(object),
            "PORTADOR_ALIAS": nm["nickname"].to_numpy(object),
            "ORGANIZACION": org_named,
        }
    )
    frame["PORTADOR"] = _full_name(
        frame["PORTADOR_NOMBRE"],
        frame["PORTADOR_PATERNO"],
        frame["PORTADOR_MATERNO"],
        frame["PORTADOR_ALIAS"],
    )
    frame["TIENE_PORTADOR"] = np.where(frame["PORTADOR"] != "", "SI", "NO")
    frame["TIENE_ORGANIZACION"] = np.where(frame["ORGANIZACION"] != "", "SI", "NO")
    rec_id = (frame["FOLIO"] + "/" + frame["NUM_ARMA"].astype(str)).to_numpy(object)
    recs = []
    agency = r["agency"].map(AGENCY_OF).to_numpy(object)
    for ag in ("fgr", "sedena"):
        m = agency == ag
        write_csv(frame[m], paths.agency(ag) / "aseguramientos_armas.csv")
        recs.append(
            records(f"mx_{ag}_aseguramientos", rec_id[m], pid[m], g["gun_id"].to_numpy(object)[m])
        )
    recs.append(_arrests(world, paths, rng))
    recs.append(_intel(world, paths, rng))
    write_yaml(_recovery_mapping("fgr") | _arrest_mapping(), paths.agency("fgr") / "mapping.yaml")
    write_yaml(_recovery_mapping("sedena"), paths.agency("sedena") / "mapping.yaml")
    write_yaml(_intel_mapping(), paths.agency("cni") / "mapping.yaml")
    return recs


def _arrests(world: World, paths: WorldPaths, rng: np.random.Generator) -> pd.DataFrame:
    ev = world.dyn.events
    a = ev[ev["kind"] == "arrested"].reset_index(drop=True)
    pid = people.person_ids("member", a["person_idx"].to_numpy())
    who = lookup(world.persons, pid)
    nm = noisy_names(rng, who, MX_FORM_NOISE)
    nm.loc[rng.random(len(a)) < 0.2, "nickname"] = ""
    # the arrest's true day and place (the CNI reports of it say the same)
    state = a["mx_state"].to_numpy(object)
    town = a["municipality"].to_numpy(object)
    date = a["date"].to_numpy()
    frame = pd.DataFrame(
        {
            "FOLIO": [f"FGR/DET/{i:07d}" for i in range(len(a))],
            "FECHA": fmt_dates(date, MX_DATE),
            "NOMBRE": nm["given_names"].to_numpy(object),
            "APELLIDO_PATERNO": nm["paternal_surname"].to_numpy(object),
            "APELLIDO_MATERNO": nm["maternal_surname"].to_numpy(object),
            "ALIAS": nm["nickname"].to_numpy(object),
            "FECHA_NACIMIENTO": fmt_dates(who["birth_date"].to_numpy(), MX_DATE),
            "ORGANIZACION": _org_written(rng, world, a["org_id"]),
            "ESTADO": state,
            "MUNICIPIO": town,
            "DEPENDENCIA": np.array(["FGR", "SEDENA", "Guardia Nacional"], dtype=object)[
                rng.integers(0, 3, len(a))
            ],
            "DELITO": np.array(
                [
                    "delincuencia organizada",
                    "portación de arma de uso exclusivo",
                    "contra la salud",
                    "homicidio",
                ],
                dtype=object,
            )[rng.integers(0, 4, len(a))],
        }
    )
    frame["NOMBRE_COMPLETO"] = _full_name(
        frame["NOMBRE"], frame["APELLIDO_PATERNO"], frame["APELLIDO_MATERNO"], frame["ALIAS"]
    )
    write_csv(frame, paths.agency("fgr") / "detenciones.csv")
    return records("mx_fgr_detenciones", frame["FOLIO"].to_numpy(object), pid)


TEMPLATES = {
    "killed": 'Se reporta el homicidio de alias "{alias}", integrante de {org}, en {town}, '
    "{state}.",
    "arrested": 'Elementos detuvieron en {town}, {state} a alias "{alias}", '
    "presunto integrante de {org}.",
    "decapitation": 'Abatido alias "{alias}", líder de {org}. Se prevé disputa por la sucesión.',
    "succession": 'Alias "{alias}" asume el mando de {org} tras la caída de su líder.',
    "plaza": 'Alias "{alias}" controla la plaza de {town}, {state}, para {org}.',
}


def _intel(world: World, paths: WorldPaths, rng: np.random.Generator) -> pd.DataFrame:
    ev = world.dyn.events
    keep = ev["kind"].isin(["decapitation", "succession"]) | (rng.random(len(ev)) < 0.25)
    ev = ev[keep & (ev["person_idx"] >= 0)].reset_index(drop=True)
    # plaza reports: each plaza boss is named once or twice a year, while holding the plaza
    # (for the organisation or faction that holds it then)
    pos = world.dyn.positions
    bosses = pos[pos["role"] == "plaza_boss"]
    weeks = world.cfg.weeks
    first = np.maximum(bosses["start_week"].to_numpy(np.int64), 0)
    last = np.where(bosses["end_week"] == -1, weeks, bosses["end_week"]).astype(np.int64)
    span = np.maximum(last - first, 0)
    n_rep = rng.poisson(1.5 * world.cfg.years * span / weeks)
    b = bosses.loc[bosses.index.repeat(n_rep)].reset_index(drop=True)
    b_first, b_span = np.repeat(first, n_rep), np.repeat(span, n_rep)
    b_week = b_first + (rng.random(len(b)) * b_span).astype(np.int64)
    plazas = world.orgs.plazas.set_index("plaza_id")
    plaza_ev = pd.DataFrame(
        {
            "week": b_week,
            "kind": "plaza",
            "org_id": b["org_id"].to_numpy(object),
            "person_idx": b["person_idx"].to_numpy(),
            "plaza_id": b["plaza_id"].to_numpy(object),
            "date": week_dates(world.cfg, b_week, rng.integers(0, 7, len(b))),
            "mx_state": b["plaza_id"].map(plazas["mx_state"]).to_numpy(object),
            "municipality": b["plaza_id"].map(plazas["municipality"]).to_numpy(object),
        }
    )
    ev = pd.concat([ev, plaza_ev], ignore_index=True).sort_values(
        ["week", "kind", "person_idx"], ignore_index=True
    )
    pid = people.person_ids("member", ev["person_idx"].to_numpy())
    who = lookup(world.persons, pid)
    alias = who["nickname"].to_numpy(object).copy()
    no_alias = alias == ""
    alias[no_alias] = who["given_names"].to_numpy(object)[no_alias]
    # each event's true day and place (an arrest's FGR record says the same)
    state = ev["mx_state"].to_numpy(object)
    town = ev["municipality"].to_numpy(object)
    org = _org_written(rng, world, ev["org_id"])
    text = [
        TEMPLATES[k].format(org=o, town=t, state=s, alias=a)
        for k, o, t, s, a in zip(ev["kind"], org, town, state, alias, strict=True)
    ]
    date = ev["date"].to_numpy()
    folio = [f"CNI-{i:07d}" for i in range(len(ev))]
    dates = fmt_dates(date, MX_DATE)
    rows = [
        {
            "FOLIO": f,
            "FECHA": d,
            "TEXTO": tx,
            "ALIAS": a,
            "ORGANIZACION": o,
            "ESTADO": s,
            "MUNICIPIO": t,
        }
        for f, d, tx, a, o, s, t in zip(folio, dates, text, alias, org, state, town, strict=True)
    ]
    write_jsonl(rows, paths.agency("cni") / "informes.jsonl")
    return records("mx_cni_informes", np.array(folio, dtype=object), pid)


def _dataset(
    title: str,
    agency: str,
    marking: str,
    releasable_to: list[str],
    legal_basis: str,
    queries: list[dict[str, Any]],
) -> dict[str, Any]:
    """One Mexican agency's dataset in a mapping."""
    return {
        "title": title,
        "agency": agency,
        "country": "MX",
        "marking": marking,
        "releasable_to": releasable_to,
        "legal_basis": legal_basis,
        "queries": queries,
    }


def _organisation() -> dict[str, Any]:
    """The organisation a record names (ORGANIZACION), one entity per name as written."""
    return {
        "schema": "Organization",
        "keys": ["ORGANIZACION"],
        "properties": {"name": {"column": "ORGANIZACION"}},
    }


def _membership(
    keys: list[str], member: str, status: str, key_literal: str | None = None
) -> dict[str, Any]:
    """`member` (an entity of the query) in the record's organisation (`_organisation`), as
    the record states it (`status`: attributed, presumed)."""
    out: dict[str, Any] = {"schema": "Membership", "keys": keys}
    if key_literal is not None:
        out["key_literal"] = key_literal
    out["properties"] = {
        "member": {"entity": member},
        "organization": {"entity": "organizacion"},
        "status": {"literal": status},
    }
    return out


def _recovery_mapping(agency: str) -> dict[str, Any]:
    """Every row gives a gun and its recovery; rows naming a possessor add the person, and
    rows naming an organisation too add the attributed membership (filters keep crime-scene
    rows without a possessor from creating empty persons)."""
    portador = {
        "schema": "Individual",
        "keys": ["FOLIO", "PORTADOR_NOMBRE", "PORTADOR_PATERNO", "PORTADOR_ALIAS"],
        "key_literal": "portador",
        "properties": {
            "name": {"column": "PORTADOR"},
            "firstName": {"column": "PORTADOR_NOMBRE"},
            "paternalSurname": {"column": "PORTADOR_PATERNO"},
            "maternalSurname": {"column": "PORTADOR_MATERNO"},
            "alias": {"column": "PORTADOR_ALIAS"},
        },
    }
    # Same key columns as the gun: the literal keeps the ids apart.
    recovery_keys = {
        "schema": "Recovery",
        "keys": ["FOLIO", "NUM_ARMA"],
        "key_literal": "aseguramiento",
    }
    return {
        f"mx_{agency}_aseguramientos": _dataset(
            "Armas aseguradas (registros de aseguramiento)",
            agency.upper(),
            "AMBER",
            ["MX", "US"],
            "Ley Federal de Armas de Fuego y Explosivos; Memorándum de entendimiento de rastreo (eTrace)",
            [
                {
                    "csv_url": "aseguramientos_armas.csv",
                    "entities": {
                        "arma": {
                            "schema": "Firearm",
                            "keys": ["FOLIO", "NUM_ARMA"],
                            "properties": {
                                "serialNumber": {"column": "MATRICULA"},
                                "serialStatus": {"column": "ESTADO_MATRICULA"},
                                "make": {"column": "MARCA"},
                                "model": {"column": "MODELO"},
                                "caliber": {"column": "CALIBRE"},
                                "weaponType": {"column": "TIPO_ARMA"},
                                "countryOfManufacture": {"column": "PAIS_FABRICACION"},
                            },
                        },
                        "aseguramiento": {
                            **recovery_keys,
                            "properties": {
                                "firearm": {"entity": "arma"},
                                "date": {"column": "FECHA", "format": MX_DATE},
                                "caseNumber": {"column": "FOLIO"},
                                "place": {"columns": ["MUNICIPIO", "ESTADO"], "join": ", "},
                                "circumstance": {"column": "CIRCUNSTANCIA"},
                                "recoveringAgency": {"column": "DEPENDENCIA"},
                                "country": {"literal": "mx"},
                            },
                        },
                    },
                },
                {
                    "csv_url": "aseguramientos_armas.csv",
                    "filters": {"TIENE_PORTADOR": "SI"},
                    "entities": {
                        "portador": portador,
                        "aseguramiento": {
                            **recovery_keys,
                            "properties": {"possessor": {"entity": "portador"}},
                        },
                    },
                },
                {
                    "csv_url": "aseguramientos_armas.csv",
                    "filters": {"TIENE_PORTADOR": "SI", "TIENE_ORGANIZACION": "SI"},
                    "entities": {
                        "portador": portador,
                        "organizacion": _organisation(),
                        "membresia": _membership(
                            ["FOLIO", "NUM_ARMA", "ORGANIZACION"],
                            "portador",
                            "atribuida",
                            key_literal="membresia",
                        ),
                    },
                },
            ],
        )
    }


def _arrest_mapping() -> dict[str, Any]:
    return {
        "mx_fgr_detenciones": _dataset(
            "Detenciones (FGR)",
            "FGR",
            "AMBER",
            ["MX", "US"],
            "Código Nacional de Procedimientos Penales",
            [
                {
                    "csv_url": "detenciones.csv",
                    "entities": {
                        "detenido": {
                            "schema": "Individual",
                            "keys": ["FOLIO"],
                            "properties": {
                                "name": {"column": "NOMBRE_COMPLETO"},
                                "firstName": {"column": "NOMBRE"},
                                "paternalSurname": {"column": "APELLIDO_PATERNO"},
                                "maternalSurname": {"column": "APELLIDO_MATERNO"},
                                "alias": {"column": "ALIAS"},
                                "birthDate": {"column": "FECHA_NACIMIENTO", "format": MX_DATE},
                            },
                        },
                        "organizacion": _organisation(),
                        "membresia": _membership(["FOLIO", "ORGANIZACION"], "detenido", "presunta"),
                        # the arresting authority, a government body (an entity: the
                        # property refers to one; a literal "FGR" there was a reference to no
                        # entity)
                        "dependencia": {
                            "schema": "PublicBody",
                            "keys": ["DEPENDENCIA"],
                            "key_literal": "dependencia",
                            "properties": {"name": {"column": "DEPENDENCIA"}},
                        },
                        # our Arrest (an Event): its detainee and arresting authority, not
                        # FtM's "involved" and "organizer" ("Organizador: SEDENA")
                        "detencion": {
                            "schema": "Arrest",
                            "keys": ["FOLIO"],
                            "key_literal": "detencion",
                            "properties": {
                                "name": {"template": "Detención {{FOLIO}}"},
                                "date": {"column": "FECHA", "format": MX_DATE},
                                "location": {"columns": ["MUNICIPIO", "ESTADO"], "join": ", "},
                                "summary": {"column": "DELITO"},
                                "detainee": {"entity": "detenido"},
                                "arrestingAuthority": {"entity": "dependencia"},
                            },
                        },
                    },
                }
            ],
        )
    }


def _intel_mapping() -> dict[str, Any]:
    return {
        "mx_cni_informes": _dataset(
            "Informes de inteligencia",
            "CNI",
            "AMBER+STRICT",
            ["CNI", "FGR", "SEDENA"],
            "Ley de Seguridad Nacional",
            [
                {
                    "jsonl_url": "informes.jsonl",
                    "entities": {
                        "alias": {
                            "schema": "Individual",
                            "keys": ["ALIAS", "ORGANIZACION"],
                            "properties": {
                                "name": {"column": "ALIAS"},
                                "alias": {"column": "ALIAS"},
                            },
                        },
                        "organizacion": _organisation(),
                        "informe": {
                            "schema": "Event",
                            "keys": ["FOLIO"],
                            "properties": {
                                "name": {"column": "FOLIO"},
                                "date": {"column": "FECHA", "format": MX_DATE},
                                "description": {"column": "TEXTO"},
                                "location": {"columns": ["MUNICIPIO", "ESTADO"], "join": ", "},
                                "involved": {"entity": "alias"},
                            },
                        },
                    },
                }
            ],
        )
    }
