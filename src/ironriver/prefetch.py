"""`prefetch`: compute the next items of a pipeline in a background thread.

DuckDB, Arrow and SQLite release the GIL while they work, so a thread producing the next
batch (a DuckDB scan, an Arrow encode) runs truly beside the one consuming the current batch
(an ADBC insert, a Parquet write). Exceptions cross back to the consumer unchanged, and a
consumer that stops early stops the producer.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from queue import Empty, Queue
from typing import Any, TypeVar, overload

_DONE = object()
T = TypeVar("T")
U = TypeVar("U")


@overload
def prefetch(
    items: Iterable[T], transform: None = None, depth: int = 2
) -> Generator[T, None, None]: ...


@overload
def prefetch(
    items: Iterable[T], transform: Callable[[T], U], depth: int = 2
) -> Generator[U, None, None]: ...


def prefetch(
    items: Iterable[Any], transform: Callable[[Any], Any] | None = None, depth: int = 2
) -> Generator[Any, None, None]:
    """`transform(item)` (or the item itself) for each item, computed up to `depth` steps
    ahead in a background thread; an exception raised there is re-raised here, in the
    consumer; closing this generator early stops the thread."""
    queue: Queue[object] = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                queue.put(item if transform is None else transform(item))
        except BaseException as exc:  # handed to the consumer
            queue.put(_Failure(exc))
            return
        queue.put(_DONE)

    # the producer sees the consumer's context (e.g. the reader's language for messages)
    context = contextvars.copy_context()
    thread = threading.Thread(
        target=context.run, args=(produce,), name="ironriver-prefetch", daemon=True
    )
    thread.start()
    try:
        while True:
            item = queue.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                queue.get(timeout=0.05)
            except Empty:
                pass
        thread.join()


@dataclass
class _Failure:
    exc: BaseException
