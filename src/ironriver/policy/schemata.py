"""The FtM schemata a view names and resolves: `known_schema`, the schema a caller names (a
search's, a table's or an export's filter), where a typo is an error rather than "no match";
and `entity_schema`, an entity's one schema from its visible statements' (which may
disagree: two agencies may type one id differently)."""

from __future__ import annotations

from functools import cache
from typing import Any

from followthemoney.exc import InvalidData

from ironriver.errors import ConfigError
from ironriver.i18n import msg
from ironriver.model import get_model
from ironriver.model.names import schema_hint


def known_schema(schema: str | None) -> Any:
    """The model's schema named `schema` (None for None), or `ConfigError` (exit 2, as for
    any wrong argument): a mistyped schema must not read as "no such entity". Names only: the command line reads what people type
    (a label, in either language) with `ironriver.model.names.schema_named` first."""
    if schema is None:
        return None
    found = get_model().get(schema)
    if found is None:
        raise ConfigError(
            msg("Unknown schema {schema!r}.", schema=schema),
            hint=schema_hint(schema),
        )
    return found


GLOBAL_ID_SCHEMATA = frozenset({"Phone"})
"""Schemata whose entity is the value it is keyed on (a Phone is one line: its number), so
that keyed on that value cleaned (`key_clean`) its id is the same in every dataset
(`ironriver.ingest.specs.EntitySpec.global_id`), and anyone who knows the number knows the
id. Where such an entity's statements disagree on schema, it keeps its own (`entity_schema`)."""


@cache
def entity_schema(schemata: frozenset[str]) -> str:
    """The schema of an entity whose visible statements have `schemata`: their common
    schema, or where two cannot be one (Firearm, Sale), the more specific, the first by
    name on a tie; the same for a set whatever order its statements are read in. A schema
    of `GLOBAL_ID_SCHEMATA` wins its conflicts (review R25 F2): a Phone's id can be
    computed from its number, so another agency's line typing that id as a Person must not
    make the Phone's owner see a Person (those statements are left out, as any a conflict
    drops, and reported: `View.schema_conflicts`). Cached: few combinations occur
    (entities of one kind from one source look alike)."""
    model = get_model()
    names = sorted(schemata)
    schema = model.get(names[0])
    for name in names[1:]:
        try:
            schema = model.common_schema(schema, name)
        except InvalidData:
            other = model.get(name)
            ours, theirs = schema.name in GLOBAL_ID_SCHEMATA, other.name in GLOBAL_ID_SCHEMATA
            if ours != theirs:
                schema = other if theirs else schema
            else:
                schema = other if len(other.schemata) > len(schema.schemata) else schema
    return str(schema.name)
