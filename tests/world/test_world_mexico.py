"""Mexican agencies' records tell one story: what FGR and CNI write about an event follows
the event's one true day and place, and a CNI report names each person in their true part."""

from __future__ import annotations

import re

import pandas as pd
import yaml
from sqlalchemy import text

from ironriver.ingest import ingest_mapping
from ironriver.store import Store
from ironriver.world import WorldPaths, noise


def _cni(world: WorldPaths) -> pd.DataFrame:
    rows = pd.read_json(world.agency("cni") / "informes.jsonl", lines=True, dtype=str)
    rec = pd.read_parquet(world.truth / "records.parquet")
    return rows.merge(
        rec[rec["dataset"] == "mx_cni_informes"], left_on="FOLIO", right_on="record_id"
    )


def test_an_arrest_has_one_day_and_place(world_005: WorldPaths) -> None:
    rec = pd.read_parquet(world_005.truth / "records.parquet")
    ev = pd.read_parquet(world_005.truth / "events.parquet")
    arrests = ev[ev["kind"] == "arrested"].set_index("person_id")
    assert arrests.index.is_unique
    det = pd.read_csv(world_005.agency("fgr") / "detenciones.csv", dtype=str, keep_default_na=False)
    det = det.merge(
        rec[rec["dataset"] == "mx_fgr_detenciones"], left_on="FOLIO", right_on="record_id"
    )
    truth = arrests.loc[det["person_id"]]
    assert (det["FECHA"].to_numpy() == truth["date"].dt.strftime("%d/%m/%Y").to_numpy()).all()
    assert (det["MUNICIPIO"].to_numpy() == truth["municipality"].to_numpy()).all()
    assert (det["ESTADO"].to_numpy() == truth["mx_state"].to_numpy()).all()
    cni = _cni(world_005)
    cni = cni[cni["TEXTO"].str.startswith("Elementos detuvieron")]
    both = det.merge(cni, on="person_id", suffixes=("_fgr", "_cni"))
    assert len(both) >= 20
    assert (both["FECHA_fgr"] == both["FECHA_cni"]).all()
    assert (both["MUNICIPIO_fgr"] == both["MUNICIPIO_cni"]).all()


def test_a_killing_report_names_the_victim_as_victim(world_005: WorldPaths) -> None:
    ev = pd.read_parquet(world_005.truth / "events.parquet")
    killed = set(ev.loc[ev["kind"] == "killed", "person_id"])
    cni = _cni(world_005)
    k = cni[cni["person_id"].isin(killed) & cni["TEXTO"].str.contains("homicidio")]
    assert len(k) >= 20
    assert not k["TEXTO"].str.contains("al mando").any()
    assert k.apply(lambda r: f'homicidio de alias "{r["ALIAS"]}"' in r["TEXTO"], axis=1).all()


ENGLISH = re.compile(
    r"\b(?:gauge|long rifle|special|magnum|united|republic|turkey|brazil|germany)\b"
)


def test_recovery_files_write_spanish_gun_terms(world_005: WorldPaths, sqlite_store: Store) -> None:
    for agency in ("fgr", "sedena"):
        t = pd.read_csv(
            world_005.agency(agency) / "aseguramientos_armas.csv", dtype=str, keep_default_na=False
        )
        assert not t["CALIBRE"].str.lower().str.contains(ENGLISH).any()
        assert not t["PAIS_FABRICACION"].str.lower().str.contains(ENGLISH).any()
        assert t["PAIS_FABRICACION"].isin(["Estados Unidos", "ESTADOS UNIDOS"]).any()
        assert t["CALIBRE"].str.startswith(("cal. ", "calibre ")).mean() > 0.5
    # the world's own mapping still reads every country name as a country
    result = ingest_mapping(sqlite_store, world_005.agency("sedena") / "mapping.yaml", actor="t")
    assert result.rejected == 0
    with sqlite_store.engine.connect() as conn:
        values = conn.execute(
            text(
                "SELECT DISTINCT s.value FROM statements s JOIN props p ON p.id = s.prop_id "
                "WHERE p.prop = 'countryOfManufacture'"
            )
        ).scalars()
        countries = set(values)
    written = pd.read_csv(world_005.agency("sedena") / "aseguramientos_armas.csv", dtype=str)
    assert "us" in countries
    assert (
        len(countries)
        == written["PAIS_FABRICACION"]
        .dropna()
        .str.upper()
        .map(lambda c: noise.drop_accents([c])[0].replace(" DE AMERICA", ""))
        .nunique()
    )


def test_mexican_mappings_name_organisations_and_people_one_way(tiny_world: WorldPaths) -> None:
    """FGR, SEDENA and CNI declare an organisation, a membership and a person's one-field
    name the same way (one helper each in sensors/mexico.py, where each was written out two
    or three times): the same organisation entity; a membership from the record's person
    to it; the full name is the given names and both surnames, else the alias alone."""
    orgs, memberships = [], []
    for agency in ("fgr", "sedena", "cni"):
        mapping = yaml.safe_load((tiny_world.agency(agency) / "mapping.yaml").read_text("utf-8"))
        for name, dataset in mapping.items():
            assert dataset["country"] == "MX" and list(dataset)[-1] == "queries", name
            for query in dataset["queries"]:
                entities = query["entities"]
                orgs += [e for k, e in entities.items() if k == "organizacion"]
                memberships += [e for e in entities.values() if e["schema"] == "Membership"]
    assert len(orgs) == 4 and all(o == orgs[0] for o in orgs)
    assert orgs[0]["keys"] == ["ORGANIZACION"]
    assert len(memberships) == 3
    for m in memberships:
        assert m["properties"]["organization"] == {"entity": "organizacion"}
        assert "ORGANIZACION" in m["keys"]
    files = (
        ("fgr/aseguramientos_armas.csv", "PORTADOR", "PORTADOR_NOMBRE", "PORTADOR_PATERNO",
         "PORTADOR_MATERNO", "PORTADOR_ALIAS"),
        ("fgr/detenciones.csv", "NOMBRE_COMPLETO", "NOMBRE", "APELLIDO_PATERNO",
         "APELLIDO_MATERNO", "ALIAS"),
    )  # fmt: skip
    for path, full, given, paternal, maternal, alias in files:
        t = pd.read_csv(tiny_world.root / "agencies" / path, dtype=str, keep_default_na=False)
        parts = t[[given, paternal, maternal]].agg(" ".join, axis=1).str.split().str.join(" ")
        assert (t[full] == parts.where(parts != "", t[alias])).all(), path
        assert (t[full] != "").any()


def test_an_fgr_arrest_names_its_detainee_and_arresting_authority(
    world_005: WorldPaths, sqlite_store: Store
) -> None:
    """FGR's DEPENDENCIA is the authority that made the arrest: our Arrest's
    `arrestingAuthority` ("Autoridad que detuvo"), a PublicBody, not FtM's Event `organizer`
    ("Organizador: SEDENA"); the arrested person is its `detainee` ("Detenido"), not one of
    the event's "Implicados"."""
    from ironriver.model.labels import prop_label, schema_label
    from ironriver.policy import Principal, View

    result = ingest_mapping(sqlite_store, world_005.agency("fgr") / "mapping.yaml", actor="t")
    assert result.rejected == 0
    view = View(sqlite_store, Principal("f", "FGR", "MX"), reason="test", audit=False)
    arrests = list(view.export("Arrest"))
    assert arrests and len(list(view.export("Event"))) >= len(arrests)  # an Arrest is one
    det = pd.read_csv(world_005.agency("fgr") / "detenciones.csv", dtype=str)
    assert len(arrests) == len(det)
    authorities = view.entities(sorted({a.first("arrestingAuthority") for a in arrests}))
    assert {e.schema.name for e in authorities.values()} == {"PublicBody"}
    assert {e.caption for e in authorities.values()} <= {"FGR", "SEDENA", "Guardia Nacional"}
    for arrest in arrests:
        assert arrest.get("detainee") and not arrest.get("involved")
        assert not arrest.get("organizer")
    assert schema_label("Arrest", "es") == "Detención"
    assert prop_label("Arrest", "arrestingAuthority", "es") == "Autoridad que detuvo"
    assert prop_label("Arrest", "detainee", "es") == "Detenido"
    assert prop_label("Person", "arrests", "es") == "Detenciones"
