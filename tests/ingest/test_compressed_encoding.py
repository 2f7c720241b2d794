"""A compressed input (gzip, bzip2, xz, zstd, zip) where text is read is said to be compressed,
with the command that decompresses it, not "not valid utf-8" with an `iconv` that would make
garbage: an `--entities` file and a mapping's `csv_url` alike, in English and Spanish. A
spreadsheet (a zip too) still loads through `xlsx_url`, and where text is read it is told to
go there. Every case runs the real command on tiny real files."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner, Result
from sales_fixtures import HEADER, ROWS  # type: ignore[import-not-found]

from ironriver.cli import cli
from ironriver.ingest.encoding import check_encoding, packed_format

ENTITY = b'{"id": "g1", "schema": "Firearm", "properties": {"serialNumber": ["X1"]}}\n'
# `zstd -c` of `{"id":"x"}` and a line break (no zstd module in this Python: a real frame)
ZSTD_FRAME = bytes.fromhex("28b52ffd04585900007b226964223a2278227d0aa0ce3076")


def _zipped(data: bytes) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("member.jsonl", data)
    return out.getvalue()


# (suffix, how the bytes are packed, the format's name, the command shown)
FORMATS: list[tuple[str, Callable[[bytes], bytes], str, str]] = [
    (".gz", gzip.compress, "gzip", "gunzip -c"),
    (".bz2", bz2.compress, "bzip2", "bunzip2 -c"),
    (".xz", lzma.compress, "xz", "unxz -c"),
    (".zst", lambda _data: ZSTD_FRAME, "zstd", "unzstd -c"),
    (".zip", _zipped, "zip", "unzip"),
]


def _entities(path: Path, lang: str = "en") -> Result:
    """`ironriver ingest --entities PATH --dry-run`, as FGR's analyst (`lang`: the language)."""
    args = ["--lang", lang, "ingest", "--entities", str(path), "--dataset", "mx_fgr_x"]
    args += ["--agency", "FGR", "--country", "MX", "--as", "mx-fgr-analista", "--dry-run"]
    return CliRunner().invoke(cli, args)


@pytest.mark.parametrize(("suffix", "pack", "name", "command"), FORMATS)
def test_a_compressed_entities_file_is_said_to_be_compressed(
    tmp_path: Path, suffix: str, pack: Callable[[bytes], bytes], name: str, command: str
) -> None:
    path = tmp_path / f"f.jsonl{suffix}"
    path.write_bytes(pack(ENTITY))
    result = _entities(path)
    assert result.exit_code == 1, result.output
    assert f"f.jsonl{suffix} is compressed ({name}), not text." in result.output
    if name == "zip":  # an archive: unpacked beside it, each file under its own name
        example = f"`unzip {path} -d {tmp_path}`"
    else:  # the copy beside the file, without the suffix
        example = f"`{command} {path} > {tmp_path / 'f.jsonl'}`"
    assert f"Decompress it first, e.g. {example}, and ingest the decompressed file." in (
        result.output
    )
    assert "iconv" not in result.output and "utf-8" not in result.output


def test_the_compressed_message_in_spanish(tmp_path: Path) -> None:
    path = tmp_path / "fgr.ftm.jsonl.gz"
    path.write_bytes(gzip.compress(ENTITY))
    result = _entities(path, "es")
    assert result.exit_code == 1, result.output
    assert "fgr.ftm.jsonl.gz está comprimido (gzip), no es texto." in result.output
    assert f"Descomprímalo primero, p. ej., `gunzip -c {path} > {path.with_suffix('')}`" in (
        result.output
    )


def test_a_compressed_file_under_another_name_gets_a_new_name(tmp_path: Path) -> None:
    """A gzip file named as text: its copy is named as `iconv`'s would be, not over it."""
    path = tmp_path / "f.jsonl"
    path.write_bytes(gzip.compress(ENTITY))
    result = _entities(path)
    assert f"`gunzip -c {path} > {tmp_path / 'decompressed-f.jsonl'}`" in result.output


def _mapping(sales_dir: Path, source: str, extra: str = "") -> Path:
    """graph.yaml (entities of sales.csv) reading `source` instead (`extra`: more keys of
    the query)."""
    mapping = sales_dir / "graph.yaml"
    text = mapping.read_text(encoding="utf-8").replace("csv_url: sales.csv", source + extra)
    mapping.write_text(text, encoding="utf-8")
    return mapping


def _check(mapping: Path) -> Result:
    args = ["--lang", "en", "ingest", str(mapping), "--as", "us-atf-analyst", "--dry-run"]
    return CliRunner().invoke(cli, [*args, "--json"])


@pytest.mark.parametrize("extra", ["", "\n      encoding: latin-1"])
def test_a_mappings_gzipped_csv_is_said_to_be_compressed(sales_dir: Path, extra: str) -> None:
    """Today's readers take no compressed file (Arrow's and DuckDB's are given the bytes):
    refused, and said so whatever `encoding` the query declares."""
    csv_gz = sales_dir / "sales.csv.gz"
    csv_gz.write_bytes(gzip.compress((sales_dir / "sales.csv").read_bytes()))
    result = _check(_mapping(sales_dir, "csv_url: sales.csv.gz", extra))
    assert result.exit_code == 1, result.output
    assert "sales.csv.gz is compressed (gzip), not text." in result.output
    example = f"`gunzip -c {csv_gz} > {sales_dir / 'sales.csv'}`"
    assert (
        f"Decompress it first, e.g. {example}, and name the decompressed file in the mapping "
        "query." in result.output
    )
    assert "encoding: cp1252" not in result.output and "latin-1 text" not in result.output


def _workbook(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Ventas")
    sheet.write_row(0, 0, HEADER)
    for r, row in enumerate(ROWS, start=1):
        sheet.write_row(r, 0, row)
    book.close()
    return path


def test_a_spreadsheet_still_loads_through_xlsx_url(sales_dir: Path) -> None:
    _workbook(sales_dir / "sales.xlsx")
    result = _check(_mapping(sales_dir, "xlsx_url: sales.xlsx"))
    assert result.exit_code == 0, result.output
    [checked] = json.loads(result.stdout)
    assert checked["records"] == len(ROWS) and checked["statements_produced"] > 0


def test_a_spreadsheet_where_text_is_read_is_told_to_go_in_xlsx_url(sales_dir: Path) -> None:
    """An .xlsx is a zip archive: given as csv_url it is a spreadsheet, not "compressed"."""
    _workbook(sales_dir / "sales.xlsx")
    result = _check(_mapping(sales_dir, "csv_url: sales.xlsx"))
    assert result.exit_code == 1, result.output
    assert "sales.xlsx is a spreadsheet (Excel), not text." in result.output
    assert "Give it in the mapping query as `xlsx_url`" in result.output
    assert "compressed" not in result.output and "unzip" not in result.output
    entities = _entities(sales_dir / "sales.xlsx")
    assert "sales.xlsx is a spreadsheet (Excel), not text." in entities.output
    assert "`ironriver mapping draft " in entities.output


def test_text_is_never_sniffed(tmp_path: Path) -> None:
    """Only a file whose bytes are not the text expected is looked at: a latin-1 file whose
    header starts as bzip2's mark does ("BZh") is text, and loads."""
    path = tmp_path / "t.csv"
    path.write_bytes("BZh,nombre\n1,Jos\xe9\n".encode("latin-1"))
    assert packed_format(path) is None
    check_encoding(path, "latin-1")
    path.write_bytes(b"BZh,name\n1,Ann\n")
    check_encoding(path, "utf-8")


@pytest.mark.parametrize("name", ["sales.csv.gz", "graph.yaml.gz"])
def test_a_compressed_file_given_as_the_mapping_or_to_draft_is_said_to_be_compressed(
    sales_dir: Path, name: str
) -> None:
    """A gzipped data file or mapping given as the mapping said "not UTF-8 text", and
    `mapping draft` of a gzipped CSV "does not look like a text (CSV) file": each says it is
    compressed now, with the command that decompresses it."""
    path = sales_dir / name
    path.write_bytes(gzip.compress((sales_dir / name.removesuffix(".gz")).read_bytes()))
    example = f"`gunzip -c {path} > {path.with_suffix('')}`"
    given = CliRunner().invoke(cli, ["--lang", "en", "ingest", str(path), "--dry-run"])
    assert given.exit_code == 1, given.output
    assert f"{name} is compressed (gzip), not text." in given.output
    assert f"Decompress it first, e.g. {example}, and ingest the decompressed file." in (
        given.output
    )
    if name.endswith(".csv.gz"):
        drafted = CliRunner().invoke(cli, ["--lang", "en", "mapping", "draft", str(path)])
        assert drafted.exit_code == 1, drafted.output
        assert f"{name} is compressed (gzip), not text." in drafted.output
        assert (
            f"Decompress it first, e.g. {example}, and draft a mapping of the decompressed file."
            in drafted.output
        )
