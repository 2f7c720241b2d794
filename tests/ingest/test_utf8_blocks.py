"""`valid_utf8_blocks` checks a file a block at a time, each block cut before a character the
next block may complete: the answer is the whole file's, wherever the blocks fall (blocks of
a few bytes here, so that every cut is met)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from ironriver.errors import IngestError
from ironriver.ingest import encoding
from ironriver.ingest.encoding import valid_utf8_blocks

PIECES = [
    b"a",
    b"\n",
    "é".encode(),
    "€".encode(),
    "😀".encode(),
    b"\x80",  # a continuation byte alone
    b"\xc3",  # a lead byte cut short
    b"\xe2\x82",
    b"\xf0\x9f\x98",
    b"\xff",
    b"\xc0\xaf",  # overlong
    b"\xed\xa0\x80",  # a surrogate
]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("block", [4, 5, 7])
def test_the_answer_is_the_whole_files_wherever_the_blocks_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(encoding, "CHUNK_BYTES", block)
    rng = random.Random(block)
    path = tmp_path / "a.csv"
    for _ in range(800):
        data = b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12)))
        path.write_bytes(data)
        assert valid_utf8_blocks(path) == _is_utf8(data), data


@pytest.mark.parametrize("offset", range(8))
def test_a_character_split_by_a_block_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offset: int
) -> None:
    monkeypatch.setattr(encoding, "CHUNK_BYTES", 4)
    path = tmp_path / "a.csv"
    path.write_bytes(b"x" * offset + "😀é€".encode() + b"y")
    assert valid_utf8_blocks(path)
    path.write_bytes(b"x" * offset + b"\xf0\x9f\x98" + b"y")  # cut short, then ASCII
    assert not valid_utf8_blocks(path)


def test_a_file_without_line_breaks_is_checked_to_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(encoding, "CHUNK_BYTES", 16)
    path = tmp_path / "a.csv"
    path.write_bytes("é".encode() * 1000)
    assert valid_utf8_blocks(path)
    path.write_bytes("é".encode() * 1000 + b"\xc3")
    assert not valid_utf8_blocks(path)


@pytest.mark.parametrize("block", [4, 5, 7])
def test_a_bad_sequence_is_told_where_it_is_wherever_the_blocks_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """`check_encoding` names the first bad bytes, their line and byte offset as a decode of
    the whole file finds them, also when a block cut them (review R20 F4: the bytes a block
    held back were counted twice, so a sequence cut at 16 MiB was told 3 bytes late)."""
    monkeypatch.setattr(encoding, "CHUNK_BYTES", block)
    rng = random.Random(100 + block)
    path = tmp_path / "a.csv"
    told = re.compile(r"bytes? (b'.*'|b\".*\") at line (\d+) \(byte offset (\d+)\)")
    checked = 0
    for _ in range(600):
        data = b"".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            start = exc.start
        else:
            continue
        path.write_bytes(data)
        with pytest.raises(IngestError) as raised:
            encoding.check_encoding(path, "utf-8")
        found = told.search(str(raised.value))
        assert found is not None, str(raised.value)
        expected = (repr(data[start : start + 4]), str(data.count(b"\n", 0, start) + 1), str(start))
        assert found.groups() == expected, data
        checked += 1
    assert checked > 300
