"""What an ingest counts and says when several queries of a mapping read one file: each
query reads it (progress says which query), and `statements_produced` sums each query's
statements, so one that two queries give counts twice there and once in `statements_new`
(docs/cli.md)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ironriver.cli import cli

# two queries of one file: the second re-reads the firearm (same keys, same serial) to
# link its possessor, as the world's FGR mapping does
MAPPING = """mx_fgr_t:
  agency: FGR
  country: MX
  marking: AMBER
  releasable_to: [MX]
  queries:
  - csv_url: a.csv
    entities:
      arma: {schema: Firearm, keys: [folio], properties: {serialNumber: {column: serie}}}
  - csv_url: a.csv
    entities:
      arma: {schema: Firearm, keys: [folio], properties: {serialNumber: {column: serie}}}
      portador: {schema: Person, keys: [folio, nombre], properties: {name: {column: nombre}}}
  - csv_url: b.csv
    entities:
      otra: {schema: Firearm, keys: [folio], properties: {serialNumber: {column: serie}}}
"""


def test_queries_reading_one_file_are_counted_and_said_per_query(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("folio,serie,nombre\nA1,X1,Ana\nA2,X2,Luis\n", "utf-8")
    (tmp_path / "b.csv").write_text("folio,serie\nB1,Y1\n", "utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    args = ["--lang", "en", "ingest", str(mapping), "--db", str(tmp_path / "s.db")]
    result = CliRunner().invoke(cli, [*args, "--as", "mx-fgr-analista", "--json"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    reading = [line.split("] ", 1)[-1] for line in lines if "reading and" in line]
    assert reading == [
        "mx_fgr_t: reading and validating a.csv (query 1 of 2 reading it)",
        "mx_fgr_t: reading and validating a.csv (query 2 of 2 reading it)",
        "mx_fgr_t: reading and validating b.csv",
    ]
    [data] = json.loads(result.stdout)
    # the firearms' 2 serials are given by both queries of a.csv: 2 + (2 + 2) + 1 produced,
    # 5 of them distinct, all new to the fresh store
    assert (data["statements_produced"], data["statements_new"]) == (7, 5)


# the same two queries of one file, with a date each reads: a record whose date does not
# parse is rejected by both
DATED = """mx_fgr_t:
  agency: FGR
  country: MX
  marking: AMBER
  releasable_to: [MX]
  queries:
  - csv_url: a.csv
    entities:
      arma:
        schema: Firearm
        keys: [folio]
        properties:
          serialNumber: {column: serie}
          modifiedAt: {column: fecha, format: "%Y-%m-%d"}
  - csv_url: a.csv
    entities:
      arma:
        schema: Firearm
        keys: [folio]
        properties:
          serialNumber: {column: serie}
          modifiedAt: {column: fecha, format: "%Y-%m-%d"}
      portador: {schema: Person, keys: [folio, nombre], properties: {name: {column: nombre}}}
  - csv_url: b.csv
    entities:
      otra: {schema: Firearm, keys: [folio], properties: {serialNumber: {column: serie}}}
"""


def test_a_file_two_queries_read_counts_its_records_and_rejections_once(tmp_path: Path) -> None:
    """`records` and `rejected` count a file's records once however many queries read it:
    a.csv's 4 records (one rejected by both queries, its date unreadable) and b.csv's 1."""
    rows = (
        "A1,X1,Ana,2024-01-02\nA2,X2,Luis,2024-13-40\nA3,X3,Eva,2024-02-03\nA4,X4,Leo,2024-03-04\n"
    )
    (tmp_path / "a.csv").write_text(f"folio,serie,nombre,fecha\n{rows}", "utf-8")
    (tmp_path / "b.csv").write_text("folio,serie\nB1,Y1\n", "utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(DATED, encoding="utf-8")
    args = ["--lang", "en", "ingest", str(mapping), "--db", str(tmp_path / "s.db"), "--json"]
    options = ["--skip-invalid", "--allow-bad-dates"]
    result = CliRunner().invoke(cli, [*args, *options, "--as", "mx-fgr-analista"])
    assert result.exit_code == 0, result.output
    [data] = json.loads(result.stdout)
    assert (data["records"], data["rejected"]) == (5, 1)
