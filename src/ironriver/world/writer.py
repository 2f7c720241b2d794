"""Byte-stable writers: CSV (pyarrow), JSON Lines, Parquet and mapping YAML.

Same input, same bytes: no timestamps of "now", sorted JSON keys, floats rounded before
writing, Parquet without statistics that depend on the library's mood. Large ledgers are
streamed chunk by chunk through `CsvStream` and `ParquetStream`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

_CSV_OPTIONS = pacsv.WriteOptions(include_header=True, quoting_style="needed")


def _table(df: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(df, preserve_index=False)


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = _table(df.astype({c: "string" for c in df.columns if df[c].dtype == object}))
    pacsv.write_csv(table, str(path), write_options=_CSV_OPTIONS)
    return path


class CsvStream:
    """Append chunks (with one schema) to a CSV file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._writer: pacsv.CSVWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self._writer = pacsv.CSVWriter(str(self.path), table.schema, write_options=_CSV_OPTIONS)
        self._writer.write_table(table)

    def close(self, empty_schema: pa.Schema | None = None) -> None:
        if self._writer is None and empty_schema is not None:
            self.write(empty_schema.empty_table())
        if self._writer is not None:
            self._writer.close()


class ParquetStream:
    def __init__(self, path: Path, schema: pa.Schema) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.schema = schema
        self._writer = pq.ParquetWriter(str(path), schema, compression="zstd")

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table.select(self.schema.names).cast(self.schema))

    def close(self) -> None:
        self._writer.close()


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = _table(df).replace_schema_metadata(None)
    pq.write_table(table, str(path), compression="zstd")
    return path


def _clean(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def write_jsonl(records: Iterable[Mapping[str, Any]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for rec in records:
            clean = {k: _clean(v) for k, v in rec.items()}
            fh.write(json.dumps(clean, ensure_ascii=False, sort_keys=True, default=str))
            fh.write("\n")
    return path


class _PlainDumper(yaml.SafeDumper):
    """Writes a value used twice (a shared releasability list) in full each time: anchors
    and aliases (`&id001`, `*id001`) are valid YAML but not what an analyst copying a
    world's mapping expects to read."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_yaml(data: Mapping[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        yaml.dump(
            dict(data), fh, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100
        )
    return path
