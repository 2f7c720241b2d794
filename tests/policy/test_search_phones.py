"""Identifier search finds a phone number typed as an analyst dials it: in national form
("667 157 3741", "(956) 718-9749"), with Mexico's old prefixes (044, 045, 01, +52 1), not only
in the E.164 form FtM stores (+526671573741). The store is a real SQLite file built by
`ironriver ingest` from two agencies' CSV files, whose phones the mapping reads with the owner
country as `format`; searches run through the CLI (`search`, `--identifier`) and `View`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.ingest import ingest_mapping
from ironriver.policy import AccessLabel, Marking, Principal, View, retract
from ironriver.store import DatasetInfo, Store, open_store
from samples import table

# the Mexican agency's people, released to the US; its secret one only to FGR
MX_CSV = """ID,NOMBRE,TELEFONO,SERIE
culiacan,Pedro Ruiz,667 157 3741,6671573741
cdmx,Ana Soto,55.1234.5678,12345
"""
SECRET_CSV = """ID,NOMBRE,TELEFONO
oculto,Luis Mora,(656) 123-4567
"""
# the US agency's, released to MX (one of them also an NPA 551 number: 551-234-5678)
US_CSV = """ID,NAME,PHONE
laredo,John Doe,(956) 718-9749
newark,Jane Roe,+1 551 234 5678
"""


def _mapping(name: str, agency: str, country: str, marking: str, to: str, csv: str) -> str:
    return (
        f"{name}:\n  agency: {agency}\n  country: {country}\n  marking: {marking}\n"
        f"  releasable_to: [{to}]\n  queries:\n  - csv_url: {csv}\n    entities:\n"
        "      p:\n        schema: Person\n        keys: [ID]\n        properties:\n"
        f"          name: {{column: {'NOMBRE' if country == 'MX' else 'NAME'}}}\n"
        f"          phone: {{column: {'TELEFONO' if country == 'MX' else 'PHONE'}, "
        f"format: {country}}}\n"
    )


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def db(tmp_path: Path) -> str:
    (tmp_path / "mx.csv").write_text(MX_CSV, encoding="utf-8")
    (tmp_path / "secret.csv").write_text(SECRET_CSV, encoding="utf-8")
    (tmp_path / "us.csv").write_text(US_CSV, encoding="utf-8")
    mx = _mapping("mx_fgr_tel", "FGR", "MX", "AMBER", "MX, US", "mx.csv")
    # the Mexican file's serials: digits that are (6671573741) or are not (12345) a number
    mx += (
        "      g:\n        schema: Firearm\n        keys: [ID]\n        key_literal: g\n"
        "        properties:\n          serialNumber: {column: SERIE}\n"
    )
    mappings = {
        "mx.yaml": mx,
        "secret.yaml": _mapping("mx_fgr_secreto", "FGR", "MX", "AMBER+STRICT", "FGR", "secret.csv"),
        "us.yaml": _mapping("us_atf_tel", "ATF", "US", "AMBER", "US, MX", "us.csv"),
    }
    path = str(tmp_path / "phones.db")
    for file, text in mappings.items():
        (tmp_path / file).write_text(text, encoding="utf-8")
        code, out = run("ingest", str(tmp_path / file), "--db", path, "--as", "loader")
        assert code == 0, out
    return path


def search(db: str, text: str, who: str, *extra: str) -> list[tuple[str, str, str]]:
    code, out = run("search", text, "--db", db, "--as", who, "--reason", "t", "--json", *extra)
    assert code == 0, out
    return [(h["entity_id"], h["schema"], h["matched"]) for h in json.loads(out)]


def _matched(hits: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    return [(matched, schema) for _id, schema, matched in hits]


@pytest.mark.parametrize("who", ["mx-fgr-analista", "us-cbp-officer"])
def test_national_forms_find_the_stored_number(db: str, who: str) -> None:
    """Each way of writing a number finds the person holding it, `matched` the stored
    value; the CLI's search box and `--identifier` alike."""
    cases = {
        # a Mexican mobile in Culiacán, as dialled in Mexico
        "667 157 3741": "+526671573741",
        "(667) 157-3741": "+526671573741",
        "+52 667 157 3741": "+526671573741",
        # Mexico City, with the prefixes Mexico dropped in 2019
        "044 55 1234 5678": "+525512345678",
        "045 55 1234 5678": "+525512345678",
        "01 55 1234 5678": "+525512345678",
        "+52 1 55 1234 5678": "+525512345678",
        # Laredo, as dialled in the US
        "(956) 718-9749": "+19567189749",
        "956.718.9749": "+19567189749",
        "1 956 718 9749": "+19567189749",
    }
    for text, stored in cases.items():
        for extra in ((), ("--identifier",)):
            hits = search(db, text, who, *extra)
            phones = [(m, s) for m, s in _matched(hits) if s == "Person"]
            assert phones == [(stored, "Person")], (text, extra, hits)


def test_own_country_first_then_exact_serial_first(db: str) -> None:
    """Digits typed as they are stored come first (a serial: still found exactly), then the
    phone read in the reader's own country, then in the other owners'."""
    serial = ("6671573741", "Firearm")
    assert _matched(search(db, "6671573741", "mx-fgr-analista", "--identifier")) == [
        serial,
        ("+526671573741", "Person"),
    ]
    # 55 1234 5678: Mexico City in Mexico, an NPA 551 number in the US
    mx, us = ("+525512345678", "Person"), ("+15512345678", "Person")
    assert _matched(search(db, "55 1234 5678", "mx-fgr-analista", "--identifier")) == [mx, us]
    assert _matched(search(db, "55 1234 5678", "us-cbp-officer", "--identifier")) == [us, mx]


def test_digits_that_are_no_number_stay_a_serial(db: str) -> None:
    """A serial of digits is found as typed and turns into no phone; a number invalid in
    every country (a digit short) finds nothing, nor does text with letters (phonenumbers
    would read "AB 667 157 3741" as Culiacán's number, its letters as a keypad's)."""
    assert _matched(search(db, "12345", "mx-fgr-analista")) == [("12345", "Firearm")]
    assert search(db, "AB 667 157 3741", "mx-fgr-analista", "--identifier") == []
    assert search(db, "956 718 974", "us-cbp-officer") == []
    assert search(db, "667 157 374", "mx-fgr-analista") == []


def test_hidden_phones_and_owners_stay_hidden(db: str) -> None:
    """A phone only FGR may see is found by FGR in national form, by no one else; a
    reader's phone countries are its own and those of owners whose facts it sees."""
    assert _matched(search(db, "(656) 123-4567", "mx-fgr-analista")) == [
        ("+526561234567", "Person")
    ]
    assert search(db, "(656) 123-4567", "us-cbp-officer") == []
    assert search(db, "656 123 4567", "mx-sedena-analista") == []
    store = open_store(f"sqlite:///{db}")
    try:
        hsi = View(store, Principal("h", "HSI", "US"), audit=False)
        assert hsi._phone_countries() == ["US", "MX"]  # ATF's and FGR's released facts
        colombian = View(store, Principal("x", "SEDENA", "CO"), audit=False)
        # FGR's facts are released to MX and US, ATF's to US and MX: a Colombian sees none
        assert colombian._phone_countries() == ["CO"]
        assert colombian.by_identifier("667 157 3741") == []
    finally:
        store.close()


def test_a_number_read_as_a_phone_finds_phones_only(tmp_path: Path) -> None:
    """The national form's E.164 digits are looked up among phones only: a serial (or an
    account number) written with the same digits is found by those digits as typed, not by
    a phone reading of other digits."""
    (tmp_path / "armas.csv").write_text(
        "folio,serie\nA1,526671573741\nA2,6671573741\n", encoding="utf-8"
    )
    path = tmp_path / "armas.yaml"
    path.write_text(
        "mx_fgr_armas:\n  agency: FGR\n  country: MX\n  marking: AMBER\n  queries:\n"
        "    - csv_url: armas.csv\n      entities:\n        arma:\n          schema: Firearm\n"
        "          keys: [folio]\n          properties:\n"
        "            serialNumber: {column: serie}\n",
        encoding="utf-8",
    )
    store = open_store(f"sqlite:///{tmp_path / 's.db'}", ledger_dir=tmp_path / "ledgers")
    try:
        ingest_mapping(store, path, actor="test")
        view = View(store, Principal("f", "FGR", "MX"), audit=False)
        assert [h.matched for h in view.by_identifier("667 157 3741")] == ["6671573741"]
        assert [h.matched for h in view.by_identifier("526671573741")] == ["526671573741"]
    finally:
        store.close()


@pytest.mark.parametrize("how", ["retracted", "failed", "stored-already"])
def test_labels_holding_no_visible_statement_add_no_phone_country(store: Store, how: str) -> None:
    """A US reader reads "667 157 3741" as a Mexican number only when it sees a statement
    a Mexican agency owns. A label it may see that holds no statement it sees adds no
    country, or the search would tell of facts no view shows (and answer otherwise than a
    store without them): one whose statements were all retracted, a failed write's (which
    PostgreSQL commits at once), one a write of statements stored already registered."""
    us = DatasetInfo("us_atf_tel", "ATF", "US", Marking.AMBER, frozenset({"US"}))
    mx = DatasetInfo("mx_fgr_tel", "FGR", "MX", Marking.AMBER, frozenset({"MX", "US"}))
    name = table(mx.name, [("culiacan", "Person", "name", "Pedro Ruiz")])
    with store.writer() as w:
        w.ensure_dataset(us)
        w.ensure_dataset(mx)
        # a US agency's record of a man with a Mexican mobile
        rows = [
            ("laredo", "Person", "name", "Jo Doe"),
            ("laredo", "Person", "phone", "+526671573741"),
        ]
        w.add_statements(table(us.name, rows), us.name, us.label)

    def read() -> tuple[list[str], list[str]]:
        view = View(store, Principal("c", "CBP", "US"), audit=False)
        return view._phone_countries(), [h.entity_id for h in view.by_identifier("667 157 3741")]

    alone = (["US"], [])  # no Mexican owner's statement: read in the US (no valid number)
    assert read() == alone
    if how == "retracted":
        with store.writer() as w:
            w.add_statements(name, mx.name, mx.label)
        assert read() == (["US", "MX"], ["laredo"])  # FGR's name, released to the US
        loader = Principal("l", "FGR", "MX", frozenset({"ingest"}))
        retract(store, loader, "culiacan", reason="entered in error")
    elif how == "failed":
        with pytest.raises(RuntimeError), store.writer() as w:
            w.add_statements(name, mx.name, mx.label)
            raise RuntimeError("the ingest fails: nothing of it is written")
    else:  # known to FGR alone, then the same statement under a label the US may see
        fgr_only = AccessLabel("FGR", "MX", Marking.AMBER_STRICT, frozenset({"FGR"}))
        with store.writer() as w:
            w.add_statements(name, mx.name, fgr_only)
        with store.writer() as w:
            assert w.add_statements(name, mx.name, mx.label) == 0  # (the first label stays)
    assert read() == alone
