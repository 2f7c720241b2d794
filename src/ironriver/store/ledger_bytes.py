"""The ledger parts' bytes held against the hashes their ingests recorded: part of
`data_verify.verify_data` (`ironriver audit verify-data`), beside its check of the
statements, which is the one entry for callers (its `ok` covers both).

Each ingest records the SHA-256 of the bytes of every part it writes (`LEDGER_FILES_KEY`,
computed while the file is still in the page cache). A value edited in a part, rewritten
with as many rows, passes `audit verify`, which reads footers only (the rows recorded); its
bytes no longer have their hash. Hashing reads every part's bytes (~15 MB per million
rows, hashed at some hundreds of MB/s): that is `verify-data`'s kind of work (it reads every
statement too), not the quick check `audit verify` is. Parts an older version recorded have
no hash: they are counted, checked by their rows only (by `audit verify`); retracted and
missing parts are `audit verify`'s to account for. Writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ironriver.i18n import Msg, msg
from ironriver.store.ledger_records import file_sha256
from ironriver.store.store import Store


@dataclass(frozen=True)
class LedgerBytes:
    hashed: int  # recorded parts in place whose bytes were held to their hash
    unhashed: int  # recorded parts in place an older version recorded with no hash
    problems: tuple[Msg, ...]  # one per part whose bytes differ from their hash


def verify_ledger_bytes(store: Store) -> LedgerBytes:
    """The recorded ledger parts of `store` in place, each hashed and held to the SHA-256
    the first ingest event to record it gives (module doc)."""
    root = store.ledger_dir
    parts = store.recorded_parts()
    hashed, unhashed = 0, 0
    problems: list[Msg] = []
    for name, (rows, seq) in sorted(parts.recorded.items(), key=lambda kv: kv[1][1]):
        path = root / name
        if parts.accounted(name, root) or not path.exists():
            continue
        expected = parts.sha256.get(name)
        if expected is None:
            unhashed += 1
            continue
        hashed += 1
        if file_sha256(path) != expected:
            problems.append(
                msg(
                    "ledger part {path} does not hold the bytes ingest event {seq} wrote "
                    "({rows:,} rows): their SHA-256 differs from the one it recorded (edited "
                    "or overwritten since). Restore it from a backup, or re-ingest that "
                    "event's source file, which moves it aside and writes it again",
                    path=path,
                    seq=seq,
                    rows=rows,
                )
            )
    return LedgerBytes(hashed, unhashed, tuple(problems))
