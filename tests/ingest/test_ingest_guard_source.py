"""Guards found by mutation testing of the readers (`source`, `header`, `malformed`): each
test fails if one check is skipped or one line number is off by one."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ironriver.errors import IngestError
from ironriver.ingest.mapping import SourceSpec
from ironriver.ingest.source import load_source


@pytest.mark.parametrize("stream", [False, True])
def test_a_json_lines_file_lacking_a_mapped_key_is_refused(tmp_path: Path, stream: bool) -> None:
    """A key the mapping reads that no record holds would be read as empty everywhere,
    silently dropping that property: the file is refused, naming the key and the keys
    it has."""
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "1", "name": "Ana"}\n{"id": "2", "name": "Bo"}\n', encoding="utf-8")
    spec = SourceSpec(path, kind="jsonl")
    with pytest.raises(IngestError) as caught:
        load_source(duckdb.connect(), spec, ["id", "born"], stream=stream)
    assert caught.value.message == "a.jsonl lacks a column the mapping reads: born."
    assert "id, name" in str(caught.value.hint)
    # a key some record holds is no missing column: the others read it as empty
    path.write_text('{"id": "1"}\n{"id": "2", "born": "1990"}\n', encoding="utf-8")
    con = duckdb.connect()
    assert load_source(con, spec, ["id", "born"], stream=stream) == 2
    rows = con.execute("SELECT _row, id, born FROM src ORDER BY _row").fetchall()
    assert rows == [(1, "1", None), (2, "2", "1990")]


@pytest.mark.parametrize("stream", [False, True])
def test_a_quote_left_open_in_the_last_record_is_named(tmp_path: Path, stream: bool) -> None:
    """Arrow reads a quote the last record never closes up to the end of the file: the
    record's value silently holds a line break and whatever follows. It is the last record
    that is looked at (the first here spans no line), and the error names the quote's line,
    also when the open quote swallowed further records."""
    path = tmp_path / "a.csv"
    for text in ('a,b\n1,x\n2,"open\n', 'a,b\n1,x\n2,"open\n3,y\n'):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(IngestError) as caught:
            load_source(duckdb.connect(), SourceSpec(path), ["a", "b"], stream=stream)
        assert (
            caught.value.message
            == "Cannot parse a.csv: the quote opened on line 3 is never closed."
        )
    # a value may span lines by right: the same file with the quote closed reads
    path.write_text('a,b\n1,x\n2,"open\n"\n', encoding="utf-8")
    con = duckdb.connect()
    assert load_source(con, SourceSpec(path), ["a", "b"], stream=stream) == 2
    assert con.execute("SELECT b FROM src ORDER BY _row").fetchall() == [("x",), ("open\n",)]


def test_a_header_name_differing_only_in_case_is_pointed_out(tmp_path: Path) -> None:
    """`Folio` in the header where the mapping reads `folio`: the hint says which name
    differs and how, not just the header's list."""
    path = tmp_path / "a.csv"
    path.write_text("Folio,monto\nA1,10\n", encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        load_source(duckdb.connect(), SourceSpec(path), ["folio", "monto"])
    assert caught.value.message == "a.csv lacks a column the mapping reads: folio."
    assert caught.value.hint == (
        "The file's header has 'Folio' where the mapping reads 'folio' (they differ in "
        "spaces or case): write one like the other."
    )
    # a name with spaces at its ends (a template's `{{ monto }}`) is quoted, so they show
    with pytest.raises(IngestError) as caught:
        load_source(duckdb.connect(), SourceSpec(path), [" monto "])
    assert caught.value.message == "a.csv lacks a column the mapping reads: ' monto '."
