"""The ironriver data model: FollowTheMoney 4.x's schemata plus our own, loaded side by side.

FtM's YAML files stay untouched; ours live in `model/schema/` (Individual, Firearm, Sale,
Recovery, BorderCrossing, Phone, Arrest). `get_model()` returns the merged model (built once per
process); `write_model_dir()` writes a folder holding both sets, so FtM's own tools accept our
entities: `FTM_MODEL_PATH=$(ironriver model-dir) ftm validate -i export.ftm.json`.

Person names: FtM's `fatherName`/`motherName` mean patronymic/matronymic, not Spanish
paternal/maternal surnames, so `Individual` (a Person) adds `paternalSurname` and
`maternalSurname`; `firstName` holds the given names and `lastName` the full surname string.
"""

from __future__ import annotations

import os
import shutil
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from followthemoney import model as _ftm_model
from followthemoney.exc import InvalidModel
from followthemoney.model import Model
from followthemoney.schema import Schema
from followthemoney.util import const

# libyaml's parser when PyYAML was built with it (its wheels are): loading FtM's ~80 schema
# files with the pure-Python parser takes ~0.6 s, with libyaml ~0.1 s.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

OUR_SCHEMATA = ("Individual", "Firearm", "Sale", "Recovery", "BorderCrossing", "Phone", "Arrest")


def schema_dir() -> Path:
    """The folder holding ironriver's own schema YAML files."""
    return Path(str(resources.files("ironriver.model") / "schema"))


def ftm_schema_dir() -> Path:
    return Path(_ftm_model.path)


class _MergedModel(Model):
    """An FtM `Model` read from FtM's folder and ours (later folders add schemata)."""

    def __init__(self, paths: list[Path]) -> None:
        self.path = str(paths[0])
        self.schemata = {}
        self.properties = set()
        self.qnames = {}
        for path in paths:
            for dirpath, _, filenames in sorted(os.walk(path)):
                for filename in sorted(filenames):
                    if filename.endswith((".yaml", ".yml")):
                        self._load(os.path.join(dirpath, filename))
        self.generate()

    def _load(self, filepath: str) -> None:
        # FtM's own `_load`, with the faster YAML parser (same result).
        with open(filepath, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_YAML_LOADER)
        if not isinstance(data, dict):
            raise InvalidModel(f"Model file is not a mapping: {filepath}")
        for name, config in data.items():
            name = const(name)
            self.schemata[name] = Schema(self, name, config)


@cache
def get_model() -> Any:
    """The merged FtM + ironriver model (an `followthemoney.model.Model`).

    It also becomes FtM's process-wide `Model.instance()`, because FtM's own helpers
    (`StatementEntity`, mappings, `model.common_schema`) look the model up there; FtM's
    schemata are all still in it, so FtM code behaves as before.
    """
    merged = _MergedModel([ftm_schema_dir(), schema_dir()])
    Model._instance = merged
    return merged


def write_model_dir(target: Path) -> Path:
    """Write FtM's schema files and ours into `target` (for `FTM_MODEL_PATH`)."""
    target.mkdir(parents=True, exist_ok=True)
    for src_dir in (ftm_schema_dir(), schema_dir()):
        for path in sorted(src_dir.glob("*.yaml")):
            shutil.copyfile(path, target / path.name)
    return target


__all__ = ["OUR_SCHEMATA", "get_model", "schema_dir", "write_model_dir"]
