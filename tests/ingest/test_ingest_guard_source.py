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
