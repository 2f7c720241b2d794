"""The SQL cleaning equals FtM's `type.clean_text(sanitize_text(v))` value for value."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from followthemoney.types import registry
from followthemoney.util import sanitize_text
from hypothesis import given, settings
from hypothesis import strategies as st

from ironriver.errors import IngestError
from ironriver.ingest.clean import (
    Cleaner,
    id_problem,
    name_differences,
    name_text_name,
    sanitize_array,
    sanitize_arrays,
    sanitize_name,
    sanitized_name,
)
from ironriver.ingest.sanitize import _all_printable_ascii
from ironriver.store import MAX_ID_LENGTH

TRICKY = [
    " Ana  María ",
    "'Bob'",
    '"Quoted"',
    "  x  ",
    "a\tb",
    "a\xa0b",
    "a\u2003b",
    "a\u200bb",
    "Ｊｏｓé",
    "e\u0301",
    "",
    "   ",
    "01/05/2023",
    "1/5/2023",
    "13/45/2023",
    "1/5/23",  # DuckDB's %Y reads 1-3 digits: the year 23; Python's takes four
    "1/5/023",
    "01/05/0023",  # four digits: the year 23 for Python too
    "2023-02-30",
    "2023-02",
    "2023",
    "0999-01-01",  # FtM's dates run from the year 1000 to 2999
    "0999",
    "0050-06",
    "3000-01-01",
    "2023-01-05T10:11",
    "Mexico",
    "méxico",
    "US",
    "5-12-345",
    "'",
    "''",
    "a.b-c9",
    "-x",
    "x-",
    "a b",
    "é1",
    # control characters: removed (FtM's `sanitize_text`), but word breaks in a name
    "Eva\x01Cuatro",
    "LOPEZ\x00GARCIA",
    "Ana\x85Beta",
    "Uno\x7fDos\x1f",
    "\x01",
    "'\x02Bob'",
]
CASES = [
    ("name", None),
    ("string", None),
    ("identifier", None),
    ("number", None),
    ("date", "%m/%d/%Y"),
    ("date", None),
    ("date", "%d.%m.%y"),
    ("country", None),
    ("entity", None),
]


def _run(
    values: list[str | None], type_name: str, fmt: str | None, held: bool = False
) -> list[str | None]:
    """Clean `values` through `Cleaner`; with `held`, the source holds the sanitized text
    (and the text read as a name) computed in Arrow (as CSV sources do), otherwise `Cleaner`
    sanitizes in SQL."""
    con = duckdb.connect()
    x = pa.array(values, pa.string())
    if held:
        rows = pa.array(range(1, len(values) + 1), pa.int64())
        sanitized, named = sanitize_arrays(x)
        differences = pa.nulls(len(x), pa.string())
        if named is not None:
            differences = name_differences(sanitized, named)
        columns = {"_row": rows, "x": x, sanitized_name("x"): sanitized}
        con.register("src", pa.table({**columns, name_text_name("x"): differences}))
    else:
        con.register("raw", pa.table({"x": x}))
        con.execute("CREATE TEMP TABLE src AS SELECT row_number() OVER () AS _row, x FROM raw")
    cleaner = Cleaner(con)
    san = cleaner.sanitize_columns(["x"])
    text = san.name_text("x") if type_name == "name" else san.columns["x"]
    expr = cleaner.value(f'"{text}"', type_name, fmt)
    return [r[0] for r in con.execute(f"SELECT {expr} FROM san ORDER BY _row").fetchall()]


def _ftm(value: str | None, type_name: str, fmt: str | None) -> str | None:
    """FtM's cleaning of `value` as a `type_name`, but a name's control characters read as
    word breaks (`sanitize_name`), and a reference any text an id may be (`id_problem`)."""
    if value is None:
        return None
    text = sanitize_name(value) if type_name == "name" else sanitize_text(value)
    if text is None:
        return None
    if type_name == "entity":  # any id the store takes, not only FtM's (review R31 F1)
        ok = text != "" and id_problem(text) is None and len(text) <= MAX_ID_LENGTH
        return text if ok else None
    out: str | None = registry.get(type_name).clean_text(text, format=fmt, proxy=None)
    return out


@pytest.mark.parametrize("held", [False, True], ids=["sql", "arrow"])
@pytest.mark.parametrize(("type_name", "fmt"), CASES)
def test_tricky_values(type_name: str, fmt: str | None, held: bool) -> None:
    values: list[str | None] = [*TRICKY, None]
    assert _run(values, type_name, fmt, held) == [_ftm(v, type_name, fmt) for v in values]


def test_sanitize_array_is_ftm_sanitize_text() -> None:
    values: list[str | None] = [*TRICKY, None, " padded ", "plain", ""]
    chunked = pa.chunked_array(
        [pa.array(values[:7], pa.string()), pa.array(values[7:], pa.string())]
    )
    assert sanitize_array(chunked).to_pylist() == [sanitize_text(v) for v in values]
    plain = pa.array(["a", "b c", None], pa.string())
    assert sanitize_array(plain) is plain  # nothing to change: no copy


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
def test_random_names_and_strings(values: list[str]) -> None:
    values = [v.replace("\x00", "") for v in values]
    for type_name in ("name", "string"):
        want = [_ftm(v, type_name, None) for v in values]
        assert _run(list(values), type_name, None) == want
        assert _run(list(values), type_name, None, held=True) == want


def test_spanish_month_names_in_entities_and_ledgers(tmp_path: Path) -> None:
    """A format naming months (%b, %B) reads Mexican agencies' Spanish month names as well as
    English ones, in entity properties (FtM's cleaning, then the translation) and in ledger
    columns (DuckDB's strptime, after the translation); other dates are still rejected."""
    from ironriver.ingest import ingest_mapping
    from ironriver.policy import Principal, View
    from ironriver.store import open_store

    (tmp_path / "a.csv").write_text(
        "folio,fecha,larga\n"
        "F1,12-ENE-2024,5 de marzo de 2024\n"
        "F2,03-abr-2023,1 de setiembre de 2023\n"
        "F3,15-Mar-2022,20 de Diciembre de 2021\n"
        "F4,01-DIC-2021,7 de mayo de 2020\n",
        encoding="utf-8",
    )
    (tmp_path / "m.yaml").write_text(
        "mx_fgr_x:\n  agency: FGR\n  country: MX\n  marking: AMBER\n  queries:\n"
        "  - csv_url: a.csv\n    entities:\n      e:\n        schema: Event\n"
        "        keys: [folio]\n        properties:\n          name: {column: folio}\n"
        '          date: {column: fecha, format: "%d-%b-%Y"}\n'
        '          endDate: {column: larga, format: "%d de %B de %Y"}\n'
        "    ledger:\n      name: eventos\n      columns:\n"
        "        folio: {column: folio, type: string}\n"
        '        fecha: {column: fecha, type: date, format: "%d-%b-%Y"}\n'
        '        larga: {column: larga, type: date, format: "%d de %B de %Y"}\n',
        encoding="utf-8",
    )
    store = open_store(f"sqlite:///{tmp_path / 's.db'}", ledger_dir=tmp_path / "ledgers")
    result = ingest_mapping(store, tmp_path / "m.yaml", actor="t")
    assert result.rejected == 0
    view = View(store, Principal("f", "FGR", "MX"), audit=False)
    dates = {e.get("name")[0]: (e.get("date"), e.get("endDate")) for e in view.export("Event")}
    assert dates == {
        "F1": (["2024-01-12"], ["2024-03-05"]),
        "F2": (["2023-04-03"], ["2023-09-01"]),
        "F3": (["2022-03-15"], ["2021-12-20"]),
        "F4": (["2021-12-01"], ["2020-05-07"]),
    }
    rows = view.ledger("eventos").order("folio").fetchall()
    assert [(r[0], str(r[1]), str(r[2])) for r in rows] == [
        ("F1", "2024-01-12", "2024-03-05"),
        ("F2", "2023-04-03", "2023-09-01"),
        ("F3", "2022-03-15", "2021-12-20"),
        ("F4", "2021-12-01", "2020-05-07"),
    ]
    store.close()
    (tmp_path / "a.csv").write_text("folio,fecha,larga\nF5,12-XYZ-2024,5 de marzo de 2024\n")
    store = open_store(f"sqlite:///{tmp_path / 's2.db'}", ledger_dir=tmp_path / "l2")
    with pytest.raises(IngestError, match="rejected"):
        ingest_mapping(store, tmp_path / "m.yaml", actor="t")
    store.close()


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.none(), st.text(alphabet=" ~az\x1f\x7f\x00\té€", max_size=4)), max_size=12
    ),
    cut=st.integers(0, 12),
    start=st.integers(0, 3),
)
def test_all_printable_ascii_is_the_kernels_answer(
    values: list[str | None], cut: int, start: int
) -> None:
    """The scan of a column's text buffers says what `ascii_is_printable` says of every
    value, over chunks and slices of them (an offset into the parent's buffers)."""
    array = pa.array(values, pa.string())
    parts = [array.slice(start, cut), array.slice(min(start + cut, len(array)))]
    for column in (array, array.slice(start), pa.chunked_array(parts, pa.string())):
        kernel = pc.ascii_is_printable(column)
        # (no value, or only NULLs: `all` is NULL, and nothing is to be read by FtM)
        assert _all_printable_ascii(column) == (pc.all(kernel).as_py() is not False)
        assert sanitize_array(column).to_pylist() == [sanitize_text(v) for v in column.to_pylist()]
