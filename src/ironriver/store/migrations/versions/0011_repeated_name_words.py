"""A name's lookup rows hold each time it holds a word: "garcia garcia" finds "Juan García
García", not every García.

`statement_keys` held a name's distinct words, so a search could not ask for a word twice,
and Mexican names repeat surnames ("María Hernández Hernández"). Each time a word comes
again in a name it now has a row of its own, keyed by the word followed by one more
`ids.REPEAT_MARK` ("\\x01") than the time before (`ids.lookup_words`: "garcia",
"garcia\\x01"), which lies in every prefix range its word lies in. This adds those rows for
the names that repeat a word; every other row stays as it is. Every name is read once (no
SQL test tells a repeated word: case and accents differ), in Python, a chunk at a time (its
rows inserted before the next is read).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_KIND_NAME = 2
_CHUNK = 50_000
_MARK = "\x01"  # a frozen copy of `ids.REPEAT_MARK`
_MAX_KEY_BYTES = 1024  # a frozen copy of `ids.MAX_KEY_BYTES`: a longer key is not keyed
_BREAK = re.compile(r"[\W_]+")
_SPACES = re.compile(
    "[\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
)
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


def _name_key(text: str) -> str:
    """A name's search key (a frozen copy of `ids.name_key` at this revision)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_FOLD_TABLE)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return _SPACES.sub(" ", "".join(c.lower() for c in stripped)).strip(" ")


def _repeats(key: str) -> list[str]:
    """The keys this revision adds for a name whose search key is `key`: each word's second
    time and later, marked (`ids.lookup_words` less the distinct words)."""
    words: Counter[str] = Counter()
    for chunk in key.split(" "):
        parts = [p for p in _BREAK.split(chunk) if p]
        words.update(parts)
        if len(parts) > 1:
            words["".join(parts)] += 1
    keys = (w + _MARK * k for w, n in sorted(words.items()) for k in range(1, n))
    return [key for key in keys if len(key.encode("utf-8")) <= _MAX_KEY_BYTES]


def _added(value: str) -> list[str]:
    """The keys this revision adds for the name `value` (`_repeats` of its key)."""
    # one ASCII word: nothing repeats (NFKC may break a wider one into words: "⑴⑴" is
    # "(1)(1)", the word 1 twice)
    if value.isascii() and value.isalnum():
        return []
    return _repeats(_name_key(value))


def upgrade() -> None:
    conn = op.get_bind()
    insert = sa.text(
        "INSERT INTO statement_keys (kind, rank, key, entity_id, id) "
        f"VALUES ({_KIND_NAME}, :rank, :key, :entity_id, :id) ON CONFLICT DO NOTHING"
    )
    result = conn.execute(
        sa.text(f"SELECT entity_id, id, value FROM statements WHERE kind = {_KIND_NAME}"),
        execution_options={"yield_per": _CHUNK},
    )
    try:
        # (a size given: without one, SQLAlchemy 2.1 makes one partition of each row on
        # SQLite and one of every row on PostgreSQL, whatever `yield_per`)
        for chunk in result.partitions(_CHUNK):  # (each chunk inserted as it is read)
            added: list[dict[str, object]] = []
            for r in chunk:
                value = str(r.value)
                row = {"entity_id": r.entity_id, "id": r.id, "rank": len(value)}
                added += [{**row, "key": k} for k in _added(value)]
            if added:
                conn.execute(insert, added)
    finally:
        result.close()


def downgrade() -> None:
    op.get_bind().execute(
        sa.text(f"DELETE FROM statement_keys WHERE kind = {_KIND_NAME} AND key LIKE :marked"),
        {"marked": f"%{_MARK}%"},
    )
