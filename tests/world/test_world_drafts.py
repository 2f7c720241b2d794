"""`mapping draft` against the world's hand-written mappings: for every column an agency's
mapping reads as a date, the draft of that agency's file (from a sample of its records)
types it as a date with the same layout, US month-first and Mexican day-first alike."""

from __future__ import annotations

from ironriver.ingest.draft import draft_file
from ironriver.ingest.mapping import load_mapping
from ironriver.world import WorldPaths


def test_drafts_read_every_date_column_as_the_agencies_mappings_do(
    tiny_world: WorldPaths,
) -> None:
    compared = []
    for mapping_path in tiny_world.mappings():
        for dataset in load_mapping(mapping_path):
            for query in dataset.queries:
                formats = dict(query.source.date_formats)
                if not formats:
                    continue
                draft = draft_file(query.source.path, country=dataset.country)
                guessed = {c.header: (c.type, c.format) for c in draft.columns}
                for column, fmt in formats.items():
                    compared.append((query.source.path.name, column))
                    kind = "timestamp" if "%H" in fmt else "date"
                    assert guessed[column] == (kind, fmt), (query.source.path.name, column)
    assert len(compared) >= 8  # every agency's dated files were looked at
    assert {name for name, _ in compared} >= {
        "dealer_sales.csv",
        "outbound_crossings.csv",
        "informes.jsonl",
        "aseguramientos_armas.csv",
    }
