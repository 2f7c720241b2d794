"""Ingest: mapping files (CSV / JSON Lines → FtM statements or ledger rows) and FtM entity
JSON Lines, validated in bulk with DuckDB and written atomically.

    from ironriver.ingest import ingest_mapping
    result = ingest_mapping(store, "sales.yaml", actor="alice", reason="monthly ATF load")

See docs/mapping.md for the mapping format.
"""

from ironriver.ingest.entities import check_entities, ingest_entities
from ironriver.ingest.mapping import load_mapping
from ironriver.ingest.pipeline import (
    authorized_mappings,
    check_mapping,
    dataset_info,
    ingest_mapping,
)
from ironriver.ingest.result import IngestResult
from ironriver.ingest.row_ids import row_entity_id
from ironriver.ingest.specs import DatasetMapping

__all__ = [
    "DatasetMapping",
    "IngestResult",
    "authorized_mappings",
    "check_entities",
    "check_mapping",
    "dataset_info",
    "ingest_entities",
    "ingest_mapping",
    "load_mapping",
    "row_entity_id",
]
