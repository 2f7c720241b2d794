"""`events` and `stream_events` refuse a negative `limit` before reading anything, with the
same error on every store: -1 too (which SQLite's LIMIT reads as "no limit" and
PostgreSQL's refuses). Found by a hand mutant of the guard."""

from __future__ import annotations

import pytest

from ironriver.store import Store


@pytest.mark.parametrize("limit", [-1, -2])
@pytest.mark.parametrize("newest", [False, True])
def test_a_negative_limit_is_refused(store: Store, limit: int, newest: bool) -> None:
    with pytest.raises(ValueError, match=f"limit must be None or at least 0, not {limit}"):
        list(store.audit.events(limit=limit, newest=newest))
    with pytest.raises(ValueError, match=f"limit must be None or at least 0, not {limit}"):
        next(store.audit.stream_events(limit=limit, newest=newest))
