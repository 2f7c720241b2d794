"""Stable ids and the normalised search keys, shared by every writer.

Statement ids follow FollowTheMoney (`Statement.make_key`): the SHA-1 of
`"{dataset}.{entity_id}.{prop}.{value}"`, so the same fact from the same dataset always has
the same id. Search keys are computed identically in Python (queries) and in Arrow (bulk
writes): NFD-decompose, drop combining marks, lower-case, collapse whitespace; identifiers
and phones additionally drop everything but letters and digits and are upper-cased.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import pyarrow as pa
import pyarrow.compute as pc

NAME_TYPES = frozenset({"name"})
IDENTIFIER_TYPES = frozenset({"identifier", "phone", "iban", "email", "checksum"})
SEARCH_TYPES = NAME_TYPES | IDENTIFIER_TYPES

# Whitespace as Python's str.isspace() knows it, spelled out so that Python (queries) and RE2
# (Arrow, bulk writes) collapse exactly the same characters.
_WS_CHARS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
_SPACES = re.compile(f"[{_WS_CHARS}]+")
_RE2_SPACES = (
    r"[\t\n\x0b\x0c\r\x{1c}-\x{1f} \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}"
    r"\x{202f}\x{205f}\x{3000}]+"
)
_NON_ALNUM = re.compile(r"[^0-9A-Za-z?]")


def statement_id(dataset: str, entity_id: str, prop: str, value: str) -> str:
    key = f"{dataset}.{entity_id}.{prop}.{value}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


def name_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    # character by character, like Arrow's utf8_lower (no final-sigma context rule)
    lowered = "".join(c.lower() for c in stripped)
    return _SPACES.sub(" ", lowered).strip(" ")


def identifier_key(text: str) -> str:
    return _NON_ALNUM.sub("", name_key(text)).upper()


def search_key(prop_type: str, value: str) -> str | None:
    if prop_type in NAME_TYPES:
        return name_key(value)
    if prop_type in IDENTIFIER_TYPES:
        return identifier_key(value)
    return None


def search_keys_arrow(prop_types: pa.Array, values: pa.Array) -> pa.Array:
    """Vectorised `search_key` over Arrow arrays (same result, no Python object per value).

    Only name and identifier values are normalised; every other row gets null."""
    is_name = pc.is_in(prop_types, value_set=pa.array(sorted(NAME_TYPES)))
    is_ident = pc.is_in(prop_types, value_set=pa.array(sorted(IDENTIFIER_TYPES)))
    wanted = pc.or_(is_name, is_ident)
    result = pa.nulls(len(values), pa.string())
    if not pc.any(wanted).as_py():
        return result
    sub = pc.filter(values, wanted)
    sub_is_name = pc.filter(is_name, wanted)
    folded = pc.utf8_normalize(sub, form="NFD")
    folded = pc.replace_substring_regex(folded, pattern=r"\p{Mn}", replacement="")
    folded = pc.utf8_lower(folded)
    names = pc.utf8_trim(
        pc.replace_substring_regex(folded, pattern=_RE2_SPACES, replacement=" "), characters=" "
    )
    idents = pc.utf8_upper(
        pc.replace_substring_regex(folded, pattern=r"[^0-9a-z?]", replacement="")
    )
    keys = pc.if_else(sub_is_name, names, idents)
    return pc.replace_with_mask(result, wanted, keys)


# What a statement's value is, for the two secondary indexes (statements.kind).
KIND_OTHER, KIND_ENTITY, KIND_NAME, KIND_IDENTIFIER = 0, 1, 2, 3


# Name-typed properties that mention someone else's name rather than name the entity: not
# looked up by name search.
NOT_SEARCHED = frozenset({"namesMentioned"})


def kind_of(prop_type: str, prop: str | None = None) -> int:
    """Which lookup table a value of this FtM type (of property `prop`) feeds (tables.py)."""
    if prop in NOT_SEARCHED:
        return KIND_OTHER
    if prop_type == "entity":
        return KIND_ENTITY
    if prop_type in NAME_TYPES:
        return KIND_NAME
    if prop_type in IDENTIFIER_TYPES:
        return KIND_IDENTIFIER
    return KIND_OTHER


def name_words(key: str) -> list[str]:
    """The distinct words of a name's search key (what `statement_keys` holds for it)."""
    return sorted({w for w in key.split(" ") if w})


KEY_SCHEMA = pa.schema(
    [
        ("kind", pa.int8()),
        ("rank", pa.int32()),
        ("key", pa.string()),
        ("entity_id", pa.string()),
        ("id", pa.string()),
    ]
)
REF_SCHEMA = pa.schema([("value", pa.string()), ("entity_id", pa.string()), ("id", pa.string())])


def key_rows_arrow(table: pa.Table) -> pa.Table:
    """`statement_keys` rows for statements with columns entity_id, id, kind, value,
    search_key: each distinct word of a name (kind 2, ranked by the name's length) and each
    whole identifier key (kind 3, rank 0)."""
    kind = table.column("kind")
    keys = table.column("search_key")
    names = table.filter(pc.and_(pc.equal(kind, KIND_NAME), pc.is_valid(keys)))
    words = pc.split_pattern(names.column("search_key").combine_chunks(), " ")
    parents = pc.list_parent_indices(words)
    flat = pc.list_flatten(words)
    lengths = pc.utf8_length(names.column("value").combine_chunks()).cast(pa.int32())
    name_rows = pa.table(
        {
            "kind": pa.repeat(pa.scalar(KIND_NAME, pa.int8()), len(flat)),
            "rank": pc.take(lengths, parents),
            "key": flat,
            "entity_id": pc.take(names.column("entity_id"), parents),
            "id": pc.take(names.column("id"), parents),
        },
        schema=KEY_SCHEMA,
    )
    idents = table.filter(pc.and_(pc.equal(kind, KIND_IDENTIFIER), pc.is_valid(keys)))
    ident_rows = pa.table(
        {
            "kind": pa.repeat(pa.scalar(KIND_IDENTIFIER, pa.int8()), idents.num_rows),
            "rank": pa.repeat(pa.scalar(0, pa.int32()), idents.num_rows),
            "key": idents.column("search_key"),
            "entity_id": idents.column("entity_id"),
            "id": idents.column("id"),
        },
        schema=KEY_SCHEMA,
    )
    rows = pa.concat_tables([name_rows, ident_rows])
    return rows.filter(pc.not_equal(rows.column("key"), ""))


def ref_rows_arrow(table: pa.Table) -> pa.Table:
    """`statement_refs` rows (referenced entity id, entity_id, id) of entity-typed values."""
    refs = table.filter(pc.equal(table.column("kind"), KIND_ENTITY))
    return pa.table(
        {
            "value": refs.column("value"),
            "entity_id": refs.column("entity_id"),
            "id": refs.column("id"),
        },
        schema=REF_SCHEMA,
    )
