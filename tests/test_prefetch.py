"""`ironriver.prefetch`: order kept, exceptions re-raised in the consumer, no thread left."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from ironriver.prefetch import prefetch


def test_prefetch_keeps_order_and_reraises() -> None:
    assert list(prefetch(range(50), lambda x: x * 2)) == [x * 2 for x in range(50)]

    def boom() -> Iterator[int]:
        yield 1
        raise OSError("disk on fire")

    got: list[int] = []
    with pytest.raises(OSError, match="disk on fire"):
        for item in prefetch(boom(), lambda x: x):
            got.append(item)
    assert got == [1]


def test_prefetch_stops_its_thread_when_abandoned() -> None:
    before = threading.active_count()
    items = prefetch(iter(range(10**9)), lambda x: x)
    assert next(items) == 0
    items.close()  # the consumer gives up early: the producer must not run on
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


def test_the_producer_sees_the_consumers_language() -> None:
    from ironriver.i18n import t, use_lang

    with use_lang("es"):
        assert list(prefetch(["dataset"], lambda s: t(s))) == ["conjunto de datos"]
    assert list(prefetch(["dataset"], lambda s: t(s))) == ["dataset"]
