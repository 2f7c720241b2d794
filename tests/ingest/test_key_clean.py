"""Entities keyed on a column's cleaned value (`key_clean`, review R22 finding 8): a Phone
keyed on its number as stored (E.164), so `5566778899`, `55 6677 8899`, `(55) 6677-8899`
and `+52 55 6677 8899`, in two agencies' files, are one phone and the people who share it
are linked; keyed on the raw text (FtM's `keys`, what `ftm map` does) they were four. A
plain FtM mapping's ids stay `ftm map`'s; `mapping draft` writes the new key for a phone;
a number that does not clean rejects its record (row, column, reason in the report); the
whole-file and the streamed ingest, and the row-wise id (`row_entity_id`), agree."""

from __future__ import annotations

import csv
from hashlib import sha1
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text
from test_ftm_ids import _ftm_map  # type: ignore[import-not-found]

from ironriver.errors import IngestError
from ironriver.i18n import use_lang
from ironriver.ingest import ingest_mapping, load_mapping, row_entity_id
from ironriver.ingest.draft import draft_file, render_yaml
from ironriver.store import Store, open_store

NUMBER = "+525566778899"
PHONE_ID = sha1(f"Phone{NUMBER}".encode()).hexdigest()  # docs/mapping.md, "key_clean"

# two agencies' files: FGR's (Mexican, no prefix) and HSI's (a US form, as typed)
FGR_CSV = "FOLIO,NOMBRE,TELEFONO\n1,Ana Ruiz,5566778899\n2,Luis Mora,55 6677 8899\n"
HSI_CSV = "CASE_NO,NAME,PHONE\nX1,Juan Lopez,(55) 6677-8899\nX2,Pedro Diaz,+52 55 6677 8899\n"


def _mapping(
    folder: Path,
    dataset: str,
    agency: str,
    file: str,
    record: str,
    name: str,
    phone: str,
    clean: bool = True,
    fmt: str = "MX",
) -> Path:
    """`dataset`'s mapping of `file`: a person keyed on `record`, named by `name`, and the
    phone in the column `phone` it uses, keyed on the number cleaned (`clean`) or as written."""
    key_clean = f"          key_clean: {{{phone}: number}}\n" if clean else ""
    path = folder / f"{dataset}.yaml"
    path.write_text(
        f"{dataset}:\n  agency: {agency}\n  country: {'MX' if agency == 'FGR' else 'US'}\n"
        "  marking: AMBER\n  queries:\n"
        f"    - csv_url: {file}\n      entities:\n"
        f"        person:\n          schema: Person\n          keys: [{record}]\n"
        f"          properties:\n            name: {{column: {name}}}\n"
        f"        phone:\n          schema: Phone\n          keys: [{phone}]\n{key_clean}"
        f"          properties:\n            number: {{column: {phone}, format: {fmt}}}\n"
        "            user: {entity: person}\n",
        encoding="utf-8",
    )
    return path


def _agencies(folder: Path, clean: bool = True) -> tuple[Path, Path]:
    (folder / "fgr.csv").write_text(FGR_CSV, encoding="utf-8")
    (folder / "hsi.csv").write_text(HSI_CSV, encoding="utf-8")
    return (
        _mapping(folder, "mx_fgr_tels", "FGR", "fgr.csv", "FOLIO", "NOMBRE", "TELEFONO", clean),
        _mapping(folder, "us_hsi_tels", "HSI", "hsi.csv", "CASE_NO", "NAME", "PHONE", clean),
    )


def _statements(store: Store, schema: str = "Phone") -> set[tuple[str, ...]]:
    """(dataset, entity, prop, value, original value) of the stored statements of `schema`."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT d.name, s.entity_id, p.prop, s.value, coalesce(s.original_value, '') "
                "FROM statements s JOIN props p ON p.id = s.prop_id "
                "JOIN datasets d ON d.id = s.dataset_id WHERE p.schema = :schema"
            ),
            {"schema": schema},
        ).fetchall()
    return {tuple(r) for r in rows}


def test_four_spellings_in_two_agencies_files_are_one_phone(
    sqlite_store: Store, tmp_path: Path
) -> None:
    for mapping in _agencies(tmp_path):
        assert ingest_mapping(sqlite_store, mapping, actor="t").rejected == 0
    phones = _statements(sqlite_store)
    assert {entity for _, entity, *_ in phones} == {PHONE_ID}
    numbers = {(d, value, original) for d, _, prop, value, original in phones if prop == "number"}
    assert numbers == {  # one statement per dataset and value: the first record's spelling
        ("mx_fgr_tels", NUMBER, "5566778899"),
        ("us_hsi_tels", NUMBER, "(55) 6677-8899"),
    }
    users = {value for _, _, prop, value, _ in phones if prop == "user"}
    people = {entity for _, entity, *_ in _statements(sqlite_store, "Person")}
    assert len(users) == 4 and users == people  # the four people who share the phone


def test_keyed_as_written_they_are_four_phones_as_under_ftm_map(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Without `key_clean` a mapping is FtM's: its ids are `ftm map --no-sign`'s, the raw
    text hashed with the dataset's name (each file's phones apart)."""
    fgr, hsi = _agencies(tmp_path, clean=False)
    for mapping in (fgr, hsi):
        ingest_mapping(sqlite_store, mapping, actor="t")
    ids = {entity for _, entity, *_ in _statements(sqlite_store)}
    assert ids == {
        sha1(f"mx_fgr_tels{raw}".encode()).hexdigest() for raw in ("5566778899", "55 6677 8899")
    } | {
        sha1(f"us_hsi_tels{raw}".encode()).hexdigest()
        for raw in ("(55) 6677-8899", "+52 55 6677 8899")
    }
    theirs = _ftm_map(fgr, tmp_path) | _ftm_map(hsi, tmp_path)
    assert {i for i, (schema, _) in theirs.items() if schema == "Phone"} == ids


def _report(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def test_a_number_that_does_not_clean_rejects_its_record(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """No silent loss: a key that is no phone number makes no id, so the record is rejected
    with its row, column and the phone's reason; `--skip-invalid` loads the others. A
    record whose phone is keyed beside another key (an id from that key) is rejected the
    same, once, by the number's own check."""
    fgr, _ = _agencies(tmp_path)
    (tmp_path / "fgr.csv").write_text(FGR_CSV + "3,Eva Leal,12345\n4,Sin Tel,\n", encoding="utf-8")
    with pytest.raises(IngestError, match="1 record of 4 rejected"):
        ingest_mapping(sqlite_store, fgr, actor="t")
    report = tmp_path / "mx_fgr_tels.yaml.errors.csv"
    rows = _report(report)
    assert [(r["row"], r["column"], r["value"]) for r in rows] == [("3", "TELEFONO", "12345")]
    assert rows[0]["reason"].startswith("not a phone number of MX (phone.number)")
    with use_lang("es"):
        result = ingest_mapping(sqlite_store, fgr, actor="t", skip_invalid=True)
    assert result.rejected == 1
    rows = _report(report)
    assert rows[0]["reason"].startswith("no es un número de teléfono de MX (phone.number)")
    assert {entity for _, entity, *_ in _statements(sqlite_store)} == {PHONE_ID}
    # keyed on the record and the number (dataset-scoped: a key is hashed as written)
    both = tmp_path / "both.yaml"
    both.write_text(
        fgr.read_text(encoding="utf-8")
        .replace("keys: [TELEFONO]", "keys: [FOLIO, TELEFONO]\n          key_literal: phone")
        .replace("mx_fgr_tels:", "mx_fgr_both:"),
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match="1 record of 4 rejected"):
        ingest_mapping(sqlite_store, both, actor="t")
    rows = _report(tmp_path / "both.yaml.errors.csv")
    assert [(r["row"], r["column"]) for r in rows] == [("3", "TELEFONO")]


def _outcome(folder: Path, memory_mb: int | None) -> tuple[set[tuple[str, ...]], str]:
    folder.mkdir()
    fgr, hsi = _agencies(folder)
    (folder / "fgr.csv").write_text(FGR_CSV + "3,Eva Leal,12345\n", encoding="utf-8")
    store = open_store(f"sqlite:///{folder / 's.db'}")
    try:
        for mapping in (fgr, hsi):
            kwargs = {} if memory_mb is None else {"memory_mb": memory_mb}
            ingest_mapping(store, mapping, actor="t", skip_invalid=True, **kwargs)
        return _statements(store), (folder / "mx_fgr_tels.yaml.errors.csv").read_text()
    finally:
        store.close()


def test_the_streamed_and_the_whole_file_ingest_agree(tmp_path: Path) -> None:
    whole = _outcome(tmp_path / "whole", None)
    assert _outcome(tmp_path / "streamed", 0) == whole  # (a budget of 0 streams every file)
    assert {entity for _, entity, *_ in whole[0]} == {PHONE_ID}


def test_the_row_wise_id_is_the_ingests(sqlite_store: Store, tmp_path: Path) -> None:
    fgr, hsi = _agencies(tmp_path)
    stored = set()
    computed = set()
    for mapping_path in (fgr, hsi):
        ingest_mapping(sqlite_store, mapping_path, actor="t")
        (mapping,) = load_mapping(mapping_path)
        (query,) = mapping.queries
        with query.source.path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                for entity in query.entities:
                    computed.add(row_entity_id(mapping.name, entity, row))
    for schema in ("Phone", "Person"):
        stored |= {entity for _, entity, *_ in _statements(sqlite_store, schema)}
    assert computed == stored and PHONE_ID in computed
    (mapping,) = load_mapping(fgr)
    phone = mapping.queries[0].entities[1]
    assert row_entity_id(mapping.name, phone, {"TELEFONO": "12345"}) is None  # rejected
    assert row_entity_id(mapping.name, phone, {"TELEFONO": " "}) is None  # no key


def test_a_json_list_in_the_key_is_reported_once(sqlite_store: Store, tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text(
        '{"id": "1", "tel": "55 6677 8899"}\n{"id": "2", "tel": ["5566778899", "5511112222"]}\n',
        encoding="utf-8",
    )
    mapping = tmp_path / "t.yaml"
    mapping.write_text(
        "mx_fgr_tels:\n  agency: FGR\n  country: MX\n  marking: AMBER\n  queries:\n"
        "    - jsonl_url: t.jsonl\n      entities:\n        phone:\n          schema: Phone\n"
        "          keys: [tel]\n          key_clean: {tel: number}\n          properties:\n"
        "            number: {column: tel, format: MX}\n",
        encoding="utf-8",
    )
    result = ingest_mapping(sqlite_store, mapping, actor="t", skip_invalid=True)
    assert result.rejected == 1
    rows = _report(tmp_path / "t.yaml.errors.csv")
    assert [(r["row"], r["column"]) for r in rows] == [("2", "tel")]
    assert rows[0]["reason"].startswith("a JSON list in a key column (phone.id)")
    assert {entity for _, entity, *_ in _statements(sqlite_store)} == {PHONE_ID}


def test_an_email_key_is_cleaned_too(sqlite_store: Store, tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(
        "ID,MAIL\n1,juan@EXAMPLE.com\n2,mailto:juan@example.com\n", encoding="utf-8"
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "mx_fgr_mails:\n  agency: FGR\n  country: MX\n  marking: AMBER\n  queries:\n"
        "    - csv_url: m.csv\n      entities:\n        who:\n          schema: LegalEntity\n"
        "          keys: [MAIL]\n          key_clean: {MAIL: email}\n          properties:\n"
        "            email: {column: MAIL}\n",
        encoding="utf-8",
    )
    ingest_mapping(sqlite_store, mapping, actor="t")
    ids = {entity for _, entity, *_ in _statements(sqlite_store, "LegalEntity")}
    # one entity for both spellings, of this dataset only: a person or a company keyed on
    # its mail is not the mail (review R25 F1: only a Phone's id is the same everywhere)
    assert len(ids) == 1 and ids != {sha1(b"LegalEntityjuan@example.com").hexdigest()}
    assert ids == {sha1(b"mx_fgr_mailsjuan@example.com").hexdigest()}


def test_people_of_two_agencies_keyed_on_one_phone_stay_two(tmp_path: Path) -> None:
    """A Person keyed on a cleaned phone keeps its dataset in its id (review R25 F1): FGR's
    Juan Perez and HSI's John Smith, who share a line, were merged into one Person, both
    names and all properties shown together to every reader."""
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        for dataset, agency, name, tel in (
            ("mx_fgr_people", "FGR", "Juan Perez", "55 6677 8899"),
            ("us_hsi_people", "HSI", "John Smith", "+52 55 6677 8899"),
        ):
            (tmp_path / f"{dataset}.csv").write_text(f"NAME,TEL\n{name},{tel}\n", encoding="utf-8")
            country = "MX" if agency == "FGR" else "US"
            mapping = tmp_path / f"{dataset}.yaml"
            mapping.write_text(
                f"{dataset}:\n  agency: {agency}\n  country: {country}\n  marking: AMBER\n"
                f"  queries:\n    - csv_url: {dataset}.csv\n      entities:\n"
                "        who:\n          schema: Person\n          keys: [TEL]\n"
                "          key_clean: {TEL: phone}\n          properties:\n"
                "            name: {column: NAME}\n            phone: {column: TEL, format: MX}\n",
                encoding="utf-8",
            )
            assert ingest_mapping(store, mapping, actor="t").rejected == 0
        people = {entity for _, entity, *_ in _statements(store, "Person")}
        assert len(people) == 2
    finally:
        store.close()


def test_the_draft_keys_a_phone_on_its_cleaned_number(tmp_path: Path) -> None:
    """`mapping draft` keys a suggested phone on its number alone, cleaned: the drafted
    mapping of FGR's file and HSI's make one phone of the four spellings."""
    (tmp_path / "fgr.csv").write_text(FGR_CSV, encoding="utf-8")
    (tmp_path / "hsi.csv").write_text(
        HSI_CSV.replace("PHONE", "TELEFONO").replace("CASE_NO", "FOLIO"), encoding="utf-8"
    )
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        for name, agency in (("fgr", "FGR"), ("hsi", "HSI")):
            data = tmp_path / f"{name}.csv"
            drafted = render_yaml(
                draft_file(data, country="MX"), agency=agency, country="MX", out=data
            )
            assert "key_clean" in drafted and "the id hashes the number as stored" in drafted
            phone = yaml.safe_load(drafted)[f"mx_{name}_{name}"]["queries"][0]["entities"]["phone"]
            assert phone["keys"] == ["TELEFONO"]
            assert phone["key_clean"] == {"TELEFONO": "number"}
            assert phone["properties"]["number"] == {"column": "TELEFONO", "format": "MX"}
            path = tmp_path / f"{name}.yaml"
            path.write_text(drafted, encoding="utf-8")
            assert ingest_mapping(store, path, actor="t").rejected == 0
        assert {entity for _, entity, *_ in _statements(store)} == {PHONE_ID}
    finally:
        store.close()


@pytest.mark.parametrize(
    ("entity", "error"),
    [
        ("keys: [FOLIO]\n          key_clean: {TELEFONO: number}", "not one of the entity's keys"),
        ("keys: [TELEFONO]\n          key_clean: {TELEFONO: imei}", "which the entity does not"),
        ("keys: [TELEFONO]\n          key_clean: {TELEFONO: carrier}", "does not read that"),
        ("keys: [FOLIO]\n          key_clean: {FOLIO: imei2}", "does not map"),
        ("keys: [TELEFONO]\n          key_clean: [TELEFONO]", "must map key columns"),
        ("id_column: TELEFONO\n          key_clean: {TELEFONO: number}", "key_clean needs keys"),
        ("keys: [NOMBRE]\n          key_clean: {NOMBRE: name}", "a phone or an email only"),
    ],
)
def test_a_key_clean_that_cannot_be_is_refused_at_load(
    tmp_path: Path, entity: str, error: str
) -> None:
    (tmp_path / "fgr.csv").write_text(FGR_CSV, encoding="utf-8")
    path = tmp_path / "m.yaml"
    path.write_text(
        "mx_fgr_tels:\n  agency: FGR\n  country: MX\n  marking: AMBER\n  queries:\n"
        f"    - csv_url: fgr.csv\n      entities:\n        phone:\n          schema: Phone\n"
        f"          {entity}\n          properties:\n"
        "            number: {column: TELEFONO, format: MX}\n            carrier: {column: FOLIO}\n"
        "            name: {column: NOMBRE}\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match=error):
        load_mapping(path)
    with use_lang("es"), pytest.raises(IngestError) as raised:
        load_mapping(path)
    assert raised.value.render("es") != raised.value.render("en")  # (translated)
