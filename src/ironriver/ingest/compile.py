"""Compile a query mapping into DuckDB SQL: entity ids, cleaned values, statements, ledger rows.

Pipeline over the source table `src` (see `source.py`), as named steps:

1. `cln`: `src` filtered by the query's filters, plus one column per entity (`e0`, `e1`, ...)
   holding its id, and one per property value slot (`v0_1_0`, ...) holding the cleaned value.
2. checks (`Check`): SQL conditions that reject a row (bad value, missing required value);
   `validate.py` turns them into the `bad` table.
3. statements: UNION ALL of one SELECT per slot, hashed into FtM statement ids.

Entity ids are computed exactly as FtM's `EntityMapping.compute_key` with `key_prefix` set
to the dataset name (what `ftm map` does): sha1 over the prefix, the `key_literal` and the
sorted non-empty key values, so `ftm map --no-sign` emits the same ids. Statement ids are
`Statement.make_key(dataset, entity_id, prop, value, external=False)`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb
from followthemoney.types import registry
from followthemoney.util import sanitize_text

from ironriver.i18n import Msg, nmsg, t
from ironriver.ingest.clean import (
    ID_REFUSED,
    LIST_SEP,
    Cleaner,
    clean_literal,
    english_meridian_sql,
    english_months_sql,
    escaped_id_sql,
    four_digit_year,
    has_two_digit_year,
    json_kind_name,
    names_months,
    number_text_sql,
    reads_meridian,
    two_digit_year_guard,
    two_digit_year_sql,
)
from ironriver.ingest.report import date_layout
from ironriver.ingest.specs import (
    EntitySpec,
    LedgerColumn,
    LedgerSpec,
    PropertySpec,
    QuerySpec,
    id_signature,
)
from ironriver.model import get_model, mergeable, most_specific_first
from ironriver.model.labels import type_label
from ironriver.sqltext import ident, literal
from ironriver.store import MAX_ID_LENGTH
from ironriver.store.ids import WHITESPACE

# FtM's Statement.from_entity also emits an `id` statement per entity; the store keeps
# entities as their property statements only, so ingest leaves it out.
ID_STATEMENTS = False


# a value that begins and ends with a quote mark (`EntityCompiler._name_selects`)
_QUOTED = "(left(value, 1) IN ('\"', '''') AND right(value, 1) IN ('\"', ''''))"


def _split_parts(raw: str, split: str) -> str:
    """SQL: the parts of `raw` split on `split` that are not blank. A blank part is no value
    (a text type would keep "" or " " as one, which `ftm map` stores; review R30 F6)."""
    return (
        f"list_filter(string_split({raw}, {literal(split)}), "
        f"lambda x: trim(x, {literal(WHITESPACE)}) <> '')"
    )


@dataclass(frozen=True)
class Check:
    """Rows where `condition` holds are rejected with `reason` (column/value for the report).

    `reason` is read by whoever fixes the file: it is rendered in the current language when
    the check is built (`invalid_reason`, `missing_reason`)."""

    condition: str
    column: str
    value: str
    reason: str
    date_format: str | None = None  # a date check's declared format (to suggest another)


@dataclass(frozen=True)
class Slot:
    """One source of values for one property: a column, a literal, a template or a join."""

    column: str  # name in `cln` holding the cleaned value, or a SQL literal when `constant`
    raw: str  # SQL for the text before type cleaning (for reports and original_value)
    label: str  # column name(s) shown in reports
    prop: PropertySpec
    constant: bool = False
    split: str | None = None  # split the raw text, clean each part (FtM's `split`)
    # a JSON Lines list's values: `column` holds them cleaned (a list), `raw` their text
    # joined by LIST_SEP
    listed: bool = False
    # a literal name as another entity mentions it (`namesMentioned`): FtM adds it again,
    # sanitized and cleaned a second time (`EntityCompiler._name_selects`)
    mentioned: str | None = None


class EntityCompiler:
    """SQL for the entities of one query."""

    def __init__(
        self,
        query: QuerySpec,
        dataset: str,
        cleaner: Cleaner,
        scol: dict[str, str],
        listed: frozenset[str] = frozenset(),
        names: dict[str, str] | None = None,
    ) -> None:
        self.query = query
        self.scol = scol  # source column -> its sanitized column in `san`
        # source column -> its text read as a name in `san`, where that differs
        # (`Sanitized.names`: a control character is a space there, not removed)
        self.names = names or {}
        # the columns holding a JSON list (or object) in some record (`clean.json_kind_name`)
        self.listed = listed
        self.dataset = dataset
        self.cleaner = cleaner
        self.index = {e.name: i for i, e in enumerate(query.entities)}
        self.slots: dict[int, list[Slot]] = {}
        self.columns: list[str] = []  # extra SELECT items of `cln`
        self.checks: list[Check] = []
        # the key columns hashed cleaned (`key_clean`), each cleaned once, before `cln`'s
        # other items (which read them): (column, type, format) -> its column in `cln`
        self.clean_keys: dict[tuple[str, str, str | None], str] = {}
        self.key_columns: list[str] = []  # their SELECT items
        for i, entity in enumerate(query.entities):
            self._add_clean_keys(i, entity)
        for i, entity in enumerate(query.entities):
            self.columns.append(f"{self._entity_id(entity)} AS e{i}")
            self.slots[i] = []
            for j, prop in enumerate(entity.properties):
                if prop.entity is None:
                    self._add_slots(i, j, prop)
        self._add_same_id_checks()
        for i, entity in enumerate(query.entities):
            self._add_required_checks(i, entity)
            if entity.id_column is not None:  # (a computed id is a 40-character hash)
                self.checks.append(
                    Check(
                        condition=f"length(e{i}) > {MAX_ID_LENGTH}",
                        column=entity.id_column,
                        value=self._key(entity.id_column),
                        reason=long_id_reason(f"{entity.name}.id_column"),
                    )
                )
                # an id the store's own export could not load again (review R30 gap): FtM's
                # sanitizing keeps a tab, a line break and the bidi controls
                self.checks.append(
                    Check(
                        condition=f"regexp_matches(e{i}, '{ID_REFUSED}')",
                        column=entity.id_column,
                        value=escaped_id_sql(f"e{i}"),
                        reason=refused_id_reason(f"{entity.name}.id_column"),
                    )
                )

    # -- step 1 -----------------------------------------------------------------------------
    def _key(self, column: str) -> str:
        return ident(self.scol[column])

    def _text(self, column: str, prop: PropertySpec) -> str:
        """The text of `column` as a value of `prop`: read as a name for a name (`names`)."""
        if prop.type_name == "name" and column in self.names:
            return ident(self.names[column])
        return self._key(column)

    def cln_sql(self, where: str, source: str = "san") -> str:
        """The SELECT making `cln`: the records of `source` that `where` keeps, with the
        cleaned keys, the entity ids and the cleaned values."""
        rows = f"SELECT * FROM {ident(source)} WHERE {where}"
        if self.key_columns:
            rows = f"SELECT *, {', '.join(self.key_columns)} FROM ({rows})"
        return f"SELECT *, {', '.join(self.columns)} FROM ({rows})"

    def _add_clean_keys(self, i: int, entity: EntitySpec) -> None:
        """A column of the cleaned value of each key `key_clean` names (once per column,
        type and format: the property reading it takes it too), and the check rejecting a
        record whose key does not clean and so makes no entity. (A record whose entity has
        an id from other keys is rejected by its property's own check of the same value.)"""
        for key in entity.key_clean:
            spec = (key.column, key.type_name, key.format)
            name = self.clean_keys.get(spec)
            if name is None:
                name = self.clean_keys[spec] = f"_k{len(self.clean_keys)}"
                value = self.cleaner.value(self._key(key.column), key.type_name, key.format)
                self.key_columns.append(f"{value} AS {name}")
            place = f"{entity.name}.{key.prop}"
            bad = f"e{i} IS NULL AND {name} IS NULL AND {self._key(key.column)} IS NOT NULL"
            if key.column in self.listed:  # (a JSON list there has its own reason)
                bad += f" AND {ident(json_kind_name(key.column))} IS NULL"
            self.checks.append(
                Check(
                    condition=bad,
                    column=key.column,
                    value=self._key(key.column),
                    reason=invalid_reason(key.type_name, key.format, place),
                )
            )

    def _entity_id(self, entity: EntitySpec) -> str:
        if entity.id_column is not None:
            return self._key(entity.id_column)
        # a key hashed cleaned (`key_clean`) is its column of `clean_keys`; an id made of
        # cleaned keys alone hashes the schema instead of the dataset (`global_id`)
        prefix = literal(entity.id_prefix or self.dataset + (entity.key_literal or ""))
        keys = [
            self.clean_keys[(k, c.type_name, c.format)]
            if (c := entity.cleaned(k)) is not None
            else self._key(k)
            for k in entity.keys
        ]
        if len(keys) == 1:
            return f"(CASE WHEN {keys[0]} IS NOT NULL THEN sha1({prefix} || {keys[0]}) END)"
        items = ", ".join(keys)
        # DuckDB compares VARCHAR bytewise, as Python sorts the encoded key bytes.
        joined = f"array_to_string(list_sort(list_filter([{items}], lambda x: x IS NOT NULL)), '')"
        return f"(CASE WHEN coalesce({items}) IS NOT NULL THEN sha1({prefix} || {joined}) END)"

    def _add_slots(self, i: int, j: int, prop: PropertySpec) -> None:
        clean = self.cleaner
        raws: list[tuple[str, str]] = []
        # the raws split on LIST_SEP (a JSON list's column), each with its column as read
        listed_splits: dict[int, str] = {}
        plain: dict[int, str] = {}  # the raws that are a column's text as it is: the column
        if prop.template is not None:
            expr = literal(sanitize_text(prop.template) or "")
            for ref in prop.refs:
                text = self._text(ref, prop)
                expr = f"replace({expr}, {literal('{{' + ref + '}}')}, coalesce({text}, ''))"
            # FtM strips the filled-in template with Python's `str.strip()`
            raws.append((f"nullif(trim({expr}, {literal(WHITESPACE)}), '')", ", ".join(prop.refs)))
        elif prop.join is not None:
            texts = [self._text(c, prop) for c in prop.columns]
            items = [literal(x) for x in prop.literals] + texts
            joined = f"nullif(concat_ws({literal(prop.join)}, {', '.join(items)}), '')"
            raws.append((joined, ", ".join(prop.columns)))
        else:
            shown = t("(literal)")  # the report's column for a value written in the mapping
            for lit in prop.literals:
                if prop.split is None:
                    value = _clean_literal(prop, lit)
                    if value is not None:
                        again = registry.name.clean(value) if prop.type_name == "name" else None
                        self.slots[i].append(
                            Slot(
                                literal(value),
                                literal(lit),
                                shown,
                                prop,
                                constant=True,
                                mentioned=None if again is None else literal(again),
                            )
                        )
                else:
                    raws.append((literal(lit), shown))
            for n, c in enumerate(prop.columns):
                if c not in self.listed:
                    raws.append((self._text(c, prop), c))
                    plain[len(raws) - 1] = c
                elif prop.split is not None:  # a list's values split further: on either
                    sep = literal(LIST_SEP)
                    text = self._text(c, prop)
                    raws.append((f"replace({text}, {literal(prop.split)}, {sep})", c))
                    listed_splits[len(raws) - 1] = ident(c)  # (reported as the file has it)
                else:  # its plain values as any column's; its lists apart
                    kind = ident(json_kind_name(c))
                    raws.append((f"(CASE WHEN {kind} IS NULL THEN {self._text(c, prop)} END)", c))
                    self._add_list_slot(i, j, n, prop, c)
        for k, (raw, label) in enumerate(raws):
            name = f"v{i}_{j}_{k}"
            if prop.split is not None:
                split = LIST_SEP if k in listed_splits else prop.split
                self._add_split_slot(i, name, raw, label, prop, split, listed_splits.get(k, raw))
                continue
            # a key column cleaned alike is cleaned once (`_add_clean_keys`)
            same = (plain.get(k, ""), prop.type_name, prop.format)
            value = (
                self.clean_keys[same]
                if same in self.clean_keys and not prop.fuzzy and prop.split is None
                else clean.value(
                    raw, prop.type_name, prop.format, prop.fuzzy, prop.two_digit_years_from
                )
            )
            self.columns.append(f"{value} AS {name}")
            self.slots[i].append(Slot(name, raw, label, prop))
            place = f"{self.query.entities[i].name}.{prop.name}"
            invalid = f"e{i} IS NOT NULL AND {name} IS NULL AND {raw} IS NOT NULL"
            if prop.type_name == "entity":  # a reference too long does not clean: say why
                too_long = f"length({raw}) > {MAX_ID_LENGTH}"
                self.checks.append(
                    Check(f"{invalid} AND {too_long}", label, raw, long_id_reason(place))
                )
                invalid = f"{invalid} AND NOT {too_long}"
            self.checks.append(
                Check(
                    condition=invalid,
                    column=label,
                    value=raw,
                    reason=invalid_reason(prop.type_name, prop.format, place),
                    date_format=prop.format if prop.type_name == "date" else None,
                )
            )

    def _add_split_slot(
        self, i: int, name: str, raw: str, label: str, prop: PropertySpec, split: str, shown: str
    ) -> None:
        """A slot for `raw` split on `split` (FtM's `split`): `name` holds the parts cleaned
        (a list), one value per part. A blank part is no value (`_split_parts`); a record is
        rejected when a part that is not blank does not clean, as for a plain value (review
        R29 F1: such parts were left out silently, and `required` was met by the text), its
        error report showing `shown` (a JSON list as the file writes it, not `raw`'s parts
        joined by LIST_SEP: review R30 F7)."""
        parts = _split_parts(raw, split)
        value = self.cleaner.value(
            "x", prop.type_name, prop.format, prop.fuzzy, prop.two_digit_years_from
        )
        self.columns.append(f"list_transform({parts}, lambda x: {value}) AS {name}")
        self.slots[i].append(Slot(name, raw, label, prop, split=split))
        filled = f"len({parts})"
        place = f"{self.query.entities[i].name}.{prop.name}"
        self.checks.append(
            Check(
                condition=f"e{i} IS NOT NULL AND {raw} IS NOT NULL AND list_count({name}) < {filled}",
                column=label,
                value=shown,
                reason=invalid_reason(prop.type_name, prop.format, place),
                date_format=prop.format if prop.type_name == "date" else None,
            )
        )

    def _add_list_slot(self, i: int, j: int, n: int, prop: PropertySpec, column: str) -> None:
        """A slot for the records whose `column` holds a JSON list: one value per element,
        each cleaned as a value of the column would be; the record is rejected when one
        does not clean (as for a plain value)."""
        name = f"v{i}_{j}_list{n}"
        text = self._text(column, prop)
        raw = f"(CASE WHEN {ident(json_kind_name(column))} = 'list' THEN {text} END)"
        value = self.cleaner.value(
            "x", prop.type_name, prop.format, prop.fuzzy, prop.two_digit_years_from
        )
        self.columns.append(
            f"list_transform(string_split({raw}, {literal(LIST_SEP)}), lambda x: {value}) AS {name}"
        )
        self.slots[i].append(Slot(name, raw, column, prop, listed=True))
        place = f"{self.query.entities[i].name}.{prop.name}"
        self.checks.append(
            Check(
                condition=f"e{i} IS NOT NULL AND list_count({name}) < len({name})",
                column=column,
                value=ident(column),  # the list as the file writes it
                reason=invalid_reason(prop.type_name, prop.format, place),
                date_format=prop.format if prop.type_name == "date" else None,
            )
        )

    def _add_same_id_checks(self) -> None:
        """A record where two entities of schemata that cannot merge (Person and Ownership)
        get one id, as their key columns left empty make them: FtM's `ftm map` writes both
        under the id, and they would be stored as one entity of a schema neither has."""
        entities = self.query.entities
        for i, a in enumerate(entities):
            for j in range(i + 1, len(entities)):
                b = entities[j]
                if mergeable(a.schema, b.schema):
                    continue  # one entity of the more specific schema, as FtM merges them
                columns = dict.fromkeys(
                    [*a.keys, *b.keys, *(e.id_column for e in (a, b) if e.id_column)]
                )
                self.checks.append(
                    Check(
                        condition=f"e{i} IS NOT NULL AND e{i} = e{j}",
                        column=", ".join(c for c in columns if c),
                        value=f"e{i}",
                        reason=t(
                            "entities {a} and {b} get the same id (their key columns are "
                            "empty in this record): give one of them a key_literal, or keys "
                            "that tell them apart",
                            a=a.name,
                            b=b.name,
                        ),
                    )
                )

    def id_overlaps(self) -> list[tuple[int, int]]:
        """The pairs (i, j) of entity mappings whose ids are computed otherwise (other key
        columns or key_literal, or id_column against keys) and whose schemata merge: in a
        record where their ids coincide (`buyer_id` = `seller_id`) they are one entity,
        silently, as in `ftm map`. Pairs computed alike (FtM's way of giving one entity
        properties from two mappings) are left out, and so are pairs that cannot merge
        (`_add_same_id_checks` rejects those records)."""
        entities = self.query.entities
        pairs = []
        for i, a in enumerate(entities):
            for j in range(i + 1, len(entities)):
                b = entities[j]
                if _id_spec(a) == _id_spec(b):
                    continue
                if not mergeable(a.schema, b.schema):
                    continue
                pairs.append((i, j))
        return pairs

    def _add_required_checks(self, i: int, entity: EntitySpec) -> None:
        for prop in entity.properties:
            if not prop.required:
                continue
            if prop.entity is not None:
                present = f"e{self.index[prop.entity]} IS NOT NULL"
            else:
                slots = [s for s in self.slots[i] if s.prop is prop]
                if any(s.constant for s in slots):
                    continue
                # (a list of parts: a part that cleans)
                present = " OR ".join(
                    f"coalesce(list_count({s.column}), 0) > 0"
                    if s.split or s.listed
                    else f"{s.column} IS NOT NULL"
                    for s in slots
                )
                present = present or "FALSE"
            label = ", ".join(prop.refs) or prop.entity or prop.name
            self.checks.append(
                Check(
                    condition=f"e{i} IS NOT NULL AND NOT ({present})",
                    column=label,
                    value="NULL",
                    reason=missing_reason(f"{entity.name}.{prop.name}"),
                )
            )

    # -- step 3 -----------------------------------------------------------------------------
    def _slot_selects(self, slot: Slot, entity_sql: str, schema: str, prop: str, cond: str) -> str:
        out = f"{entity_sql} AS entity_id, {literal(schema)} AS schema, {literal(prop)} AS prop"
        if slot.constant:
            return f"SELECT _row, {out}, {slot.column} AS value, NULL AS original_value FROM cln WHERE {cond}"
        if slot.listed or slot.split is not None:
            parts = (  # (as `_add_split_slot` cleaned them: one part per value, in order)
                f"string_split({slot.raw}, {literal(LIST_SEP)})"
                if slot.split is None
                else _split_parts(slot.raw, slot.split)
            )
            inner = (
                f"SELECT _row, {out}, unnest({slot.column}) AS value, "
                f"unnest({parts}) AS part "
                f"FROM cln WHERE {cond} AND {slot.column} IS NOT NULL"
            )
            return (
                "SELECT _row, entity_id, schema, prop, value, "
                f"CASE WHEN part <> value THEN part END AS original_value FROM ({inner}) "
                "WHERE value IS NOT NULL"
            )
        original = f"CASE WHEN {slot.raw} <> {slot.column} THEN {slot.raw} END"
        return (
            f"SELECT _row, {out}, {slot.column} AS value, {original} AS original_value "
            f"FROM cln WHERE {cond} AND {slot.column} IS NOT NULL"
        )

    def _name_selects(self, d: int, entity_sql: str, schema: str, cond: str) -> list[str]:
        """FtM's `inline_names`: a referring entity mentions the names of the one it points to."""
        model = get_model()
        out = []
        for slot in self.slots[d]:
            if slot.prop.type_name != "name":
                continue
            if slot.constant:  # (a literal cleaned to nothing the second time: not added)
                if slot.mentioned is not None:
                    slot = replace(slot, column=slot.mentioned)
                    out.append(self._slot_selects(slot, entity_sql, schema, "namesMentioned", cond))
                continue
            # FtM adds the names again (`helpers.inline_names`: `proxy.add` sanitizes and
            # cleans them a second time), which changes only a name still quoted after one
            # cleaning ("'Bob'" is Bob there; review R29 F4): re-cleaned, the others as they are
            select = self._slot_selects(slot, entity_sql, schema, "namesMentioned", cond)
            again = self.cleaner.value("value", "name")
            out.append(
                "SELECT * FROM (SELECT _row, entity_id, schema, prop, "
                f"CASE WHEN {_QUOTED} THEN {again} ELSE value END AS value, original_value "
                f"FROM ({select})) WHERE value IS NOT NULL"
            )
        target = self.query.entities[d]
        target_schema = model.get(target.schema)
        if target_schema.get("namesMentioned") is not None:
            for prop in target.properties:
                if prop.entity is not None:
                    dd = self.index[prop.entity]
                    out.extend(
                        self._name_selects(dd, entity_sql, schema, f"{cond} AND e{dd} IS NOT NULL")
                    )
        return out

    def statement_selects(self) -> list[tuple[int, str, str]]:
        """(entity index, prop, SELECT of (_row, entity_id, schema, prop, value,
        original_value) over `cln`) for every statement source."""
        model = get_model()
        selects: list[tuple[int, str, str]] = []
        for i, entity in enumerate(self.query.entities):
            schema = entity.schema
            e = f"e{i}"
            cond = f"{e} IS NOT NULL"
            if ID_STATEMENTS:
                selects.append(
                    (
                        i,
                        "id",
                        f"SELECT _row, {e} AS entity_id, {literal(schema)} AS schema, 'id' AS prop, "
                        f"{e} AS value, NULL AS original_value FROM cln WHERE {cond}",
                    )
                )
            for slot in self.slots[i]:
                selects.append(
                    (i, slot.prop.name, self._slot_selects(slot, e, schema, slot.prop.name, cond))
                )
            mentions = model.get(schema).get("namesMentioned") is not None
            for prop in entity.properties:
                if prop.entity is None:
                    continue
                d = self.index[prop.entity]
                ref_cond = f"{cond} AND e{d} IS NOT NULL"
                selects.append(
                    (
                        i,
                        prop.name,
                        f"SELECT _row, {e} AS entity_id, {literal(schema)} AS schema, "
                        f"{literal(prop.name)} AS prop, e{d} AS value, NULL AS original_value "
                        f"FROM cln WHERE {ref_cond}",
                    )
                )
                if mentions:
                    for sql in self._name_selects(d, e, schema, ref_cond):
                        selects.append((i, "namesMentioned", sql))
        return selects

    def single_source(self, i: int) -> bool:
        """True when one record yields at most one statement per (entity i, prop, value):
        one SELECT per property, no `split`, and no other entity mapping of the query that
        could make the same ids."""
        props = [p for j, p, _ in self.statement_selects() if j == i]
        if len(props) != len(set(props)) or any(s.split or s.listed for s in self.slots[i]):
            return False
        sig = id_signature(self.query.entities[i])
        others = [id_signature(e) for j, e in enumerate(self.query.entities) if j != i]
        return sig not in others


def _id_spec(entity: EntitySpec) -> tuple[object, ...]:
    """What `EntityCompiler._entity_id` computes an entity's id from: its id column as it
    is (a key_literal is ignored then), or the dataset (or the schema, `global_id`), its
    key_literal and its sorted keys, each as written or cleaned (`key_clean`)."""
    if entity.id_column is not None:
        return ("id_column", entity.id_column)
    return ("keys", entity.key_literal or "", *id_signature(entity))


def build_statements(con: duckdb.DuckDBPyConnection, comp: EntityCompiler, dataset: str) -> None:
    """Create the view `stmts`: hashed statements of one query, each id once (first record
    wins). A view, not a table: the write streams it (sorted) straight into the store's stage.

    The de-duplicating window is the costly step, so it only runs over the entities whose ids
    repeat across records (checked on the data) or that can repeat a value within a record.
    """
    n = len(comp.query.entities)
    counts = ", ".join(f"count(e{i}) = count(DISTINCT e{i})" for i in range(n))
    flags = con.execute(f"SELECT {counts} FROM cln").fetchall()[0]
    plain: list[str] = []
    repeat: list[str] = []
    for i, _, sql in comp.statement_selects():
        (plain if flags[i] and comp.single_source(i) else repeat).append(sql)
    key = f"sha1({literal(dataset + '.')} || entity_id || '.' || prop || '.' || value)"
    ref = "_row"  # the source record's row number; the store keeps the file name once
    cols = "id, entity_id, schema, prop, value, original_value"
    parts = []
    if plain:
        union = "\nUNION ALL\n".join(plain)
        parts.append(
            f"SELECT {key} AS id, entity_id, schema, prop, value, original_value, "
            f"{ref} AS source_row FROM ({union})"
        )
    if repeat:
        union = "\nUNION ALL\n".join(repeat)
        parts.append(
            f"SELECT {cols}, {ref} AS source_row FROM ("
            f"SELECT *, row_number() OVER (PARTITION BY id ORDER BY {_first_kept(comp)}) AS _n "
            f"FROM (SELECT {key} AS id, * FROM ({union}))) WHERE _n = 1"
        )
    if not parts:  # no entity of the query has a value to state (e.g. keys only)
        parts.append(
            "SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS entity_id, NULL::VARCHAR AS schema, "
            "NULL::VARCHAR AS prop, NULL::VARCHAR AS value, NULL::VARCHAR AS original_value, "
            "NULL::BIGINT AS source_row WHERE FALSE"
        )
    con.execute("CREATE TEMP VIEW stmts AS " + "\nUNION ALL\n".join(parts))


def _first_kept(comp: EntityCompiler) -> str:
    """SQL: the order in which the statements of one id are kept, the first only: the most
    specific schema's (two mappings on the same keys stating one value, LegalEntity and
    Person, in one record or two: the entity stays a Person, as the entity-file import keeps
    it), then the first record's, then the value as written (a name and an alias mentioning
    one name): the same statement on every run and backend (review R30 F3, F14, R30c F1: it
    was whichever the window met first). The schema is ranked only where two of the query's
    schemata merge (only those can share an id), as a longer sort key costs the window ~4%
    of a 1M-row ingest."""
    schemata = most_specific_first(e.schema for e in comp.query.entities)
    if not any(mergeable(a, b) for n, a in enumerate(schemata) for b in schemata[n + 1 :]):
        return "_row, original_value NULLS FIRST"
    rank = " ".join(f"WHEN {literal(name)} THEN {n}" for n, name in enumerate(schemata))
    return f"CASE schema {rank} END, _row, original_value NULLS FIRST"


KEYLESS_ROWS_SHOWN = 5  # the record numbers a keyless note names


def keyless_notes(con: duckdb.DuckDBPyConnection, comp: EntityCompiler, dataset: str) -> list[Msg]:
    """Notes on the records (of `cln`: kept by the filters, not rejected) that make no entity
    of a mapping because its key columns (or `id_column`) are all empty although its other
    columns hold values: FtM makes no entity without an id, so those values are not stored,
    silently under `ftm map`. A record with no value in any of the entity's columns lost
    nothing (an optional second person, say) and is not counted. One scan; per entity, the
    count and the first record numbers (`row` as the error report numbers records)."""
    probes: list[tuple[int, list[str]]] = []
    for i, entity in enumerate(comp.query.entities):
        keys = [entity.id_column] if entity.id_column is not None else list(entity.keys)
        held = sorted({r for p in entity.properties for r in p.refs} - set(keys))
        if keys and held:
            probes.append((i, held))
    if not probes:
        return []
    items = []
    for i, held in probes:
        values = " OR ".join(f"{ident(comp.scol[c])} IS NOT NULL" for c in held)
        lost = f"e{i} IS NULL AND ({values})"
        items += [
            f"count(*) FILTER (WHERE {lost})",
            f"list(_row ORDER BY _row) FILTER (WHERE {lost})[1:{KEYLESS_ROWS_SHOWN}]",
        ]
    row = con.execute(f"SELECT {', '.join(items)} FROM cln").fetchone()
    assert row is not None  # an aggregate's one row
    notes: list[Msg] = []
    for k, (i, held) in enumerate(probes):
        count, rows = row[2 * k], row[2 * k + 1] or []
        if not count:
            continue
        entity = comp.query.entities[i]
        keys = [entity.id_column] if entity.id_column is not None else list(entity.keys)
        shown = ", ".join(str(r) for r in rows) + (", ..." if count > len(rows) else "")
        notes.append(
            nmsg(
                "{dataset}: {n:,} record of {file} makes no {entity} ({schema}): its key "
                "columns ({keys}) are empty, so its values of {columns} are not stored (record "
                "{rows}, header not counted). Fill in the key in the file, or key the entity "
                "on columns every record has.",
                "{dataset}: {n:,} records of {file} make no {entity} ({schema}): their key "
                "columns ({keys}) are empty, so their values of {columns} are not stored "
                "(records {rows}, header not counted). Fill in the key in the file, or key the "
                "entity on columns every record has.",
                count,
                dataset=dataset,
                file=comp.query.source.label,
                entity=entity.name,
                schema=entity.schema,
                keys=", ".join(keys),
                columns=", ".join(held),
                rows=shown,
            )
        )
    return notes


def invalid_reason(type_name: str, fmt: str | None, place: str) -> str:
    """The report's reason for a value that does not clean to its type, in the current
    language (`place`: the entity's property or ledger column it was meant for)."""
    if type_name == "phone":
        return phone_reason(fmt, place)
    kind = type_label(type_name)
    # (a date's layout; another type's format, an identifier's "iban", is named as it is)
    layout = date_layout(fmt) if fmt and type_name in ("date", "timestamp") else None
    if fmt and layout is not None:
        # (one reason for every rejected value of the column: "31/02/2025" is rejected
        # because no such day exists, not because it is written otherwise)
        return t(
            "not a valid {type} in the format {format} ({layout}): written otherwise, or "
            "no such day ({place})",
            type=kind,
            format=fmt,
            layout=layout,
            place=place,
        )
    if fmt:
        return t(
            "not a valid {type} in the format {format} ({place})",
            type=kind,
            format=fmt,
            place=place,
        )
    return t("not a valid {type} ({place})", type=kind, place=place)


def phone_reason(fmt: str | None, place: str) -> str:
    """The report's reason for a value of a phone property that is no phone number, in the
    current language: dialled in the country `fmt` (the property's format) or, without
    one, written with its country code (what FtM requires then)."""
    if fmt:
        return t(
            "not a phone number of {country} ({place}): check its digits (the area code "
            "too); a number of another country needs its country code (+1 ..., +52 ...)",
            country=fmt,
            place=place,
        )
    return t(
        "not a phone number with its country code (+52 ..., +1 ...) ({place}): check its "
        "digits, or give the property the country its numbers are dialled in as its "
        "format (format: MX)",
        place=place,
    )


def long_id_reason(place: str) -> str:
    """The report's reason for an entity id longer than a store takes, in the current
    language."""
    return t(
        "entity id longer than {n} characters, FtM's limit for an entity id ({place}): "
        "shorten it (or hash it)",
        n=MAX_ID_LENGTH,
        place=place,
    )


def refused_id_reason(place: str) -> str:
    """The report's reason for an entity id holding a character of `clean.ID_REFUSED`, in
    the current language."""
    return t(
        "an entity id is one piece of text without line breaks, control or invisible "
        "characters ({place}): it holds the character shown as \\uXXXX in the value; "
        "remove it from the column",
        place=place,
    )


def missing_reason(place: str) -> str:
    """The report's reason for a required value that is missing, in the current language."""
    return t("required value missing ({place})", place=place)


def _clean_literal(prop: PropertySpec, value: str) -> str | None:
    """FtM cleans literals with `clean_text` directly (no sanitising)."""
    return clean_literal(prop.type_name, value, prop.format, prop.fuzzy, prop.two_digit_years_from)


def json_value_checks(query: QuerySpec, listed: frozenset[str], where: str) -> list[Check]:
    """Checks over `san` for the JSON Lines columns of `listed` (holding a list or an object
    in some record, `clean.json_kind_name`): an object, or a list holding objects or lists,
    is no value anywhere; a list of values is one value per element for a property's
    `column`, and refused where one value is meant: a key or `id_column` (an id made from a
    list is ambiguous), a `join` or `template`, a ledger column, a filter. A filter column is
    checked in every record, as the filter cannot tell whether to keep it; the others in the
    records the filters keep (`where`)."""
    if not listed:
        return []
    keys: dict[str, list[str]] = {}
    single: dict[str, list[str]] = {}
    for entity in query.entities:
        for column in (*entity.keys, *([entity.id_column] if entity.id_column else [])):
            keys.setdefault(column, []).append(f"{entity.name}.id")
        for prop in entity.properties:
            if prop.template is not None or prop.join is not None:
                for column in prop.refs:
                    single.setdefault(column, []).append(f"{entity.name}.{prop.name}")
    if query.ledger is not None:
        for col in query.ledger.columns:
            place = t("ledger {column}", column=f"{query.ledger.name}.{col.name}")
            single.setdefault(col.column, []).append(place)
    filtered = {c for c, _ in (*query.source.filters, *query.source.filters_not)}
    for column in filtered:
        single.setdefault(column, []).append("filters")
    checks = []
    for column in sorted(listed):
        kind = ident(json_kind_name(column))
        scope = "TRUE" if column in filtered else f"({where})"
        nested = t(
            "a JSON object, or a list holding objects or lists, where a value is meant: map "
            "a key holding text, a number or a list of them"
        )
        checks.append(Check(f"{scope} AND {kind} = 'nested'", column, ident(column), nested))
        if column in keys:
            reason = t(
                "a JSON list in a key column ({place}): an id made from several values is "
                "ambiguous; key the entity on a column holding one value",
                place=", ".join(keys[column]),
            )
            checks.append(Check(f"{scope} AND {kind} = 'list'", column, ident(column), reason))
        if column in single:
            reason = t(
                "a JSON list where one value is meant ({place}): a property's column takes "
                "one value per element, a ledger column, a join, a template or a filter one "
                "value",
                place=", ".join(single[column]),
            )
            checks.append(Check(f"{scope} AND {kind} = 'list'", column, ident(column), reason))
    return checks


def filter_condition(query: QuerySpec, scol: dict[str, str]) -> str:
    """FtM's `filters` / `filters_not` on sanitized values, as a WHERE condition."""
    conds = ["TRUE"]
    for column, values in query.source.filters:
        items = ", ".join(literal(v) for v in values)
        conds.append(f"{ident(scol[column])} IN ({items})")
    for column, values in query.source.filters_not:
        items = ", ".join(literal(v) for v in values)
        conds.append(f"coalesce({ident(scol[column])} NOT IN ({items}), TRUE)")
    return " AND ".join(conds)


# -- ledgers ------------------------------------------------------------------------------


def _ledger_expr(col: LedgerColumn, scol: dict[str, str]) -> str:
    return ledger_value_sql(col, ident(scol[col.column]))  # sanitized: NFC, stripped, empty -> NULL


def ledger_value_sql(col: LedgerColumn, text: str) -> str:
    """SQL of `col`'s typed value read from the SQL text expression `text` (sanitized text:
    NULL when empty); NULL when the text is not a value of the column's type."""
    if col.type == "string":
        return text
    if col.decimal is not None and col.type in ("integer", "float"):
        text = number_text_sql(text, col.decimal)  # "1.500,50" -> "1500.50" under ","
    # DuckDB's casts are lenient where a record must not be: '12.5' -> 13, '0x1F' -> 31,
    # '1_000' -> 1000, 'inf' and 'nan' are doubles. Such text is rejected (NULL, reported).
    if col.type == "integer":
        whole = f"regexp_full_match({text}, '[+-]?[0-9]+')"
        return f"CASE WHEN {whole} THEN try_cast({text} AS BIGINT) END"
    if col.type == "float":
        number = f"try_cast({text} AS DOUBLE)"  # (refuses hexadecimal itself)
        return f"CASE WHEN isfinite({number}) AND NOT contains({text}, '_') THEN {number} END"
    if col.type == "boolean":
        return (
            f"(CASE WHEN lower({text}) IN ('true', 't', 'yes', 'y', '1', 'si', 'sí') THEN TRUE "
            f"WHEN lower({text}) IN ('false', 'f', 'no', 'n', '0') THEN FALSE END)"
        )
    if names_months(col.format):  # Spanish month names too (clean.SPANISH_MONTHS)
        text = english_months_sql(text)
    if reads_meridian(col.format):  # and "p. m." as Spanish-locale spreadsheets write it
        text = english_meridian_sql(text)
    if col.format:
        parsed = four_digit_year(f"try_strptime({text}, {literal(col.format)})", text, col.format)
        if col.two_digit_years_from is not None and has_two_digit_year(col.format):
            guard = two_digit_year_guard(text, col.format)
            years = two_digit_year_sql(parsed, col.two_digit_years_from)
            parsed = f"(CASE WHEN {guard} THEN {years} END)"
        return f"CAST({parsed} AS DATE)" if col.type == "date" else parsed
    if col.type == "date":
        return f"CASE WHEN {_iso(text)} THEN try_cast({text} AS DATE) END"
    # an offset after the time (Z, +02:00, +0200, -05 as PostgreSQL writes it) is honoured:
    # stored in UTC (a plain cast would drop it). After the time: a date's own '-31' is none.
    offset = f"regexp_matches({text}, '[ T][0-9:.]+(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$')"
    return (
        f"CASE WHEN NOT {_iso(text)} THEN NULL "
        f"WHEN {offset} THEN timezone('UTC', try_cast({text} AS TIMESTAMPTZ)) "
        f"ELSE try_cast({text} AS TIMESTAMP) END"
    )


def _iso(text: str) -> str:
    """SQL: `text` is an ISO date with a four-digit year, maybe with a time. Without it
    DuckDB's cast takes '99999-01-01' for a date and '-2024-01-01' for 2025 BC."""
    day = "[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}"
    return f"regexp_full_match({text}, '{day}([ T][0-9:.]+(Z|[+-][0-9:]+)?)?')"


def ledger_sql(ledger: LedgerSpec, scol: dict[str, str], where: str) -> tuple[str, list[Check]]:
    """SQL of the typed ledger rows (`_row` plus one column per ledger column) and their checks.

    A typed column keeps its sanitized text beside it (`_raw_<name>`) for the report; a
    string column is its sanitized text, so it needs no copy and cannot hold a bad value."""
    items = [f"{_ledger_expr(c, scol)} AS {ident(c.name)}" for c in ledger.columns]
    items += [
        f"{ident(scol[c.column])} AS {ident('_raw_' + c.name)}"
        for c in ledger.columns
        if c.type != "string"
    ]
    sql = f"SELECT _row, {', '.join(items)} FROM san WHERE {where}"
    checks = []
    for c in ledger.columns:
        raw = ident(c.name if c.type == "string" else "_raw_" + c.name)
        present = f"{raw} IS NOT NULL"
        place = t("ledger {column}", column=f"{ledger.name}.{c.name}")
        if c.type != "string":
            checks.append(
                Check(
                    f"{ident(c.name)} IS NULL AND {present}",
                    c.column,
                    raw,
                    invalid_reason(c.type, c.format, place),
                    date_format=c.format if c.type in ("date", "timestamp") else None,
                )
            )
        if c.required:
            checks.append(Check(f"NOT ({present})", c.column, "NULL", missing_reason(place)))
    return sql, checks
