"""read_csv_arrow's parse by lines: a quoted file whose values never span lines is parsed once,
in parallel blocks split at any line break; any other file is parsed again with Arrow lexing
the quotes, and the table is the same either way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import ironriver.ingest.arrow_csv as arrow_csv
from ironriver.errors import IngestError
from ironriver.ingest.mapping import SourceSpec


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The `newlines_in_values` of every parse Arrow is asked for, in order."""
    seen: list[bool] = []
    real = pacsv.read_csv

    def spy(*args: Any, **kwargs: Any) -> pa.Table:
        seen.append(kwargs["parse_options"].newlines_in_values)
        return real(*args, **kwargs)

    monkeypatch.setattr(arrow_csv.pacsv, "read_csv", spy)
    return seen


def _read(path: Path, refs: list[str]) -> list[dict[str, Any]]:
    table = arrow_csv.read_csv_arrow(path, SourceSpec(path), refs)
    assert table is not None
    return table.to_pylist()


def test_a_quoted_file_whose_values_stay_on_their_lines_is_parsed_once(
    tmp_path: Path, parses: list[bool]
) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b'"a","b"\r\n"1","say ""hi"""\r\n"2",""\r\n"3","x,y"')  # no final break
    assert _read(path, ["a", "b"]) == [
        {"_row": 1, "a": "1", "b": 'say "hi"'},
        {"_row": 2, "a": "2", "b": None},
        {"_row": 3, "a": "3", "b": "x,y"},
    ]
    assert parses == [False]  # by lines only: no lexing parse


@pytest.mark.parametrize(
    "data",
    [
        b'a,b\n1,"multi\nline"\n2,z\n',  # a value spanning lines
        b'a,b\n1,"x"\n\n2,z\n',  # a blank line (Arrow skips it: fewer records than lines)
    ],
)
def test_a_file_that_is_not_one_record_per_line_is_lexed(
    tmp_path: Path, parses: list[bool], data: bytes
) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    rows = _read(path, ["a", "b"])
    assert [r["b"] for r in rows] == (["multi\nline", "z"] if b"multi" in data else ["x", "z"])
    assert parses == [False, True]


def test_a_lone_carriage_return_in_a_value_is_lexed(tmp_path: Path, parses: list[bool]) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b'a,b\n1,"x\ry"\n2,z\n')
    assert arrow_csv._line_ends(path) == (3, 1)
    assert [r["b"] for r in _read(path, ["a", "b"])] == ["x\ry", "z"]
    assert parses == [False, True]


def test_line_ends_counts_a_cr_lf_split_across_blocks_as_one_break(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(arrow_csv, "CHUNK_BYTES", 4)
    path = tmp_path / "a.csv"
    path.write_bytes(b"abc\r\ndef\rgh\r\n")  # blocks: abc\r | \ndef | \rgh\r | \n
    assert arrow_csv._line_ends(path) == (2, 1)


_VALUE = st.one_of(
    st.sampled_from(["v", "12", "", "w z", "é"]),
    st.text(alphabet='ab ,"\n\r', max_size=5).map(lambda s: '"' + s.replace('"', '""') + '"'),
    st.sampled_from(['a"b', '"', 'x""', '"a"b', '"x\ny', '"x",']),  # stray and open quotes
)


def test_a_quote_left_open_before_a_cr_lf_is_refused_as_the_lexing_parse_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the property test below (CI): told that no value spans lines, Arrow read
    `12,"` before a CR LF as the value CR LF, the records still one per line; the parse by
    lines was kept and the file loaded instead of refused."""
    monkeypatch.setattr(arrow_csv, "_PARSE_BLOCK", 16)
    path = tmp_path / "f.csv"
    path.write_bytes(b'a,b\r\nv,w z\r\n12,"\r\nv,v\r\n')
    with pytest.raises(IngestError, match="the quote opened on line 3 is never closed"):
        arrow_csv.read_csv_arrow(path, SourceSpec(path), ["a", "b"])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(rows=[["v", "w z"], ["12", '"'], ["v", "v"]], newline="\r\n", final=True, block=16)
@given(
    rows=st.lists(st.lists(_VALUE, min_size=2, max_size=2), min_size=1, max_size=40),
    newline=st.sampled_from(["\n", "\r\n"]),
    final=st.booleans(),
    block=st.sampled_from([16, 64, 256, 4 << 20]),
)
def test_the_parse_by_lines_is_the_lexing_parse(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[list[str]],
    newline: str,
    final: bool,
    block: int,
) -> None:
    """Small blocks make Arrow split the file at line breaks inside quoted values, which is
    where a parse by lines goes wrong; whatever the file, what read_csv_arrow returns (or
    raises) is what the lexing parse alone gives."""
    text = "a,b" + newline + newline.join(",".join(r) for r in rows) + (newline if final else "")
    path = tmp_path_factory.mktemp("csv") / "f.csv"
    path.write_bytes(text.encode())
    monkeypatch.setattr(arrow_csv, "_PARSE_BLOCK", block)

    def outcome() -> object:
        try:
            table = arrow_csv.read_csv_arrow(path, SourceSpec(path), ["a", "b"])
        except IngestError as e:
            return ("refused", str(e))
        return None if table is None else table.to_pylist()

    got = outcome()
    with monkeypatch.context() as m:
        m.setattr(arrow_csv, "_parse_by_lines", lambda *a, **k: None)
        lexed = outcome()
    assert got == lexed
