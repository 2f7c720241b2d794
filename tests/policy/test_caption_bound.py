"""An entity's caption among very many names (review R29b F2): FtM picks it by comparing
every name with every other (rigour's `pick_lang_name`), so one entity of 64,000 names made
each read, export and search touching it take a minute. Beyond `CAPTION_NAMES` names the
caption is picked from the most stated ones only, the same whatever order the store returns
the statements in; up to that it is FtM's own."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import followthemoney.statement.entity as ftm_entity
import pytest
from followthemoney.dataset import Dataset
from followthemoney.statement import Statement
from followthemoney.statement.entity import StatementEntity

import ironriver.policy.schemata as schemata
from ironriver.policy import View
from ironriver.policy.schemata import CAPTION_NAMES, bound_caption
from ironriver.store import Store
from samples import ATF, US, table


def _person(names: list[str], sources: bool = False) -> StatementEntity:
    """Person p1 named `names`; with `sources`, each name stated by a dataset of its own (a
    name given twice is two statements, not one)."""
    stmts = [
        Statement("p1", "name", "Person", v, f"ds{i}" if sources else "ds")
        for i, v in enumerate(names)
    ]
    return StatementEntity.from_statements(Dataset({"name": "ds"}), stmts)


def _bounded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of distinct names each pick compares (FtM's and ours), refusing more than
    the bound."""
    sizes: list[int] = []

    def wrap(pick: Callable[..., Any]) -> Callable[..., Any]:
        def counted(values: list[Any]) -> Any:
            sizes.append(len({(str(v), v.lang) for v in values}))
            assert sizes[-1] <= CAPTION_NAMES, "a caption picked among every name"
            return pick(values)

        return counted

    monkeypatch.setattr(ftm_entity, "pick_lang_name", wrap(ftm_entity.pick_lang_name))
    monkeypatch.setattr(schemata, "pick_lang_name", wrap(schemata.pick_lang_name))
    return sizes


def test_up_to_the_bound_the_caption_is_ftms() -> None:
    names = [f"Ana Pérez {i}" for i in range(CAPTION_NAMES - 3)] + ["Ana Pérez"] * 3
    assert bound_caption(_person(names)).caption == _person(names).caption


@pytest.mark.parametrize("n", [CAPTION_NAMES - 1, CAPTION_NAMES, CAPTION_NAMES + 1, 5_000])
def test_few_distinct_names_stated_often_are_weighed_as_ftm_weighs_them(n: int) -> None:
    """Up to CAPTION_NAMES distinct names, however often each is stated, the caption is
    FtM's own (review R30 F5: bounded by statements, the 201st statement of "Juan Pérez
    Mora" made the caption flip to "Juan Perez")."""
    names = ["Juan Perez"] * 2 + ["Juan Pérez Mora"] * (n - 2)
    ftm = _person(names, sources=True).caption
    assert bound_caption(_person(names, sources=True)).caption == ftm == "Juan Pérez Mora"
    many = [f"N{i:06d}" for i in range(CAPTION_NAMES - 2)] + names
    assert bound_caption(_person(many, sources=True)).caption == _person(many, True).caption


def test_beyond_the_bound_the_most_stated_names_decide_in_any_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sizes = _bounded(monkeypatch)
    names = [f"N{i:06d}" for i in range(5 * CAPTION_NAMES)] + ["Juan Luis Mora"] * 4
    captions = set()
    for seed in range(3):
        random.Random(seed).shuffle(names)
        captions.add(bound_caption(_person(names)).caption)
    assert len(captions) == 1 and captions <= set(names)
    assert sizes == [CAPTION_NAMES] * 3


def test_every_view_operation_picks_among_the_bound(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"N{i:06d}" for i in range(3 * CAPTION_NAMES)] + ["Ana Mora"] * 2
    rows = [("p1", "Person", "name", n) for n in names]
    with sqlite_store.writer() as w:
        w.ensure_dataset(US)
        w.add_statements(table(US.name, rows), US.name, US.label)
    sizes = _bounded(monkeypatch)
    view = View(sqlite_store, ATF, audit=False)
    entity = view.entity("p1")
    assert entity is not None and entity.caption in names
    assert [e.caption for e in view.export()] == [entity.caption]
    assert [h.caption for h in view.search("Ana Mora")] == [entity.caption]
    assert sizes and max(sizes) == CAPTION_NAMES
