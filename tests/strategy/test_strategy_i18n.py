"""Spanish: strategy errors, help, table headings and texts (see `ironriver.i18n`)."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.errors import StrategyError
from ironriver.i18n import use_lang
from ironriver.strategy.cli import heading, shown
from ironriver.strategy.decapitation import Split
from ironriver.strategy.scenarios import get_scenario


def test_strategy_error_renders_spanish_and_stays_english() -> None:
    with pytest.raises(StrategyError) as caught:
        Split.parse("CJNG-3")
    err = caught.value
    assert err.message == "Cannot read the split 'CJNG-3'."
    assert "GROUP:K@WEEK" in str(err)
    spanish = err.render("es")
    assert spanish.startswith("No se puede leer la división 'CJNG-3'.")
    assert "Escriba GROUP:K@WEEK" in spanish


def test_unknown_scenario_hint_keeps_the_names() -> None:
    with pytest.raises(StrategyError) as caught:
        get_scenario("peace")
    assert "Elija uno de: status-quo, half-recruitment" in caught.value.render("es")


def test_strategy_help_in_spanish(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--lang", "es", "strategy", "--help"])
    assert result.exit_code == 0, result.output
    assert "Dinámica de los cárteles" in result.output
    assert "Ajusta los cinco parámetros" in result.output  # a subcommand's short help
    result = runner.invoke(cli, ["--lang", "es", "strategy", "run", "--help"])
    assert "Multiplicar el reclutamiento (rho)." in result.output
    english = runner.invoke(cli, ["strategy", "--help"])
    assert "Cartel dynamics" in english.output


def test_tables_show_spanish_headings_and_texts() -> None:
    frame = pd.DataFrame(
        {
            "scenario": ["status-quo"],
            "quantity": ["members, January 2022"],
            "members_2027": [1.0],
            "ok": [True],
        }
    )
    assert shown(frame) is frame  # English: the column names are the headings
    with use_lang("es"):
        table = shown(frame)
        assert list(table.columns) == ["escenario", "cantidad", "integrantes 2027", "en rango"]
        assert table.iloc[0].tolist() == ["status-quo", "integrantes, enero de 2022", 1.0, "Sí"]
        assert heading("deaths_change_2032_pct") == "cambio muertes 2032 (%)"
        assert get_scenario("status-quo").description_in() == "continúan las tasas de 2012-2021"
