"""Search through a `View`: entities by the words of their names (`View.search`), by an
identifier (`View.by_identifier`), or both, as one search box (`View.find`).

`SearchMixin` holds these methods and `View` inherits them, so a search sees exactly what its
view sees: candidates come from the `statement_keys` lookup rows (a name's words, an
identifier's key), each is checked on its statement (visible, and of a property searched),
and hits are assembled as `View.entity` assembles an entity (a sensitive one needs a
reason). Names are ranked shortest first and read one name length at a time, so a search's
cost follows its hits, not the number of names sharing a prefix.

A query word also matches, whole, the abbreviations of a given name ("maria": "Ma.") and,
after the names holding every word as typed, its hypocoristics or the given names a
hypocoristic stands for ("jose": "Pepe"; "pepe": "José"; `ironriver.policy.nicknames`),
each such hit saying so (`SearchHit.read_as`). Both are read in the query, not keyed: the
stored keys are as they were, so no store is migrated.

The name search's passes over the lookup rows are `NameSearchMixin`'s
(`ironriver.policy.name_search`), and the word matching they check each name with is
`ironriver.policy.name_match`'s; this module holds the entry points and the identifier search.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    FromClause,
    Select,
    Subquery,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)

from ironriver.policy.alias_query import alias_parts
from ironriver.policy.name_match import as_typed, search_words, typed_words
from ironriver.policy.name_search import NameSearchMixin, _Found
from ironriver.policy.schemata import known_schema
from ironriver.store.dialect import bytewise
from ironriver.store.ids import (
    KIND_IDENTIFIER,
    identifier_key,
    phone_keys,
    reads_as_phone,
)
from ironriver.store.tables import props, statement_keys, statements

if TYPE_CHECKING:
    from followthemoney.schema import Schema

    from ironriver.policy.markings import Principal


@dataclass(frozen=True)
class SearchHit:
    entity_id: str
    schema: str
    caption: str
    matched: str
    # a name search's word the matched name lacks (a search of `PARTIAL_FROM_WORDS` words
    # or more also finds those), or the particles it lacks, space-separated
    # (`name_match.partial_passes`); "" when it holds every word, and for identifier hits
    missing: str = ""
    # the query words the matched name holds only as a nickname's reading (a given name for
    # its hypocoristic, or a hypocoristic for its given name: `ironriver.policy.nicknames`),
    # each with the name's word it matched: (("jose", "pepe"),) for "jose garcia" finding
    # "PEPE GARCIA"; () for a name holding every word as typed, and for identifier hits
    read_as: tuple[tuple[str, str], ...] = ()
    # the datasets of the entity's statements the view sees, in name order (two hits that
    # look alike, one record from two agencies, are told apart by them): of all of them,
    # those an entity of conflicting schemata leaves out of its FtM entity too
    # (`View.schema_conflicts`); taken from the statements the search assembled the hit
    # from, so showing them reads nothing more
    datasets: tuple[str, ...] = ()
    # `missing` as the reader typed it, accents and case kept ("Peña" for "pena"; "de la" for
    # particles lacked): what the CLI shows, where the search key would read as another word
    # ("sin pena", without a sentence)
    missing_typed: str = ""
    # an identifier hit found by the RFC base typed (`RFC_BASE`: "NUPA850312" for the RFC
    # "NUPA850312AB1", or the CURP "NUPA850312HDFRRR09"), not by an identifier equal to it
    rfc_base: bool = False
    # a name hit found by reading surname particles joined or apart, as records write them
    # (`name_match.particle_readings`): the words typed so read, as typed, and the name's
    # words they were read as, as written: ("Delangel", "DEL ÁNGEL") for "Juan Delangel"
    # finding "JUAN DEL ÁNGEL RAMÍREZ", ("del Angel", "DELANGEL") the other way; () for none
    joined: tuple[str, str] | tuple[()] = ()


# How many hits a search counts at most beyond those it shows (`View.find_page`): counting
# assembles each hit's entity, so a one-word search matching thousands of names stops there
# and says "more than" its limit and this many.
SEARCH_COUNT_TO = 1000


@dataclass(frozen=True)
class SearchPage:
    """The hits a search shows (`hits`, at most its limit) and how many it found: `found`
    is what the same search with a limit of `found` would show (at least `len(hits)`);
    `counted_all` is False when counting stopped `SEARCH_COUNT_TO` past the limit and more
    match."""

    hits: list[SearchHit]
    found: int
    counted_all: bool

    @property
    def more(self) -> int:
        """Hits found beyond those shown (at least this many when not `counted_all`)."""
        return self.found - len(self.hits)


def _page(hits: list[SearchHit], every: list[SearchHit], limit: int, cap: int) -> SearchPage:
    """The page of a search showing `hits` (at most `limit`) whose search with a limit of
    `cap` + 1 found `every` (`View.find_page`)."""
    if len(hits) < limit:  # (it found them all)
        return SearchPage(hits, len(hits), True)
    return SearchPage(hits, max(len(hits), min(len(every), cap)), len(every) <= cap)


# An RFC without its homoclave, as an identifier key: a person's 4 letters + 6 digits (their
# RFC is 13 characters, their CURP's first 10 are the same), a company's 3 letters + 6 digits
# (its RFC is 12). The stored keys it finds: the base and a 3-character homoclave, or for a
# person's base an 18-character CURP.
RFC_BASE = re.compile(r"[A-Z]{3,4}[0-9]{6}")
HOMOCLAVE, CURP_LENGTH = 3, 18


def statement_of(lookup: FromClause) -> ColumnElement[bool]:
    """The join of a lookup row (a `statement_keys`/`statement_refs` row, or a subquery of
    their `entity_id`, `label_id`, `id`) to its statement, where visibility is decided (a
    search's lookups, and the view's of references): by the statement's whole key, the
    lookup row's label being its statement's (migration 0013), so no statement of the
    entity under another label is visited (0016)."""
    return and_(
        statements.c.entity_id == lookup.c.entity_id,
        statements.c.label_id == lookup.c.label_id,
        statements.c.id == lookup.c.id,
    )


class SearchMixin(NameSearchMixin):
    """The searches of `View`, which inherits them (see the module doc; the name search's
    passes are `NameSearchMixin`'s)."""

    if TYPE_CHECKING:  # the view's own, which a search reads through (and `NameSearchMixin`'s)
        principal: Principal

        def _owner_countries(self) -> frozenset[str]: ...
        def _current_props(self, conn: Connection) -> None: ...
        def _dataset_name(self, dataset_id: int) -> str: ...
        def _entity_rows(self, conn: Connection, entity_id: str) -> Sequence[Sequence[Any]]: ...
        def _justify(
            self,
            label_ids: Iterable[int],
            entity_id: str | None,
            attempt: dict[str, Any] | None = None,
        ) -> None: ...
        def _log(
            self, action: str, target: str, detail: dict[str, Any] | None = None
        ) -> int | None: ...

    def find(
        self,
        text: str,
        schema: str | None = None,
        limit: int = 20,
        identifiers_only: bool = False,
    ) -> list[SearchHit]:
        """One search box, as an analyst types into it: entities with an identifier equal to
        `text` first (`by_identifier`), then those whose names match it (`search`), each
        entity once, at most `limit`. A text of more than `MAX_QUERY_WORDS` words is refused
        (`ConfigError`) unless `identifiers_only`. Audited as one `search` event (its detail:
        the hits shown and how many of them an identifier found), or with
        `identifiers_only` as `by_identifier` is (`search-identifier`)."""
        if identifiers_only:
            return self.by_identifier(text, limit, schema)
        search_words(text)  # (refused before anything is read or logged)
        found, by_identifier = self._unaudited_find(text, known_schema(schema), limit)
        detail = {"schema": schema, "hits": len(found), "identifier_hits": by_identifier}
        self._log("search", text, detail)
        return found

    def find_page(
        self,
        text: str,
        schema: str | None = None,
        limit: int = 20,
        identifiers_only: bool = False,
        count_to: int = SEARCH_COUNT_TO,
    ) -> SearchPage:
        """`find`, and how many hits the search has in all: its hits are those of the same
        search with a limit of `limit` + `count_to` + 1, whose first `limit` are shown,
        justified and audited as `find`'s are (the same reasons asked, refusals, and one
        event with `find`'s detail) and the rest only counted: neither justified nor
        audited, and computed from the view like every hit, so the count says nothing of
        statements the view hides. `found` is what `--limit found` would show (a search of
        three words or more adds names lacking a word only below its limit, so it may count
        such names the first `limit` did not reach).

        One search, as a search's first `limit` hits do not depend on its limit
        (`test_search_page_properties`). (Particle readings and a text read as a name and its
        aliases ranked otherwise with a larger limit, and ran twice, until their hits were
        ranked as each reading ranks its own, `name_search._as_read`, and until the entities
        a name and an alias both find were read from their names,
        `NameSearchMixin._with_aliases`.)"""
        cap = limit + count_to  # (a --limit past count_to still gets a count past it)
        if identifiers_only:
            wanted = known_schema(schema)
            every = self._identifier_hits(text, cap + 1, wanted, shown=limit)
            hits = every[:limit]
            self._log("search-identifier", text, {"schema": schema, "hits": len(hits)})
            return _page(hits, every, limit, cap)
        search_words(text)  # (refused before anything is read or logged, as by `find`)
        wanted = known_schema(schema)
        names = self._name_found(text, wanted, cap + 1)
        every, by_identifier = self._unaudited_find(text, wanted, cap + 1, limit, names)
        hits = every[:limit]
        detail = {"schema": schema, "hits": len(hits), "identifier_hits": by_identifier}
        self._log("search", text, detail)
        return _page(hits, every, limit, cap)

    def _unaudited_find(
        self,
        text: str,
        wanted: Schema | None,
        limit: int,
        shown: int | None = None,
        names: list[_Found] | None = None,
    ) -> tuple[list[SearchHit], int]:
        """`find`'s hits, identifiers first, each entity once, at most `limit`, unaudited,
        and how many of the first `shown` (None: `limit`) an identifier found; of the
        identifier hits and of the name hits (`names`: the name search's, if made already),
        the first `shown` of each are justified as `find` justifies them (identifiers
        first), the rest counted, not shown, need no reason."""
        shown = limit if shown is None else shown
        hits = self._identifier_hits(text, limit, wanted, shown)
        if names is None:
            names = self._name_found(text, wanted, limit)
        seen = {h.entity_id for h in hits}
        named = self._shown_hits(text, names, shown)
        found = (hits + [h for h in named if h.entity_id not in seen])[:limit]
        return found, min(len(hits), shown)

    def search(self, text: str, schema: str | None = None, limit: int = 20) -> list[SearchHit]:
        """Entities with a visible name having a word that starts with each word of `text`
        (accents and case ignored: "jose per" finds "José Pérez López"), a different word
        for each word ("jose josefina" finds "José Josefina Ruiz", not "Josefina Ruiz";
        "garcia garcia" finds "Juan García García", not "Juan García López": the lookup rows
        hold each time a name holds a word; a compound, "García-López", offers its words or
        its joined form, not both: `_has_words`), best (shortest) names first, then among
        names of one length those holding the words in the order typed ("martinez gonzalez":
        "José Martínez González" before "José González Martínez", `name_match._in_order`),
        then by entity id; `matched` is the entity's name that ranked it (its shortest such
        name, one in the order typed first, the least in text order among equals).

        Then, up to `limit`, the names holding the words only when a given name is read as
        its hypocoristic or a hypocoristic as its given names, whole ("jose garcia" finds
        "PEPE GARCIA", "pepe garcia" finds "José García": `ironriver.policy.nicknames`),
        ranked the same way after those, each with the words so read (`read_as`).

        Then, up to `limit`, the names holding the words when a surname's particles are read
        joined or apart, as records write them ("juan delangel" finds "JUAN DEL ÁNGEL
        RAMÍREZ", "juan del angel" finds "JUAN DELANGEL RAMÍREZ":
        `name_match.particle_readings`), each saying how (`joined`).

        A search of `PARTIAL_FROM_WORDS` words or more that finds fewer than `limit` such
        entities then also finds names lacking one of its words, as typed or through
        nicknames, ranked after them by length (`_lacking_one`: as typed first at one
        length), each with the word it lacks (`missing`):
        records drop a maternal surname or a second given name ("Álvaro Reyes" for "Álvaro
        Reyes Mendoza"), and an analyst types the whole name. (Two words lacking one would
        be one word: too broad.)

        A text written as a name and its aliases ("victor ruiz alias el gordito", "(a)",
        "a.k.a.", "aka", the alias quoted: `alias_parts`) searches the name and each alias,
        an entity found by either a hit, those found by both first (`_with_aliases`: among
        each part's first `alias_search._BOTH_FROM` hits, one whose visible names hold the
        other part's words too; with a marker a name may hold, "alias", the whole text's
        hits holding every word before).

        The words of names are keyed by the length of their name (`statement_keys.rank`), so
        candidates are read one name length at a time, shortest first
        (`_name_candidates`), and the search stops as soon as it has `limit` hits: its cost
        follows the hits, not the number of names sharing a prefix. Each candidate is then
        checked on its statement (visible and searchable). More than `MAX_QUERY_WORDS`
        words is a `ConfigError`. Audited (a `search` event)."""
        wanted = known_schema(schema)
        hits = self._name_hits(text, wanted, limit)
        self._log("search", text, {"schema": schema, "hits": len(hits)})
        return hits

    def _name_hits(self, text: str, wanted: Schema | None, limit: int) -> list[SearchHit]:
        """`search`, unaudited (`find` logs its own event)."""
        return self._shown_hits(text, self._name_found(text, wanted, limit), limit)

    def _name_found(self, text: str, wanted: Schema | None, limit: int) -> list[_Found]:
        """The hits of `search`, at most `limit`, assembled, neither justified nor yet hits
        (`_shown_hits`)."""
        parsed = alias_parts(text)
        texts = [text] if parsed is None or parsed.whole else []
        texts += parsed.parts if parsed is not None else []
        searched = [search_words(each) for each in texts]  # (refused before anything is read)
        if not any(searched):
            return []
        with self.store.engine.connect() as conn:
            self._current_props(conn)
            held = self._name_labels(conn)  # (once: each pass over the lengths reads them)
            if parsed is None:
                return self._found(conn, searched[0], typed_words(text), wanted, limit, held)
            each = list(zip(searched, texts, strict=True))
            whole = each.pop(0) if parsed.whole else None
            return self._with_aliases(conn, whole, each, wanted, limit, held)

    def _shown_hits(self, text: str, found: list[_Found], shown: int) -> list[SearchHit]:
        """The hits of a name search for `text` (`found` by `_name_found`), of which the
        first `shown` are shown: those must say why (an AMBER+STRICT name a pass looked at
        and the limit then left out does not refuse the search); the rest, counted, not
        shown (`find_page`), need no reason."""
        typed = as_typed(text)
        hits = []
        for i, (entity_id, rows, entity, matched, missing, read_as, _, joined) in enumerate(found):
            if i < shown:
                self._justify((r[10] for r in rows), None, {"attempt": "search", "text": text})
            hits.append(
                SearchHit(
                    entity_id,
                    entity.schema.name,
                    entity.caption,
                    matched,
                    missing,
                    read_as,
                    self._datasets_of(rows),
                    missing_typed=" ".join(typed.get(w, w) for w in missing.split()),
                    joined=(" ".join(typed.get(w, w) for w in joined[0]), joined[1])
                    if joined
                    else (),
                )
            )
        return hits

    def _datasets_of(self, rows: Iterable[Sequence[Any]]) -> tuple[str, ...]:
        """The names of the datasets of an entity's visible statements (its `ENTITY_ROW` rows), in
        name order (`SearchHit.datasets`): every statement's, so those an entity of
        conflicting schemata leaves out of its FtM entity count too."""
        return tuple(sorted({self._dataset_name(r[4]) for r in rows}))

    def by_identifier(
        self, value: str, limit: int = 20, schema: str | None = None
    ) -> list[SearchHit]:
        """Entities (optionally of `schema`) with a visible identifier (serial, plate,
        phone…) equal to `value`, ignoring case, spaces and punctuation; and, when `value`
        reads as a phone number without its international prefix, with a phone it is in one
        of the view's countries (`_phone_countries`): "667 157 3741" finds +526671573741.
        Hits equal to `value` as typed come first, then those of each country in turn.
        A `value` that is the base of an RFC (`RFC_BASE`: "NUPA850312") also finds, after
        those, the identifiers starting with it that are an RFC's or a CURP's length (one
        index range per label), marked `rfc_base`. Audited (a `search-identifier` event)."""
        wanted = known_schema(schema)  # (an unknown schema is an error even with no key)
        hits = self._identifier_hits(value, limit, wanted)
        self._log("search-identifier", value, {"schema": schema, "hits": len(hits)})
        return hits

    def _identifier_hits(
        self, value: str, limit: int, wanted: Schema | None, shown: int | None = None
    ) -> list[SearchHit]:
        """`by_identifier`, unaudited (`find` logs its own event); of its hits the first
        `shown` (None: all) are shown and must say why, the rest, counted, not shown
        (`find_page`), need no reason."""
        key = identifier_key(value)
        if not key:
            return []
        keys = [key]
        if reads_as_phone(value):  # (else no need to read the countries)
            keys += [p for p in phone_keys(value, self._phone_countries()) if p != key]
        k = statement_keys
        order = case({each: i for i, each in enumerate(keys)}, value=k.c.key, else_=len(keys))
        # one index probe per key and label the view may see (an identifier's rank is 0):
        # rows under other labels are never read
        probe = (k.c.kind == KIND_IDENTIFIER, k.c.label_id.in_(self.label_ids), k.c.rank == 0)
        exact = select(k.c.entity_id, k.c.label_id, k.c.id, order.label("preference")).where(
            *probe, k.c.key.in_(keys)
        )
        matched: Select[Any] | CompoundSelect[Any] = exact
        based = None
        if RFC_BASE.fullmatch(key):
            # an RFC base: the keys starting with it, of an RFC's or a CURP's length, one
            # index range per label (keys are upper-case letters and digits: "a" is past
            # them all, in byte order on both backends)
            based = len(keys)
            lengths = [len(key) + HOMOCLAVE] + ([CURP_LENGTH] if len(key) == 10 else [])
            matched = exact.union_all(
                select(
                    k.c.entity_id, k.c.label_id, k.c.id, literal(based).label("preference")
                ).where(
                    *probe,
                    k.c.key > key,
                    k.c.key < key + "a",
                    func.length(k.c.key).in_(lengths),
                )
            )
        return self._hits(wanted, limit, matched.subquery(), based, shown)

    def _phone_countries(self) -> list[str]:
        """The countries a phone number typed without its prefix is read in: the reader's,
        then those of the owners of the statements the view sees (a binational store's MX
        and US; `View._owner_countries`), in order of their codes. Owners of no statement
        the view shows (facts it may not see, retracted ones) are not asked: which numbers a
        search finds says nothing about them."""
        own = self.principal.country.upper()
        return [own, *sorted(self._owner_countries() - {own})]

    def _hits(
        self,
        wanted: Schema | None,
        limit: int,
        matched: Subquery,
        based: int | None = None,
        shown: int | None = None,
    ) -> list[SearchHit]:
        """Visible entities (of the schema `wanted`, if not None) of the `matched`
        (entity_id, id, preference) statements visible to the view: by preference (the
        least of an entity's), then shortest matched value, then entity id; `matched` is
        the least of its values of that preference. Rows of preference `based` were found
        by an RFC base (`SearchHit.rfc_base`); those of another preference above 0, by a
        key read as a phone. The first `shown` hits (None: all) are justified as each is
        assembled, as `View.entity` justifies one (the rest are counted, not shown)."""
        engine = self.store.engine
        value = bytewise(statements.c.value, engine)
        query = (
            select(
                statements.c.entity_id,
                matched.c.preference,
                func.min(value).label("matched"),
            )
            .select_from(matched.join(statements, statement_of(matched)))
            .where(
                self._visible(),
                # a key read as a phone (another preference above 0) finds phones only: a
                # serial or an account number written with the same digits is no phone
                or_(
                    matched.c.preference.in_([0] if based is None else [0, based]),
                    statements.c.prop_id.in_(
                        select(props.c.id).where(props.c.prop_type == "phone").scalar_subquery()
                    ),
                ),
            )
            .group_by(statements.c.entity_id, matched.c.preference)
            .order_by(
                matched.c.preference,
                func.min(func.length(statements.c.value)),
                bytewise(statements.c.entity_id, engine),
            )
        )
        hits: list[SearchHit] = []
        seen: set[str] = set()
        with self.store.engine.connect() as conn:
            for row in conn.execute(query):
                if row.entity_id in seen:  # also found by a preferred key
                    continue
                seen.add(row.entity_id)
                rows = self._entity_rows(conn, row.entity_id)
                justify = shown is None or len(hits) < shown
                entity = self._assemble(rows, named=False, wanted=wanted, justify=justify)
                if entity is None:
                    continue
                hits.append(
                    SearchHit(
                        row.entity_id,
                        entity.schema.name,
                        entity.caption,
                        row.matched,
                        datasets=self._datasets_of(rows),
                        rfc_base=row.preference == based,
                    )
                )
                if len(hits) >= limit:
                    break
        return hits
