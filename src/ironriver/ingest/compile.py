"""Compile a query mapping into DuckDB SQL: entity ids, cleaned values, statements.

Pipeline over the source table `src` (see `source.py`), as named steps:

1. `cln`: `src` filtered by the query's filters (`filter_condition`), plus one column per
   entity (`e0`, `e1`, ...) holding its id, and one per property value slot (`v0_1_0`, ...)
   holding the cleaned value (`EntityCompiler`).
2. checks (`record_checks.Check`): SQL conditions that reject a row (bad value, missing
   required value); `validate.py` turns them into the `bad` table.
3. statements: UNION ALL of one SELECT per slot (`EntityCompiler.statement_selects`), hashed
   into FtM statement ids (`statement_view.build_statements`).

A query's ledger rows are compiled apart (`ledger_compile`), and so are the notes on records
that make no entity (`keyless_notes`).

Entity ids are computed exactly as FtM's `EntityMapping.compute_key` with `key_prefix` set
to the dataset name (what `ftm map` does): sha1 over the prefix, the `key_literal` and the
sorted non-empty key values, so `ftm map --no-sign` emits the same ids. Statement ids are
`Statement.make_key(dataset, entity_id, prop, value, external=False)`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from followthemoney.types import registry
from followthemoney.util import sanitize_text

from ironriver.i18n import t
from ironriver.ingest.clean import (
    ID_REFUSED,
    LIST_SEP,
    Cleaner,
    clean_literal,
    escaped_id_sql,
    json_kind_name,
)
from ironriver.ingest.record_checks import (
    Check,
    invalid_reason,
    long_id_reason,
    missing_reason,
    refused_id_reason,
)
from ironriver.ingest.specs import EntitySpec, PropertySpec, QuerySpec, id_signature
from ironriver.model import get_model, mergeable
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


def _clean_literal(prop: PropertySpec, value: str) -> str | None:
    """FtM cleans literals with `clean_text` directly (no sanitising)."""
    return clean_literal(prop.type_name, value, prop.format, prop.fuzzy, prop.two_digit_years_from)


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
