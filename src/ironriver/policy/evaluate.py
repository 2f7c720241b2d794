"""Name search (`View.search`) scored against a world's truth (`ironriver eval search --world
DIR`): for every record of a person the agencies wrote, is the record found when an analyst
types the true person's name, and how many of the hits are that person?

Every agency mapping of the world is ingested into a fresh temporary SQLite store (as `ironriver
demo` does), and the store is read as `mx-fgr-analista` (`EVAL_PRINCIPAL`): FGR is released
every dataset that names persons (its own arrests and seizures, SEDENA's seizures, CBP's
seizure reports, the HSI case files and CNI's reports; docs/policy.md), so one principal sees
every record scored. A US analyst sees the same records but CNI's, which name no one by name
(below).

A truth record (`truth/records.parquet`: dataset, record_id, person_id) is found in its agency
file by its record id (the file's columns `RECORD_COLUMNS` joined with "/", as the world writes
it), and its entity id is computed from that row as the ingest computes it (`entity_id`: the
mapping's keys, hashed as FtM's `compute_key`). That is the one way that names the entity of
every record: a statement keeps the source row of only the first record that stated it, so
the second gun seized from one carrier has no row of its own in the store. The computation is
checked, not trusted: a record whose computed entity the store does not hold is counted
(`unmapped`) and fails the evaluation.

A record is scored when the principal sees its entity and the entity holds a name part
(firstName, lastName, paternalSurname, maternalSurname); a record naming its person only by
an alias (CNI's reports, the Mexican source of supply in an HSI case) cannot be found by the
person's name and is counted apart (`alias_only`). Each scored record is looked for by the
forms of its true person's name an analyst types (`FORMS`): given names and paternal surname
("María Dolores García"), the Mexican full order ("García López María Dolores") and given names
then both surnames; the two forms with a maternal surname only for persons who have one. The
paternal surname alone is not scored: hundreds of people share one, so its first ten hits say
little about recall. For each query:

- found (recall@10): the record's entity is among the first `LIMIT` hits of
  `View.search(q, limit=LIMIT)`;
- purity: of the hits returned, the share whose entity is a record of the queried person
  (a hit that is no person's record, an organisation or a vehicle, counts as wrong); summed
  over the queries (hits right / hits returned);
- whole-name purity, the one under a floor: the same share of the hits holding every word
  (not `SearchHit.missing` one), a namesake counted right: another person whose true name
  (given names and both surnames) holds every word typed, whole (`namesake`). Any name search
  must return him, whoever was meant ("José Hernández" finds José Luis Hernández Soto and José
  Contreras Hernández), so he is the world's names, not an error of the search; a word held
  only as a longer word ("Mora" in "Morales") or through a hypocoristic is not a namesake.
  The share of those hits that are the queried person himself is kept beside it
  (`FormScore.whole_person_purity`), under no floor.

Latency is each query's in-process wall time (median and 95th percentile), for information.

Measured 2026-11-30 on `ironriver world generate --scale 0.02 --years 1 --seed 7` (~20 s,
half of it the ingest; 986 records of a person: 643 scored, 343 alias-only, every one visible):
recall@10 given+paternal 0.980 (630 of 643), the full name (both surnames and the given
names; word order does not matter) 0.975 (460 of 472); the seventeenth session's run (H29,
docs/performance.md) gave 0.992 / 0.992. Purity of all hits 0.67 / 0.80, of
the hits holding every word (as typed, or through a given name's hypocoristic) 0.90 / 1.00: a
search of three to six words also lists names lacking one word, after those holding all,
marked (`SearchHit.missing`), and most of those are other people. Reading hypocoristics
("Mari" for María, "Paco" for Francisco, "Charly" for Carlos; `SearchHit.read_as`) took recall
from 0.967 / 0.968 (622 / 457) the same day, purities unchanged (whole 0.903 / 1.000, all
0.664 / 0.805): 13 and 14 hits came through one, 12 of each the queried person. A search
took a median of ~10 ms and a p95 of ~50 ms for two or three words, ~25 ms and ~60 ms for full
names, on a host loaded by other work (the code before, in the same shell: ~19 / ~100 ms and
~64 / ~150 ms; on a quiet host the day before, ~5 / ~40 ms and ~19 / ~65 ms). Before names
lacking a word were found (2026-11-29): recall 0.936 / 0.788, purity 0.90 / 1.00: a record
that leaves out the maternal surname or a second given name was lost to a full-name search.
The misses left are two words missing ("María del Rosario Cisneros" for "Maria Cisneros
Diaz"), typos ("GABRIEAL PALACIOS", "Charly Romero Zvala"), and a hypocoristic with a word
missing, ranked last and past the tenth hit. A record counts once per record: a carrier
seized with three guns is three records of one entity. `RECALL_FLOORS` and
`WHOLE_PURITY_FLOORS` sit a little below these, so a change that loses records, or mixes
other people into the whole-name hits, fails the command.

Namesakes (2026-12-02, H83). Until then whole-name purity was the queried person's own share,
and a seed-1 world failed it: `ironriver world generate --scale 0.05 --years 1 --seed 1
--decapitation 26 --out w` (succession drawn: a successor; `eval search` ~53 s, 1,583 of
2,086 records scored) gave 0.802 for given names + paternal surname, under its floor of 0.82
(another helper read 0.759 on a seed-1 world of the same scale). Of its 2,565 whole-name hits,
2,057 were the person, 474 a namesake (144 with the same given names and paternal surname, 330
with the words in a longer true name) and 34 errors of the search: a word held only as a
longer one ("María Mora" finding María Morales, "Rosa" in María del Rosario: a search matches
word prefixes) or through a hypocoristic ("Mary Martin": MARÍA MARTÍNEZ SANTOS). A search
returning every name holding the words, the person's own first, reaches at most 0.814 there
(0.934 if only the same given names and paternal surname were unavoidable): that share
measures how many people of the world share a name. With namesakes counted right, given names
+ paternal surname: 0.987 on that world (own 0.802), 0.998 on the seed-7 world above (0.911),
0.995 on a scale-0.02 world of seed 20240101 (0.864), 1.000 on the tests' scale-0.003 world
of seed 3 (0.985); both surnames with the given names 1.000 on each (no namesake among them).
A search cutting each word typed to three letters keeps its recall (0.976, 0.991, 0.981) and
falls to 0.777, 0.890 and 0.865; one that marks no hit as lacking a word, to 0.586 and 0.737
(both surnames: 0.645 and 0.811; 0.920 and 0.800 on the tests' world): below the floors.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ironriver.errors import WorldError
from ironriver.i18n import marked, msg
from ironriver.ingest import row_entity_id
from ironriver.ingest.mapping import EntitySpec, QuerySpec, load_mapping
from ironriver.policy.principals import DEFAULT_PRINCIPALS_YAML, parse_principals
from ironriver.policy.view import View
from ironriver.settings import sqlite_url
from ironriver.store import Store, open_store
from ironriver.store.ids import query_words
from ironriver.world.config import WorldPaths

EVAL_PRINCIPAL = "mx-fgr-analista"
"""The built-in principal the store is read as (module doc: it sees every scored dataset)."""
LIMIT = 10
"""Hits read per query: recall@10, purity of the first ten."""

RECORD_COLUMNS: dict[str, tuple[str, ...]] = {
    "mx_fgr_detenciones": ("FOLIO",),
    "mx_fgr_aseguramientos": ("FOLIO", "NUM_ARMA"),
    "mx_sedena_aseguramientos": ("FOLIO", "NUM_ARMA"),
    "us_hsi_cases": ("CASE_NO", "SUBJECT_NO"),
    "us_cbp_seizures": ("SEIZURE_NO", "ITEM_NO"),
    "mx_cni_informes": ("FOLIO",),
}
"""The datasets whose records are a person's entity, and the columns of an agency file that
make a record's truth id (joined with "/", as `ironriver.world.sensors` writes them). The
others go to ledgers, which name search does not read."""

NAME_PARTS = ("firstName", "lastName", "paternalSurname", "maternalSurname")
"""A record's entity holding one of these names its person (else only an alias)."""

FORMS: dict[str, tuple[str, ...]] = {
    "given paternal": ("given_names", "paternal_surname"),
    "paternal maternal given": ("paternal_surname", "maternal_surname", "given_names"),
}
"""The forms of a true name queried (`truth/persons.parquet` columns, in the order typed).
Word order does not change a name search (its words are matched in any order), so the
Mexican order stands for the full name typed either way."""
FORM_LABELS: dict[str, str] = {
    "given paternal": marked("given names, paternal surname"),
    "paternal maternal given": marked("paternal, maternal surname, given names"),
}
"""How the command shows each form (translated where shown)."""

RECALL_FLOORS: dict[str, float] = {
    "given paternal": 0.93,
    "paternal maternal given": 0.93,
}
"""`ironriver eval search` fails below these (module doc: measured 0.980 / 0.975 on the
documented world, 0.972 / 0.971 on a scale-0.02 world of seed 20240101, 0.984 / 0.993 on the
scale-0.05 world of seed 1 with a decapitation (2026-12-02: 0.992 / 0.992 and 0.981 / 0.979 on
the first two); before hypocoristics
were read, 0.967 / 0.968 and 0.965 / 0.966; before names lacking a word were found, 0.936 /
0.788). Left where they were: what the hypocoristics add (0.5 to 1.3 points) is less than
two worlds differ by, so no floor can tell its loss (the tests of `ironriver.policy.search`
do)."""

WHOLE_PURITY_FLOORS: dict[str, float] = {
    "given paternal": 0.95,
    "paternal maternal given": 0.95,
}
"""...and below these purities of the hits holding every word, as typed or through a
hypocoristic, a namesake counted right (`FormScore.whole_purity`; module doc, Namesakes:
measured 0.998 / 1.000 on the seed-7 world, 0.995 / 1.000 on the seed-20240101 one, 0.987 /
1.000 on the seed-1 scale-0.05 one; a search reading word prefixes of three letters fell to
0.777-0.890, one not marking hits that lack a word to 0.586-0.920). Hits lacking a word are
listed after them, marked, so the whole-name hits must stay as pure as they were. The floor
for given names + paternal surname was 0.82 of the person's own share (0.904 and 0.855 on the
first two worlds), which a world whose people share more names fails whatever the search
(0.802 on the seed-1 one, where no search could pass 0.814)."""


@dataclass(frozen=True)
class FormScore:
    """One form of the name over the scored records of one dataset ("" for all of them)."""

    form: str
    dataset: str
    queries: int  # scored records of a person with every part of the form
    found: int  # ... whose entity is among the first LIMIT hits
    hits: int  # hits returned over those queries
    right: int  # ... that are a record of the queried person
    whole_hits: int = 0  # hits whose name holds every word of the query (not `missing` one)
    whole_right: int = 0  # ... that are a record of the queried person
    whole_namesakes: int = 0  # ... that are another person's record, a namesake (`namesake`)

    @property
    def recall(self) -> float:
        return self.found / self.queries if self.queries else 0.0

    @property
    def purity(self) -> float:
        return self.right / self.hits if self.hits else 0.0

    @property
    def whole_purity(self) -> float:
        """Purity of the hits holding every word of the query, a namesake of the queried
        person counted right: any name search must return him too, so he is no error of the
        search (module doc). Those lacking a word (listed after them, marked) are candidates
        to look at, most of them other people."""
        if not self.whole_hits:
            return 0.0
        return (self.whole_right + self.whole_namesakes) / self.whole_hits

    @property
    def whole_person_purity(self) -> float:
        """The share of the hits holding every word that are the queried person himself: it
        measures the world's names (how many share one) as much as the search; for
        information, under no floor."""
        return self.whole_right / self.whole_hits if self.whole_hits else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            **asdict(self),
            "recall": self.recall,
            "purity": self.purity,
            "whole_purity": self.whole_purity,
            "whole_person_purity": self.whole_person_purity,
        }


@dataclass(frozen=True)
class Latency:
    """In-process wall time of one form's queries, in milliseconds (for information)."""

    form: str
    queries: int
    median_ms: float
    p95_ms: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Miss:
    """A record not found: the query typed and the names its entity holds."""

    form: str
    dataset: str
    query: str
    names: list[str]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class SearchEvaluation:
    """Name search scored on a world (module doc)."""

    principal: str
    records: dict[str, int]  # per dataset: truth records of a person
    hidden: dict[str, int]  # ... whose entity the principal does not see
    alias_only: dict[str, int]  # ... seen, naming the person only by an alias (not scored)
    unmapped: dict[str, int]  # ... whose computed entity id the store does not hold
    scored: dict[str, int]  # ... seen and named: looked for
    scores: list[FormScore]  # per form: over all datasets ("") first, then each dataset
    latency: list[Latency]
    missed: list[Miss] = field(default_factory=list)

    def overall(self, form: str) -> FormScore:
        """The score of `form` over every dataset."""
        return next(s for s in self.scores if s.form == form and s.dataset == "")

    @property
    def ok(self) -> bool:
        """Every record mapped to a stored entity, some were scored, and each form's recall
        and whole-name purity are at or above their floors."""
        return (
            not any(self.unmapped.values())
            and sum(self.scored.values()) > 0
            and all(self.overall(f).recall >= floor for f, floor in RECALL_FLOORS.items())
            and all(
                self.overall(f).whole_purity >= floor for f, floor in WHOLE_PURITY_FLOORS.items()
            )
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "principal": self.principal,
            "limit": LIMIT,
            "records": self.records,
            "hidden": self.hidden,
            "alias_only": self.alias_only,
            "unmapped": self.unmapped,
            "scored": self.scored,
            "scores": [s.as_dict() for s in self.scores],
            "latency": [x.as_dict() for x in self.latency],
            "floors": RECALL_FLOORS,
            "whole_purity_floors": WHOLE_PURITY_FLOORS,
            "missed": [m.as_dict() for m in self.missed],
            "ok": self.ok,
        }


def entity_id(dataset: str, entity: EntitySpec, row: dict[str, str]) -> str | None:
    """The id the ingest gives `entity` in the record `row` (docs/mapping.md, "Ids"): its id
    column, or sha1 of the dataset, the key literal and the sorted non-empty key values
    (`ingest.row_entity_id`, keys `key_clean` names cleaned); None when every key is empty
    (no entity in that record)."""
    return row_entity_id(dataset, entity, row)


def _person_query(queries: tuple[QuerySpec, ...]) -> tuple[QuerySpec, EntitySpec] | None:
    """The first query of a dataset making an Individual with a name, and that entity."""
    for query in queries:
        for entity in query.entities:
            if entity.schema == "Individual" and any(
                p.name == "name" and p.entity is None for p in entity.properties
            ):
                return query, entity
    return None


def _rows(query: QuerySpec) -> Iterator[dict[str, str]]:
    """The records of a query's file its filters keep, every value as text ("" for none)."""
    path = query.source.path
    if query.source.kind == "jsonl":
        lines = path.read_text(encoding="utf-8").splitlines()
        records = [
            {k: "" if v is None else str(v) for k, v in json.loads(line).items()}
            for line in lines
            if line.strip()
        ]
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        records = frame.to_dict("records")
    for record in records:
        if all(record.get(c, "") in values for c, values in query.source.filters) and not any(
            record.get(c, "") in values for c, values in query.source.filters_not
        ):
            yield record


def record_entities(world: Path) -> dict[tuple[str, str], str]:
    """(dataset, truth record id) -> the entity id of its person, for the datasets of
    `RECORD_COLUMNS` (module doc)."""
    out: dict[tuple[str, str], str] = {}
    for mapping_path in WorldPaths(Path(world)).mappings():
        for dataset in load_mapping(mapping_path):
            columns = RECORD_COLUMNS.get(dataset.name)
            found = _person_query(dataset.queries) if columns else None
            if columns is None or found is None:
                continue
            query, entity = found
            for row in _rows(query):
                eid = entity_id(dataset.name, entity, row)
                if eid is not None:
                    out[(dataset.name, "/".join(row[c] for c in columns))] = eid
    return out


def namesake(query: str, name: str) -> bool:
    """Whether the true name `name` (given names and surnames) holds every word of `query`,
    each as a whole word, accents and case ignored, a word typed twice held twice
    (`query_words`, as a search reads them): a name search returns such a person for the
    query whoever was meant ("José Hernández" for José Luis Hernández Soto, or for José
    Contreras Hernández), so among a query's hits he is a namesake, not an error. A word
    held only as a longer word ("Mora" in "Morales") or through a hypocoristic is not."""
    held = Counter(query_words(name))
    return all(held[w] >= n for w, n in Counter(query_words(query)).items())


def _truth_file(world: Path, name: str) -> Path:
    """A truth table of the world (`truth/NAME.parquet`); a `WorldError` when it is missing."""
    path = WorldPaths(world).truth / f"{name}.parquet"
    if not path.exists():
        raise WorldError(
            msg("{path} is missing.", path=path),
            hint=msg("Generate the world with {command}.", command="`ironriver world generate`"),
        )
    return path


def score_search(store: Store, world: Path, examples: int = 5) -> SearchEvaluation:
    """Score `View.search` on `store`, which holds every agency mapping of `world` ingested
    (module doc); `examples`: misses kept per form and dataset, to show."""
    world = Path(world)
    principal = parse_principals(yaml.safe_load(DEFAULT_PRINCIPALS_YAML), "built-in principals")[
        EVAL_PRINCIPAL
    ]
    view = View(
        store, principal, reason="eval search: name search against the world's truth", audit=False
    )
    persons = pd.read_parquet(_truth_file(world, "persons")).set_index("person_id")
    records = pd.read_parquet(
        _truth_file(world, "records"), columns=["dataset", "record_id", "person_id"]
    )
    records = records[records["dataset"].isin(list(RECORD_COLUMNS)) & (records["person_id"] != "")]
    ids = record_entities(world)
    held = store.held_entities(ids.values())
    persons_of: dict[str, set[str]] = {}  # entity id -> its records' true persons
    for dataset, record_id, person_id in records.itertuples(index=False):
        eid = ids.get((dataset, record_id))
        if eid is not None:
            persons_of.setdefault(eid, set()).add(person_id)
    seen = view.entities(sorted(e for e in persons_of if e in held))
    counts: dict[str, dict[str, int]] = {
        k: {} for k in ("records", "hidden", "alias_only", "unmapped", "scored")
    }
    todo: list[tuple[str, str, str]] = []  # (dataset, entity id, person id)
    for dataset, record_id, person_id in records.sort_values(["dataset", "record_id"]).itertuples(
        index=False
    ):
        eid = ids.get((dataset, record_id))
        counts["records"][dataset] = counts["records"].get(dataset, 0) + 1
        if eid is None or eid not in held:
            kind = "unmapped"
        elif eid not in seen:
            kind = "hidden"
        elif not any(seen[eid].get(p) for p in NAME_PARTS):
            kind = "alias_only"
        else:
            kind = "scored"
            todo.append((dataset, eid, person_id))
        counts[kind][dataset] = counts[kind].get(dataset, 0) + 1
    # (form, dataset) -> queries, found, hits, right, whole hits, whole right, namesakes
    tallies: dict[tuple[str, str], list[int]] = {}
    times: dict[str, list[float]] = {f: [] for f in FORMS}
    # query -> hit entity ids, and whether each holds every word (one search per query)
    answers: dict[str, list[tuple[str, bool]]] = {}
    missed: list[Miss] = []
    kept: dict[tuple[str, str], int] = {}
    true_names: dict[str, str] = {}  # person id -> given names and both surnames

    def true_name(person_id: str) -> str:
        if person_id not in true_names:
            row = persons.loc[person_id]
            true_names[person_id] = " ".join(
                str(row[p] or "") for p in ("given_names", "paternal_surname", "maternal_surname")
            )
        return true_names[person_id]

    for dataset, eid, person_id in todo:
        person = persons.loc[person_id]
        for form, parts in FORMS.items():
            words = [str(person[p] or "").strip() for p in parts]
            if not all(words):
                continue
            query = " ".join(words)
            if query not in answers:
                start = time.perf_counter()
                hits = view.search(query, limit=LIMIT)
                times[form].append((time.perf_counter() - start) * 1000)
                answers[query] = [(h.entity_id, not h.missing) for h in hits]
            hit_ids = [h for h, _ in answers[query]]
            whole = [h for h, all_words in answers[query] if all_words]
            right = sum(1 for h in hit_ids if person_id in persons_of.get(h, ()))
            whole_right = sum(1 for h in whole if person_id in persons_of.get(h, ()))
            namesakes = sum(
                1
                for h in whole
                if person_id not in persons_of.get(h, ())
                and any(namesake(query, true_name(p)) for p in persons_of.get(h, ()))
            )
            found = eid in hit_ids
            for key in ((form, ""), (form, dataset)):
                tally = tallies.setdefault(key, [0, 0, 0, 0, 0, 0, 0])
                tally[0] += 1
                tally[1] += found
                tally[2] += len(hit_ids)
                tally[3] += right
                tally[4] += len(whole)
                tally[5] += whole_right
                tally[6] += namesakes
            if not found and kept.get((form, dataset), 0) < examples:
                kept[(form, dataset)] = kept.get((form, dataset), 0) + 1
                missed.append(Miss(form, dataset, query, sorted(seen[eid].get("name"))))
    scores = [
        FormScore(form, dataset, *tallies.get((form, dataset), [0] * 7))
        for form in FORMS
        for dataset in ["", *sorted(counts["scored"])]
    ]
    latency = [
        Latency(
            form,
            len(times[form]),
            float(np.median(times[form])) if times[form] else 0.0,
            float(np.percentile(times[form], 95)) if times[form] else 0.0,
        )
        for form in FORMS
    ]
    return SearchEvaluation(
        principal.name,
        counts["records"],
        counts["hidden"],
        counts["alias_only"],
        counts["unmapped"],
        counts["scored"],
        scores,
        latency,
        missed,
    )


def evaluate_search(world: Path) -> SearchEvaluation:
    """Ingest every agency mapping of `world` into a fresh temporary SQLite store and score
    name search on it (`score_search`; the store is removed afterwards)."""
    from ironriver.demo import ingest_world

    for name in ("persons", "records"):  # before the long ingest
        _truth_file(world, name)
    with tempfile.TemporaryDirectory(prefix="ironriver-eval-search-") as tmp:
        folder = Path(tmp)
        store = open_store(sqlite_url(folder / "eval.db"), ledger_dir=folder / "ledgers")
        try:
            mappings = WorldPaths(Path(world)).mappings()
            for _result in ingest_world(store, mappings, actor="eval-search", reason="eval search"):
                pass
            return score_search(store, world)
        finally:
            store.close()
