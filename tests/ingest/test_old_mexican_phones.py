"""Phones written with Mexico's old dialling prefixes (044 and 045 before a mobile, 01 before
a long-distance number, the 1 between +52 and a mobile) are stored as the numbers they
dialled, on every ingest path that cleans a phone (a column, a split column, a literal, a
JSON Lines list, FtM entity files in bulk and line by line), exactly as a search reads them:
one rule, `store.ids.clean_phone` (review R22, finding 3). A value FtM cleans keeps `ftm
map`'s value and statement id. A phone that is no number is reported as a phone, not as a
date written otherwise (finding 4)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from click.testing import CliRunner
from followthemoney.statement import Statement
from hypothesis import given, settings
from hypothesis import strategies as st
from sales_fixtures import FGR_EXPORT  # type: ignore[import-not-found]
from sqlalchemy import text
from test_ftm_ids import _ftm_map  # type: ignore[import-not-found]

from ironriver.cli import cli
from ironriver.errors import IngestError
from ironriver.i18n import use_lang
from ironriver.ingest import check_mapping, ingest_entities, ingest_mapping
from ironriver.ingest.clean import Cleaner, clean_literal
from ironriver.ingest.report import date_layout
from ironriver.store import Store
from ironriver.store.ids import identifier_key, phone_keys

# (the reviewer's ids.csv and informes_cni_orig.jsonl, reduced; no real person's data)
IDS_CSV = """FOLIO;NOMBRE;TELEFONO;OTROS
0501;Ma. Guadalupe Sánchez;55 1234 5678;
0502;J. Jesús Torres;01 55 1234 5679;044 667 111 2225|01 81 1234 5678
0503;José de Jesús Torres;044 667 111 2222;
0504;Ana Ruiz;045 667 111 2223;
0505;Luz Leal;+52 1 667 111 2224;
"""
INFORMES_JSONL = (
    '{"folio": "CNI-001", "nombre": "Joaquín Zúñiga", "telefono": "044 667 111 2226"}\n'
    '{"folio": "CNI-002", "nombre": "Ñañez Peña", "telefono": ["01 33 1234 5678", "667-555-1212"]}\n'
)


def _mapping(folder: Path, dataset: str, source: str, properties: str) -> Path:
    """The mapping `m.yaml` of an FGR dataset: one query of `source` ("csv_url file key"
    for a file delimited by ";", "jsonl_url file key", or "comma_csv_url file key" for one
    delimited by ",", as `ftm map` reads) whose person, keyed on `key`, has `properties`
    (YAML lines)."""
    kind, file, key = source.split()
    delimiter = '    delimiter: ";"\n' if kind == "csv_url" else ""
    kind = kind.removeprefix("comma_")
    path = folder / "m.yaml"
    path.write_text(
        f"{dataset}:\n  agency: FGR\n  country: MX\n  marking: AMBER\n  queries:\n"
        f"  - {kind}: {file}\n{delimiter}    entities:\n      p:\n        schema: Person\n"
        f"        keys: [{key}]\n        properties:\n{properties}",
        encoding="utf-8",
    )
    return path


def _phones(store: Store) -> dict[str, set[str]]:
    """The stored phone numbers, per entity."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.entity_id, s.value FROM statements s JOIN props p ON p.id = s.prop_id "
                "WHERE p.prop = 'phone'"
            )
        ).fetchall()
    phones: dict[str, set[str]] = {}
    for entity_id, value in rows:
        phones.setdefault(entity_id, set()).add(value)
    return phones


def _names(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.value FROM statements s JOIN props p ON p.id = s.prop_id WHERE p.prop = 'name'"
            )
        ).fetchall()
    return {r[0] for r in rows}


def test_old_prefixes_are_stored_as_the_numbers_they_dialled(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Every record of the reviewer's file is stored, its person with it (a rejected phone
    took the whole record, CURP and RFC too); a column, a split column and a literal alike."""
    (tmp_path / "ids.csv").write_text(IDS_CSV, encoding="utf-8")
    mapping = _mapping(
        tmp_path,
        "mx_fgr_ids",
        "csv_url ids.csv FOLIO",
        "          name: {column: NOMBRE}\n"
        "          phone: {column: TELEFONO, format: MX}\n"
        # the other phones of the record, split
        "      otros:\n        schema: Person\n        keys: [FOLIO]\n"
        "        key_literal: otros\n        properties:\n"
        "          phone: {column: OTROS, format: MX, split: '|'}\n"
        # an office's, written in the mapping in the old national form
        "      oficina:\n        schema: Organization\n        keys: [FOLIO]\n"
        "        key_literal: oficina\n        properties:\n"
        "          name: {literal: Oficina}\n"
        "          phone: {literal: '01 55 5346 0000', format: MX}\n",
    )
    result = ingest_mapping(sqlite_store, mapping, actor="t")
    assert result.rejected == 0
    assert "José de Jesús Torres" in _names(sqlite_store)
    stored = set().union(*_phones(sqlite_store).values())
    assert stored == {
        "+525512345678",
        "+525512345679",  # 01 55 1234 5679
        "+526671112222",  # 044
        "+526671112223",  # 045
        "+526671112224",  # +52 1
        "+526671112225",  # 044, split
        "+528112345678",  # 01, split
        "+525553460000",  # 01, a literal
    }


def test_a_json_lines_file_s_old_prefixes_plain_and_listed(
    sqlite_store: Store, tmp_path: Path
) -> None:
    (tmp_path / "informes.jsonl").write_text(INFORMES_JSONL, encoding="utf-8")
    mapping = _mapping(
        tmp_path,
        "mx_fgr_informes",
        "jsonl_url informes.jsonl folio",
        "          name: {column: nombre}\n          phone: {column: telefono, format: MX}\n",
    )
    result = ingest_mapping(sqlite_store, mapping, actor="t")
    assert result.rejected == 0
    assert sorted(map(sorted, _phones(sqlite_store).values())) == [
        ["+523312345678", "+526675551212"],
        ["+526671112226"],
    ]


# a number FtM reads (national and international) and the old forms it does not
PARITY_CSV = """FOLIO,NOMBRE,TELEFONO
1,Uno,667 111 2222
2,Dos,+52 55 1234 5678
3,Tres,(81) 1234-5678
4,Cuatro,044 667 111 2223
5,Cinco,01 55 1234 5679
6,Seis,+52 1 667 111 2224
"""


def test_values_ftm_cleans_keep_ftm_map_s_values_and_ids(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Where FtM cleans a phone, the stored value and statement id are `ftm map`'s; where
    it rejects one written with an old prefix (`ftm map` drops it), the number it dialled
    is stored, its statement id made by FtM's rule (`Statement.make_key`)."""
    (tmp_path / "t.csv").write_text(PARITY_CSV, encoding="utf-8")
    mapping = _mapping(
        tmp_path,
        "mx_fgr_parity",
        "comma_csv_url t.csv FOLIO",
        "          name: {column: NOMBRE}\n          phone: {column: TELEFONO, format: MX}\n",
    )
    ingest_mapping(sqlite_store, mapping, actor="t")
    theirs = {
        entity_id: props.get("phone", set())
        for entity_id, (_, props) in _ftm_map(mapping, tmp_path).items()
    }
    ours = _phones(sqlite_store)
    assert set(ours) == set(theirs)  # (the same entities)
    kept = {e: v for e, v in theirs.items() if v}
    assert sorted(map(sorted, kept.values())) == [
        ["+525512345678"],
        ["+526671112222"],
        ["+528112345678"],
    ]
    assert {e: ours[e] for e in kept} == kept
    dropped = {e for e, v in theirs.items() if not v}
    assert sorted(v for e in dropped for v in ours[e]) == [
        "+525512345679",
        "+526671112223",
        "+526671112224",
    ]
    with sqlite_store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.id, s.entity_id, p.prop, s.value FROM statements s "
                "JOIN props p ON p.id = s.prop_id"
            )
        ).fetchall()
    assert rows
    for statement_id, entity_id, prop, value in rows:
        assert statement_id == Statement.make_key(
            "mx_fgr_parity", entity_id, prop, value, external=False
        )


def test_entity_files_read_the_old_mobile_prefix_in_bulk_and_line_by_line(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """An FtM entity file's phone has no country, so only +52 1 is an old form there; a
    line the bulk path takes and one it leaves to the per-line path (a repeated key) store
    the same number."""
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"id": "a", "schema": "Person", "properties": {"name": ["Ana"], '
        '"phone": ["+52 1 667 111 2222"]}}\n'
        '{"id": "b", "schema": "Person", "schema": "Person", "properties": {"name": ["Bea"], '
        '"phone": ["+52 1 667 111 2223"]}}\n',
        encoding="utf-8",
    )
    ingest_entities(sqlite_store, path, FGR_EXPORT, actor="t")
    assert _phones(sqlite_store) == {"a": {"+526671112222"}, "b": {"+526671112223"}}


def test_a_number_stored_from_an_old_form_is_found_in_every_form(tmp_path: Path) -> None:
    """The reviewer's comparison: search read "044 667 ..." while ingest rejected it; now
    the number the file wrote so is stored and found whichever way it is typed."""
    (tmp_path / "ids.csv").write_text(IDS_CSV, encoding="utf-8")
    _mapping(
        tmp_path,
        "mx_fgr_ids",
        "csv_url ids.csv FOLIO",
        "          name: {column: NOMBRE}\n          phone: {column: TELEFONO, format: MX}\n",
    )
    db = str(tmp_path / "i.db")

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run("ingest", str(tmp_path / "m.yaml"), "--db", db, "--as", "loader")
    for typed in ("044 667 111 2222", "667 111 2222", "+52 1 667 111 2222", "+526671112222"):
        out = run("search", typed, "--db", db, "--as", "mx-fgr-analista", "--reason", "t", "--json")
        assert [h["matched"] for h in json.loads(out)] == ["+526671112222"], typed


# -- search's reading and ingest's cleaning agree ------------------------------------------

# a Mexican number's ten digits: an area code and a local number (the first digit 2-9); some
# are no valid number (phonenumbers knows which area codes exist)
_TEN_DIGITS = st.from_regex(r"[2-9][0-9]{9}", fullmatch=True)
_FORMS = ("{n}", "044 {n}", "045 {n}", "01 {n}", "+52 {n}", "+52 1 {n}", "+521{n}", "52 {n}")
_SEPARATORS = st.sampled_from(["", " ", "-", ".", "/"])


def _written(digits: str, sep: str, form: str) -> str:
    """`digits` as an analyst writes them: area code, then the number in two parts."""
    number = sep.join((digits[:2], digits[2:6], digits[6:]))
    return form.format(n=number)


def _ingest_clean(values: list[str]) -> list[str | None]:
    """The values as a mapping's phone column with `format: MX` stores them (the bulk
    path's SQL and its fallback), checked against a literal's cleaning."""
    con = duckdb.connect()
    con.register("src", pa.table({"x": pa.array(values, pa.string())}))
    expr = Cleaner(con).value('"x"', "phone", "MX")
    out = [r[0] for r in con.execute(f"SELECT {expr} FROM src").fetchall()]
    assert out == [clean_literal("phone", v, "MX", False, None) for v in values]
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_TEN_DIGITS, _SEPARATORS, st.sampled_from(_FORMS)), min_size=1))
def test_search_and_ingest_read_mexican_numbers_alike(
    numbers: list[tuple[str, str, str]],
) -> None:
    """What a search looks up for a number typed in Mexico is the key of what an ingest
    stores for the same text, in the old forms and the new; an old form is the number its
    ten digits are."""
    written = [_written(*n) for n in numbers]
    plain = _ingest_clean([_written(d, sep, "{n}") for d, sep, _ in numbers])
    for (_, _, form), typed, stored, ten in zip(
        numbers, written, _ingest_clean(written), plain, strict=True
    ):
        assert phone_keys(typed, ["MX"]) == ([identifier_key(stored)] if stored else []), typed
        if form != "52 {n}":  # (no prefix FtM or the old rules read without the +)
            assert stored == ten, typed


def test_old_national_prefixes_are_mexico_s_only() -> None:
    """01 before a number dialled in the US is no Mexican long-distance call: "01 55 1234
    5678" is no +1 551 234 5678, in an ingest as in a search."""
    assert _ingest_clean(["01 55 1234 5678"]) == ["+525512345678"]
    assert clean_literal("phone", "01 55 1234 5678", "US", False, None) is None
    assert phone_keys("01 55 1234 5678", ["US"]) == []
    assert clean_literal("phone", "ABC 044 667 111 2222", "MX", False, None) is None


# -- a rejected phone is reported as a phone -----------------------------------------------

BAD_PHONE_CSV = """FOLIO;NOMBRE;TELEFONO
1;Uno;667 111 2222
2;Dos;55 1234
"""


def _report(path: str | None) -> list[dict[str, str]]:
    assert path is not None
    with Path(path).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_rejected_phone_says_what_is_wrong_with_a_phone(lang: str, tmp_path: Path) -> None:
    """Not "in the format MX (MX): written otherwise, or no such day": a phone's format is
    a country, and the reason says to check the digits and the country code, in the report
    and in the summary, in both languages."""
    (tmp_path / "t.csv").write_text(BAD_PHONE_CSV, encoding="utf-8")
    mapping = _mapping(
        tmp_path,
        "mx_fgr_bad",
        "csv_url t.csv FOLIO",
        "          name: {column: NOMBRE}\n          phone: {column: TELEFONO, format: MX}\n",
    )
    with use_lang(lang), pytest.raises(IngestError) as info:
        check_mapping(mapping)
    reasons = [r["reason"] for r in _report(info.value.report_path)]
    want = {
        "en": "not a phone number of MX (p.phone): check its digits (the area code too); a "
        "number of another country needs its country code (+1 ..., +52 ...)",
        "es": "no es un número de teléfono de MX (p.phone): revise sus dígitos (también la "
        "lada); un número de otro país necesita su código de país (+1 ..., +52 ...)",
    }[lang]
    assert reasons == [want]
    summary = info.value.render(lang)
    assert f"TELEFONO: {want}" in summary
    assert not any(word in summary for word in ("no such day", "ese día", "(MX)"))


def test_a_phone_without_its_country_code_or_a_format_says_to_give_one(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(
        BAD_PHONE_CSV.replace("55 1234", "667 111 2223"), encoding="utf-8"
    )
    mapping = _mapping(
        tmp_path,
        "mx_fgr_nofmt",
        "csv_url t.csv FOLIO",
        "          name: {column: NOMBRE}\n          phone: {column: TELEFONO}\n",
    )
    for lang, want in (
        (
            "en",
            "not a phone number with its country code (+52 ..., +1 ...) (p.phone): check "
            "its digits, or give the property the country its numbers are dialled in as its "
            "format (format: MX)",
        ),
        (
            "es",
            "no es un número de teléfono con su código de país (+52 ..., +1 ...) (p.phone): "
            "revise sus dígitos, o dé a la propiedad como formato el país donde se marcan sus "
            "números (format: MX)",
        ),
    ):
        with use_lang(lang), pytest.raises(IngestError) as info:
            check_mapping(mapping)
        assert {r["reason"] for r in _report(info.value.report_path)} == {want}


def test_a_format_without_directives_is_no_date_layout() -> None:
    assert date_layout("MX") is None
    assert date_layout("%d/%m/%Y", "en") == "DD/MM/YYYY"
