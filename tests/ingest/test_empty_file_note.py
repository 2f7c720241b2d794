"""A file with a header and no record loads nothing and succeeds: the ingest says so in a
note (a failed or cut-short export is the usual cause), in English and Spanish."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli import cli

MAPPING = """mx_fgr_empty:
  agency: FGR
  country: MX
  marking: AMBER
  queries:
    - csv_url: empty.csv
      delimiter: ";"
      ledger:
        name: e
        columns:
          folio: FOLIO
"""


@pytest.mark.parametrize("body", ["", ";\n\n;\n"])  # a header alone; blank records
def test_a_file_with_no_record_gets_a_note(tmp_path: Path, body: str) -> None:
    (tmp_path / "empty.csv").write_text("FOLIO;NOMBRE\n" + body, encoding="utf-8")
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    args = ["ingest", str(tmp_path / "m.yaml"), "--dry-run"]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    [out] = json.loads(result.stdout)
    assert out["records"] == 0 and out["notes"] == [
        "mx_fgr_empty: empty.csv holds no record (a header alone, or only blank records): "
        "nothing was loaded from it. Check the export that made it (a failed or cut-short "
        "download, a query that matched nothing?)."
    ]
    result = CliRunner().invoke(cli, ["--lang", "es", *args])
    assert result.exit_code == 0
    assert "mx_fgr_empty: empty.csv no tiene ningún registro" in result.stderr
    # a file with a record says nothing of it
    (tmp_path / "empty.csv").write_text("FOLIO;NOMBRE\nF1;ANA\n", encoding="utf-8")
    [out] = json.loads(CliRunner().invoke(cli, [*args, "--json"]).stdout)
    assert (out["records"], out["notes"]) == (1, [])
