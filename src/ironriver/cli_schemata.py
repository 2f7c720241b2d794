"""Schemata as the read commands take and show them: `schema_name` reads a `--schema`
as people type it (`search`, `export`), `left_out` names the properties an entity of
schemata that cannot be one leaves out (`entity`, `export`). A leaf of the read commands'
modules: they import it, it imports none of them (nor anything heavy)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ironriver.model.labels import prop_label
from ironriver.model.names import schema_named

if TYPE_CHECKING:  # the policy loads FtM, SQLAlchemy, Arrow and DuckDB (`cli_read`)
    from ironriver.policy import SchemaConflict


def schema_name(text: str | None) -> str | None:
    """The name of the schema `text` names as people type it (a label in either language,
    any case: `ironriver.model.names.schema_named`), for the library, which takes names."""
    return None if text is None else str(schema_named(text).name)


def left_out(conflict: SchemaConflict) -> str:
    """The properties left out, as their labels in the reader's language, each with how many
    statements."""
    counts = Counter(prop_label(s.schema, s.prop) for s in conflict.dropped)
    return ", ".join(f"{label} ({counts[label]})" for label in sorted(counts))
