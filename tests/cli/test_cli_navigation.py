"""An analyst goes from a table to the next entity: the tables for people show what to type
next (full entity ids) and what tells look-alike rows apart (each hit's datasets), on a real
SQLite store through the CLI (click's runner)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from ironriver.cli import cli
from samples import sample_db


def _rows_after(out: str, header: str) -> list[list[str]]:
    """The cells of the table under the header line starting with `header` (split on runs
    of two spaces or more, as `table` aligns them)."""

    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


def test_the_neighbour_table_shows_each_neighbours_full_id(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    result = CliRunner().invoke(
        cli, ["entity", "g1", "--db", db, "--as", "us-atf-analyst", "--reason", "r"]
    )
    assert result.exit_code == 0, result.output
    rows = _rows_after(result.stdout, "direction")
    # the sale and the recovery both point at the gun; their ids are what `entity` takes
    assert [(r[2], r[-1]) for r in rows] == [("Recovery", "r1"), ("Sale", "s1")]
    assert result.stdout.splitlines()[-4].rstrip().endswith("  entity id")
    again = CliRunner().invoke(cli, ["entity", rows[0][-1], "--db", db, "--as", "us-atf-analyst"])
    assert again.exit_code == 0 and again.stdout.startswith("Recovery: 2024-09-12  (r1)")
    es = CliRunner().invoke(
        cli, ["entity", "g1", "--db", db, "--as", "mx-fgr-analista", "--reason", "r"]
    )
    rows = _rows_after(es.stdout, "sentido")  # (the sale is the ATF's, not releasable to MX)
    assert [(r[2], r[-1]) for r in rows] == [("Aseguramiento", "r1")]


def test_search_shows_the_datasets_of_each_hit_that_the_reader_may_see(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    args = ("search", "ABC123", "--db", db, "--reason", "r")
    us = CliRunner().invoke(cli, [*args, "--as", "us-atf-analyst"])
    assert us.exit_code == 0, us.output
    assert _rows_after(us.stdout, "entity id") == [
        ["g1", "Firearm", "ABC123", "ABC123", "mx_fgr_aseguramientos, us_atf_traces"]
    ]
    # the FGR sees the gun only through its own statements: the ATF's are not releasable to it
    mx = CliRunner().invoke(cli, [*args, "--as", "mx-fgr-analista"])
    assert mx.stdout.splitlines()[0].rstrip().endswith("coincidencia  conjuntos de datos")
    assert _rows_after(mx.stdout, "id de entidad")[0][-1] == "mx_fgr_aseguramientos"
    data = json.loads(CliRunner().invoke(cli, [*args, "--as", "mx-fgr-analista", "--json"]).stdout)
    assert [h["datasets"] for h in data] == [["mx_fgr_aseguramientos"]]
    names = CliRunner().invoke(cli, ["search", "perez", "--db", db, "--as", "us-atf-analyst"])
    assert _rows_after(names.stdout, "entity id")[0][-1] == "us_atf_traces"


def test_a_hit_of_conflicting_schemata_shows_the_datasets_its_entity_leaves_out(
    tmp_path: Path,
) -> None:
    """An id typed Person by one agency (a birth date) and Company by another (a name) is
    shown as a Company, which cannot hold the birth date: the hit's datasets still name the
    dataset of that statement, as `entity` shows it."""
    db = str(tmp_path / "c.db")
    for dataset, line in [
        ("us_atf_p", {"id": "p1", "schema": "Person", "properties": {"birthDate": ["1990"]}}),
        ("us_hsi_c", {"id": "p1", "schema": "Company", "properties": {"name": ["Pat Inc"]}}),
    ]:
        src = tmp_path / f"{dataset}.jsonl"
        src.write_text(json.dumps(line) + "\n", encoding="utf-8")
        owner = ["--agency", dataset.split("_")[1].upper(), "--country", "US"]
        result = CliRunner().invoke(
            cli,
            ["ingest", "--db", db, "--entities", str(src), "--dataset", dataset, *owner,
             "--marking", "GREEN", "--as", "loader", "--reason", "r"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    args = ["--db", db, "--as", "us-atf-analyst", "--reason", "r"]
    data = json.loads(CliRunner().invoke(cli, ["search", "pat", *args, "--json"]).stdout)
    assert [(h["entity_id"], h["schema"], h["datasets"]) for h in data] == [
        ("p1", "Company", ["us_atf_p", "us_hsi_c"])
    ]
    table = CliRunner().invoke(cli, ["search", "pat", *args])
    assert _rows_after(table.stdout, "entity id")[0][-1] == "us_atf_p, us_hsi_c"
