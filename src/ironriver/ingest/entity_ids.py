"""What text an entity id may be, and a reference to one: the one rule the entity import,
a mapping's `id_column` and its references, and a mapping's literals all apply.

An id is text, or a whole number (its digits, as FtM reads it); text holds no line or
paragraph separator, control or format character (`ID_REFUSED_CATEGORIES`) but the joiners
of scripts and emoji, and no space at either end (`id_problem`). `ID_REFUSED` is the same
set in DuckDB's RE2, for the SQL paths (it differs from Python's Unicode tables only at
U+13439-U+1343F, which it refuses too). A reference is any text an id may be
(`reference_text`), not only FtM's `EntityType` pattern. A refused id is reported with those
characters escaped (`shown_id`; `escaped_id_sql` in SQL), or they may not be seen. The
length bound (`MAX_ID_LENGTH`) is the callers' to check.
"""

from __future__ import annotations

import unicodedata

from ironriver.i18n import msg, t

# A character no entity id holds (RE2): a control or line/paragraph separator, or a format
# character (a bidi override, U+FEFF...) other than the joiners of scripts and emoji. The
# entity import refuses the same ids (`refused_in_id`, by Python's Unicode tables;
# DuckDB's differ only at U+13439-U+1343F, which it refuses too).
ID_REFUSED = r"[\p{Cc}\p{Zl}\p{Zp}]|[^\P{Cf}\x{200C}\x{200D}]"


def escaped_id_sql(text: str) -> str:
    """SQL for `text` with each character of `ID_REFUSED` written as `\\uXXXX`, so that a
    report shows what the id holds (the rest as written)."""
    chars = f"string_split({text}, '')"
    escaped = (
        f"CASE WHEN regexp_matches(c, '{ID_REFUSED}') THEN printf('\\u%04x', unicode(c)) ELSE c END"
    )
    return f"array_to_string(list_transform({chars}, lambda c: {escaped}), '')"


# The Unicode categories of the characters no entity id may hold: line or paragraph
# separators (Zl, Zp: U+2028), control and format characters (Cc, Cf: a tab, NUL, U+0085,
# U+200B, a byte-order mark, a bidi override) and lone surrogates (Cs, which no UTF-8 text
# holds); the joiners (U+200C, U+200D) are parts of scripts and emoji, and kept. None is
# visible in a report, and PostgreSQL refuses NUL (review R30 F1). A space (Zs) is kept
# inside an id, not at its ends: a mapping's `id_column` keeps the spaces inside an agency's
# record number ("AP/FGR 123"), so the store's own export must load again (review R30c F3).
# The entity import's bulk path (`entity_bulk._PLAIN_OBJECTS`) takes only ids of letters, marks, numbers, punctuation,
# symbols and spaces, and leaves any other to the per-line path, which decides: both paths
# read an id alike whatever Unicode version DuckDB's regular expressions know (private-use
# or unassigned characters, in no category here, are the per-line path's, and taken).
ID_REFUSED_CATEGORIES = frozenset({"Zl", "Zp", "Cc", "Cf", "Cs"})
_ID_JOINERS = frozenset("\u200c\u200d")


def refused_in_id(char: str) -> bool:
    return unicodedata.category(char) in ID_REFUSED_CATEGORIES and char not in _ID_JOINERS


def id_problem(raw_id: object) -> str | None:
    """Why `raw_id`, a line's `"id"` given (neither null nor empty), is no entity id, in the
    current language; None when it is one. An id is JSON text, or a whole number (its
    digits, as FtM reads it: 0 too); text holds no character of `ID_REFUSED_CATEGORIES`."""
    if isinstance(raw_id, bool):  # (a bool is an int to Python)
        what = msg("a boolean (true or false)")
    elif isinstance(raw_id, float):
        what = msg("a number with a decimal point or an exponent")
    elif isinstance(raw_id, list):
        what = msg("a list")
    elif isinstance(raw_id, dict):
        what = msg("an object")
    elif isinstance(raw_id, int):
        return None
    else:
        text = str(raw_id)
        ends = [c for c in (text[0], text[-1]) if unicodedata.category(c) == "Zs"]
        char = next((c for c in text if refused_in_id(c)), ends[0] if ends else None)
        if char is None:
            return None
        name = unicodedata.name(char, "")  # (a control character has none)
        return t(
            "an entity id is one piece of text without line breaks, control or invisible "
            "characters, and no space at either end: it holds {char}",
            char=f"U+{ord(char):04X}" + (f" {name}" if name else ""),
        )
    return t("an entity id is text or a whole number, not {what}", what=what)


def shown_id(text: str) -> str:
    """`text`, an id or reference `id_problem` refuses, for the report: the characters the
    reason names escaped (`\\u200b`), or they may not be seen; the rest as written."""
    return "".join(
        f"\\u{ord(c):04x}"
        if refused_in_id(c) or (c != " " and unicodedata.category(c) == "Zs")
        else c
        for c in text
    )


def reference_text(value: str) -> str | None:
    """`value` as a reference to an entity, when it is any text an id may be (`id_problem`:
    FtM's `EntityType` takes only letters, digits, '.' and '-', so a reference to a mapping's
    `id_column` id "AP/FGR 123", which `ftm map` writes, would not load: review R31 F1); else
    None. Its length is the callers' to check (`MAX_ID_LENGTH`, said as such)."""
    return value if value != "" and id_problem(value) is None else None
