"""Two-digit years (`%y`): Python's strptime (and DuckDB's) read 00-68 as 2000-2068, so a
birth date `12/03/55` was stored as 2055 without a word. A `%y` date format must now say
which hundred years its years fall in (`two_digit_years_from`), for entities and ledgers."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from ironriver.errors import IngestError
from ironriver.i18n import use_lang
from ironriver.ingest import check_mapping, ingest_mapping, load_mapping
from ironriver.ingest.clean import Cleaner
from ironriver.ingest.draft_columns import DATE_FORMATS, TIMESTAMP_FORMATS
from ironriver.policy.markings import Principal
from ironriver.store import Store
from ironriver.store.ledger import LedgerStore

HEAD = "mx_fgr_y:\n  agency: FGR\n  country: MX\n  marking: AMBER\n  queries:\n"
PEOPLE = "id,nacimiento,visto\nP1,12/03/55,01/02/24\nP2,29/02/00,31/12/29\nP3,01/01/30,01/01/30\n"


def _mapping(tmp_path: Path, birth: str, ledger: str = "") -> Path:
    (tmp_path / "p.csv").write_text(PEOPLE, encoding="utf-8")
    path = tmp_path / "m.yaml"
    path.write_text(
        HEAD + "    - csv_url: p.csv\n      entities:\n"
        "        p:\n          schema: Person\n          keys: [id]\n          properties:\n"
        f"            name: {{column: id}}\n            birthDate: {birth}\n" + ledger,
        encoding="utf-8",
    )
    return path


def _values(store: Store, prop: str) -> dict[str, str]:
    with store.engine.connect() as conn:
        from sqlalchemy import text

        rows = conn.execute(
            text(
                "SELECT n.value, s.value FROM statements s JOIN props p ON p.id = s.prop_id "
                "JOIN statements n ON n.entity_id = s.entity_id "
                "JOIN props np ON np.id = n.prop_id AND np.prop = 'name' WHERE p.prop = :p"
            ),
            {"p": prop},
        ).fetchall()
    return {str(a): str(b) for a, b in rows}


def test_a_two_digit_year_format_without_a_window_is_refused(tmp_path: Path) -> None:
    path = _mapping(tmp_path, '{column: nacimiento, format: "%d/%m/%y"}')
    with pytest.raises(IngestError) as exc:
        load_mapping(path)
    error = exc.value.render("en")
    assert "birthDate" in error and "'%d/%m/%y'" in error
    assert "written 55 would be stored as 2055" in error
    assert "two_digit_years_from: 1930" in error
    with use_lang("es"):
        assert "se guardaría como 2055" in exc.value.render("es")


def test_a_two_digit_year_ledger_format_without_a_window_is_refused(tmp_path: Path) -> None:
    ledger = (
        "      ledger:\n        name: vistas\n        columns:\n"
        '          visto: {column: visto, type: date, format: "%d/%m/%y"}\n'
    )
    path = _mapping(tmp_path, "{column: nacimiento, format: '%d/%m/%Y'}", ledger)
    with pytest.raises(IngestError, match=r"ledger column 'visto'.*two-digit year"):
        load_mapping(path)


@pytest.mark.parametrize(
    ("birth", "problem"),
    [
        ("{column: nacimiento, format: '%d/%m/%y', two_digit_years_from: '1930'}", "a year"),
        ("{column: nacimiento, format: '%d/%m/%y', two_digit_years_from: true}", "a year"),
        ("{column: nacimiento, format: '%d/%m/%y', two_digit_years_from: 30}", "a year"),
        ("{column: nacimiento, format: '%d/%m/%Y', two_digit_years_from: 1930}", "only for"),
        ("{column: nacimiento, two_digit_years_from: 1930}", "only for"),
    ],
)
def test_the_window_must_be_a_year_and_go_with_a_two_digit_format(
    tmp_path: Path, birth: str, problem: str
) -> None:
    with pytest.raises(IngestError, match=problem):
        load_mapping(_mapping(tmp_path, birth))


def test_two_digit_years_are_read_in_the_window_given(sqlite_store: Store, tmp_path: Path) -> None:
    """Entity dates (Python's strptime) and ledger dates (DuckDB's) alike: with 1930, 55 is
    1955, 00 is 2000 (and 29 February 2000 exists), 30 is 1930; a ledger column of events
    with 2000 reads 29 as 2029."""
    ledger = (
        "      ledger:\n        name: vistas\n        columns:\n"
        "          id: id\n"
        "          nacido: {column: nacimiento, type: date, format: '%d/%m/%y',"
        " two_digit_years_from: 1930}\n"
        "          visto: {column: visto, type: timestamp, format: '%d/%m/%y',"
        " two_digit_years_from: 2000}\n"
    )
    birth = "{column: nacimiento, format: '%d/%m/%y', two_digit_years_from: 1930}"
    result = ingest_mapping(sqlite_store, _mapping(tmp_path, birth, ledger), actor="loader")
    assert result.rejected == 0
    assert _values(sqlite_store, "birthDate") == {
        "P1": "1955-03-12",
        "P2": "2000-02-29",
        "P3": "1930-01-01",
    }
    rel = LedgerStore(sqlite_store.ledger_dir).visible_relation(
        duckdb.connect(), "vistas", Principal("a", "FGR", "MX")
    )
    got = rel.order("id").project("id, CAST(nacido AS VARCHAR), CAST(visto AS VARCHAR)")
    assert got.fetchall() == [
        ("P1", "1955-03-12", "2024-02-01 00:00:00"),
        ("P2", "2000-02-29", "2029-12-31 00:00:00"),
        ("P3", "1930-01-01", "2030-01-01 00:00:00"),
    ]


def test_a_29_february_the_windowed_year_lacks_is_rejected(tmp_path: Path) -> None:
    """strptime reads 29/02/00 as 2000, a leap year; in a window from 1850 it is 1900, which
    is not: the record is rejected (entity and ledger alike), not moved to 28 February."""
    ledger = (
        "      ledger:\n        name: vistas\n        columns:\n"
        "          nacido: {column: nacimiento, type: date, format: '%d/%m/%y',"
        " two_digit_years_from: 1850}\n"
    )
    birth = "{column: nacimiento, format: '%d/%m/%y', two_digit_years_from: 1850}"
    report = tmp_path / "bad.csv"
    result = check_mapping(_mapping(tmp_path, birth, ledger), skip_invalid=True, report_path=report)
    assert (result.records, result.rejected) == (3, 1)
    with report.open(encoding="utf-8") as fh:
        bad = [(r["row"], r["column"], r["value"]) for r in csv.DictReader(fh)]
    assert bad == [("2", "nacimiento", "29/02/00")] * 2


def test_the_sql_and_python_windows_agree() -> None:
    """The entity path (Python's strptime, `Cleaner.value`) and the ledger path (DuckDB's
    strptime, `two_digit_year_sql`) give the same dates for every two-digit year and the
    days around 29 February, in windows starting on and off a century."""
    from ironriver.ingest.clean import two_digit_year_sql

    con = duckdb.connect()
    texts = [f"{d}/{m}/{y:02d}" for y in range(100) for d, m in (("28", "02"), ("29", "02"))]
    texts += ["01/03/00", "31/12/99", "1/1/5", "xx"]
    con.execute("CREATE TABLE san AS SELECT unnest($1::VARCHAR[]) AS t", [texts])
    cleaner = Cleaner(con)
    for start in (1850, 1900, 1930, 1969, 2000, 2001):
        python = cleaner.value("t", "date", "%d/%m/%y", years_from=start)
        sql = two_digit_year_sql("try_strptime(t, '%d/%m/%y')", start)
        rows = con.execute(
            f"SELECT t, {python}, strftime({sql}, '%Y-%m-%d') FROM san WHERE t <> '1/1/5'"
        ).fetchall()
        for text_, by_python, by_sql in rows:
            assert by_python == by_sql, (start, text_)
            if by_python is not None:
                assert start <= int(by_python[:4]) < start + 100


def test_the_draft_proposes_a_two_digit_year_format_with_its_window(tmp_path: Path) -> None:
    """`mapping draft` proposes a %y layout only with a window (a %y format without one
    would not load): its mapping loads and reads the years in it (the windows themselves:
    tests/ingest/test_ingest_draft.py)."""
    from ironriver.ingest.draft import draft_file, render_yaml

    assert any("%y" in fmt for fmt in (*DATE_FORMATS, *TIMESTAMP_FORMATS))
    (tmp_path / "p.csv").write_text(PEOPLE, encoding="utf-8")
    draft = draft_file(tmp_path / "p.csv", country="MX", year=2026)
    assert [(c.format, c.years_from) for c in draft.columns[1:]] == [
        ("%d/%m/%y", 1927),  # nacimiento: a birth date
        ("%d/%m/%y", 1927),  # visto: an event, but 31/12/29 read as 2029 would be ahead
    ]
    path = tmp_path / "draft.yaml"
    path.write_text(render_yaml(draft, agency="FGR", country="MX"), encoding="utf-8")
    load_mapping(path)


def test_a_one_digit_year_is_rejected_by_ledgers_as_by_entities(tmp_path: Path) -> None:
    """Python's %y takes exactly two digits; DuckDB's also reads one ('01/01/5' as 2005),
    so a ledger column stored a date the same file's entity date rejects."""
    (tmp_path / "v.csv").write_text(
        "id,visto\nV1,01/01/5\nV2,01/01/55\nV3,1/2/55\n", encoding="utf-8"
    )
    path = tmp_path / "v.yaml"
    path.write_text(
        HEAD + "    - csv_url: v.csv\n      entities:\n"
        "        p:\n          schema: Person\n          keys: [id]\n          properties:\n"
        "            name: {column: id}\n"
        "            birthDate: {column: visto, format: '%d/%m/%y', two_digit_years_from: 1930}\n"
        "      ledger:\n        name: vistas\n        columns:\n          id: id\n"
        "          visto: {column: visto, type: date, format: '%d/%m/%y',"
        " two_digit_years_from: 1930}\n",
        encoding="utf-8",
    )
    report = tmp_path / "bad.csv"
    result = check_mapping(path, skip_invalid=True, report_path=report)
    assert (result.records, result.rejected) == (3, 1)
    with report.open(encoding="utf-8") as fh:
        bad = [(r["row"], r["column"], r["value"]) for r in csv.DictReader(fh)]
    assert bad == [("1", "visto", "01/01/5")] * 2  # the entity's date and the ledger's


@pytest.mark.parametrize("fmt", ["%x", "%d %b %Y %X", "%c"])
def test_a_format_in_the_machines_locale_is_refused(tmp_path: Path, fmt: str) -> None:
    """%x is %m/%d/%y in the C locale (a two-digit year strptime put in 2000-2068 without
    a word, which two_digit_years_from could not be given for) and another layout on a
    machine set otherwise: the same file would load other dates elsewhere."""
    with pytest.raises(IngestError) as exc:
        load_mapping(_mapping(tmp_path, f"{{column: nacimiento, format: '{fmt}'}}"))
    error = exc.value.render("en")
    assert "the locale's of the machine running the ingest" in error
    assert "Write the layout out" in error
    ledger = (
        "      ledger:\n        name: vistas\n        columns:\n"
        f"          visto: {{column: visto, type: date, format: '{fmt}'}}\n"
    )
    with pytest.raises(IngestError, match=r"ledger column 'visto'.*locale"):
        load_mapping(_mapping(tmp_path, "{column: nacimiento, format: '%d/%m/%Y'}", ledger))
