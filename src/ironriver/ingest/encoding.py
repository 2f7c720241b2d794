"""The bytes of a source file: whether they are the text its query says, and a UTF-8 copy
when they are in another encoding (the readers take UTF-8 only).

- `check_encoding`: the bytes must decode with the query's `encoding` (default utf-8);
  invalid bytes are an `IngestError` with their line number and a suggested `encoding:`
  (latin-1, cp1252; utf-16 for a byte-order mark).
- `check_not_utf8`: a file said to be in a legacy encoding (latin-1, cp1252) that is UTF-8
  text with accents is refused: read as latin-1 it would load silently as mojibake.
- `check_not_packed`: a file that is not text at all, but compressed (gzip, bzip2, xz, zstd,
  zip) or a spreadsheet, is said to be so (its first bytes tell), with how to decompress it
  or where a spreadsheet goes: an encoding suggested for it would only make garbage. Only
  files a reader takes as text get here (`xlsx_url` reads a spreadsheet before any check),
  and only once their bytes are not the text expected, so a text file is never sniffed.
- `transcode`: a UTF-8 copy, without a final DOS end-of-file mark (`eof_mark`).

UTF-8 is validated by Arrow's vectorised validator a block at a time (`valid_utf8_blocks`),
and other scans read `CHUNK_BYTES` at a time, so that no Python string is made of the whole
file. A source file is read, never memory-mapped: a page of a map past the end of a file
truncated meanwhile (an export rewritten in place while it is loaded) kills the process
with SIGBUS, no message and no clean-up, where a read just ends early.
"""

from __future__ import annotations

import codecs
import re
import shlex
import struct
import zipfile
from pathlib import Path

import pyarrow as pa

from ironriver.errors import IngestError
from ironriver.i18n import Msg, msg, nmsg

CHUNK_BYTES = 1 << 24
"""The bytes read at a time by a scan of a whole file (a check, a count, a copy)."""


def is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8")


def _utf8_buffer(data: pa.Buffer) -> bool:
    """Whether `data` is valid UTF-8, by Arrow's vectorised validator (no copy)."""
    if not data.size:
        return True
    offsets = pa.py_buffer(struct.pack("=2q", 0, data.size))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, data])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def valid_utf8_blocks(path: Path) -> bool:
    """True when the whole file is valid UTF-8, checked one block at a time (Arrow's
    validator, no Python string). Each block is read into one buffer, used again for every
    block (fresh 16 MiB blocks, and joining each to the previous one's tail, cost as much as
    the check: page faults and copies), and checked up to its last character that may be
    incomplete (`_complete_up_to`); those few bytes are moved to the front of the buffer and
    checked with the next block. Read, not memory-mapped: a page of a map past the end of a
    file truncated meanwhile kills the process (SIGBUS), where a read just ends early."""
    buffer = bytearray(CHUNK_BYTES)
    view = memoryview(buffer)
    held = 0  # bytes of the previous block's last character, at the front of the buffer
    with path.open("rb", buffering=0) as fh:
        while n := fh.readinto(view[held:]):
            end = held + n
            cut = _complete_up_to(buffer, end)
            if not _utf8_buffer(pa.py_buffer(view[:cut])):
                return False
            view[: end - cut] = view[cut:end]
            held = end - cut
    return _utf8_buffer(pa.py_buffer(view[:held]))


def _complete_up_to(data: bytearray, end: int) -> int:
    """Where to cut `data[:end]` so that the bytes before the cut hold no character that the
    bytes after `end` may complete: before the last lead byte (0xC0 and above) among the
    last three (a character is at most four bytes long), else at `end`. The check of the
    two sides apart is then the check of the whole: what follows the cut starts a
    character, in the whole as alone. (At most 3 bytes are held back, so a file without line
    breaks never grows the buffer.)"""
    for i in range(end - 1, max(end - 3, 0) - 1, -1):
        byte = data[i]
        if byte >= 0xC0:  # a lead byte: its character may go on in the next block
            return i
        if byte < 0x80:  # ASCII: nothing before it can continue past `end`
            return end
    return end  # continuation bytes only: whatever they belong to is checked now


def _bom_encoding(head: bytes) -> str | None:
    """The encoding a file starting with `head` names by its byte-order mark: utf-32 or
    utf-16 (either byte order: `iconv` and Python read the mark), else None (a UTF-8 mark is
    no problem: the readers skip it)."""
    if head[:4] in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE):  # (before UTF-16's: FF FE..)
        return "utf-32"
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    return None


def _decode_hint(
    path: Path, encoding: str, bom: str | None, settable: bool, piped: bool = False
) -> Msg:
    """What to do about `path`, not valid `encoding` (`check_encoding`): with a mapping
    query to set it in (`settable`), the encoding to set (`bom`, the one a byte-order mark
    names, e.g. utf-16: Excel's "Unicode text"), else how to convert the file: an `iconv`
    command to paste into a shell, the path as given quoted (a space in a name), the copy
    written beside the file (review R30 F12); `piped` (the file is a scratch copy of what
    came down a pipe, gone once the command ends), the same `iconv` in the pipe."""
    if piped:
        example = f"`... | iconv -f {bom or 'cp1252'} -t {encoding} | {PIPED_INTO}`"
        if bom:
            return msg(
                "Convert it to {encoding} in the pipe, e.g. {example} (it starts with the "
                "byte-order mark of {source}).",
                encoding=encoding,
                example=example,
                source=bom,
            )
        return msg(
            "Convert it to {encoding} in the pipe, e.g. {example} (cp1252: Excel's and "
            "Windows' encoding).",
            encoding=encoding,
            example=example,
        )
    if not settable:
        target = path.with_name(f"utf8-{path.name}")
        example = (
            f"`iconv -f {bom or 'cp1252'} -t {encoding} {shlex.quote(str(path))} "
            f"> {shlex.quote(str(target))}`"
        )
        if bom:
            return msg(
                "Convert the file to {encoding}, e.g. {example} (it starts with the "
                "byte-order mark of {source}), and ingest the converted file.",
                encoding=encoding,
                example=example,
                source=bom,
            )
        return msg(
            "Convert the file to {encoding}, e.g. {example} (cp1252: Excel's and "
            "Windows' encoding), and ingest the converted file.",
            encoding=encoding,
            example=example,
        )
    if bom or not is_utf8(encoding):
        return msg(
            "Set the file's real encoding in the mapping query, e.g. {example}, "
            "or re-save the file as {encoding}.",
            example=f"`encoding: {bom}`" if bom else "`encoding: utf-8`",
            encoding=encoding,
        )
    return msg(
        "Set the file's real encoding in the mapping query: {example} for "
        "Excel's and Windows' exports ({latin1} for ISO-8859-1 files), or "
        "re-save the file as {encoding}.",
        example="`encoding: cp1252`",
        latin1="`encoding: latin-1`",
        encoding=encoding,
    )


def check_encoding(path: Path, encoding: str, settable: bool = True, piped: bool = False) -> None:
    """Raise `IngestError` at the first byte sequence that is not valid `encoding`, or when a
    file said to be in a legacy encoding (latin-1, cp1252, ...) is UTF-8 text with accents
    (`check_not_utf8`), or is no text at all (`check_not_packed`). Not `settable`: the file
    has no mapping query to give its encoding in (FtM entity JSON Lines are UTF-8), so the
    hint says to convert it (review R29b F5); `piped`: it is a scratch copy of a pipe's
    bytes (`ironriver ingest --entities -`), so the hint converts them in the pipe."""
    if is_utf8(encoding) and valid_utf8_blocks(path):
        return
    check_not_packed(path, settable, piped)  # (no sniffing of a file that reads as text)
    if not is_utf8(encoding) and not codecs.lookup(encoding).name.startswith("utf"):
        check_not_utf8(path, encoding)
        if codecs.lookup(encoding).name == LATIN_1:
            check_no_c1(path, encoding)
    # Invalid (or not UTF-8): find the first bad byte and its line with Python's decoder.
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    lines = 0
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK_BYTES)
            final = not chunk
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                # a buffered decoder (UTF-8, UTF-16) decodes what it held back of the last
                # chunk (a character the chunk cut) and this chunk as one: `exc.start` counts
                # from the first of the bytes held back, which hold no line break
                data = exc.object
                held = len(data) - len(chunk)
                line = lines + chunk.count(b"\n", 0, max(exc.start - held, 0)) + 1
                at = offset - held + exc.start  # (in the file)
                fh.seek(at)  # (the bytes from there, wherever the chunk ends)
                bad = fh.read(4)
                bom = _bom_encoding(chunk) if offset == 0 else None
                if bom and codecs.lookup(bom).name == codecs.lookup(encoding).name:
                    bom = None  # (the encoding given: its mark is no news)
                hint = _decode_hint(path, encoding, bom, settable, piped)
                raise IngestError(
                    nmsg(
                        "{file} is not valid {encoding}: byte {bytes!r} at line {line} "
                        "(byte offset {offset}).",
                        "{file} is not valid {encoding}: bytes {bytes!r} at line {line} "
                        "(byte offset {offset}).",
                        len(bad),
                        file=path.name,
                        encoding=encoding,
                        bytes=bad,
                        line=line,
                        offset=at,
                    ),
                    hint=hint,
                ) from None
            if final:
                return
            lines += chunk.count(b"\n")
            offset += len(chunk)


PIPED_INTO = "ironriver ingest --entities - ..."
"""The end of a pipe into ironriver, as a piped hint shows it (`check_encoding`'s `piped`)."""

# The first bytes of the compressed formats an export is sent in, with the format's name
_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"))
# each stream format's command writing its text to standard output (from a file given or,
# alone, in a pipe), and the suffix its files have (a zip is an archive of files: `unzip`)
_UNPACK = {
    "gzip": ("gunzip -c", ".gz"),
    "bzip2": ("bunzip2 -c", ".bz2"),
    "xz": ("unxz -c", ".xz"),
    "zstd": ("unzstd -c", ".zst"),
}
# bzip2: "BZh", the block size (1-9), then a block's mark, or the end-of-stream one (empty):
# text that starts so is not worth a thought, where "BZh" alone starts words
_BZIP2_BLOCKS = (b"1AY&SY", b"\x17rE8P\x90")
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003's container (.xls, and .doc)


def packed_format(path: Path) -> tuple[str, str] | None:
    """What the file at `path` is when its first bytes say it is no text: ("compressed",
    its format: gzip, bzip2, xz, zstd, zip) or ("spreadsheet", Excel or OpenDocument: a
    zip holding a workbook, or an .xls file); None when they do not."""
    with path.open("rb") as fh:
        head = fh.read(16)
    for magic, name in _COMPRESSED:
        if head.startswith(magic):
            return "compressed", name
    if head[:3] == b"BZh" and head[3:4].isdigit() and head[4:10] in _BZIP2_BLOCKS:
        return "compressed", "bzip2"
    if head.startswith(_OLE2) and path.suffix.lower() == ".xls":
        return "spreadsheet", "Excel"
    if head.startswith(_ZIP):
        return ("spreadsheet", book) if (book := _zipped_workbook(path)) else ("compressed", "zip")
    return None


def _zipped_workbook(path: Path) -> str | None:
    """Excel or OpenDocument when the zip archive at `path` holds a workbook (an .xlsx,
    .xlsm, .xlsb or .ods file is one), else None."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if any(name.startswith("xl/") for name in names):
                return "Excel"
            if "mimetype" in names and archive.read("mimetype").startswith(
                b"application/vnd.oasis.opendocument.spreadsheet"
            ):
                return "OpenDocument"
    except (zipfile.BadZipFile, OSError):  # (a cut-short archive: compressed all the same)
        return None
    return None


def check_not_packed(
    path: Path, settable: bool = True, piped: bool = False, drafting: bool = False
) -> None:
    """Raise `IngestError` when the file at `path`, read as text, is compressed or a
    spreadsheet (`packed_format`), saying so and what to do: decompress it (a command for
    its format: `gunzip -c f.csv.gz > f.csv`; `piped`, the same in the pipe), or give a
    spreadsheet as `xlsx_url` (`settable`: a mapping's query) or through a mapping (an
    entities file). Decoded as text, such a file reads as bytes in a legacy encoding, and
    converting it so makes garbage (`iconv` of a gzip file). `drafting`: for `mapping
    draft`, whose hint says to draft the decompressed file."""
    found = packed_format(path)
    if found is None:
        return
    kind, name = found
    if kind == "spreadsheet":
        if settable:
            hint = msg(
                "Give it in the mapping query as {key} (and {sheet} to choose the sheet), not "
                "as csv_url or jsonl_url.",
                key="`xlsx_url`",
                sheet="`sheet:`",
            )
        else:
            shown = "FILE" if piped else shlex.quote(str(path))
            hint = msg(
                "--entities reads FtM entity JSON Lines; a spreadsheet is loaded through a "
                "mapping: draft one with {command}.",
                command=f"`ironriver mapping draft {shown}`",
            )
        raise IngestError(
            msg("{file} is a spreadsheet ({format}), not text.", file=path.name, format=name),
            hint=hint,
        )
    raise IngestError(
        msg("{file} is compressed ({format}), not text.", file=path.name, format=name),
        hint=_decompress_hint(path, name, settable, piped, drafting),
    )


def _decompress_hint(
    path: Path, name: str, settable: bool, piped: bool, drafting: bool = False
) -> Msg:
    """How to decompress `path`, in `name`'s format (`check_not_packed`)."""
    if piped:  # (a zip in a pipe: `funzip` writes its first file)
        command = _UNPACK[name][0] if name in _UNPACK else "funzip"
        example = f"`... | {command} | {PIPED_INTO}`"
        return msg("Decompress it in the pipe, e.g. {example}.", example=example)
    if name in _UNPACK:  # the copy beside the file, without the suffix (else `decompressed-`)
        command, suffix = _UNPACK[name]
        named = path.suffix.lower() == suffix
        target = path.with_suffix("") if named else path.with_name(f"decompressed-{path.name}")
        example = f"`{command} {shlex.quote(str(path))} > {shlex.quote(str(target))}`"
    else:  # a zip: an archive of files, each unpacked under its own name, beside it
        folder = "" if path.parent == Path() else f" -d {shlex.quote(str(path.parent))}"
        example = f"`unzip {shlex.quote(str(path))}{folder}`"
    if drafting:
        return msg(
            "Decompress it first, e.g. {example}, and draft a mapping of the decompressed file.",
            example=example,
        )
    if settable:
        return msg(
            "Decompress it first, e.g. {example}, and name the decompressed file in the "
            "mapping query.",
            example=example,
        )
    return msg(
        "Decompress it first, e.g. {example}, and ingest the decompressed file.",
        example=example,
    )


def check_not_utf8(path: Path, encoding: str) -> None:
    """Raise `IngestError` when `path`, said to be in `encoding` (a legacy one), is valid
    UTF-8 holding letters outside ASCII. Read as latin-1, every byte is a letter, so such a
    file loads without a word and stores "JosÃ© PÃ©rez" for "José Pérez": names that match
    nothing. A latin-1 or cp1252 file is almost never valid UTF-8 once it holds an accent (an
    accented letter would have to be followed by one of a few symbols, e.g. "Ã©"), so the
    first line with one is shown both ways. Blocks are scanned in C (`bytes.isascii`); only
    the block holding the first non-ASCII byte is split into lines."""
    before = 0  # line breaks before the current block
    with path.open("rb") as fh:
        while block := fh.read(CHUNK_BYTES):
            if block.isascii():
                before += block.count(b"\n")
                continue
            if not valid_utf8_blocks(path):
                return
            first = next(i for i, byte in enumerate(block) if byte > 0x7F)
            start = block.rfind(b"\n", 0, first) + 1
            end = block.find(b"\n", first)
            line = block[start : end if end >= 0 else len(block)].rstrip(b"\r")
            line = line[max(0, first - start - 40) : first - start + 120]  # a CR-only file
            right = line.decode("utf-8", errors="replace")[:80]
            wrong = line.decode(encoding, errors="replace")[: len(right) + 20]
            raise IngestError(
                msg(
                    "{file} is UTF-8 text, not {encoding}: read as {encoding}, line {line} "
                    "{right!r} would be stored as {wrong!r}.",
                    file=path.name,
                    encoding=encoding,
                    line=before + block.count(b"\n", 0, first) + 1,
                    right=right,
                    wrong=wrong,
                ),
                hint=msg(
                    "Remove {example} from the mapping query (UTF-8 is the default), or "
                    "set the encoding the file really has.",
                    example=f"`encoding: {encoding}`",
                ),
            )


LATIN_1 = codecs.lookup("latin-1").name  # its aliases: latin1, iso-8859-1, l1...
_C1 = re.compile(rb"[\x80-\x9f]")


def check_no_c1(path: Path, encoding: str) -> None:
    """Raise `IngestError` when `path`, said to be latin-1, holds a byte 0x80-0x9F. Latin-1
    reads those as invisible control characters, which cleaning then drops, while Windows'
    cp1252 (what Excel and most Windows programs write, and what a "latin-1" export usually
    is) reads them as the curly quotes, dashes and euro sign of typed text: `O’BRIEN`
    would be stored as `O BRIEN`, found by no search for "obrien". Real latin-1 text never
    holds them, so the file is refused and cp1252 suggested. Blocks are scanned in C."""
    before = 0  # line breaks before the current block
    with path.open("rb") as fh:
        while block := fh.read(CHUNK_BYTES):
            found = _C1.search(block)
            if found is None:
                before += block.count(b"\n")
                continue
            at = found.start()
            start = block.rfind(b"\n", 0, at) + 1
            end = block.find(b"\n", at)
            line = block[start : end if end >= 0 else len(block)].rstrip(b"\r")
            line = line[max(0, at - start - 40) : at - start + 80]
            raise IngestError(
                msg(
                    "{file} is not latin-1 text: line {line} holds byte {byte!r}, a control "
                    "character in latin-1 (dropped when read so) but {char!r} in Windows' "
                    "cp1252: {text!r}.",
                    file=path.name,
                    line=before + block.count(b"\n", 0, at) + 1,
                    byte=block[at : at + 1],
                    char=block[at : at + 1].decode("cp1252", errors="replace"),
                    text=line.decode("cp1252", errors="replace"),
                ),
                hint=msg(
                    "Set {example} in the mapping query (Excel's and Windows' exports), or "
                    "re-save the file as UTF-8.",
                    example="`encoding: cp1252`",
                ),
            )


def transcode(path: Path, encoding: str, workdir: Path) -> Path:
    """Copy `path` to UTF-8 under `workdir` (the caller removes it), without a final DOS
    end-of-file mark (`eof_mark`)."""
    target = workdir / (path.name + ".utf8")
    keep = path.stat().st_size - eof_mark(path)
    with path.open("rb") as raw, target.open("w", encoding="utf-8", newline="") as dst:
        decoder = codecs.getincrementaldecoder(encoding)()
        while keep > 0:
            block = raw.read(min(CHUNK_BYTES, keep))
            if not block:
                break
            keep -= len(block)
            dst.write(decoder.decode(block, final=keep <= 0))
    return target


def eof_mark(path: Path) -> int:
    """How many bytes at the end of the file are a DOS end-of-file mark: Ctrl-Z (0x1A),
    alone or followed by a line break, as legacy exports (e.g. OFAC's SDN CSV) end. It is
    no record; 0 when the file does not end so."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(0, size - 3))
        tail = fh.read()
    for mark in (b"\x1a\r\n", b"\x1a\n", b"\x1a"):
        if tail.endswith(mark):
            return len(mark)
    return 0
