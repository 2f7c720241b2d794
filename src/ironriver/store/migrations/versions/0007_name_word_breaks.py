"""Name words split at hyphens and apostrophes too: "Pérez-López" is found by "lopez".

A name's words in `statement_keys` were its space-separated parts, so a compound surname
("Pérez-López", "O'Brien", "A.B.") was one word: a search for "lopez" or "obrien" missed it.
Now each part is split again at any character that is not a letter or a digit, and kept
whole without them too (`ids.name_words`: perez, lopez, perezlopez). This rewrites the word
rows of the names whose search key holds such a character (few: most names have none).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_KIND_NAME = 2
_CHUNK = 50_000
_BREAK = re.compile(r"[\W_]+")
_SPACES = re.compile(
    "[\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
)


def _name_key(text: str) -> str:
    """A name's search key (a frozen copy of `ids.name_key`)."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return _SPACES.sub(" ", "".join(c.lower() for c in stripped)).strip(" ")


def _space_words(key: str) -> set[str]:
    """The words before this revision (a frozen copy)."""
    return {w for w in key.split(" ") if w}


def _broken_words(key: str) -> set[str]:
    """The words from this revision (a frozen copy of `ids.name_words`)."""
    words: set[str] = set()
    for chunk in key.split(" "):
        parts = [p for p in _BREAK.split(chunk) if p]
        words.update(parts)
        if len(parts) > 1:
            words.add("".join(parts))
    return words


def _rewrite(old: Callable[[str], set[str]], new: Callable[[str], set[str]]) -> None:
    conn = op.get_bind()
    # names holding a character other than A-Z, a-z, 0-9 and space: a superset of those
    # whose words change (accented letters pass the comparison below unchanged)
    postgres = conn.dialect.name == "postgresql"
    odd = "value ~ '[^A-Za-z0-9 ]'" if postgres else "value GLOB '*[^A-Za-z0-9 ]*'"
    result = conn.execute(
        sa.text(f"SELECT entity_id, id, value FROM statements WHERE kind = {_KIND_NAME} AND {odd}"),
        execution_options={"yield_per": _CHUNK},
    )
    gone: list[dict[str, object]] = []
    added: list[dict[str, object]] = []
    try:
        for chunk in result.partitions():
            for r in chunk:
                key = _name_key(str(r.value))
                before, after = old(key), new(key)
                rank = len(str(r.value))
                row = {"entity_id": r.entity_id, "id": r.id, "rank": rank}
                gone += [{**row, "key": w} for w in sorted(before - after)]
                added += [{**row, "key": w} for w in sorted(after - before)]
    finally:
        result.close()
    if gone:
        conn.execute(
            sa.text(
                f"DELETE FROM statement_keys WHERE kind = {_KIND_NAME} AND rank = :rank "
                "AND key = :key AND entity_id = :entity_id AND id = :id"
            ),
            gone,
        )
    if added:
        conn.execute(
            sa.text(
                "INSERT INTO statement_keys (kind, rank, key, entity_id, id) "
                f"VALUES ({_KIND_NAME}, :rank, :key, :entity_id, :id) ON CONFLICT DO NOTHING"
            ),
            added,
        )


def upgrade() -> None:
    _rewrite(_space_words, _broken_words)


def downgrade() -> None:
    _rewrite(_broken_words, _space_words)
