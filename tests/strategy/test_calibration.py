from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from ironriver.cli_strategy import strategy
from ironriver.errors import StrategyError
from ironriver.strategy import PAPER_PARAMETERS, calibrate
from ironriver.strategy.calibrate import LOWER, SCALE, UPPER, weekly_target


def test_target_is_a_tenth_of_homicides_and_missing() -> None:
    target = weekly_target()
    assert len(target) == 520
    assert target[0] == pytest.approx(0.1 * (25967 + 10760) / 52)
    assert target[52 * 9] == pytest.approx(0.1 * (35625 + 22470) / 52)


def test_calibration_fits_deaths_within_bounds() -> None:
    result = calibrate()
    assert result.success, result.message
    fitted = result.table["fitted"].to_numpy()
    assert np.all(fitted >= LOWER * SCALE * (1 - 1e-9))
    assert np.all(fitted <= UPPER * SCALE * (1 + 1e-9))
    # least squares must do at least as well as the published parameters
    assert result.fit["rmse_deaths_per_week"] <= result.paper_fit["rmse_deaths_per_week"] + 1e-6
    assert result.fit["r2"] > 0.7
    assert result.fit["rmse_deaths_per_week"] < 10
    # and stay close to the published rates
    assert result.parameters.theta == pytest.approx(PAPER_PARAMETERS.theta, rel=0.1)
    assert result.parameters.rho == pytest.approx(PAPER_PARAMETERS.rho, rel=0.1)
    assert len(result.curve) == 520


@pytest.mark.parametrize("runs", [0, -3])
def test_a_fit_without_model_runs_is_refused(runs: int) -> None:
    # SciPy's least_squares raised its own ValueError (a traceback from the command line)
    with pytest.raises(StrategyError, match="at least 1 model run"):
        calibrate(max_nfev=runs)
    result = CliRunner().invoke(strategy, ["calibrate", "--max-evals", str(runs)])
    assert result.exit_code == 2 and "--max-evals" in result.output
