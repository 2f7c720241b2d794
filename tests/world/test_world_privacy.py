"""No real person in generated records: groups the public network names after an individual
carry a neutral label, and nicknames never make a famous real alias."""

from __future__ import annotations

import csv
import io
import unicodedata
from importlib import resources

import numpy as np
import pandas as pd

from ironriver.world import WorldPaths
from ironriver.world.names import assign_nicknames
from ironriver.world.organisations import PERSON_NAMED

FAMOUS_ALIASES = ("El Chapo", "El Barbas", "El Ratón", "El Canelo", "El Mayo", "El Mencho")


def _network_names() -> dict[str, set[str]]:
    ref = resources.files("ironriver.world") / "data" / "cartel_network" / "BACRIM2020_Nodes.csv"
    rows = csv.DictReader(io.StringIO(ref.read_bytes().decode("utf-8-sig"), newline=""))
    return {r["Node"]: {r["Group"], r["ShortName"]} for r in rows}


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii()).lower()


def _org_fields(world: WorldPaths) -> set[str]:
    """Every organisation name the agencies wrote (FGR, SEDENA, CNI, HSI)."""
    out: set[str] = set()
    for path, column in (
        ("fgr/aseguramientos_armas.csv", "ORGANIZACION"),
        ("sedena/aseguramientos_armas.csv", "ORGANIZACION"),
        ("fgr/detenciones.csv", "ORGANIZACION"),
        ("hsi/case_subjects.csv", "SUSPECTED_ORG"),
    ):
        frame = pd.read_csv(world.agencies / path, dtype=str, keep_default_na=False)
        out |= set(frame[column])
    out |= set(pd.read_json(world.agencies / "cni/informes.jsonl", lines=True)["ORGANIZACION"])
    return {_fold(o) for o in out if o}


def _texts(world: WorldPaths) -> str:
    files = [p for p in sorted(world.agencies.rglob("*")) if p.suffix in (".csv", ".jsonl")]
    return "\n".join(p.read_text(encoding="utf-8") for p in files if "cbp" not in p.parts)


def test_groups_named_after_a_person_get_a_neutral_label(world_005: WorldPaths) -> None:
    names = _network_names()
    orgs = pd.read_parquet(world_005.truth / "organisations.parquet").set_index("org_id")
    assert "N10033" in PERSON_NAMED and "N10033" in orgs.index  # "Célula liderada por ..."
    written = _org_fields(world_005)
    assert written
    for node in sorted(PERSON_NAMED & set(orgs.index)):
        assert not ({orgs.loc[node, "name"], orgs.loc[node, "short_name"]} & names[node])
        assert not ({_fold(n) for n in names[node]} & written), names[node]
    assert "arzate" not in _fold(_texts(world_005))
    # organisations of public record keep their names
    assert orgs.loc["N10025", "short_name"] == "CJNG"


def test_no_famous_real_alias(world_005: WorldPaths) -> None:
    rng = np.random.default_rng(0)
    sex = np.where(rng.random(50_000) < 0.5, "M", "F")
    nick = pd.Series(assign_nicknames(rng, 50_000, sex=sex))
    persons = pd.read_parquet(world_005.truth / "persons.parquet")
    text = _texts(world_005)
    for alias in FAMOUS_ALIASES:
        assert not nick.str.match(alias + r"(\s|$)").any(), alias
        assert not persons["nickname"].str.match(alias + r"(\s|$)").any(), alias
        assert f'"{alias}' not in text, alias
