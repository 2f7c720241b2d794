"""A mapping file read as YAML (`read_yaml`), with FtM's `include:` resolved
(`resolve_includes`), and the folder its relative paths start at (`mapping_folder`).

A file that cannot be read, is not UTF-8 or not YAML is an `IngestError` saying why; so is a
data file given as a mapping (`data_as_mapping`), an include that is no file name, includes
in a cycle, and a key an included file sets otherwise than the file including it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ironriver import yamltext
from ironriver.errors import SAVE_AS_UTF8, IngestError, bad_byte, os_problem
from ironriver.i18n import msg
from ironriver.ingest.data_as_mapping import data_file_error, data_name, is_data_file, is_sheet
from ironriver.ingest.encoding import check_not_packed, packed_format


def mapping_folder(path: Path) -> Path:
    """The folder the relative paths of the mapping at `path` start at: the mapping file's,
    or the current folder for a mapping that is no file on disk (`/dev/stdin`, a shell's
    `<(...)`: its folder was `/proc/PID/fd`, where no data file is)."""
    try:
        on_disk = path.is_file()
    except OSError:
        on_disk = False
    return path.resolve().parent if on_disk else Path.cwd()


def read_yaml(path: Path, datasets: bool = False) -> Any:
    """The YAML document of the mapping file at `path`, or an IngestError saying why not: a
    data file given as a mapping (`data_as_mapping`) is said to be one. `datasets`: the file
    is a mapping (its document names datasets), not one included in a mapping."""
    if is_sheet(path):
        raise data_file_error(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise IngestError(
            msg("Cannot read mapping {path}: {problem}.", path=path, problem=os_problem(exc)),
            hint=msg("Check the path."),
        ) from None
    except UnicodeDecodeError as exc:
        if (packed := packed_format(path)) is not None and packed[0] == "compressed":
            check_not_packed(path, settable=False)  # (m.yaml.gz, f.csv.gz: say so, and how)
        if data_name(path):  # (a CSV file in cp1252, as agencies' exports often are)
            raise data_file_error(path) from None
        raise IngestError(
            msg(
                "Mapping {path} is not UTF-8 text (byte {byte} at position {at}).",
                path=path,
                **bad_byte(exc),
            ),
            hint=SAVE_AS_UTF8,
        ) from None
    try:
        document = yamltext.load(text)
    except yaml.YAMLError as exc:
        if data_name(path):
            raise data_file_error(path) from None
        raise IngestError(
            msg(
                "Mapping {path} is not valid YAML: {error}", path=path, error=yamltext.problem(exc)
            ),
            hint=msg("Fix the YAML syntax at the position shown."),
        ) from None
    if is_data_file(path, text, document, datasets):
        raise data_file_error(path)
    return document


def resolve_includes(path: Path, data: Any, chain: tuple[Path, ...], included: list[Path]) -> Any:
    """FtM's `include:` (`ftm map`'s `resolve_includes`): at any level of the mapping file at
    `path`, a block's `include: FILE` (or a list of files), named relative to that file,
    adds the keys of FILE's block to it; FILE may include others in turn, and an empty FILE
    adds nothing. A key both hold with two values is refused: FtM lets FILE's win, which
    silently changed a dataset's marking (review R30 F4), as a key repeated in one file
    would. `chain`: the files being read, so that a file including itself is an error, not
    an endless loop; `included` gets each file read."""
    if isinstance(data, list):
        return [resolve_includes(path, item, chain, included) for item in data]
    if not isinstance(data, dict):
        return data
    names = data.pop("include", None)
    setter = dict.fromkeys(data, path)  # (the file each key came from: the message names it)
    for name in names if isinstance(names, list) else [names]:
        if name is None:
            continue
        if not isinstance(name, str) or not name.strip():
            raise IngestError(
                msg(
                    "Mapping {path}: include must name a file, not {value!r}.",
                    path=path,
                    value=name,
                ),
                hint=msg("Write {example}.", example="include: entities.yaml"),
            )
        file = (mapping_folder(path) / name).resolve()
        included.append(file)
        if file in chain:
            raise IngestError(
                msg(
                    "Mapping {path} includes {included}, which includes it in turn.",
                    path=path,
                    included=file,
                ),
                hint=msg("Remove one of the include: keys."),
            )
        block = resolve_includes(file, read_yaml(file), (*chain, file), included)
        if block is None:  # (an empty file, as `ftm map` reads it)
            continue
        if not isinstance(block, dict):
            raise IngestError(
                msg(
                    "Mapping {path} includes {included}, which holds no block of keys.",
                    path=path,
                    included=file,
                ),
                hint=msg("Write the included file's keys as key: value lines."),
            )
        for key, value in block.items():
            if key in data and data[key] != value:
                raise IngestError(
                    msg(
                        "{setter} sets {key} to {value!r}, and {included} sets it to "
                        "{other!r}: both are read into one block of mapping {path}.",
                        setter=setter[key],
                        key=key,
                        value=data[key],
                        included=file,
                        other=value,
                        path=path,
                    ),
                    hint=msg("Set {key} in one of the two files only.", key=key),
                )
            data[key] = value
            setter.setdefault(key, file)
    return {key: resolve_includes(path, value, chain, included) for key, value in data.items()}
