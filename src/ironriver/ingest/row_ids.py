"""An entity mapping's id for one record, computed in Python: the row-wise twin of the SQL
`compile.EntityCompiler` builds (docs/mapping.md, "Ids"), for callers that hold a record
rather than a file to ingest (the search evaluation finds a truth record's entity so).

Invariant: for a record the ingest keeps, `row_entity_id` is the id the ingest stores
(`tests/ingest/test_key_clean.py` compares them): values are sanitized as FtM's CSV reader
does (`sanitize_text`), a key of `key_clean` is cleaned by the one rule the ingest uses
(`clean.clean_literal`: FtM's `clean_text`, and `store.ids.clean_phone` for a phone), and
the hash is FtM's `compute_key` with the dataset's name, or the schema for an id made of
cleaned keys alone (`EntitySpec.global_id`).
"""

from __future__ import annotations

from collections.abc import Mapping
from hashlib import sha1

from followthemoney.util import sanitize_text

from ironriver.ingest.clean import clean_literal
from ironriver.ingest.specs import EntitySpec


def row_entity_id(dataset: str, entity: EntitySpec, row: Mapping[str, str | None]) -> str | None:
    """The id the ingest of `dataset` gives `entity` in the record `row` (column -> text as
    the file writes it; a column absent or None is empty). None when the record makes no
    entity: its keys (or its `id_column`) are empty, or a key `key_clean` names does not
    clean (the ingest rejects that record)."""
    if entity.id_column is not None:
        return sanitize_text(row.get(entity.id_column))
    values = []
    for column in entity.keys:
        text = sanitize_text(row.get(column))
        if text is None:
            continue
        if (key := entity.cleaned(column)) is not None:
            text = clean_literal(key.type_name, text, key.format, False, None)
            if text is None:
                return None
        values.append(text)
    if not values:
        return None
    values.sort(key=lambda v: v.encode("utf-8"))  # bytewise, as the ingest's DuckDB sorts
    prefix = entity.id_prefix or dataset + (entity.key_literal or "")
    return sha1((prefix + "".join(values)).encode("utf-8")).hexdigest()
