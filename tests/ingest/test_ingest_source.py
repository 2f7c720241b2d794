"""load_source: CSV read through Arrow (or DuckDB's reader for odd files) into `src`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ironriver.errors import IngestError
from ironriver.ingest.clean import sanitized_name
from ironriver.ingest.malformed import _bare_carriage_return
from ironriver.ingest.mapping import SourceSpec
from ironriver.ingest.source import check_encoding, drop_source, load_source


def _load(
    path: Path, refs: list[str], materialize: bool = True
) -> tuple[duckdb.DuckDBPyConnection, list[tuple[object, ...]]]:
    con = duckdb.connect(config={"preserve_insertion_order": True})
    load_source(con, SourceSpec(path), refs, materialize=materialize)
    cols = ", ".join(f'"{c}"' for c in ["_row", *refs])
    return con, con.execute(f"SELECT {cols} FROM src ORDER BY _row").fetchall()


@pytest.mark.parametrize("materialize", [True, False])
def test_csv_values_rows_and_nulls(tmp_path: Path, materialize: bool) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b'a,b,c\n1,,x\n\n"2","",y\n"multi\nline",3, z \n"say ""hi""",4,\xc3\xa9\n')
    con, rows = _load(path, ["a", "b", "c"], materialize)
    assert rows == [
        (1, "1", None, "x"),
        (2, "2", None, "y"),  # the blank line is no record; "" is NULL as an empty field
        (3, "multi\nline", "3", " z "),
        (4, 'say "hi"', "4", "é"),
    ]
    held = con.execute(f'SELECT "{sanitized_name("c")}" FROM src ORDER BY _row').fetchall()
    assert [r[0] for r in held] == ["x", "y", "z", "é"]
    kind = "VIEW" if not materialize else "LOCAL TEMPORARY"
    assert con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 'src'"
    ).fetchall() == [(kind,)]
    drop_source(con)
    assert not con.execute(
        "SELECT * FROM information_schema.tables WHERE table_name = 'src'"
    ).fetchall()


def test_unquoted_file_and_other_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a;b\n1;2\n3;4\n", encoding="utf-8")
    con = duckdb.connect()
    assert load_source(con, SourceSpec(path, delimiter=";"), ["b"]) == 2
    assert con.execute("SELECT _row, b FROM src ORDER BY _row").fetchall() == [(1, "2"), (2, "4")]


def test_repeated_header_names_go_through_duckdb(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a,a,c\n1,2,3\n", encoding="utf-8")
    # a mapping reading the repeated name could not tell which column it meant
    with pytest.raises(IngestError, match=r"names a more than once \(columns 1, 2\)") as e:
        _load(path, ["a", "c"])
    assert str(e.value.hint) == "Rename all but one of them in the file's header, line 1."
    titled = tmp_path / "titled.csv"
    titled.write_text("Ventas de enero\n\na,a,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(IngestError) as e:
        load_source(duckdb.connect(), SourceSpec(titled, header_row=3), ["a", "c"])
    assert str(e.value.hint) == "Rename all but one of them in the file's header, line 3."
    con, rows = _load(path, ["c"])  # a repeated name the mapping does not read is fine
    assert rows == [(1, "3")]
    # every source holds its sanitized text, whichever reader read it
    held = con.execute(f'SELECT "{sanitized_name("c")}" FROM src').fetchall()
    assert held == [("3",)]
    # the header's own names, not DuckDB's renamings of the repeated or empty ones (a_1,
    # column1), which another column may hold by right
    with pytest.raises(IngestError, match=r"lacks (a column|columns)"):
        _load(path, ["a_1"])
    path.write_text("a,a,a_1,,column1\n1,2,3,4,5\n", encoding="utf-8")
    assert _load(path, ["a_1", "column1"])[1] == [(1, "3", "5")]
    path.write_text(" a,a,x,x\n1,2,3,4\n", encoding="utf-8")  # no trimming, no case folding
    assert _load(path, [" a", "a"])[1] == [(1, "1", "2")]


def test_duckdbs_reader_takes_no_comment_mark(tmp_path: Path) -> None:
    """Its sniffer may take `#` for a comment mark on a small file, dropping the records
    that start with one and cutting values at it; nothing is sniffed."""
    path = tmp_path / "a.csv"
    path.write_text("ref,addr,x,x\nR0,,,\n#1,Main St 1 # rear,,\n#2,,,\n", encoding="utf-8")
    assert _load(path, ["ref", "addr"])[1] == [
        (1, "R0", None),
        (2, "#1", "Main St 1 # rear"),
        (3, "#2", None),
    ]


def test_an_empty_file_and_an_unclosed_quote_are_named(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"\xef\xbb\xbf\n")  # a byte-order mark and a newline: nothing else
    with pytest.raises(IngestError, match=r"a\.csv is empty: no header, no records"):
        _load(path, ["a"])
    path.write_text("a,b\n", encoding="utf-8")  # a header and no records: zero rows
    assert _load(path, ["a"])[1] == []
    # Arrow would read line 5 into line 4's value, silently; a value may span lines by right
    path.write_text('a,b\n1,"multi\nline"\n2,"open\n3,x\n', encoding="utf-8")
    for stream in (False, True):
        with pytest.raises(IngestError, match="the quote opened on line 4 is never closed"):
            load_source(duckdb.connect(), SourceSpec(path), ["a", "b"], stream=stream)
    path.write_text('a,b\n1,"multi\nline"\n2,"last\nvalue"\n', encoding="utf-8")
    assert _load(path, ["a", "b"])[1][-1] == (2, "2", "last\nvalue")


def test_a_quoted_value_after_a_space_is_read_as_ftm_reads_it(tmp_path: Path) -> None:
    """`a, "b"`: Python's csv module (FtM's reader, `skipinitialspace`) reads `b`; Arrow
    would keep the quotes. Both readers, whole and streamed, read it as FtM does."""
    path = tmp_path / "a.csv"
    path.write_text('a,b\n1, "El Jefe"\n2,  "x ""y"""\n3,x "y"\n', encoding="utf-8")
    for stream in (False, True):
        con = duckdb.connect()
        load_source(con, SourceSpec(path), ["a", "b"], stream=stream)
        got = con.sql(f'SELECT "{sanitized_name("b")}" FROM src ORDER BY _row').fetchall()
        assert [v for (v,) in got] == ["El Jefe", 'x "y"', 'x "y"'], stream


def test_a_lone_carriage_return_is_named(tmp_path: Path) -> None:
    """A carriage return with no line feed after it, in a file of LF lines, loses DuckDB's
    parser ("state machine reached an invalid state"): the error names its line."""
    path = tmp_path / "a.csv"
    path.write_bytes(b"id,c0\nr1,CR\rLF\nr2,ok\n")
    for stream in (False, True):
        with pytest.raises(IngestError, match=r"line 2 holds a carriage return \(\\r\)"):
            load_source(duckdb.connect(), SourceSpec(path), ["id", "c0"], stream=stream)
    # found across the blocks the file is scanned in; CRLF line ends are not one
    big = tmp_path / "big.csv"
    block = 1 << 20
    big.write_bytes(b"a\r\n" + b"x" * (block - 4) + b"\r" + b"y\n" + b"z\rw\n")
    assert _bare_carriage_return(big) == 2
    big.write_bytes(b"a\r\n" + b"x" * (block - 4) + b"\r\n" + b"z\rw\n")
    assert _bare_carriage_return(big) == 3
    big.write_bytes(b"a\r\nb\r\n")
    assert _bare_carriage_return(big) is None


def test_missing_column_lists_the_header(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"lacks (a column|columns)") as err:
        _load(path, ["a", "zz"])
    assert err.value.hint is not None and "a, b" in err.value.hint
    # the same name but for a trailing space or case: the hint names both, quoted
    path.write_text("FOLIO ,Nombre\n1,2\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"lacks (a column|columns)") as err:
        _load(path, ["FOLIO"])
    assert "has 'FOLIO ' where the mapping reads 'FOLIO'" in str(err.value.hint)


def test_ragged_row_is_reported_by_line(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a,b,c\n1,2,3\n4,5\n6,7,8\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"Cannot parse a\.csv"):
        _load(path, ["a"])


def test_check_encoding_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("a\nJosé\n".encode() + b"Jos\xe9\n")
    with pytest.raises(IngestError, match="line 3") as err:
        check_encoding(path, "utf-8")
    assert err.value.hint is not None and "latin-1" in err.value.hint
    check_encoding(path, "latin-1")
    (tmp_path / "empty.csv").write_bytes(b"")
    check_encoding(tmp_path / "empty.csv", "utf-8")


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "ISO-8859-15"])
def test_a_utf8_file_said_to_be_latin1_is_refused(tmp_path: Path, encoding: str) -> None:
    """Read as latin-1 every byte is a letter: the file loaded without a word and stored
    "JosÃ© PÃ©rez", a name no search or match finds."""
    path = tmp_path / "a.csv"
    path.write_text("id,name\n1,Ana\n2,José Pérez\n", encoding="utf-8")
    con = duckdb.connect()
    with pytest.raises(IngestError) as err:
        load_source(con, SourceSpec(path, encoding=encoding), ["id", "name"])
    text = err.value.render("en")
    assert f"a.csv is UTF-8 text, not {encoding}" in text
    assert "line 3 '2,José Pérez' would be stored as '2,JosÃ© PÃ©rez'" in text
    assert f"Remove `encoding: {encoding}`" in text
    assert "es texto UTF-8" in err.value.render("es")
    assert not con.execute("SELECT * FROM duckdb_tables() WHERE table_name = 'src'").fetchall()


@pytest.mark.parametrize("encoding", ["latin-1", "ISO-8859-1", "latin1"])
def test_a_windows_file_said_to_be_latin1_is_refused(tmp_path: Path, encoding: str) -> None:
    """Excel's "CSV" on Windows is cp1252: its curly quotes, dashes and euro sign are bytes
    latin-1 reads as control characters, which cleaning drops (`O’BRIEN` stored as
    `O BRIEN`). Refused, with the line and cp1252 named; as cp1252 it loads whole."""
    path = tmp_path / "a.csv"
    text = "id,name,notes\n1,ANA,sin nota\n2,ANA O’BRIEN,Dijo “no es mío” – 500 €\n"
    path.write_bytes(text.encode("cp1252"))
    con = duckdb.connect()
    with pytest.raises(IngestError) as err:
        load_source(con, SourceSpec(path, encoding=encoding), ["id", "name", "notes"])
    shown = err.value.render("en")
    assert "a.csv is not latin-1 text: line 3 holds byte b'\\x92'" in shown
    assert "'’' in Windows' cp1252" in shown and "ANA O’BRIEN" in shown
    assert "`encoding: cp1252`" in (err.value.hint or "")
    assert "no es texto latin-1" in err.value.render("es")
    assert not con.execute("SELECT * FROM duckdb_tables() WHERE table_name = 'src'").fetchall()
    load_source(con, SourceSpec(path, encoding="cp1252"), ["id", "name", "notes"])
    assert con.execute("SELECT name FROM src WHERE id = '2'").fetchall() == [("ANA O’BRIEN",)]


def test_a_windows_file_said_to_be_utf8_is_told_cp1252_first(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("id,name\n1,ANA O’BRIEN\n".encode("cp1252"))
    with pytest.raises(IngestError) as err:
        check_encoding(path, "utf-8")
    hint = err.value.hint or ""
    assert hint.index("`encoding: cp1252`") < hint.index("`encoding: latin-1`")


def test_a_real_latin1_or_ascii_file_loads_as_said(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,name\n1,José Pérez\n".encode("latin-1"))
    ascii_only = tmp_path / "ascii.csv"
    ascii_only.write_bytes(b"id,name\n1,Jose Perez\n")
    for path in (latin, ascii_only):
        con = duckdb.connect()
        load_source(con, SourceSpec(path, encoding="cp1252"), ["id", "name"])
        assert con.execute("SELECT name FROM src").fetchall()[0][0] in ("José Pérez", "Jose Perez")
    # a UTF codec (here UTF-8 with an optional byte-order mark) is never this error
    check_encoding(ascii_only, "utf-8-sig")


def test_encoding_error_comes_before_other_errors(tmp_path: Path) -> None:
    """The check runs beside the parse; a bad byte is still what gets reported."""
    path = tmp_path / "a.csv"
    path.write_bytes(b"a,b\n1,2\n3,\xe9\n")
    for refs in (["a"], ["a", "zz"], ["b"]):  # parse fine, missing column, bad value read
        with pytest.raises(IngestError, match=r"not valid utf-8: .* at line 3"):
            _load(path, refs)


@pytest.mark.parametrize("stream", [False, True])
def test_headerless_file_with_null_markers(tmp_path: Path, stream: bool) -> None:
    """A legacy export (OFAC's SDN CSV): no header line, latin-1, "-0- " meaning empty,
    CRLF, and a DOS end-of-file mark (Ctrl-Z) as its last line. Every line is a record; the
    mapping's names apply; markers are NULL once sanitised; the mark is no record."""
    path = tmp_path / "sdn.csv"
    path.write_bytes(
        '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA"\r\n'
        '17671,"CÁRTEL DE JALISCO NUEVA GENERACIÓN",-0- ,"SDNTK"\r\n'
        '99,"GUZMÁN, Joaquín","individual","SDNTK"\r\n\x1a'.encode("latin-1")
    )
    spec = SourceSpec(
        path,
        encoding="latin-1",
        header=("ent_num", "name", "type", "program"),
        null_values=("-0-",),
    )
    con = duckdb.connect(config={"preserve_insertion_order": True})
    assert load_source(con, spec, ["ent_num", "name", "type"], stream=stream) == 3
    typ, name = sanitized_name("type"), sanitized_name("name")
    rows = con.execute(f'SELECT _row, ent_num, "{name}", "{typ}", type FROM src ORDER BY 1')
    assert rows.fetchall() == [
        (1, "36", "AEROCARIBBEAN AIRLINES", None, "-0- "),  # the raw text stays for reports
        (2, "17671", "CÁRTEL DE JALISCO NUEVA GENERACIÓN", None, "-0- "),
        (3, "99", "GUZMÁN, Joaquín", "individual", "individual"),
    ]
    with pytest.raises(IngestError, match=r"lacks (a column|columns)"):
        load_source(duckdb.connect(), spec, ["Program"])
    utf8 = SourceSpec(tmp_path / "u.csv", header=spec.header, null_values=spec.null_values)
    utf8.path.write_bytes(path.read_bytes().decode("latin-1").encode("utf-8"))
    assert load_source(duckdb.connect(), utf8, ["name"], stream=stream) == 3  # UTF-8 too


def test_header_names_must_be_unique_and_ragged_lines_reported(tmp_path: Path) -> None:
    from ironriver.ingest.mapping import load_mapping

    (tmp_path / "x.csv").write_text("1,2\n3,4,5\n", encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    body = (
        "ds:\n  agency: ATF\n  country: US\n  marking: AMBER\n  queries:\n  - csv_url: x.csv\n"
        "    header: [a, a]\n    entities:\n      g:\n        schema: Firearm\n"
        "        keys: [a]\n        properties: {serialNumber: {column: a}}\n"
    )
    mapping.write_text(body, encoding="utf-8")
    with pytest.raises(IngestError, match="header must name every column once"):
        load_mapping(mapping)
    mapping.write_text(body.replace("[a, a]", "[a, b]"), encoding="utf-8")
    spec = load_mapping(mapping)[0].queries[0].source
    assert spec.header == ("a", "b")
    with pytest.raises(IngestError, match=r"x\.csv: line 2 has 3 fields where the header has 2"):
        load_source(duckdb.connect(), spec, ["a"])


@pytest.mark.parametrize("stream", [False, True])
def test_a_malformed_line_is_named_with_what_is_wrong(tmp_path: Path, stream: bool) -> None:
    """Arrow refuses these files and DuckDB's reader words the error: said plainly, with
    the line, whichever reader streams."""
    path = tmp_path / "a.csv"

    def error(text: str) -> IngestError:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(IngestError) as caught:
            load_source(duckdb.connect(), SourceSpec(path), ["id", "name"], stream=stream)
        return caught.value

    blank = error("id,name\n1,Ana\n2,Bo\n   \n")
    assert blank.message == "Cannot parse a.csv: line 4 holds only spaces or tabs."
    ragged = error("id,name\n1,Ana\n2,Bo,EXTRA\n3,Cy\n")
    assert ragged.message == (
        "Cannot parse a.csv: line 3 has 3 fields where the header has 2: 2,Bo,EXTRA"
    )
    # one more field on every record is no title above the header but a header short of a
    # name (the hint says so; `header_row: 2` would not help)
    short = error("id,name\n1,Ana,MX\n2,Bo,US\n3,Cy,MX\n")
    assert "line 2 has 3 fields where the header has 2" in short.message
    assert "give that column a name in the header" in str(short.hint_text)
    # (a repeated column name, not read, sends this one to DuckDB's reader: Arrow reads
    # "Ruger" LCP as Ruger LCP)
    quoted = error('id,name,x,x\n1,"Ruger" LCP,,\n2,"Colt, 1911",,\n')
    assert quoted.message == (
        "Cannot parse a.csv: line 2 has a quote inside a value that is not quoted as a "
        'whole: 1,"Ruger" LCP,,'
    )
    # an inch mark opening a value: Arrow would read the lines up to the next quote as one
    # value; a strict parse names the lines (the records are no longer one a line)
    inch = error('id,name\n1,Glock 19\n2,"16 barrel AR\n3,Ruger LCP\n4,Mossberg 18.5" barrel\n')
    assert inch.message == (
        "Cannot parse a.csv: the quoted value opened on line 3 ends on line 5 with more text "
        "after its closing quote, so the lines between would be read as one value."
    )
    # values spanning lines by right, and blank lines, pass the strict parse
    path.write_text('id,name\n1,"Ana\nMaria"\n\n2,"Bo ""B"" Cy"\n', encoding="utf-8")
    load_source(con := duckdb.connect(), SourceSpec(path), ["id", "name"], stream=stream)
    assert con.execute("SELECT id, name FROM src ORDER BY _row").fetchall() == [
        ("1", "Ana\nMaria"),
        ("2", 'Bo "B" Cy'),
    ]


def test_windows_exports_byte_order_marks_and_utf16(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark (Excel's "CSV UTF-8") is no part of the first column name; a
    UTF-16 file (Excel's "Unicode text", tab-separated) reads with `encoding: utf-16`, and
    without it the error suggests exactly that."""
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfserie,marca\r\nABC123,Glock\r\n")
    con = duckdb.connect()
    load_source(con, SourceSpec(path), ["serie"])
    assert con.execute("SELECT _row, serie FROM src").fetchall() == [(1, "ABC123")]
    wide = tmp_path / "unicode.txt"
    wide.write_bytes("serie\tmarca\r\nÑ-77\tGlock\r\n".encode("utf-16"))
    with pytest.raises(IngestError, match="not valid utf-8") as err:
        load_source(duckdb.connect(), SourceSpec(wide), ["serie"])
    assert err.value.hint is not None and "`encoding: utf-16`" in err.value.hint
    con = duckdb.connect()
    load_source(con, SourceSpec(wide, encoding="utf-16", delimiter="\t"), ["serie", "marca"])
    assert con.execute("SELECT serie, marca FROM src").fetchall() == [("Ñ-77", "Glock")]


def test_a_file_with_another_delimiter_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("serie;marca\nABC7;Glock\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"lacks (a column|columns)") as err:
        load_source(duckdb.connect(), SourceSpec(path), ["serie"])
    assert err.value.hint is not None and 'Set `delimiter: ";"`' in err.value.hint
    con = duckdb.connect()
    load_source(con, SourceSpec(path, delimiter=";"), ["serie"])
    assert con.execute("SELECT serie FROM src").fetchall() == [("ABC7",)]


def test_a_long_field_reads_and_a_record_past_the_limit_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 5 MB narrative passes Arrow's parse block and DuckDB's default line size (2 MB):
    it is read whole; past `MAX_RECORD_BYTES` the error says so."""
    from ironriver.ingest import duckdb_reader

    narrative = "hechos " * 750_000  # 5.25 MB
    path = tmp_path / "a.csv"
    path.write_text(f"folio,hechos\nF1,{narrative}\nF2,corto\n", encoding="utf-8")
    _, rows = _load(path, ["folio", "hechos"])
    assert rows == [(1, "F1", narrative), (2, "F2", "corto")]
    monkeypatch.setattr(duckdb_reader, "MAX_RECORD_BYTES", 4 << 20)
    with pytest.raises(IngestError, match="a record is longer than 4 MiB"):
        _load(path, ["folio", "hechos"])


@pytest.mark.parametrize("reader", ["arrow", "duckdb", "streamed"])
def test_a_title_above_a_csv_header_is_skipped_with_header_row(tmp_path: Path, reader: str) -> None:
    """Agency exports often open with a title: `header_row` names the header's line (blank
    lines count, as the file shows them). Every reader gives the same records."""
    path = tmp_path / "a.csv"
    # a repeated column the mapping does not read sends the file to DuckDB's reader
    extra = ",NOTA,NOTA" if reader == "duckdb" else ""
    path.write_text(
        'REPORTE DE ASEGURAMIENTOS 2024\n\n"Generado el 01/02/2024, FGR"\n'
        f"FOLIO,FECHA{extra}\nA1,01/01/2024{',x,y' if extra else ''}\n"
        f"A2,02/01/2024{',x,y' if extra else ''}\n",
        encoding="utf-8",
    )
    spec = SourceSpec(path, header_row=4)
    con = duckdb.connect()
    assert load_source(con, spec, ["FECHA", "FOLIO"], stream=reader == "streamed") == 2
    assert con.execute("SELECT _row, FOLIO, FECHA FROM src ORDER BY _row").fetchall() == [
        (1, "A1", "01/01/2024"),
        (2, "A2", "02/01/2024"),
    ]
    with pytest.raises(IngestError, match="above line 4 look like a title") as caught:
        load_source(duckdb.connect(), SourceSpec(path), ["FECHA", "FOLIO"])
    assert "header_row: 4" in str(caught.value.hint_text)


@pytest.mark.parametrize("stream", [False, True])
def test_a_bad_json_line_is_named(tmp_path: Path, stream: bool) -> None:
    """DuckDB's error names the line after the bad one; the error names the bad one."""
    path = tmp_path / "a.jsonl"
    lines = ['{"id": "1"}', "", '{"id": "3"}', '{"id": "4"} {"id": "4b"}', '{"id": "5"}']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = SourceSpec(path, kind="jsonl")
    with pytest.raises(IngestError) as caught:
        load_source(duckdb.connect(), spec, ["id"], stream=stream)
    assert caught.value.message == (
        "Cannot parse a.jsonl: line 4 is not one JSON document (more text after the JSON "
        'document): {"id": "4"} {"id": "4b"}'
    )


@pytest.mark.parametrize("stream", [False, True])
def test_a_record_with_no_value_read_is_skipped_as_a_blank_line(
    tmp_path: Path, stream: bool
) -> None:
    """`,,` in a CSV file or `{}` in JSON Lines is no record, as an empty spreadsheet row is
    not: two of them were two records, duplicates of each other, rejecting the ingest."""
    csv_path = tmp_path / "a.csv"
    csv_path.write_text("id,name,note\n1,Ana,\n,,x\n,,\n2,Bo,\n", encoding="utf-8")
    con = duckdb.connect()
    assert load_source(con, SourceSpec(csv_path), ["id", "name"], stream=stream) == 2
    assert con.execute("SELECT _row, id FROM src ORDER BY _row").fetchall() == [(1, "1"), (4, "2")]
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text('{"id": "1"}\n{}\n{"id": null}\n{"id": "2"}\n', encoding="utf-8")
    con = duckdb.connect()
    spec = SourceSpec(jsonl, kind="jsonl")
    assert load_source(con, spec, ["id"], stream=stream) == 2
    assert con.execute("SELECT _row, id FROM src ORDER BY _row").fetchall() == [(1, "1"), (4, "2")]


def test_a_json_record_naming_a_key_twice_is_refused(tmp_path: Path) -> None:
    """DuckDB keeps the first value, Python and jq the last: neither is safe to guess."""
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "1"}\n{"id": "2", "name": "A", "id": "3"}\n', encoding="utf-8")
    with pytest.raises(IngestError, match="record 2 names 'id' more than once"):
        load_source(duckdb.connect(), SourceSpec(path, kind="jsonl"), ["name"])


def test_header_given_for_a_file_with_its_header_line_is_refused(tmp_path: Path) -> None:
    """`header:` is for files that start with data; on a file whose first line is that
    header, the names were ingested as a record."""
    path = tmp_path / "a.csv"
    path.write_text("id,First\n1,Ana\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"starts with its header line \(id, First\)"):
        load_source(duckdb.connect(), SourceSpec(path, header=("id", "first")), ["id", "first"])
    path.write_text("1,Ana\n2,Bea\n", encoding="utf-8")
    con = duckdb.connect()
    assert load_source(con, SourceSpec(path, header=("id", "first")), ["id", "first"]) == 2


def test_a_wrong_delimiter_is_named_with_its_line_and_what_to_set(tmp_path: Path) -> None:
    """A `;` file with decimal commas and quoted line breaks read as `,`-separated under a
    header_row of 2 (what a draft that counted fields per line proposed) loses DuckDB's
    parser ("state machine reached an invalid state"): the error names the first line that does not split into the header's
    fields, and the delimiter and header line the file's first lines read as."""
    path = tmp_path / "det.csv"
    lines = (  # the first lines of R8's det_ml.csv (synthetic)
        "FOLIO;NOMBRE;APELLIDO_PATERNO;APELLIDO_MATERNO;FECHA_NAC;FECHA_DETENCION;MONTO_ASEGURADO;DESCRIPCION;MUNICIPIO\r\n"
        "FGECH-2024-000001;ÁNGEL;MARTÍNEZ;GONZÁLEZ;05/04/1965;05/01/2024;7.345,80;Sin observaciones;CHIHUAHUA\r\n"
        "FGECH-2024-000002;ÁNGEL;SÁNCHEZ;HERNÁNDEZ;13/11/1989;13/01/2024;5.083,44;Sin observaciones;OJINAGA\r\n"
        'FGECH-2024-000003;JOAQUÍN;GONZÁLEZ;RODRÍGUEZ;19/04/1965;19/01/2024;67.560,12;"Se aseguró arma ""tipo fusil"" calibre 7.62;\n'
        'el detenido manifestó ser ""halcón""";OJINAGA\r\n'
        "FGECH-2024-000004;ÁNGEL;PÉREZ;LÓPEZ;17/07/1984;17/01/2024;79.579,19;Sin observaciones;CIUDAD JUÁREZ\r\n"
        "FGECH-2024-000005;RAMÓN;NÚÑEZ;NÚÑEZ;13/10/1966;13/01/2024;63.285,52;Sin observaciones;CIUDAD JUÁREZ\r\n"
        'FGECH-2024-000006;SOFÍA;HERNÁNDEZ;NÚÑEZ;16/11/1973;16/01/2024;86.707,52;"Se aseguró arma ""tipo fusil"" calibre 7.62;\n'
        'el detenido manifestó ser ""halcón""";DELICIAS\r\n'
        "FGECH-2024-000007;JESÚS;DE LA O;NÚÑEZ;18/01/2004;18/01/2024;81.985,68;Sin observaciones;CHIHUAHUA\r\n"
        "FGECH-2024-000008;JESÚS;DE LA O;RODRÍGUEZ;24/10/1978;24/01/2024;74.682,58;Sin observaciones;DELICIAS\r\n"
        'FGECH-2024-000009;SOFÍA;GONZÁLEZ;GARCÍA;06/10/1994;06/01/2024;16.378,32;"Se aseguró arma ""tipo fusil"" calibre 7.62;\n'
        'el detenido manifestó ser ""halcón""";NUEVO CASAS GRANDES\r\n'
        "FGECH-2024-000010;SOFÍA;RODRÍGUEZ;SÁNCHEZ;20/04/1969;20/01/2024;51.807,58;Sin observaciones;NUEVO CASAS GRANDES\r\n"
        "FGECH-2024-000011;INÉS;LÓPEZ;SÁNCHEZ;22/02/2004;22/01/2024;85.131,48;Sin observaciones;DELICIAS\r\n"
    )
    path.write_text("".join(lines), encoding="utf-8")
    header = "FGECH-2024-000001;ÁNGEL;MARTÍNEZ;GONZÁLEZ;05/04/1965;05/01/2024;7.345"
    for stream in (False, True):
        with pytest.raises(IngestError) as err:
            load_source(duckdb.connect(), SourceSpec(path, header_row=2), [header], stream=stream)
        text = err.value.render("en")
        assert "line 5 does not split into the header's 2 fields" in text, text
        assert "the delimiter or the quoting looks wrong" in text
        assert '`delimiter: ";"`, `header_row: 1`' in text
        assert "ironriver mapping draft det.csv" in text
        assert "state machine" not in text
    # with the right delimiter it loads, the quoted line breaks kept
    con = duckdb.connect(config={"preserve_insertion_order": True})
    load_source(con, SourceSpec(path, delimiter=";"), ["FOLIO", "DESCRIPCION"])
    got = con.execute('SELECT "DESCRIPCION" FROM src ORDER BY _row').fetchall()
    assert len(got) == 11 and "7.62;\nel detenido" in str(got[2][0])


def test_a_missing_column_names_the_nearest_header_name(tmp_path: Path) -> None:
    """`NOMBRE` where the header says `NOMBRE(S)`: the hint names it (a typo likewise)."""
    path = tmp_path / "a.csv"
    path.write_text("FOLIO,NOMBRE(S),FECHA_NACIMENTO\n1,2,3\n", encoding="utf-8")
    with pytest.raises(IngestError, match="lacks a column the mapping reads: NOMBRE") as err:
        _load(path, ["FOLIO", "NOMBRE"])
    assert "Did you mean 'NOMBRE(S)' for 'NOMBRE'?" in err.value.render("en")
    assert "¿Quiso decir 'NOMBRE(S)' para 'NOMBRE'?" in err.value.render("es")
    with pytest.raises(IngestError) as err:
        _load(path, ["FOLIO", "FECHA_NACIMIENTO"])
    assert "Did you mean 'FECHA_NACIMENTO' for 'FECHA_NACIMIENTO'?" in err.value.render("en")
    with pytest.raises(IngestError) as err:  # nothing near: the header's names, as before
        _load(path, ["FOLIO", "CURP"])
    assert "Did you mean" not in err.value.render("en")
    assert "FOLIO, NOMBRE(S), FECHA_NACIMENTO" in err.value.render("en")
