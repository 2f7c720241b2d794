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


def _person(names: list[str]) -> StatementEntity:
    stmts = [Statement("p1", "name", "Person", v, "ds") for v in names]
    return StatementEntity.from_statements(Dataset({"name": "ds"}), stmts)


def _bounded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of names each pick compares (FtM's and ours), refusing more than the bound."""
    sizes: list[int] = []

    def wrap(pick: Callable[..., Any]) -> Callable[..., Any]:
        def counted(values: list[Any]) -> Any:
            sizes.append(len(values))
            assert len(values) <= CAPTION_NAMES, "a caption picked among every name"
            return pick(values)

        return counted

    monkeypatch.setattr(ftm_entity, "pick_lang_name", wrap(ftm_entity.pick_lang_name))
    monkeypatch.setattr(schemata, "pick_lang_name", wrap(schemata.pick_lang_name))
    return sizes


def test_up_to_the_bound_the_caption_is_ftms() -> None:
    names = [f"Ana Pérez {i}" for i in range(CAPTION_NAMES - 3)] + ["Ana Pérez"] * 3
    assert bound_caption(_person(names)).caption == _person(names).caption


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
