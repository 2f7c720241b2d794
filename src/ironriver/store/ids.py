"""Stable ids and the normalised search keys, shared by every writer.

Statement ids follow FollowTheMoney (`Statement.make_key`): the SHA-1 of
`"{dataset}.{entity_id}.{prop}.{value}"`, so the same fact from the same dataset always has
the same id. Search keys are computed identically in Python (queries) and in Arrow (bulk
writes): NFKC (ligatures, full-width and other compatibility forms: "ﬁ" -> "fi", "１２３" ->
"123"), the letters that neither form decomposes spelled in Latin letters (`FOLDS`: "ß" ->
"ss", "Ł" -> "L", "Æ" -> "AE"...), NFD-decompose, drop combining marks, lower-case, collapse
whitespace; identifiers and phones additionally drop everything but letters and digits and
are upper-cased. A search also looks up a phone typed without its international prefix by
the keys of its E.164 forms in a few countries (`phone_keys`).

Python's `unicodedata` (the reference: every query uses it) and Arrow's utf8proc and RE2 know
different Unicode versions: a code point Python has unassigned may be a letter, a mark or a
cased letter to Arrow (U+209D is a "w" there). A value holding one is keyed in Python
(`_unassigned_pattern`); of the code points Python assigns, Arrow decomposes, drops marks and
lower-cases each as Python does (`tests/store/test_ids.py` checks every one).
"""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata
from collections.abc import Iterable
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from followthemoney.exc import InvalidData
from followthemoney.types import registry
from followthemoney.util import ENTITY_ID_LEN

# The longest entity id (and reference) a store takes: FtM's own bound for entity ids
# (`ENTITY_ID_LEN`, its entity type's `max_length`), below the columns' 255 characters, so
# an ingest refuses a longer one on every backend alike (PostgreSQL's VARCHAR(255) would
# raise, SQLite would keep it).
MAX_ID_LENGTH: int = ENTITY_ID_LEN

# The longest lookup key (a name's word, an identifier's key) a store keys, in UTF-8 bytes.
# PostgreSQL cannot index a B-tree row of more than 2704 bytes (`statement_keys`' primary
# key holds the key, an entity id of up to `MAX_ID_LENGTH` characters and a statement id):
# an ingest of a longer key failed there (a free-text column mapped as an identifier) while
# SQLite took it. A longer key is not keyed on any backend, so the statement is stored and
# shown alike everywhere, and no search finds it by that word or identifier (none is so long).
MAX_KEY_BYTES: int = 1024

NAME_TYPES = frozenset({"name"})
IDENTIFIER_TYPES = frozenset({"identifier", "phone", "iban", "email", "checksum"})
SEARCH_TYPES = NAME_TYPES | IDENTIFIER_TYPES

# Whitespace as Python's str.isspace() knows it, spelled out so that Python (queries) and RE2
# (Arrow, bulk writes) collapse exactly the same characters (and what `str.strip()` removes).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_SPACES = re.compile(f"[{re.escape(WHITESPACE)}]+")
_RE2_SPACES = (
    r"[\t\n\x0b\x0c\r\x{1c}-\x{1f} \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}"
    r"\x{202f}\x{205f}\x{3000}]+"
)
IDENTIFIER_DROPPED = r"[^0-9A-Za-z?]"
"""What `identifier_key` removes (then it upper-cases): of ASCII text, which no Unicode step
changes, the key is exactly `upper(regexp_replace(text, IDENTIFIER_DROPPED, ''))`, which a
SQL engine computes without Python (`ironriver.policy.ledger_filter`)."""
_NON_ALNUM = re.compile(IDENTIFIER_DROPPED)
# Letters no Unicode normal form turns into Latin ones, as a reader types them: "strasse"
# finds "Straße", "lodz" finds "Łódź", "aero" finds "Ærø", "isik" finds "Işık".
FOLDS = {
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
_FOLD_TABLE = str.maketrans(FOLDS)
_RE2_FOLDS = "[" + "".join(FOLDS) + "]"


def statement_id(dataset: str, entity_id: str, prop: str, value: str) -> str:
    key = f"{dataset}.{entity_id}.{prop}.{value}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


def name_key(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_FOLD_TABLE)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    # character by character, like Arrow's utf8_lower (no final-sigma context rule)
    lowered = "".join(c.lower() for c in stripped)
    return _SPACES.sub(" ", lowered).strip(" ")


def identifier_key(text: str) -> str:
    return _NON_ALNUM.sub("", name_key(text)).upper()


# What a phone number is typed with: digits, a leading plus and the usual separators; no
# letters (phonenumbers reads letters as a keypad's, so the serial "ABC 667 157 3741" would be
# a Mexican number)
_PHONE_TEXT = re.compile(r"\+?[0-9 ().\-/]*[0-9][0-9 ().\-/]*")
# Mexico's dialling prefixes dropped in August 2019 (ten-digit dialling), which phonenumbers
# no longer reads yet analysts still type: 044/045 before a mobile, 01 before a long-distance
# number (national), and the 1 between +52 and a mobile (international).
_MX_OLD_NATIONAL = re.compile(r"(?:044|045|01)([0-9]{10})")
_MX_OLD_MOBILE = re.compile(r"\+521([0-9]{10})")


def reads_as_phone(text: str) -> bool:
    """Whether `text` is written as a phone number: digits, perhaps a leading plus, spaces
    and the usual separators, no letters."""
    return bool(_PHONE_TEXT.fullmatch(unicodedata.normalize("NFKC", text).strip()))


def clean_phone(text: str, country: str | None = None) -> str | None:
    """`text` as a phone number in E.164 form, dialled in `country` (an ISO code, a phone
    property's `format`) when it lacks its international prefix: FtM's phone type's
    `clean_text` ("667 157 3741" in MX: +526671573741), or, where FtM reads no number, the
    number Mexico's old prefixes dialled (`_MX_OLD_NATIONAL` in a country that dials +52,
    `_MX_OLD_MOBILE` whatever the country): "044 667 157 3741" and "+52 1 667 157 3741" are
    +526671573741, which phonenumbers no longer reads. Only text written as a number
    (`reads_as_phone`) is read so. The one rule both an ingest (storing a number) and a
    search (looking one up, `phone_keys`) use; a value FtM cleans is cleaned as FtM does,
    so its statement id is `ftm map`'s. Raises FtM's `InvalidData` for a country without a
    dialling plan (EU, ZZ), as FtM does."""
    e164: str | None = registry.phone.clean_text(text, format=country)
    if e164 is not None or not reads_as_phone(text):
        return e164
    written = unicodedata.normalize("NFKC", text).strip()
    digits = "".join(c for c in written if c.isdigit())
    if written.startswith("+"):
        if old := _MX_OLD_MOBILE.fullmatch("+" + digits):
            e164 = registry.phone.clean_text("+52" + old[1])
        return e164
    if country is not None and (old := _MX_OLD_NATIONAL.fullmatch(digits)):
        # (dialled in Mexico only: "01 55 1234 5678" in the US is no +1 551 234 5678)
        e164 = registry.phone.clean_text(old[1], format=country)
        if e164 is not None and e164.startswith("+52"):
            return e164
    return None


def phone_keys(text: str, countries: Iterable[str]) -> list[str]:
    """The identifier keys of `text` read as a phone number: the keys of the E.164 forms
    an ingest stores it as (`clean_phone`), with each of `countries` (ISO codes, in order)
    as the country it is dialled in when it lacks its prefix ("667 157 3741" in MX:
    +526671573741); one key for a number with its prefix, whatever the countries; a key
    once. Only text written as a number (no letters) that is a valid number gives a key:
    "12345" gives none. Mexico's old prefixes (044, 045 and 01 read in MX; the 1 after
    +52) are read as the numbers they dialled."""
    if not reads_as_phone(text):
        return []
    text = unicodedata.normalize("NFKC", text).strip()
    if text.startswith("+"):
        e164 = clean_phone(text)
        return [] if e164 is None else [identifier_key(e164)]
    keys: list[str] = []
    for country in countries:
        try:
            e164 = clean_phone(text, country)
        except InvalidData:  # a country without a dialling plan (EU, ZZ)
            continue
        if e164 is not None and (key := identifier_key(e164)) not in keys:
            keys.append(key)
    return keys


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
    sub = raw = pc.filter(values, wanted)
    sub_is_name = pc.filter(is_name, wanted)
    wide = pc.invert(pc.string_is_ascii(sub))
    in_python = _unassigned_rows(sub, wide)  # the values keyed in Python
    if pc.any(wide).as_py():  # (`name_key`: NFKC and `FOLDS` for values outside ASCII)
        odd = pc.utf8_normalize(pc.filter(sub, wide), form="NFKC")
        if pc.any(pc.match_substring_regex(odd, _RE2_FOLDS)).as_py():
            for letter, latin in FOLDS.items():
                odd = pc.replace_substring(odd, letter, latin)
        sub = pc.replace_with_mask(sub, wide, odd)
    folded = pc.utf8_normalize(sub, form="NFD")
    folded = pc.replace_substring_regex(folded, pattern=r"\p{Mn}", replacement="")
    folded = pc.utf8_lower(folded)
    names = pc.utf8_trim(
        pc.replace_substring_regex(folded, pattern=_RE2_SPACES, replacement=" "), characters=" "
    )
    # only ASCII is left to upper-case (utf8proc's upper case of other letters is not Python's)
    idents = pc.ascii_upper(
        pc.replace_substring_regex(folded, pattern=r"[^0-9a-z?]", replacement="")
    )
    keys = pc.if_else(sub_is_name, names, idents)
    if in_python is not None:
        keys = pc.replace_with_mask(keys, in_python, _python_keys(raw, sub_is_name, in_python))
    return pc.replace_with_mask(result, wanted, keys)


def _python_keys(values: pa.Array, is_name: pa.Array, rows: pa.Array) -> pa.Array:
    """`name_key` or `identifier_key` of the `rows` (a mask) of `values`, computed in Python."""
    texts = pc.filter(values, rows).to_pylist()
    names = pc.filter(is_name, rows).to_pylist()
    return pa.array(
        [name_key(t) if n else identifier_key(t) for t, n in zip(texts, names, strict=True)],
        pa.string(),
    )


def _unassigned_rows(values: pa.Array, wide: pa.Array | None = None) -> pa.Array | None:
    """Which `values` hold a code point Python's Unicode leaves unassigned (a mask without
    nulls), or None when none does; `wide` is `values` outside ASCII, if known. Text in ASCII
    is not scanned, and the class is not built for it."""
    if wide is None:
        wide = pc.invert(pc.string_is_ascii(values))
    if not pc.any(wide).as_py():
        return None
    unassigned = pc.match_substring_regex(pc.filter(values, wide), _unassigned_pattern())
    if not pc.any(unassigned).as_py():
        return None
    no_rows = pa.repeat(pa.scalar(False), len(values))
    return pc.fill_null(pc.replace_with_mask(no_rows, wide, unassigned), False)


@cache
def _unassigned_pattern() -> str:
    """An RE2 class of the code points Python's `unicodedata` has unassigned (category Cn),
    which Arrow's newer Unicode may know: a value holding one is keyed in Python. Built on
    first use, not at import: a scan of planes 0-3 and 14-16 (~0.1 s), planes 4-13 taken
    whole (no Unicode version has assigned a code point there; one that did would only send
    more values to Python, whose keys are the reference)."""
    spans = [_UNASSIGNED_PLANES]
    for first, last in ((0, 0x3FFFF), (0xE0000, sys.maxunicode)):
        categories = "".join(map(unicodedata.category, map(chr, range(first, last + 1))))
        # each category is two characters, an upper-case then a lower-case one: a match of
        # "Cn"s starts and ends on a code point's boundary
        spans += (
            (first + m.start() // 2, first + m.end() // 2 - 1)
            for m in re.finditer("(?:Cn)+", categories)
        )
    return "[" + "".join(rf"\x{{{a:x}}}-\x{{{b:x}}}" for a, b in sorted(spans)) + "]"


_UNASSIGNED_PLANES = (0x40000, 0xDFFFF)
"""Planes 4-13, unassigned in every Unicode version so far (`_unassigned_pattern`)."""


def identifier_keys_arrow(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Vectorised `identifier_key` over text (nulls stay null)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return search_keys_arrow(pa.repeat(pa.scalar("identifier"), len(values)), values)


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


# What splits a name's words besides spaces: any character but a letter or a digit (a
# hyphen, an apostrophe, a dot), as Python's re and RE2 (Arrow) each spell it
_WORD_BREAK = re.compile(r"[\W_]+")
_RE2_WORD_BREAK = r"[^\pL\pN]+"
# a space-separated part holding one word between breaks ("garcia.", "-ana")
_RE2_ONE_PART = r"^[^\pL\pN]*[\pL\pN]+[^\pL\pN]*$"


def name_parts(key: str) -> list[list[str]]:
    """The space-separated parts of a name's search key, each split at hyphens, apostrophes
    and other non-letters into its words ("maria perez-lopez" -> [maria], [perez, lopez]);
    a part with no word ("-") is left out."""
    chunks = (_WORD_BREAK.split(chunk) for chunk in key.split(" "))
    return [words for words in ([p for p in chunk if p] for chunk in chunks) if words]


def name_words(key: str) -> list[str]:
    """The words of a name's search key, sorted, each as often as the name holds it ("garcia
    garcia lopez" -> garcia, garcia, lopez): its space-separated parts, each split again at
    hyphens, apostrophes and other non-letters (`name_parts`), and such a compound also
    whole without them ("perez-lopez" -> lopez, perez, perezlopez; "o'brien" -> brien, o,
    obrien). The lookup rows hold them all; a search reads a compound's joined form as
    another spelling of its words, not as one more word (`policy.name_match._has_words`)."""
    words: list[str] = []
    for parts in name_parts(key):
        words += parts
        if len(parts) > 1:
            words.append("".join(parts))
    return sorted(words)


# What keys the k-th time a word comes in one name (k - 1 of them after the word: "garcia",
# "garcia\x01"), so that `statement_keys` holds a row per occurrence of a word and a search
# can ask for a word twice ("garcia garcia"). No word holds it (a control character breaks
# words), and it sorts before every other character a key holds, so a repeat lies in every
# prefix range that holds its word, and the repeats of a word `w` are the keys from `w` up
# to `w + REPEATS_END`.
REPEAT_MARK = "\x01"
REPEATS_END = "\x02"


def lookup_words(key: str) -> list[str]:
    """The `statement_keys` keys of a name whose search key is `key`, sorted: each of its
    words (`name_words`), a repeat followed by one `REPEAT_MARK` more than the one before
    ("garcia garcia" -> garcia, garcia\x01)."""
    keys: list[str] = []
    words = name_words(key)
    repeat = 0
    for i, word in enumerate(words):
        repeat = repeat + 1 if i and words[i - 1] == word else 0
        keys.append(word + REPEAT_MARK * repeat)
    return keys


def query_words(text: str) -> list[str]:
    """The words a name search looks for in `text`, sorted: split as names are
    (`name_words`), without the joined forms ("perez-lopez" looks for perez and lopez); a
    word typed twice is looked for twice ("garcia garcia": a name holding it twice), as a
    name's lookup rows hold each time a word comes (`lookup_words`).

    Invisible format characters (Unicode category Cf: zero-width space and joiners, soft
    hyphen, byte-order mark, word joiner...) are dropped first, so a name pasted with one
    inside a word ("Jo\u200bsé") is not read as two words. A stored name holds none when it
    came through an ingest (FtM's `sanitize_text` drops them), and one written otherwise is
    keyed with the character as a word break, so its joined form is a word too: either way
    the word without it is found. (`name_key` itself keeps them: it computes the stored
    keys too, and changing it would change the keys of existing stores.)"""
    if not text.isascii():
        text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return sorted(p for p in _WORD_BREAK.split(name_key(text)) if p)


# The lookup rows as staged, before a write adds each its statement's `label_id`
# (`Writer._add_lookups`, `Writer._copy_staged`)
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
    search_key: each word of a name as `lookup_words` keys it (kind 2, ranked by the name's
    length) and each whole identifier key (kind 3, rank 0); none longer than `MAX_KEY_BYTES`."""
    kind = table.column("kind")
    keys = table.column("search_key")
    names = table.filter(pc.and_(pc.equal(kind, KIND_NAME), pc.is_valid(keys)))
    parents, flat = _repeats_marked(*_words_arrow(names.column("search_key").combine_chunks()))
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
    key = rows.column("key")
    keep = pc.not_equal(key, "")
    sizes = pc.binary_length(key)  # (read from the offsets: the rare long key costs no scan)
    if (pc.max(sizes).as_py() or 0) > MAX_KEY_BYTES:
        keep = pc.and_(keep, pc.less_equal(sizes, MAX_KEY_BYTES))
    return rows.filter(keep)


def _words_arrow(keys: pa.Array) -> tuple[pa.Array, pa.Array]:
    """`name_words` of each of `keys`, flattened: (index of the key, word), a word as often
    as its key holds it, in no particular order. A key holding a code point Python's Unicode
    leaves unassigned is split in Python: RE2's newer tables read many of them as letters,
    where Python's `\\W` breaks a word ("a\\U0001123fb" is one word to RE2)."""
    in_python = _unassigned_rows(keys)
    if in_python is None:
        return _words_vectorised(keys)
    rest = pc.indices_nonzero(pc.invert(in_python))
    parents, words = _words_vectorised(pc.take(keys, rest))
    parents = pc.take(rest, parents).cast(parents.type)
    slow_parents: list[int] = []
    slow_words: list[str] = []
    for at in pc.indices_nonzero(in_python).to_pylist():
        for word in name_words(keys[at].as_py()):
            slow_parents.append(at)
            slow_words.append(word)
    return (
        pa.concat_arrays([parents, pa.array(slow_parents, parents.type)]),
        pa.concat_arrays([words, pa.array(slow_words, words.type)]),
    )


def _words_vectorised(keys: pa.Array) -> tuple[pa.Array, pa.Array]:
    """`_words_arrow` of keys RE2 splits as Python does."""
    chunks = pc.split_pattern(keys, " ")
    parents = pc.list_parent_indices(chunks)
    flat = pc.list_flatten(chunks)
    broken = pc.match_substring_regex(flat, _RE2_WORD_BREAK)
    if not pc.any(broken).as_py():  # most names: words between spaces only
        keep = pc.not_equal(flat, "")
        return pc.filter(parents, keep), pc.filter(flat, keep)
    whole = pc.invert(broken)
    inner = pc.filter(flat, broken)
    inner_parents = pc.filter(parents, broken)
    parts = pc.split_pattern_regex(inner, _RE2_WORD_BREAK)
    part_parents = pc.take(inner_parents, pc.list_parent_indices(parts))
    # joined, but for a part alone between breaks ("garcia."): its joined form is itself
    compound = pc.invert(pc.match_substring_regex(inner, _RE2_ONE_PART))
    joined = pc.replace_substring_regex(pc.filter(inner, compound), _RE2_WORD_BREAK, "")
    all_parents = pa.concat_arrays(
        [
            pc.filter(parents, whole),
            part_parents.cast(parents.type),
            pc.filter(inner_parents, compound),
        ]
    )
    words = pa.concat_arrays([pc.filter(flat, whole), pc.list_flatten(parts), joined])
    keep = pc.not_equal(words, "")
    return pc.filter(all_parents, keep), pc.filter(words, keep)


def _repeats_marked(parents: pa.Array, words: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The words of each key (`_words_arrow`) as `lookup_words` keys them: the k-th time a
    word comes in one key followed by k - 1 `REPEAT_MARK`, sorted by (key, word), where a
    word's repeats are a run (most batches of names repeat none: then sorted only)."""
    if len(words) < 2:
        return parents, words
    pairs = pa.table({"parent": parents, "word": words})
    pairs = pairs.take(pc.sort_indices(pairs, [("parent", "ascending"), ("word", "ascending")]))
    parents, words = pairs.column("parent"), pairs.column("word")
    same = pc.and_(
        pc.equal(parents[1:], parents[:-1]), pc.equal(words[1:], words[:-1])
    ).combine_chunks()
    if not pc.any(same).as_py():
        return parents.combine_chunks(), words.combine_chunks()
    at = pa.array(np.arange(len(words), dtype=np.int64))
    starts = pa.concat_arrays([pa.array([True]), pc.invert(same)])  # where a run starts
    run_start = pc.cumulative_max(pc.if_else(starts, at, 0))
    marks = pc.binary_repeat(REPEAT_MARK, pc.subtract(at, run_start))
    marked = pc.binary_join_element_wise(words.combine_chunks(), marks, "")
    return parents.combine_chunks(), marked


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
