"""`mapping draft` against the world's hand-written mappings (`ironriver eval drafts`): for
every column an agency's mapping reads as a date, the draft of that agency's file (from a
sample of its records) types it as a date with the same layout, US month-first and Mexican
day-first alike; the entities it suggests from column names are the mappings' own."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.ingest import check_mapping
from ironriver.ingest.draft import draft_file, render_yaml
from ironriver.ingest.evaluate import (
    ENTITY_PRECISION_FLOOR,
    ENTITY_RECALL_FLOOR,
    draft_agreement,
    entity_agreement,
)
from ironriver.world import WorldPaths


def test_drafts_read_every_date_column_as_the_agencies_mappings_do(
    tiny_world: WorldPaths,
) -> None:
    checks = draft_agreement(tiny_world.root)
    judged = [c for c in checks if c.ok is not None]
    assert len(judged) >= 8 and all(c.ok for c in judged), [c for c in judged if not c.ok]
    assert {c.file for c in judged} >= {  # with the agency: two name a file alike
        "atf/dealer_sales.csv",
        "cbp/outbound_crossings.csv",
        "cni/informes.jsonl",
        "fgr/aseguramientos_armas.csv",
        "sedena/aseguramientos_armas.csv",
    }
    assert {c.expected.split(" ", 1)[1] for c in judged} >= {"%m/%d/%Y", "%d/%m/%Y"}
    result = CliRunner().invoke(cli, ["eval", "drafts", "--world", str(tiny_world.root)])
    assert result.exit_code == 0, result.output
    assert f"{len(judged)} of {len(judged)} date columns" in result.output
    files = {line.split()[0] for line in result.stdout.splitlines()[2:]}
    assert {"fgr/aseguramientos_armas.csv", "sedena/aseguramientos_armas.csv"} <= files


def test_entities_suggested_from_column_names_are_the_mappings_own(
    tiny_world: WorldPaths,
) -> None:
    score = entity_agreement(tiny_world.root)
    assert score.mapped >= 40  # persons, firearms, vehicles, phones, organizations
    assert score.precision >= ENTITY_PRECISION_FLOOR, score.extra
    assert score.recall >= ENTITY_RECALL_FLOOR, score.missed
    assert score.agreed == score.suggested - len(score.extra)


def test_every_agency_file_drafted_with_its_entities_checks_clean(
    tiny_world: WorldPaths, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The draft of each of the world's agency files, suggested entities included, passes
    the dry run as written: no record rejected, entities made where suggested."""
    out = tmp_path_factory.mktemp("drafts")
    files = sorted(p for p in tiny_world.agencies.rglob("*") if p.suffix in (".csv", ".jsonl"))
    assert len(files) >= 10
    with_entities = 0
    for path in files:
        country = "US" if path.parent.name in ("atf", "cbp", "hsi") else "MX"
        draft = draft_file(path, country=country)
        target = out / f"{path.parent.name}_{path.stem}.yaml"
        text = render_yaml(
            draft, agency=path.parent.name, country=country, releasable_to=["US"], out=target
        )
        target.write_text(text, encoding="utf-8")
        result = check_mapping(target)
        assert result.rejected == 0 and result.ledger_rows == result.records, path.name
        with_entities += "\n    entities:" in text and result.statements > 0
    assert with_entities >= 7  # persons, firearms, vehicles, phones, organizations
