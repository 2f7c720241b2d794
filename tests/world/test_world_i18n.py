"""Spanish: world errors and the calibration report (see `ironriver.i18n`)."""

from __future__ import annotations

import pytest

from ironriver.errors import WorldError
from ironriver.i18n import use_lang
from ironriver.world.calibration import figure
from ironriver.world.config import WorldConfig
from ironriver.world.report import ReportRow, format_report


def test_world_error_renders_spanish_and_stays_english() -> None:
    with pytest.raises(WorldError) as caught:
        WorldConfig(scale=0)
    err = caught.value
    assert err.message == "Scale 0 is out of range."
    assert err.hint == "Use 0 < scale <= 10."
    assert (
        err.render("es") == "La escala 0 está fuera de rango.\n  Qué hacer: Use 0 < escala <= 10."
    )


def test_unknown_figure_keeps_its_key() -> None:
    with pytest.raises(WorldError) as caught:
        figure("mix.nothing")
    assert caught.value.render("es").startswith("cifra de calibración desconocida: 'mix.nothing'")


def test_report_in_spanish() -> None:
    rows = [
        ReportRow("mix.pistol_share", "d", "share", 0.5, 0.4, 0.6, 0.45, True),
        ReportRow("traces.us_sourced_share", "d", "share", 0.7, 0.6, 0.8, 0.1, False),
        ReportRow("cartels.members", "d", "persons", 1e5, 9e4, 1.1e5, None, None),
    ]
    english = format_report(rows)
    assert english.splitlines()[0].split() == ["figure", "target", "range", "world", "ok"]
    assert english.endswith("1 of 2 measured figures within range")
    with use_lang("es"):
        spanish = format_report(rows)
    lines = spanish.splitlines()
    assert lines[0].split()[:4] == ["cifra", "objetivo", "rango", "mundo"]
    assert lines[2].endswith("sí") and lines[3].endswith("no")
    assert "n/d" in lines[4]
    assert lines[-1] == "1 de 2 cifras medidas dentro del rango"
