"""The ironriver data model: FollowTheMoney 4.x's schemata plus our own, loaded side by side.

FtM's YAML files stay untouched; ours live in `model/schema/` (Individual, Firearm, Sale,
Recovery, BorderCrossing, Phone, Arrest). `get_model()` returns the merged model (built once per
process); `write_model_dir()` writes a folder holding both sets, so FtM's own tools accept our
entities: `FTM_MODEL_PATH=$(ironriver model-dir) ftm validate -i export.ftm.json`.
Importing the package loads no FollowTheMoney (`model.merged` does, on first `get_model()`):
the command line's help uses `model.names` and `model.labels`.

Person names: FtM's `fatherName`/`motherName` mean patronymic/matronymic, not Spanish
paternal/maternal surnames, so `Individual` (a Person) adds `paternalSurname` and
`maternalSurname`; `firstName` holds the given names and `lastName` the full surname string.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

OUR_SCHEMATA = ("Individual", "Firearm", "Sale", "Recovery", "BorderCrossing", "Phone", "Arrest")


def schema_dir() -> Path:
    """The folder holding ironriver's own schema YAML files."""
    return Path(str(resources.files("ironriver.model") / "schema"))


def ftm_schema_dir() -> Path:
    from followthemoney import model as ftm_model

    return Path(ftm_model.path)


@cache
def get_model() -> Any:
    """The merged FtM + ironriver model (an `followthemoney.model.Model`).

    It also becomes FtM's process-wide `Model.instance()`, because FtM's own helpers
    (`StatementEntity`, mappings, `model.common_schema`) look the model up there; FtM's
    schemata are all still in it, so FtM code behaves as before.
    """
    from followthemoney.model import Model

    from ironriver.model.merged import MergedModel

    merged = MergedModel([ftm_schema_dir(), schema_dir()])
    Model._instance = merged
    return merged


def mergeable(first: str, second: str) -> bool:
    """Whether entities of schemata `first` and `second` can be one entity (FtM's
    `common_schema`: one is the other or extends it, Person and LegalEntity; Firearm and
    Sale cannot)."""
    from followthemoney.exc import InvalidData

    try:
        get_model().common_schema(first, second)
    except InvalidData:
        return False
    return True


def most_specific_first(names: Iterable[str]) -> list[str]:
    """The schemata `names`, the most specific first (the most ancestors: Person before
    LegalEntity before Thing), then by name: of one value stated under two schemata that
    merge, the statement kept is the first's, so the entity keeps the specific schema."""
    model = get_model()
    return sorted(set(names), key=lambda name: (-len(model.get(name).schemata), name))


def write_model_dir(target: Path) -> Path:
    """Write FtM's schema files and ours into `target` (for `FTM_MODEL_PATH`)."""
    target.mkdir(parents=True, exist_ok=True)
    for src_dir in (ftm_schema_dir(), schema_dir()):
        for path in sorted(src_dir.glob("*.yaml")):
            shutil.copyfile(path, target / path.name)
    return target


__all__ = [
    "OUR_SCHEMATA",
    "get_model",
    "mergeable",
    "most_specific_first",
    "schema_dir",
    "write_model_dir",
]
