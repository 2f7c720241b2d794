"""Search keys fold compatibility forms and letters without a decomposition: "strasse" finds
"Straße", "lodz" finds "Łódź", "oeuvre" finds "Œuvre", "123" finds "１２３".

A name's (or an identifier's) search key was its NFD form without combining marks,
lower-cased: ligatures, full-width letters and digits, and ß, ı, Ł, Æ, Ø, Œ, Đ, Þ stayed as
they were, so what a reader types never matched them. Keys are now made from the NFKC form
with those letters spelled in Latin ones (`ids.FOLDS`) first. This rewrites the
`statement_keys` rows of the names and identifiers whose key changes (only values holding a
character outside ASCII can: few).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_KIND_NAME, _KIND_IDENTIFIER = 2, 3
_CHUNK = 50_000
_BREAK = re.compile(r"[\W_]+")
_SPACES = re.compile(
    "[\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
)
_NON_ALNUM = re.compile(r"[^0-9A-Za-z?]")
# a frozen copy of `ids.FOLDS` at this revision
_FOLD_TABLE = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "ı": "i",
        "Ł": "L",
        "ł": "l",
        "Æ": "AE",
        "æ": "ae",
        "Ø": "O",
        "ø": "o",
        "Œ": "OE",
        "œ": "oe",
        "Đ": "D",
        "đ": "d",
        "Þ": "TH",
        "þ": "th",
    }
)


def _plain_key(text: str) -> str:
    """A search key before this revision (a frozen copy of `ids.name_key` at 0009)."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return _SPACES.sub(" ", "".join(c.lower() for c in stripped)).strip(" ")


def _folded_key(text: str) -> str:
    """A search key from this revision (a frozen copy of `ids.name_key`)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_FOLD_TABLE)
    return _plain_key(text)


def _words(key: str) -> set[str]:
    """A name's words in `statement_keys` (a frozen copy of `ids.name_words`)."""
    words: set[str] = set()
    for chunk in key.split(" "):
        parts = [p for p in _BREAK.split(chunk) if p]
        words.update(parts)
        if len(parts) > 1:
            words.add("".join(parts))
    return words


def _keys(kind: int, key: str) -> set[str]:
    """The `statement_keys` keys of a value of `kind` whose search key is `key`."""
    if kind == _KIND_NAME:
        return _words(key)
    identifier = _NON_ALNUM.sub("", key).upper()
    return {identifier} if identifier else set()


def _rewrite(old: Callable[[str], str], new: Callable[[str], str]) -> None:
    conn = op.get_bind()
    postgres = conn.dialect.name == "postgresql"
    wide = "value ~ '[^ -~]'" if postgres else "value GLOB '*[^ -~]*'"  # outside ASCII
    result = conn.execute(
        sa.text(
            "SELECT kind, entity_id, id, value FROM statements "
            f"WHERE kind IN ({_KIND_NAME}, {_KIND_IDENTIFIER}) AND {wide}"
        ),
        execution_options={"yield_per": _CHUNK},
    )
    gone: list[dict[str, object]] = []
    added: list[dict[str, object]] = []
    try:
        for chunk in result.partitions():
            for r in chunk:
                kind, value = int(r.kind), str(r.value)
                before, after = _keys(kind, old(value)), _keys(kind, new(value))
                rank = len(value) if kind == _KIND_NAME else 0
                row = {"kind": kind, "entity_id": r.entity_id, "id": r.id, "rank": rank}
                gone += [{**row, "key": k} for k in sorted(before - after)]
                added += [{**row, "key": k} for k in sorted(after - before)]
    finally:
        result.close()
    if gone:
        conn.execute(
            sa.text(
                "DELETE FROM statement_keys WHERE kind = :kind AND rank = :rank "
                "AND key = :key AND entity_id = :entity_id AND id = :id"
            ),
            gone,
        )
    if added:
        conn.execute(
            sa.text(
                "INSERT INTO statement_keys (kind, rank, key, entity_id, id) "
                "VALUES (:kind, :rank, :key, :entity_id, :id) ON CONFLICT DO NOTHING"
            ),
            added,
        )


def upgrade() -> None:
    _rewrite(_plain_key, _folded_key)


def downgrade() -> None:
    _rewrite(_folded_key, _plain_key)
