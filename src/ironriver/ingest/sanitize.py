"""FtM's `sanitize_text` of a loaded source's columns, vectorised with Arrow, and the
columns a source holds beside its own.

`sanitize_array` is what FtM's CSV reader hands a mapping (NFC, unsafe characters removed,
stripped, empty → NULL) for a whole column; `sanitize_arrays` adds the column's text read as
a name (`sanitize_name`: a control character inside a name is a space, not removed), and
`name_differences` keeps of that only what differs. The side columns are named from the
source column's name (`sanitized_name`, `name_text_name`, `json_kind_name`).

Invariants: every value comes out as FtM's `sanitize_text` makes it: printable-ASCII values
(which it only strips) are trimmed in Arrow, and every other distinct value is given to FtM
once; a column that needs neither is returned as it is (no copy); no Python object is made
per row, and no pyarrow call that imports pandas (the scalars are built from buffers).
`Cleaner.sanitize_columns` (`clean.py`) applies the same rule in SQL to any other table.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from followthemoney.util import sanitize_text

# The control characters FtM's `sanitize_text` removes from every value (normality's
# `remove_unsafe_chars`: C0 but tab, line feed and carriage return, DEL, C1), which joins the
# words either side ("Eva\x01Cuatro" -> "EvaCuatro"). In a name they are word breaks
# (`sanitize_name`); as RE2 spells them (Arrow) and as Python's re does.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_RE2_CONTROLS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{7f}-\x{9f}]"


def sanitize_name(value: str) -> str | None:
    """FtM's `sanitize_text` of a value read as a name, each control character it would
    remove (`_CONTROLS`) a space first: "Eva\\x01Cuatro" is "Eva Cuatro" (whose words a search
    finds), not "EvaCuatro". The name type's cleaning then squashes the spaces, as it does a
    tab or a line break, which `sanitize_text` keeps. rigour's name tokenizer (what FtM's
    name matching reads) splits words at every control character the same way; invisible
    format characters (zero-width space, soft hyphen...) are removed, as both remove them."""
    return sanitize_text(_CONTROLS.sub(" ", value))


SANITIZED_PREFIX = "__sanitized__:"  # column holding a source column's sanitized text


def sanitized_name(column: str) -> str:
    """The name of the column holding `column`'s sanitized text, when the source has it."""
    return SANITIZED_PREFIX + column


JSON_KIND_PREFIX = "__json__:"  # column saying which records hold a JSON list or object
LIST_SEP = "\x1f"
"""Between the values of a JSON Lines list in its sanitized column: FtM's `sanitize_text`
removes control characters, so no sanitized value holds it."""


NAME_TEXT_PREFIX = "__name_text__:"  # column holding a source column's text read as a name


def name_text_name(column: str) -> str:
    """The name of the column holding, for a source column read as a name, `sanitize_name`
    of each value where that is not its sanitized text (a control character in it; "" for
    no value there), NULL elsewhere (`name_differences`)."""
    return NAME_TEXT_PREFIX + column


def json_kind_name(column: str) -> str:
    """The name of the column saying, per record, whether a JSON Lines file's `column` holds
    a list of values ('list', its sanitized column then holds them sanitized, joined by
    `LIST_SEP`) or an object or a list holding objects or lists ('nested', no value); NULL
    for a plain value. Present only for a column that holds either in some record."""
    return JSON_KIND_PREFIX + column


# Scalars for the kernels, built from buffers: converting Python values (`pa.scalar("")`, or
# a bare "" passed to a kernel) makes pyarrow import pandas on first use, 0.2 s.
_EMPTY = pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(bytes(8)), pa.py_buffer(b"")])[0]
_NULL = pa.nulls(1, pa.string())[0]


# a CSV value written after the delimiter and a space, quoted: `a, "b, c"` (Python's csv
# module as FtM reads CSV, `skipinitialspace`, reads it as `b, c`; Arrow keeps the quotes)
_SPACED_QUOTED = r'^ +"(?:[^"]|"")*"$'


def _unquoted(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """`values` with each `_SPACED_QUOTED` one read as its quoted text (`""` a quote)."""
    spaced = pc.match_substring_regex(values, _SPACED_QUOTED)
    if not pc.any(spaced).as_py():
        return values
    inner = pc.replace_substring_regex(values, r'^ +"(.*)"$', r"\1")
    return pc.if_else(spaced, pc.replace_substring(inner, '""', '"'), values)


def universal_newlines(text: str) -> str:
    """A CSV value's line breaks as `ftm map` reads them (Python's universal newlines, a file
    opened without `newline=""`): CR LF and a lone CR inside a quoted value are LF (review
    R29 F2: kept, a key holding one gave another id than FtM's)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def sanitize_array(
    values: pa.Array | pa.ChunkedArray, unquote: bool = False
) -> pa.Array | pa.ChunkedArray:
    """FtM's `sanitize_text` of every value, vectorised with Arrow (the same rule as
    `Cleaner.sanitize_columns`): printable-ASCII values are stripped of spaces, empty → NULL;
    every other distinct value is sanitized once by FtM. A column that needs neither is
    returned as it is (no copy)."""
    return sanitize_arrays(values, unquote, names=False)[0]


def sanitize_arrays(
    values: pa.Array | pa.ChunkedArray, unquote: bool = False, *, names: bool = True
) -> tuple[pa.Array | pa.ChunkedArray, pa.Array | pa.ChunkedArray | None]:
    """`sanitize_array` of `values`, and with `names` their text read as names
    (`sanitize_name` of each), or None when that is the same (no value holds a control
    character `sanitize_text` removes: the distinct values that are not printable ASCII,
    which `sanitize_array` reads in Python anyway, are searched for one in Arrow)."""
    lead = pc.starts_with(values, " ")
    if unquote and pc.any(lead).as_py():  # `unquote`: CSV text (see `_SPACED_QUOTED`)
        values = _unquoted(values)
        lead = pc.starts_with(values, " ")
    padded = pc.or_(lead, pc.ends_with(values, " "))
    fast = pc.utf8_trim(values, " ") if pc.any(padded).as_py() else values
    empty = pc.equal(fast, _EMPTY)
    if pc.any(empty).as_py():
        fast = pc.if_else(empty, _NULL, fast)
    if _all_printable_ascii(values):  # (most columns: no value for FtM to read)
        return fast, None
    printable = pc.ascii_is_printable(values)
    special = pc.unique(pc.filter(values, pc.invert(printable)))
    if not len(special):
        return fast, None
    texts = special.to_pylist()
    read = [universal_newlines(v) for v in texts] if unquote else texts
    clean = pa.array([sanitize_text(v) for v in read], pa.string())
    where = pc.index_in(values, value_set=special)
    slow = pc.take(clean, where)
    sanitized = pc.if_else(printable, fast, slow)
    if not names or not pc.any(pc.match_substring_regex(special, _RE2_CONTROLS)).as_py():
        return sanitized, None
    named = pa.array([sanitize_name(v) for v in read], pa.string())
    return sanitized, pc.if_else(printable, fast, pc.take(named, where))


def _all_printable_ascii(values: pa.Array | pa.ChunkedArray) -> bool:
    """Whether every value of `values` is printable ASCII (bytes 0x20-0x7E), as
    `pc.ascii_is_printable` says of each: read from each chunk's text at once, a vectorised
    scan of its bytes (a fifth of the CPU of the kernel, which walks value by value). False
    when unsure (a chunk of another type; a byte that is not, maybe under a NULL): the
    caller then asks the kernel."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    for chunk in chunks:
        if not len(chunk):
            continue
        if not pa.types.is_string(chunk.type):
            return False
        _, offsets_buffer, data_buffer = chunk.buffers()
        if data_buffer is None or not data_buffer.size:
            continue  # (every value empty or NULL: printable, or none)
        offsets = np.frombuffer(
            offsets_buffer, np.int32, count=len(chunk) + 1, offset=chunk.offset * 4
        )
        text = np.frombuffer(data_buffer, np.uint8)[offsets[0] : offsets[-1]]
        # (bytes below 0x20 wrap around past 0x5E)
        if not np.all(text - np.uint8(0x20) < 0x5F):
            return False
    return True


def name_differences(
    sanitized: pa.Array | pa.ChunkedArray, named: pa.Array | pa.ChunkedArray
) -> pa.Array | pa.ChunkedArray:
    """The column `name_text_name` names: each of `named` (a column's text read as names)
    that is not its `sanitized` text ("" where that is no value), NULL where it is the
    same, so that `nullif(coalesce(named, sanitized), '')` is the text read as a name."""
    same = pc.fill_null(
        pc.equal(named, sanitized), pc.and_(pc.is_null(named), pc.is_null(sanitized))
    )
    return pc.if_else(same, _NULL, pc.fill_null(named, _EMPTY))
