"""One pass over an FtM entity JSON Lines file (`EntityFile`): its lines read in chunks of
`CHUNK_LINES`, cleaned by the bulk path (`entity_bulk`) and, for the lines it doubts, the
per-line path (`entity_lines`), into one DuckDB connection (which spills beyond `memory_mb`),
then streamed to the store's stage sorted (entity_id, id) in batches of `BATCH_ROWS`: memory
stays flat however large the file.

Lines are numbered as the file's, blank ones included (the error report's line numbers); a
line ends at a line feed alone. A rejected line gives no statement, and a statement id comes
once in the stream, the most specific schema's (`_first_of_each_id`). After a read, the object
holds the counts and problems the ingest reports (`entities._check`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ironriver.i18n import nt
from ironriver.ingest.clean import Cleaner
from ironriver.ingest.entity_bulk import (
    NAMED_DATASETS,
    WITH_REFERENTS,
    bulk_statements,
    connect_bulk,
    schema_conflicts,
)
from ironriver.ingest.entity_lines import Row, entity_statements, line_extras
from ironriver.model import most_specific_first
from ironriver.progress import Progress, no_progress
from ironriver.sqltext import literal

_COLUMNS = ("id", "entity_id", "schema", "prop", "value", "source_row")
_TYPES = (pa.string(),) * 5 + (pa.int64(),)
CHUNK_LINES = 100_000
BATCH_ROWS = 500_000  # statements per batch handed to the stage


def _first_of_each_id(table: pa.Table, before: str | None) -> tuple[pa.Table, str | None]:
    """`table`'s rows, sorted by id, but the first of each id (`before`: the last id of the
    batch before), and its last id. Lines stating one value under two schemata that merge
    (a LegalEntity and a Person) give one statement id (it hashes no schema): the one kept is
    the most specific schema's, sorted first, not whichever the store's insert meets first,
    which left the entity a LegalEntity by line order and backend (review R30 F3)."""
    ids = table.column("id").combine_chunks()
    previous = pa.concat_arrays([pa.array([before], pa.string()), ids.slice(0, len(ids) - 1)])
    keep = pc.fill_null(pc.not_equal(ids.cast(pa.string()), previous), True)
    return table.filter(keep), ids[-1].as_py()


class EntityFile:
    """One pass over the file: statement batches out, problems and counts kept."""

    def __init__(
        self,
        path: Path,
        dataset: str,
        memory_mb: int | None = None,
        spill_root: Path | None = None,
        progress: Progress = no_progress,
    ) -> None:
        self.path = path
        self.dataset = dataset
        self.memory_mb = memory_mb
        self.spill_root = spill_root
        self.progress = progress
        self.records = 0
        self.produced = 0
        self.empty = 0  # entities with no property (stored as nothing: see `entities._check`)
        # ids given schemata that cannot be one entity, and the first (id, its schemata)
        self.conflicts = 0
        self.first_conflict: tuple[str, tuple[str, ...]] | None = None
        self.bad: list[tuple[int, str, str, str]] = []
        # dataset -> how many lines name it in their "datasets" (an export's lines do)
        self.named: dict[str, int] = {}
        self.referents = 0  # lines listing referents (`entity_bulk.WITH_REFERENTS`)
        self.before: tuple[int, ...] | None = None  # the file's `file_state` before any read

    def _chunks(self) -> Iterator[tuple[list[int], list[str]]]:
        """(line numbers, lines) of up to `CHUNK_LINES` non-blank lines at a time. A line
        ends at "\n" alone (a CRLF line's "\r" is dropped with it): a lone "\r" is JSON
        whitespace, inside a line, and Python's universal newlines split a valid line there
        and miscounted the lines after it (review R31 F3)."""
        # utf-8-sig: a byte-order mark (as some Windows tools write) is no JSON
        with self.path.open(encoding="utf-8-sig", newline="\n") as fh:
            numbered = (
                (n, line.removesuffix("\n").removesuffix("\r"))
                for n, line in enumerate(fh, start=1)
                if line.strip()
            )
            while chunk := list(islice(numbered, CHUNK_LINES)):
                yield [n for n, _ in chunk], [line for _, line in chunk]

    def batches(self) -> Iterator[pa.Table]:
        """The file's statements in the store's order (entity_id, id): all lines are read
        and cleaned into DuckDB (which spills beyond `memory_mb`), then streamed sorted."""
        con = connect_bulk(self.memory_mb, self.spill_root)
        try:
            self._read(con)
            self.progress(
                nt(
                    "{file}: staging {count:,} statement",
                    "{file}: staging {count:,} statements",
                    self.produced,
                    file=self.path.name,
                    count=self.produced,
                )
            )
            schemata = most_specific_first(
                str(r[0]) for r in con.execute("SELECT DISTINCT schema FROM stmts_out").fetchall()
            )
            rank = " ".join(f"WHEN {literal(s)} THEN {n}" for n, s in enumerate(schemata))
            reader = con.sql(
                "FROM stmts_out ORDER BY entity_id, id, "
                + (f"CASE schema {rank} END, " if rank else "")
                + "source_row"
            ).to_arrow_reader(BATCH_ROWS)
            last: str | None = None  # (the id that ended the batch before)
            for batch in reader:
                if batch.num_rows:
                    table, last = _first_of_each_id(pa.Table.from_batches([batch]), last)
                    yield table
        finally:
            con.close()

    def check(self) -> None:
        """Read and check every line, counting statements and problems (nothing sorted or
        kept: what a dry run needs)."""
        con = connect_bulk(self.memory_mb, self.spill_root)
        try:
            self._read(con)
        finally:
            con.close()

    def _read(self, con: duckdb.DuckDBPyConnection) -> None:
        """Every line's statements into `stmts_out` of `con` (a `connect_bulk` connection); the
        counts and problems into this object."""
        self.records, self.produced, self.bad, self.named, self.referents = 0, 0, [], {}, 0
        cleaner = Cleaner(con)
        for numbers, lines in self._chunks():
            self.records += len(lines)
            table = pa.table({"n": pa.array(numbers, pa.int64()), "line": lines})
            rows: list[Row] = []
            doubtful = bulk_statements(con, cleaner, table, self.dataset)
            for name, count in con.execute(NAMED_DATASETS).fetchall():
                self.named[name] = self.named.get(name, 0) + int(count)
            self.referents += int(con.execute(WITH_REFERENTS).fetchall()[0][0])
            for number in doubtful:
                line = lines[bisect_left(numbers, number)]
                names, referents = line_extras(line)
                self.referents += referents
                for name in names:
                    self.named[name] = self.named.get(name, 0) + 1
                got, problems = entity_statements(line, number, self.dataset)
                self.bad.extend((number, c, v, r) for c, v, r in problems)
                rows.extend(got)
            if rows:
                con.register("line_rows", self._table(rows))
                con.execute("INSERT INTO stmts_out FROM line_rows")
                con.unregister("line_rows")
            self.progress(
                nt(
                    "{file}: {count:,} entity read and checked",
                    "{file}: {count:,} entities read and checked",
                    self.records,
                    file=self.path.name,
                    count=self.records,
                )
            )
        produced, lines = con.execute(
            "SELECT count(*), count(DISTINCT source_row) FROM stmts_out"
        ).fetchall()[0]
        self.produced = int(produced)
        # lines neither rejected nor giving a statement: entities with no property
        self.empty = self.records - len({b[0] for b in self.bad}) - int(lines)
        self.conflicts, self.first_conflict = schema_conflicts(con)

    @staticmethod
    def _table(rows: list[Row]) -> pa.Table:
        return pa.table(
            {
                c: pa.array([r[i] for r in rows], t)
                for i, (c, t) in enumerate(zip(_COLUMNS, _TYPES, strict=True))
            }
        )
