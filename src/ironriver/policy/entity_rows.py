"""The statement columns a `View` assembles an entity from (`ENTITY_ROW`), shared by its
reads (`view.py`), searches (`search.py`) and exports (`export.py`).

Invariant: the order is the one `View._stmt` unpacks (positional: attribute access on rows
costs more than the rest of an export); the label id is last, at index 10, where the
justification of a read and an export's marking count find it.
"""

from __future__ import annotations

from ironriver.store.tables import statements

ENTITY_ROW = (
    statements.c.entity_id,
    statements.c.id,
    statements.c.prop_id,
    statements.c.value,
    statements.c.dataset_id,
    statements.c.lang,
    statements.c.original_value,
    statements.c.first_seen,
    statements.c.last_seen,
    statements.c.origin,
    statements.c.label_id,
)
