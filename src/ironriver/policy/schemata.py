"""The FtM schemata a view names and resolves: `known_schema`, the schema a caller names (a
search's, a table's or an export's filter), where a typo is an error rather than "no match";
and `entity_schema`, an entity's one schema from its visible statements' (which may
disagree: two agencies may type one id differently)."""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

from followthemoney.exc import InvalidData
from followthemoney.statement.entity import StatementEntity
from followthemoney.types import registry
from rigour.langs import LangStr
from rigour.names.pick import pick_lang_name

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


# The names a caption is picked from, at most: rigour's `pick_lang_name` (what FtM's
# `StatementEntity.caption` calls) compares every name with every other, so an entity of
# 64,000 names took a minute per read, export and search (review R29b F2).
CAPTION_NAMES = 200


def bound_caption(entity: StatementEntity) -> StatementEntity:
    """`entity`, its caption picked as FtM picks it but, where the property FtM would pick
    it from holds more than CAPTION_NAMES distinct names, among the CAPTION_NAMES most stated
    ones only (the most statements first, then by value: the same for the same visible
    statements, whatever order they are read in), each as often as it is stated, as FtM
    weighs them. Others are left to FtM: rigour's pick is quadratic in the distinct names it
    compares, not in how often each is stated (review R30 F5: bounding by statements made one
    more statement of a name flip the caption)."""
    schema = entity.schema
    for name in schema.caption:
        stmts = entity._statements.get(name)  # (FtM's own: what its `caption` reads)
        if not stmts:
            continue
        if schema.properties[name].type == registry.name and len(stmts) > CAPTION_NAMES:
            counts = Counter((s.value, s.lang or "") for s in stmts)
            if len(counts) <= CAPTION_NAMES:
                return entity
            top = sorted(counts, key=lambda v: (-counts[v], v))[:CAPTION_NAMES]
            picked = pick_lang_name(
                [
                    LangStr(value, lang=lang or None)
                    for value, lang in top
                    for _ in range(counts[(value, lang)])
                ]
            )
            if picked is not None:
                entity._caption = picked
        return entity
    return entity
