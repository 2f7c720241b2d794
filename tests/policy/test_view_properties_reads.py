"""Property: every public read of a `View` equals what the principal's visible statements
alone give, for the searches' features too (names lacking one word, abbreviated given
names, given names read through their hypocoristics and back, a word looked for twice,
hyphenated and folded names, phones typed in national form), for retracted statements, and
for every field a read returns.

`test_view_properties.py` holds the first form of this property; this one draws richer facts,
one by one and as records written together under one label (`RECORDS`): names of three words
and more, "Ma."/"Fco."/"Gpe." abbreviations, hypocoristics ("PEPE PÉREZ", "Lupe Reyes"),
phones in E.164 of Mexico and the US (and a serial written with a phone's digits), an entity
typed Company by one agency and Individual by another (`View.schema_conflicts`), copied
`namesMentioned`, source records and legal bases, ledger rows. Store A receives every fact
as drawn (a fact drawn twice under two labels: the store keeps the first, and registers the
second label all the same, as any write of stored statements under another label does), then
the owning agencies retract some (`retract`, which also withdraws the names an ingest
copied). Store B receives only what the principal sees in A: the statements it may see that
stand, and the ledger rows it may see. Every read on A must equal the same read on B, which
cannot know anything hidden: a difference is a fact the principal may not see changing what
it reads.

It found the phone search reading numbers in the countries of labels holding no statement
the view shows (`View._owner_countries`; `test_phone_reading_...` finds it in a few examples,
through the countries it compares). Run locally with many more examples (a few
thousand) after changing a read; 20 keep the suite's time (~2 s each).
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ironriver.errors import AccessDenied, NotFound
from ironriver.policy import AccessLabel, Marking, Principal, View, can_see, entity_dict, retract
from ironriver.store import DatasetInfo, Store, open_store
from ironriver.store.ids import statement_id
from ironriver.store.ledger import LedgerStore
from ironriver.store.tables import statements

AGENCIES = {"ATF": "US", "CBP": "US", "FGR": "MX", "SEDENA": "MX"}
TOKENS = ["US", "MX", "ATF", "CBP", "FGR", "SEDENA", "user:ana", "user:beto"]

# (schemata a fact may be typed with, property, value), by entity
NAMES = [
    "José Pérez",
    "Juan López",
    "El Güero",
    "Álvaro Reyes Mendoza",
    "Álvaro Reyes",
    "MA. DOLORES GARCÍA",
    "María Dolores García López",
    "José Josefina Ruiz",
    "Josefina Ruiz",
    "María Pérez-López",
    "Łukasz Straße",
    "PEPE PÉREZ",  # José's hypocoristic: "jose perez" finds it after "José Pérez"
]
PHONES = ["+526671573741", "+19567189749", "+525512345678", "+15512345678"]
PERSON = ("Individual", "Person", "LegalEntity")
PERSON_FACTS: list[tuple[tuple[str, ...], str, str]] = [
    *((PERSON, "name", name) for name in NAMES),
    (PERSON, "alias", "Fco. Javier Pérez"),
    (PERSON, "alias", "Gpe. Mendoza"),
    (PERSON, "alias", "Lupe Reyes"),
    (("Individual",), "paternalSurname", "GARCÍA"),
    (("Individual",), "birthDate", "1990-01-02"),
    *((PERSON, "phone", phone) for phone in PHONES),
]
FACTS: dict[str, list[tuple[tuple[str, ...], str, str]]] = {
    "p1": PERSON_FACTS,
    "p2": PERSON_FACTS,
    "p3": PERSON_FACTS,
    # one agency's company, another's person: FtM has no schema that is both
    "c1": [
        (("Company",), "name", "Transportes Fco. Villa"),
        (("Company",), "incorporationDate", "2001-02-03"),
        (("Individual",), "name", "Francisco Villa"),
        (("Individual",), "birthDate", "1970-01-01"),
        (("Company", "Individual"), "phone", "+526671573741"),
    ],
    "g1": [
        (("Firearm",), "serialNumber", "ABC123"),
        (("Firearm",), "serialNumber", "XYZ-9"),
        (("Firearm",), "serialNumber", "6671573741"),  # a phone's digits, no phone
        (("Firearm",), "make", "Glock"),
    ],
    "s1": [
        (("Sale",), "buyer", "p1"),
        (("Sale",), "buyer", "c1"),
        (("Sale",), "firearm", "g1"),
        (("Sale",), "date", "2024-01-05"),
        # what an ingest copies from the buyer's names (a retraction withdraws it with them)
        (("Sale",), "namesMentioned", "José Pérez"),
        (("Sale",), "namesMentioned", "Álvaro Reyes Mendoza"),
    ],
    "s2": [
        (("Sale",), "buyer", "p2"),
        (("Sale",), "firearm", "g1"),
        (("Sale",), "namesMentioned", "María Dolores García López"),
    ],
    "r1": [
        (("Recovery",), "firearm", "g1"),
        (("Recovery",), "possessor", "p2"),
        (("Recovery",), "possessor", "p3"),
    ],
}
ENTITY_IDS = sorted(FACTS)
DATASETS = {agency: f"ds_{agency.lower()}" for agency in AGENCIES}


@dataclasses.dataclass(frozen=True)
class Fact:
    entity: str
    schema: str
    prop: str
    value: str
    label: AccessLabel
    retracted: bool
    source: str | None
    legal_basis: str | None

    @property
    def dataset(self) -> str:
        return DATASETS[self.label.owner_agency]

    @property
    def id(self) -> str:
        return statement_id(self.dataset, self.entity, self.prop, self.value)


label_st = st.builds(
    lambda agency, marking, rel: AccessLabel(agency, AGENCIES[agency], marking, frozenset(rel)),
    st.sampled_from(sorted(AGENCIES)),
    st.sampled_from(list(Marking)),
    st.sets(st.sampled_from(TOKENS), max_size=3),
)


# Records an ingest writes together, under one label: the sale names its buyer (the names
# an ingest copies into `namesMentioned`, which a retraction of the name withdraws), the
# recovery links a gun to its possessors, one agency's company is another's person.
RECORDS: list[list[tuple[str, str, str, str]]] = [
    [
        ("s1", "Sale", "buyer", "p1"),
        ("s1", "Sale", "firearm", "g1"),
        ("s1", "Sale", "namesMentioned", "José Pérez"),
        ("p1", "Individual", "name", "José Pérez"),
        ("p1", "Individual", "phone", "+526671573741"),
        ("g1", "Firearm", "serialNumber", "6671573741"),
    ],
    [
        ("s2", "Sale", "buyer", "p2"),
        ("s2", "Sale", "namesMentioned", "María Dolores García López"),
        ("p2", "Individual", "name", "María Dolores García López"),
        ("p2", "Individual", "phone", "+525512345678"),
    ],
    [
        ("r1", "Recovery", "firearm", "g1"),
        ("r1", "Recovery", "possessor", "p2"),
        ("r1", "Recovery", "possessor", "p3"),
        ("p3", "Individual", "name", "MA. DOLORES GARCÍA"),
        ("p3", "Individual", "alias", "Łukasz Straße"),
        ("p3", "Person", "phone", "+15512345678"),
    ],
    [
        ("c1", "Company", "name", "Transportes Fco. Villa"),
        ("c1", "Company", "phone", "+526671573741"),
        ("s1", "Sale", "buyer", "c1"),
    ],
    [
        ("c1", "Individual", "name", "Francisco Villa"),
        ("c1", "Individual", "birthDate", "1970-01-01"),
    ],
]


@st.composite
def fact_st(draw: Any, entities: list[str] = ENTITY_IDS) -> Fact:
    entity = draw(st.sampled_from(entities))
    schemata, prop, value = draw(st.sampled_from(FACTS[entity]))
    return Fact(
        entity,
        draw(st.sampled_from(schemata)),
        prop,
        value,
        draw(label_st),
        draw(st.integers(0, 3)) == 0,  # a quarter retracted
        draw(st.sampled_from([None, "file.csv:3", "otro.csv:12"])),
        draw(st.sampled_from([None, None, "court order 7"])),
    )


@st.composite
def record_st(draw: Any) -> list[Fact]:
    label = draw(label_st)
    source = draw(st.sampled_from([None, "file.csv:3"]))
    return [
        Fact(entity, schema, prop, value, label, draw(st.integers(0, 3)) == 0, source, None)
        for entity, schema, prop, value in draw(st.sampled_from(RECORDS))
    ]


# facts one by one, and records of several
facts_st = st.lists(st.one_of(fact_st().map(lambda f: [f]), record_st()), max_size=10).map(
    lambda items: [f for item in items for f in item]
)
ledger_row_st = st.tuples(st.integers(0, 5), label_st)

principal_st = st.builds(
    lambda name, agency: Principal(name, agency, AGENCIES[agency]),
    st.sampled_from(["ana", "beto", "carla"]),
    st.sampled_from(sorted(AGENCIES)),
)


@functools.cache
def _template() -> Path:
    """An empty store with the agencies' datasets declared, made once per process (a new
    store's migrations took most of an example's time; a copy takes milliseconds)."""
    folder = Path(tempfile.mkdtemp(prefix="ironriver-view-properties-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "template.db"
    store = open_store(f"sqlite:///{path}", ledger_dir=folder / "ledgers")
    with store.writer() as w:
        for agency, country in AGENCIES.items():
            # the FGR's dataset is released to the US by default, the rest kept home
            rel = frozenset({"MX", "US"}) if agency == "FGR" else frozenset({country})
            w.ensure_dataset(
                DatasetInfo(DATASETS[agency], agency, country, Marking.AMBER, rel, f"{agency} law")
            )
    store.close()  # (the last connection closed: the WAL is checkpointed into the file)
    return path


def open_new(path: Path) -> Store:
    template = _template()
    for part in template.parent.glob(f"{template.name}*"):  # (and its read-audit file)
        shutil.copyfile(part, path.with_name(path.name + part.name[len(template.name) :]))
    return open_store(f"sqlite:///{path}", ledger_dir=path.with_suffix(".ledgers"))


def add(store: Store, facts: list[Fact]) -> None:
    """Each fact as one write, in order (a known id is ignored: the first label stays)."""
    with store.writer() as w:
        for f in facts:
            columns: dict[str, list[Any]] = {
                "id": [f.id],
                "entity_id": [f.entity],
                "schema": [f.schema],
                "prop": [f.prop],
                "value": [f.value],
                "source_ref": [f.source],
            }
            w.add_statements(pa.table(columns), f.dataset, f.label, legal_basis=f.legal_basis)


def add_ledger(store: Store, rows: list[tuple[int, AccessLabel]]) -> None:
    ledgers = LedgerStore(store.ledger_dir)
    for rid, label in rows:
        ledgers.write(DATASETS[label.owner_agency], "crossings", label, pa.table({"rid": [rid]}))


def retract_as_owner(store: Store, facts: list[Fact]) -> None:
    """The owning agency retracts each of `facts` (the stored statement of its id)."""
    for f in facts:
        agency = f.label.owner_agency
        owner = Principal(f"loader-{agency}", agency, AGENCIES[agency], frozenset({"ingest"}))
        try:
            retract(store, owner, f.entity, reason="entered in error", statement_ids=[f.id])
        except NotFound:  # already withdrawn with a name it was copied from
            pass


def standing_ids(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(statements.c.id).where(statements.c.retracted.is_(False)))
        return {str(r[0]) for r in rows}


NAME_QUERIES = [
    "perez",
    "güero",
    "alvaro reyes mendoza",  # three words: "Álvaro Reyes" lacks one
    "maria dolores garcia lopez",  # "MA. DOLORES GARCÍA" lacks one, "María ..." none
    "francisco javier perez",  # "Fco. Javier Pérez"
    "guadalupe mendoza",
    "jose josefina ruiz",  # two words starting "jose": a different word each
    "perez-lopez",
    "maria perezlopez",
    "lodz strasse lukasz",
    "garcia garcia",
    "juan lopez reyes mendoza alvaro perez",  # six words
    "jose perez",  # as typed, then "PEPE PÉREZ" through a nickname
    "pepe perez",  # and back: "José Pérez"
    "lupe mendoza",  # "Gpe. Mendoza": a hypocoristic's name's abbreviation
    "guadalupe reyes mendoza",  # "Lupe Reyes" lacking a word, through a nickname
]
# searched with limits and schemata too (and through `find`)
LIMITED = ["perez", "maria dolores garcia", "jose josefina", "jose perez"]
SCHEMATA = ["LegalEntity", "Company", "Individual"]
IDENTIFIERS = [
    "abc123",
    "XYZ9",
    "667 157 3741",
    "6671573741",  # a serial as typed first, then phones
    "(956) 718-9749",
    "956 718 9749",
    "+52 667 157 3741",
    "044 667 157 3741",
    "55 1234 5678",
    "551 234 5678",  # a US number (NPA 551) and a Mexico City one
]
EXPORT_SCHEMATA = ("Individual", "Person", "LegalEntity", "Company", "Firearm", "Thing", "Sale")


def _hits(hits: list[Any]) -> list[tuple[Any, ...]]:
    return [dataclasses.astuple(h) for h in hits]


def _outcome(call: Any) -> Any:
    """What a read gives, or the refusal it raises (its message, which must not differ)."""
    try:
        return call()
    except (AccessDenied, NotFound) as exc:
        return (type(exc).__name__, str(exc))


def snapshot(view: View) -> dict[str, Any]:
    """Every public read of `view`, each on the values that make its features fire."""
    out: dict[str, Any] = {}
    for entity in [*ENTITY_IDS, "nope"]:
        ent = view.entity(entity)
        out[f"entity:{entity}"] = None if ent is None else entity_dict(ent)
        out[f"require:{entity}"] = _outcome(lambda e=entity: entity_dict(view.require(e)))
        records = view.statements(entity)
        out[f"statements:{entity}"] = [dataclasses.asdict(r) for r in records]
        out[f"mentions:{entity}"] = view.copied_mentions(records)
        for limit in (None, 0, 1, 2):
            page, n = view.neighbour_page(entity, limit)
            out[f"neighbour_page:{entity}:{limit}"] = ([dataclasses.astuple(x) for x in page], n)
        out[f"neighbours:{entity}"] = [dataclasses.astuple(x) for x in view.neighbours(entity)]
        out[f"neighbour_count:{entity}"] = view.neighbour_count(entity)
    out["entities"] = {
        k: entity_dict(v) for k, v in view.entities([*ENTITY_IDS, "nope", "p1"]).items()
    }
    for dataset in [*DATASETS.values(), "ds_none"]:
        out[f"held_elsewhere:{dataset}"] = view.held_elsewhere([*ENTITY_IDS, "nope"], dataset)
        out[f"held_elsewhere:{dataset}:p"] = view.held_elsewhere(["p1", "p2", "p1"], dataset)
    for query in NAME_QUERIES:
        out[f"search:{query}"] = _hits(view.search(query))
    for query in LIMITED:
        out[f"find:{query}"] = _hits(view.find(query, limit=3))
        out[f"search:{query}:1"] = _hits(view.search(query, limit=1))
        for schema in SCHEMATA:
            out[f"search:{query}:{schema}"] = _hits(view.search(query, schema, limit=2))
    for ident in IDENTIFIERS:
        out[f"ident:{ident}"] = _hits(view.by_identifier(ident))
    for ident in ("6671573741", "667 157 3741", "551 234 5678"):
        out[f"ident:{ident}:1"] = _hits(view.by_identifier(ident, 1))
        for schema in ("Person", "Firearm"):
            out[f"ident:{ident}:{schema}"] = _hits(view.by_identifier(ident, 20, schema))
        out[f"find:{ident}"] = _hits(view.find(ident, limit=2))
        out[f"find:{ident}:ids"] = _hits(view.find(ident, identifiers_only=True))
    counts = view.counts()
    out["counts"] = dataclasses.astuple(counts)
    out["datasets"] = [
        (d.info, d.visible_statements, d.visible_ledger_rows) for d in view.datasets()
    ]
    out["statement_count"] = view.statement_count()
    out["table"] = view.table().to_pylist()
    for schemata, types in (
        (None, ["name"]),
        (None, ["phone", "identifier"]),
        (["Person"], None),
        (["LegalEntity"], ["name"]),
        (["Firearm", "Sale"], ["entity", "identifier"]),
    ):
        out[f"table:{schemata}:{types}"] = view.table(schemata, types).to_pylist()
    out["export_table"] = view.export_table().to_pylist()
    out["export_table:Person"] = view.export_table("Person").to_pylist()
    out["export"] = [entity_dict(e) for e in view.export()]
    for schema in EXPORT_SCHEMATA:
        out[f"export:{schema}"] = [entity_dict(e) for e in view.export(schema)]
    out["schema_conflicts"] = {k: c.as_dict() for k, c in sorted(view.schema_conflicts.items())}
    out["ledger_counts"] = view.ledger_counts()
    out["ledger"] = _outcome(
        lambda: sorted(view.ledger("crossings").project("rid, _dataset, _marking").fetchall())
    )
    return out


def unjustified(view: View) -> dict[str, Any]:
    """The reads an audited view refuses without a reason when they would show AMBER+STRICT
    or RED statements: which it refuses, and with which message, must not differ either."""
    out: dict[str, Any] = {}
    for entity in ENTITY_IDS:
        out[f"entity:{entity}"] = _outcome(lambda e=entity: view.entity(e) is not None)
        out[f"statements:{entity}"] = _outcome(lambda e=entity: len(view.statements(e)))
        out[f"neighbours:{entity}"] = _outcome(lambda e=entity: len(view.neighbours(e, 1)))
    for query in ["perez", "alvaro reyes mendoza", "maria dolores garcia", *IDENTIFIERS[:4]]:
        out[f"find:{query}"] = _outcome(lambda q=query: _hits(view.find(q, limit=2)))
    out["ledger"] = _outcome(lambda: view.ledger("crossings").aggregate("count(*)").fetchall())
    return out


def check(
    facts: list[Fact],
    ledger_rows: list[tuple[int, AccessLabel]],
    who: Principal,
    reads: Any = None,
) -> None:
    """Build A and B (module doc) and compare `reads` of a view of each (default: `snapshot`
    and `unjustified`)."""
    with tempfile.TemporaryDirectory() as tmp:
        full = open_new(Path(tmp) / "a.db")
        add(full, facts)
        retract_as_owner(full, [f for f in facts if f.retracted])
        add_ledger(full, ledger_rows)
        standing = standing_ids(full)
        first: dict[str, Fact] = {}
        for f in facts:
            first.setdefault(f.id, f)  # the label the store kept
        visible = [f for f in first.values() if f.id in standing and can_see(who, f.label)]
        alone = open_new(Path(tmp) / "b.db")
        add(alone, visible)
        add_ledger(alone, [r for r in ledger_rows if can_see(who, r[1])])
        try:
            got = (reads or snapshot)(View(full, who, audit=False))
            expected = (reads or snapshot)(View(alone, who, audit=False))
            for key in expected:
                assert got[key] == expected[key], key
            if reads is None:
                assert unjustified(View(full, who)) == unjustified(View(alone, who))
        finally:
            full.close()
            alone.close()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    facts=facts_st,
    ledger_rows=st.lists(ledger_row_st, max_size=3),
    principal=principal_st,
)
def test_every_view_read_equals_the_visible_statements_alone(
    facts: list[Fact], ledger_rows: list[tuple[int, AccessLabel]], principal: Principal
) -> None:
    check(facts, ledger_rows, principal)


def phone_reads(view: View) -> dict[str, Any]:
    """The identifier searches alone, and the countries a number typed without its prefix is
    read in (`_phone_countries`: what decides which phones those find; compared itself, as
    a difference there shows in the hits only for a narrow draw of facts)."""
    out: dict[str, Any] = {"countries": view._phone_countries()}
    for ident in IDENTIFIERS:
        out[f"ident:{ident}"] = _hits(view.by_identifier(ident))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    facts=st.lists(
        st.one_of(fact_st(["p1", "p2", "c1"]).map(lambda f: [f]), record_st()), max_size=4
    ).map(lambda items: [f for item in items for f in item]),
    principal=principal_st,
)
def test_phone_reading_equals_the_visible_statements_alone(
    facts: list[Fact], principal: Principal
) -> None:
    """The phone readings alone, on few facts (cheap, so many more examples): which countries
    a number typed without its prefix is read in depends on which owners' facts a view shows,
    a narrow case the reads above rarely draw."""
    check(facts, [], principal, phone_reads)
