"""Calibration of the five model parameters to 2012-2021 deaths, by bounded least squares.

Target (as in the paper): cartel-member deaths per week = 0.1 x (homicides + missing
persons) / 52, from the yearly national series in `Trends2012_2021.csv`, interpolated to
weeks by a natural cubic spline through the yearly values placed at January 1 of each year
(linear beyond 2021, like R's `splinefun(method = "natural")`).

Residuals: model deaths minus target, weeks 0-519 (January 2012 to December 2021), from
expected 1/rank initial sizes. Bounds are the authors' own search box; the start is their
starting point. Deaths alone do not pin down five parameters (many combinations of rho,
eta and initial members give the same curve), so expect some estimates on their bounds
and read the fit quality, not single parameters.

`scipy.optimize.least_squares` (trust-region reflective) gets a forward-difference
Jacobian computed as one batched integration of 6 runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline
from scipy.optimize import least_squares

from ironriver.errors import StrategyOptionError
from ironriver.i18n import Msg, msg
from ironriver.strategy.model import Array, Rates, integrate, observe
from ironriver.strategy.network import CartelNetwork, load_network, read_data_file
from ironriver.strategy.parameters import DEATH_SHARE, PAPER_PARAMETERS, ModelParameters
from ironriver.strategy.simulate import HISTORY_WEEKS, START_YEAR, WEEKS_PER_YEAR

#: Parameter vector x = (rho, eta, theta, omega, initial_members) in these units.
SCALE = np.array([1e-3, 1.0, 1e-8, 1e-6, 1e3])
NAMES = ("rho", "eta", "theta", "omega", "initial_members")
LOWER = np.array([2.0, 110.0, 1.0, 0.04, 110.0])
UPPER = np.array([3.0, 120.0, 2.0, 0.10, 115.0])
START = np.array([2.68, 117.6, 1.59, 0.053, 111.0])


def weekly_target(weeks: int = HISTORY_WEEKS) -> Array:
    """Target deaths per week for model weeks 0 .. weeks - 1."""
    trends = read_data_file("Trends2012_2021.csv")
    years = trends["YEAR"].to_numpy(dtype=float)
    values = DEATH_SHARE.value * (trends["homicide"] + trends["missings"]).to_numpy(float)
    values = values / WEEKS_PER_YEAR
    spline = CubicSpline(years, values, bc_type="natural")
    x = START_YEAR + np.arange(weeks) / WEEKS_PER_YEAR
    y: Array = spline(x)
    beyond = x > years[-1]
    y[beyond] = values[-1] + spline(years[-1], 1) * (x[beyond] - years[-1])
    return y


def history_deaths(x: Array, network: CartelNetwork, weeks: int = HISTORY_WEEKS) -> Array:
    """Model deaths per week, weeks 0 .. weeks - 1, for parameter rows x (B, 5)."""
    p = x * SCALE
    rates = Rates(p[:, [0]], p[:, [1]], p[:, [2]], p[:, [3]])
    c0 = network.initial_shares()[None, :] * p[:, [4]]
    first = observe(c0, np.ascontiguousarray(network.conflict_matrix().T), rates).deaths
    _, totals, _ = integrate(c0, network.conflict(), rates, weeks - 1, keep_groups=False)
    out: Array = np.vstack([first[None, :], totals[:, 1, :]]).T
    return out


@dataclass(frozen=True)
class Calibration:
    """Fitted parameters, their bounds, fit quality and the fitted curve."""

    parameters: ModelParameters
    table: pd.DataFrame  # parameter, fitted, paper, lower, upper, unit scale, at_bound
    fit: dict[str, float]
    paper_fit: dict[str, float]
    curve: pd.DataFrame  # week, date, target, fitted, paper
    success: bool
    message: str  # SciPy's own text (English), kept for --json and logs
    status: int  # SciPy's status: 0 stopped at max_nfev, 1-4 converged

    def outcome(self) -> Msg:
        """How the fit ended, in our words (SciPy's `message` is English only)."""
        return OUTCOMES.get(self.status) or msg("stopped: {message}", message=self.message)


#: `least_squares`'s statuses (its `TERMINATION_MESSAGES`) in our words.
OUTCOMES: dict[int, Msg] = {
    0: msg("stopped at the limit of model runs before converging (raise --max-evals to go on)"),
    1: msg("converged: the gradient is near zero (gtol)"),
    2: msg("converged: the fit stopped improving (ftol)"),
    3: msg("converged: the parameters stopped changing (xtol)"),
    4: msg("converged: the fit stopped improving and the parameters stopped changing (ftol, xtol)"),
}


def fit_quality(model: Array, target: Array) -> dict[str, float]:
    """RMSE (deaths/week), R^2, mean absolute percentage error and mean bias."""
    resid = model - target
    ss_res = float(np.sum(resid**2))
    ss_tot = float(np.sum((target - target.mean()) ** 2))
    return {
        "rmse_deaths_per_week": float(np.sqrt(np.mean(resid**2))),
        "r2": 1.0 - ss_res / ss_tot,
        "mape_percent": float(100 * np.mean(np.abs(resid) / target)),
        "bias_deaths_per_week": float(resid.mean()),
    }


def calibrate(network: CartelNetwork | None = None, max_nfev: int = 60) -> Calibration:
    """Fit (rho, eta, theta, omega, initial members) to weekly deaths 2012-2021."""
    if max_nfev < 1:
        raise StrategyOptionError(
            msg("The fit needs at least 1 model run, got {runs}.", runs=max_nfev),
            hint=msg("Use --max-evals 1 or more (the default is 60)."),
        )
    network = network or load_network()
    target = weekly_target()

    def residuals(x: Array) -> Array:
        out: Array = history_deaths(x[None, :], network)[0] - target
        return out

    def jacobian(x: Array) -> Array:
        step = 1e-6 * np.maximum(np.abs(x), 1.0)
        step = np.where(x + step > UPPER, -step, step)  # stay inside the bounds
        batch = np.vstack([x, x + np.diag(step)])
        d = history_deaths(batch, network)
        out: Array = ((d[1:] - d[0]) / step[:, None]).T
        return out

    result = least_squares(
        residuals,
        START,
        jac=jacobian,
        bounds=(LOWER, UPPER),
        method="trf",
        x_scale="jac",
        max_nfev=max_nfev,
    )
    x = result.x
    fitted = ModelParameters(*(float(v) for v in x * SCALE))
    paper_x = np.array([getattr(PAPER_PARAMETERS, n) for n in NAMES]) / SCALE
    both = history_deaths(np.vstack([x, paper_x]), network)
    span = UPPER - LOWER
    table = pd.DataFrame(
        {
            "parameter": NAMES,
            "fitted": x * SCALE,
            "paper": paper_x * SCALE,
            "lower": LOWER * SCALE,
            "upper": UPPER * SCALE,
            "at_bound": (np.abs(x - LOWER) < 1e-3 * span) | (np.abs(x - UPPER) < 1e-3 * span),
        }
    )
    weeks = np.arange(HISTORY_WEEKS)
    from ironriver.strategy.simulate import week_date

    curve = pd.DataFrame(
        {
            "week": weeks,
            "date": pd.to_datetime([week_date(int(t)) for t in weeks]),
            "target": target,
            "fitted": both[0],
            "paper": both[1],
        }
    )
    return Calibration(
        parameters=fitted,
        table=table,
        fit=fit_quality(both[0], target),
        paper_fit=fit_quality(both[1], target),
        curve=curve,
        success=bool(result.success),
        message=str(result.message),
        status=int(result.status),
    )
