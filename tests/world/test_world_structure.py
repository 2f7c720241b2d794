"""What a world holds: agency files with their mappings, truth behind every record."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow.csv as pacsv
import pytest

from ironriver.errors import WorldError
from ironriver.ingest import load_mapping
from ironriver.world import WorldConfig, WorldPaths, generate_world

AGENCIES = {"atf", "cbp", "hsi", "fgr", "sedena", "cni"}


def test_every_agency_has_a_valid_mapping(tiny_world: WorldPaths) -> None:
    mappings = tiny_world.mappings()
    assert {p.parent.name for p in mappings} == AGENCIES
    datasets = [d.name for p in mappings for d in load_mapping(p)]
    assert len(datasets) == len(set(datasets)) >= 10


def test_mappings_are_plain_yaml_an_analyst_can_read(tiny_world: WorldPaths) -> None:
    # An analyst copies a world's mapping to start their own: YAML anchors and aliases
    # (`&id001` / `*id001`, PyYAML's output for a list used twice) are legal but unreadable.
    for path in tiny_world.mappings():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"[&*]id\d{3}", text), path


def test_references_point_at_entities_the_mapping_makes(tiny_world: WorldPaths) -> None:
    """An entity-typed property (a sale's buyer, an arrest's organizer) holds another
    entity's id: a literal or a column there refers to no entity (the FGR arrests once named
    their organizer with the literal "FGR", a dangling edge in every view)."""
    for path in tiny_world.mappings():
        for dataset in load_mapping(path):
            for query in dataset.queries:
                for entity in query.entities:
                    for prop in entity.properties:
                        if prop.type_name == "entity":
                            assert prop.entity, f"{dataset.name}.{entity.name}.{prop.name}"


def test_mexican_files_speak_spanish(tiny_world: WorldPaths) -> None:
    t = pacsv.read_csv(tiny_world.agency("sedena") / "aseguramientos_armas.csv").to_pandas()
    assert {"FOLIO", "FECHA", "MATRICULA", "CALIBRE", "TIPO_ARMA"} <= set(t.columns)
    assert t["FECHA"].str.match(r"^\d{2}/\d{2}/\d{4}$").all()
    assert set(t["ESTADO_MATRICULA"]) <= {"íntegra", "parcialmente borrada", "borrada"}


def test_records_map_to_truth(tiny_world: WorldPaths) -> None:
    records = pd.read_parquet(tiny_world.truth / "records.parquet")
    persons = set(pd.read_parquet(tiny_world.truth / "persons.parquet")["person_id"])
    guns = set(pd.read_parquet(tiny_world.truth / "guns.parquet")["gun_id"])
    assert records["record_id"].is_unique
    named = records.loc[records["person_id"] != "", "person_id"]
    # every person a record names is a person of the truth, commuters who only pass the
    # plate readers included (their crossings named drivers the truth did not hold)
    assert named.str.startswith("DRV").any()
    assert set(named) <= persons
    owners = pd.read_parquet(tiny_world.truth / "vehicles.parquet")["owner_id"]
    assert set(owners[owners != ""]) <= persons
    assert set(records.loc[records["gun_id"] != "", "gun_id"]) <= guns
    sales = pacsv.read_csv(tiny_world.agency("atf") / "dealer_sales.csv").to_pandas()
    ids = set(records.loc[records["dataset"] == "us_atf_dealer_sales", "record_id"])
    assert set(sales["TXN_NO"]) == ids


def test_chains_link_sale_crossing_recovery(tiny_world: WorldPaths) -> None:
    chains = pd.read_parquet(tiny_world.truth / "chains.parquet")
    crossed = chains[(chains["crossing_id"] != "") & (chains["recovery_id"] != "")]
    assert len(crossed) > 0
    assert (crossed["recovery_date"] > crossed["crossing_date"]).all()
    assert (crossed["crossing_date"] > crossed["sale_date"]).all()
    memberships = pd.read_parquet(tiny_world.truth / "memberships.parquet")
    roles = set(memberships["role"])
    assert {"leader", "regional_boss", "plaza_boss", "cell_leader", "member"} <= roles
    assert {"coordinator", "recruiter", "straw_purchaser", "driver"} <= roles


def test_a_world_with_no_hsi_case_is_written(tmp_path: Path) -> None:
    # scale 0.002, seed 0: no investigated ring, so HSI has no case (np.char.zfill failed)
    paths = generate_world(WorldConfig(scale=0.002, years=1, seed=0, out=tmp_path / "w"))
    subjects = pd.read_csv(paths.agency("hsi") / "case_subjects.csv")
    assert subjects.empty and "CASE_NO" in subjects.columns
    assert (paths.agency("hsi") / "mapping.yaml").exists()
    assert (paths.truth / "records.parquet").exists()


def test_a_world_too_small_for_an_arms_cell_is_a_clean_error(tmp_path: Path) -> None:
    # scale 0.0005, seed 4: every organisation keeps one cell and none buys arms
    with pytest.raises(WorldError, match="no organisation has an arms-procurement cell"):
        generate_world(WorldConfig(scale=0.0005, years=1, seed=4, out=tmp_path / "w"))


# docs/policy.md, "What the world's agencies release to whom"
US_RELEASES = {
    "us_atf_dealer_sales": {"US"},
    "us_atf_multiple_sales": {"US"},
    "us_cbp_outbound_crossings": {"US"},
    "us_cbp_plate_reads": {"US"},
    "us_cbp_inspections": {"US"},
    "us_cbp_seizures": {"US", "MX"},
}


def test_us_person_identity_reaches_mexico_by_one_rule(tiny_world: WorldPaths) -> None:
    """Form 4473 identity and every traveller's crossings stay in the US; a seizure is shared.
    The multiple-sale reports repeated the buyer names and birth dates of dealer_sales (US
    only) to Mexico, and every crossing and plate read of every traveller went to MX."""
    datasets = {d.name: d for p in tiny_world.mappings() for d in load_mapping(p)}
    us = {name: set(d.releasable_to) for name, d in datasets.items() if d.country == "US"}
    assert {k: v for k, v in us.items() if k in US_RELEASES} == US_RELEASES
    # any US file with a purchaser's birth date is released as the 4473 records are
    for name, d in datasets.items():
        for query in d.queries:
            if d.country == "US" and query.source.kind == "csv":
                header = pacsv.read_csv(query.source.path).column_names
                if {"BUYER_DOB", "PURCHASER_DOB"} & set(header):
                    assert us[name] == US_RELEASES["us_atf_dealer_sales"], name
