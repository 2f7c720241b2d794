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
  (`FormScore.whole_person_purity`), under no floor;
- rank, which the three above are blind to (they count the first ten hits as a set):
  success@1, MRR@10 and nDCG@10, the last two under floors (Rank, below).

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

Rank (2026-12-03, H87). Recall and purity count the first ten hits as a set: a search listing
them in any order scores the same, and the whole-words-first ranking (docs/policy.md, Whole
words) changed the order of the seed-1 world's hits without moving a score. Three numbers read
the order, per query, averaged over the queries as recall is (a record counts once per record):

- success@1 (`FormScore.success_at_1`): the first hit is a record of the queried person;
- MRR@10 (`FormScore.mrr`): 1 / the rank of the first hit that is one (`reciprocal_rank`; 0
  when none of the first ten is);
- nDCG@10 (`FormScore.ndcg`, `ndcg`): the hits graded (`GRADES`) 2 for a record of the
  person, 1 for a namesake's, 0 for any other; their DCG (each grade over log2(rank + 1))
  over the DCG of the best order of every relevant entity: the person's records a name
  search can find (seen, with a name: the scored records' entities) and every namesake's,
  judged from the truth, not from the hits (a record the search does not return costs too).
  A namesake is graded under the person (he is not the one meant) and above any other hit
  (listing him is no error): for "María Mora", listing the María Mora Ruiz nobody meant
  before the person's María Mora López costs a little, listing a María Morales (a longer
  word) or a record lacking a word before either costs more.

success@1 and MRR measure the world's names as much as the search, as the person's own share
of the whole-name hits does: a namesake whose name is shorter rightly ranks first. Measured
(given names + paternal surname; both surnames with the given names), success@1 / MRR@10 /
nDCG@10: seed 1, scale 0.05, decapitation at week 26 (the world above): 0.932 / 0.957 / 0.970;
0.991 / 0.993 / 0.991. Seed 7, scale 0.02: 0.952 / 0.969 / 0.983; 0.989 / 0.993 / 0.989. Seed
20240101, scale 0.02: 0.923 / 0.950 / 0.964; 0.975 / 0.977 / 0.977; at scale 0.05 (the tests'
`world_005`): 0.921 / 0.950 / 0.969; 0.985 / 0.989 / 0.987. The tests' scale-0.003 world of
seed 3: 1.000 / 1.000 / 1.000; 0.976 / 0.976 / 0.976 (its two full-name misses, "Juan López"
and "ANA FIGUEROA" for names of four words). Seeds 2, 11 and 42 at scale 0.02: MRR 0.974,
0.969, 0.957 and nDCG 0.979, 0.975, 0.971; 0.989, 0.987, 0.987 and 0.986, 0.988, 0.984; seed
7 at scale 0.05: 0.957 / 0.968; 0.986 / 0.981. `MRR_FLOORS` (0.92) and `NDCG_FLOORS` (0.94)
sit 3 and 2.4 points under the lowest (0.950 and 0.964); success@1 (0.921-1.000) has no floor,
as the person's own share has none.

The same hits in another order keep every set score and fall under the floors. Listed in
reverse (the real search's hits, reversed): MRR 0.777 / 0.804 and nDCG 0.854 / 0.857 on the
seed-1 world, 0.781 / 0.807 and 0.856 / 0.860 on `world_005`, 0.743-0.869 / 0.804-0.910 and
0.825-0.912 / 0.857-0.929 on the eight worlds of scale 0.02 and 0.05; on the tests' world,
whose queries find one or two hits, 0.947 / 0.861 and 0.965 / 0.905 (the full names under
their floors). Shuffled (seeded by the query): MRR 0.824-0.920 / 0.886-0.946, nDCG
0.873-0.946 / 0.912-0.955 on the eight, under a floor on each but the seed-7 scale-0.02 world
(0.920 / 0.946 and 0.946 / 0.954: a shuffle keeps the first hit first one time in as many
hits as it has), 0.967 / 0.958 and 0.975 / 0.959 on the tests' world. In entity-id order:
0.826-0.908 / 0.888-0.947 and 0.874-0.938 / 0.912-0.957, under a floor on each of the eight.
What the floors do not see: the whole-words-first ranking itself. Without it (the usual pass's
order, `name_search._whole_first` skipped) the numbers read it, and never rise, but fall by at
most 0.003 for given names + paternal surname (seed 1: success@1 0.9318 for 0.9324, one query
of 1,583; MRR 0.9562 for 0.9565, nDCG 0.9697 for 0.9701; `world_005`: success@1 0.9189 for
0.9212, four of 1,763) and not at all for full names: far less than two worlds differ by, so
no floor can tell its loss; tests/policy/test_search_whole_words.py guards that order.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
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

GRADES: dict[str, int] = {"own": 2, "namesake": 1}
"""Relevance of a hit for nDCG@10 (`ndcg`): a record of the queried person; a namesake's
(another person whose true name holds every word typed, `namesake`: any name search returns
him, so listing him is no error, but he is not the person meant); any other hit 0. Linear
gains, as `trec_eval`'s nDCG takes a judgment's grade."""

MRR_FLOORS: dict[str, float] = {
    "given paternal": 0.92,
    "paternal maternal given": 0.92,
}
"""...and below these MRR@10 (`FormScore.mrr`: where the person's first record ranks among
the hits; module doc, Rank: measured 0.950-0.974 / 0.976-0.993 on nine worlds; a search
listing its hits in reverse fell to 0.743-0.947 / 0.804-0.910, one shuffling them to
0.824-0.967 / 0.886-0.958). The full-name floor stays under its recall floor (0.93): a
record not found ranks nowhere, and the recall floor says that already."""

NDCG_FLOORS: dict[str, float] = {
    "given paternal": 0.94,
    "paternal maternal given": 0.94,
}


def floors() -> tuple[tuple[str, dict[str, float]], ...]:
    """Each metric (a `FormScore` attribute) with its floors, in the order
    `SearchEvaluation.shortfalls` checks them (read when called: the floors above)."""
    return (
        ("recall", RECALL_FLOORS),
        ("whole_purity", WHOLE_PURITY_FLOORS),
        ("mrr", MRR_FLOORS),
        ("ndcg", NDCG_FLOORS),
    )


"""...and below these nDCG@10 (`FormScore.ndcg`: the person's records first, then his
namesakes; module doc, Rank: measured 0.964-1.000 / 0.976-0.991; reversed 0.825-0.965 /
0.857-0.929, shuffled 0.873-0.975 / 0.912-0.959)."""


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
    first_right: int = 0  # queries whose first hit is a record of the queried person
    reciprocal_rank_sum: float = 0.0  # over the queries: `reciprocal_rank` of their hits
    ndcg_sum: float = 0.0  # over the queries: `ndcg` of their hits

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

    @property
    def success_at_1(self) -> float:
        """success@1: the share of queries whose first hit is a record of the queried
        person (a namesake listed first, rightly or not, counts as a miss here)."""
        return self.first_right / self.queries if self.queries else 0.0

    @property
    def mrr(self) -> float:
        """MRR@10: the mean over the queries of 1 / the rank of the first hit that is a
        record of the queried person (0 when none of the first `LIMIT` is)."""
        return self.reciprocal_rank_sum / self.queries if self.queries else 0.0

    @property
    def ndcg(self) -> float:
        """nDCG@10: the mean over the queries of `ndcg`, the person's own records graded
        `GRADES["own"]`, a namesake's `GRADES["namesake"]` (module doc, Rank)."""
        return self.ndcg_sum / self.queries if self.queries else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            **asdict(self),
            "recall": self.recall,
            "purity": self.purity,
            "whole_purity": self.whole_purity,
            "whole_person_purity": self.whole_person_purity,
            "success_at_1": self.success_at_1,
            "mrr": self.mrr,
            "ndcg": self.ndcg,
        }


@dataclass
class _Tally:
    """A `FormScore`'s counts while the queries are scored (its fields but the first two)."""

    queries: int = 0
    found: int = 0
    hits: int = 0
    right: int = 0
    whole_hits: int = 0
    whole_right: int = 0
    whole_namesakes: int = 0
    first_right: int = 0
    reciprocal_rank_sum: float = 0.0
    ndcg_sum: float = 0.0


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

    def shortfalls(self) -> list[tuple[str, str, float, float]]:
        """(metric, form, value, floor) of each overall score below its floor (`floors`: a
        metric is a `FormScore` attribute), in the order of `floors`, then of the forms."""
        return [
            (metric, form, value, floor)
            for metric, of_form in floors()
            for form, floor in of_form.items()
            if (value := getattr(self.overall(form), metric)) < floor
        ]

    @property
    def ok(self) -> bool:
        """Every record mapped to a stored entity, some were scored, and each form's recall,
        whole-name purity, MRR@10 and nDCG@10 are at or above their floors."""
        return (
            not any(self.unmapped.values())
            and sum(self.scored.values()) > 0
            and not self.shortfalls()
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
            "mrr_floors": MRR_FLOORS,
            "ndcg_floors": NDCG_FLOORS,
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
    return _holds(Counter(query_words(name)), query)


def _holds(held: Counter[str], query: str) -> bool:
    """Whether the words `held` (a true name's, `query_words`) hold every word of `query`."""
    return all(held[w] >= n for w, n in Counter(query_words(query)).items())


def reciprocal_rank(grades: Sequence[int]) -> float:
    """1 / the rank of the first hit graded `GRADES["own"]` (the queried person's record;
    the first hit is rank 1), 0.0 when none is: its mean over the queries is MRR."""
    own = GRADES["own"]
    return next((1 / rank for rank, grade in enumerate(grades, start=1) if grade == own), 0.0)


def _dcg(grades: Iterable[int]) -> float:
    """Discounted cumulative gain of the first `LIMIT` grades: each over log2(rank + 1)."""
    return sum(g / math.log2(rank + 1) for rank, g in enumerate(grades, start=1) if rank <= LIMIT)


def ndcg(grades: Sequence[int], relevant: Iterable[int]) -> float:
    """nDCG@10 of hits graded `grades` in the order listed: their DCG (`_dcg`) over the DCG
    of the best order of `relevant`, the grades of every entity relevant to the query (the
    hits' among them), best first; 0.0 when none is relevant. 1.0 when the person's own
    records come first, then his namesakes, and none is missing from the first ten; the
    same hits in another order score less, whatever their set."""
    best = _dcg(sorted((g for g in relevant if g > 0), reverse=True))
    return _dcg(grades) / best if best else 0.0


class _Judgments:
    """The relevance of an entity to a query typed for a person (`GRADES`), from the truth:
    `persons_of`, each entity's true persons, and `eligible`, the entities a name search
    can find (the principal sees them and they hold a name: the scored records')."""

    def __init__(
        self, persons: pd.DataFrame, persons_of: dict[str, set[str]], eligible: set[str]
    ) -> None:
        self._persons = persons
        self._persons_of = persons_of
        self._names: dict[str, Counter[str]] = {}  # person id -> his true name's words
        self._entities_of: dict[str, set[str]] = {}  # person id -> his eligible entities
        self._by_word: dict[str, set[str]] = {}  # word -> persons whose true name holds it
        self._namesakes: dict[str, set[str]] = {}  # query -> eligible persons holding it
        for eid in eligible:
            for person_id in persons_of.get(eid, ()):
                self._entities_of.setdefault(person_id, set()).add(eid)
        for person_id in self._entities_of:
            for word in self._words(person_id):
                self._by_word.setdefault(word, set()).add(person_id)

    def _words(self, person_id: str) -> Counter[str]:
        """The words of the person's true name (given names and both surnames)."""
        if person_id not in self._names:
            row = self._persons.loc[person_id]
            name = " ".join(
                str(row[p] or "") for p in ("given_names", "paternal_surname", "maternal_surname")
            )
            self._names[person_id] = Counter(query_words(name))
        return self._names[person_id]

    def grade(self, query: str, person_id: str, entity_id: str) -> int:
        """`GRADES["own"]` for a record of `person_id`, `GRADES["namesake"]` for a record of
        another person whose true name holds every word of `query`, else 0."""
        holders = self._persons_of.get(entity_id, set())
        if person_id in holders:
            return GRADES["own"]
        if any(_holds(self._words(p), query) for p in holders):
            return GRADES["namesake"]
        return 0

    def relevant(self, query: str, person_id: str, hits: Iterable[str]) -> list[int]:
        """The grades of every entity relevant to `query` typed for `person_id`: his own
        eligible records, the eligible records of persons whose true name holds every word
        (a namesake's), and the `hits` graded above 0 (one not eligible, an alias's, may be
        listed too)."""
        if query not in self._namesakes:
            words = Counter(query_words(query))
            sets = [self._by_word.get(w, set()) for w in words]
            holders = set.intersection(*sets) if sets else set()
            self._namesakes[query] = {p for p in holders if _holds(self._words(p), query)}
        graded = {
            e: GRADES["namesake"]
            for p in self._namesakes[query] - {person_id}
            for e in self._entities_of[p]
        }
        graded |= dict.fromkeys(self._entities_of.get(person_id, ()), GRADES["own"])
        graded |= {h: self.grade(query, person_id, h) for h in hits}
        return list(graded.values())


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
    tallies: dict[tuple[str, str], _Tally] = {}  # (form, dataset) -> its counts
    times: dict[str, list[float]] = {f: [] for f in FORMS}
    # query -> hit entity ids, and whether each holds every word (one search per query)
    answers: dict[str, list[tuple[str, bool]]] = {}
    missed: list[Miss] = []
    kept: dict[tuple[str, str], int] = {}
    judge = _Judgments(persons, persons_of, {eid for _, eid, _ in todo})

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
            grades = [judge.grade(query, person_id, h) for h in hit_ids]
            whole = [
                g for g, (_, all_words) in zip(grades, answers[query], strict=True) if all_words
            ]
            found = eid in hit_ids
            rank = reciprocal_rank(grades)
            gain = ndcg(grades, judge.relevant(query, person_id, hit_ids))
            for key in ((form, ""), (form, dataset)):
                tally = tallies.setdefault(key, _Tally())
                tally.queries += 1
                tally.found += found
                tally.hits += len(hit_ids)
                tally.right += grades.count(GRADES["own"])
                tally.whole_hits += len(whole)
                tally.whole_right += whole.count(GRADES["own"])
                tally.whole_namesakes += whole.count(GRADES["namesake"])
                tally.first_right += grades[:1] == [GRADES["own"]]
                tally.reciprocal_rank_sum += rank
                tally.ndcg_sum += gain
            if not found and kept.get((form, dataset), 0) < examples:
                kept[(form, dataset)] = kept.get((form, dataset), 0) + 1
                missed.append(Miss(form, dataset, query, sorted(seen[eid].get("name"))))
    scores = [
        FormScore(form, dataset, **asdict(tallies.get((form, dataset), _Tally())))
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
