"""The Prieto-Curiel et al. (2023) equations and a batched fixed-step RK4 integrator.

For each group i with C_i members and S = sum_k C_k all members, per week:

    dC_i/dt = C_i * [ rho - eta / S - theta * (M C)_i - omega * C_i ]

- recruitment rho C_i: every member brings in rho recruits a week;
- incapacitation eta C_i / S: eta arrests a week in total, shared in proportion to size;
- conflict theta C_i (M C)_i: deaths from exposure to every other group through M;
- saturation omega C_i^2: large groups lose members faster (fragmentation, defection).

Observables at each week: members S, deaths theta C^T M C (each death counted once: the
victim's group is i), gross recruits rho S and incapacitations eta.

All arrays carry a leading batch axis B (runs): one deterministic run is B = 1, a Monte
Carlo ensemble or a finite-difference Jacobian is B > 1 and costs one matrix product per
stage instead of B. The step is one week, the unit the rates were fitted in; halving it
changes members in 2022 by less than 1e-9 (see tests/strategy/test_model.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from ironriver.strategy.network import Conflict
from ironriver.strategy.parameters import ModelParameters

Array = NDArray[np.float64]

#: The weekly step is used while a week's arrests take at most this share of a run's members
#: (eta / S); below eta / NEAR_EXTINCTION members the week is cut into shorter steps.
NEAR_EXTINCTION = 0.05
#: A run whose members would reach zero within this many weeks after the end of the current
#: week is set to zero at its end (without it, steps would shrink without end near zero).
EXTINCTION_SLACK = 0.01


@dataclass(frozen=True)
class Rates:
    """Rates for a batch of runs, each of shape (B, 1) so they broadcast over groups."""

    rho: Array
    eta: Array
    theta: Array
    omega: Array

    @classmethod
    def from_parameters(cls, params: ModelParameters, runs: int = 1) -> Rates:
        def col(x: float) -> Array:
            return np.full((runs, 1), float(x))

        return cls(col(params.rho), col(params.eta), col(params.theta), col(params.omega))

    def scaled(
        self, recruitment: float = 1.0, incapacitation: float = 1.0, lethality: float = 1.0
    ) -> Rates:
        """Rates with recruitment, incapacitation and conflict lethality multiplied."""
        return Rates(
            self.rho * recruitment, self.eta * incapacitation, self.theta * lethality, self.omega
        )


@dataclass(frozen=True)
class Observables:
    """Weekly totals per run, each of shape (B,)."""

    members: Array
    deaths: Array
    recruits: Array
    incapacitated: Array


def derivative(c: Array, mt: Array, r: Rates) -> Array:
    """dC/dt for members c of shape (B, n); mt is M transposed, so (c @ mt)_i = (M C)_i."""
    total = c.sum(axis=1, keepdims=True)
    per_member = r.rho - r.eta / np.maximum(total, 1e-12) - r.theta * (c @ mt) - r.omega * c
    out: Array = c * per_member
    return out


def observe(c: Array, mt: Array, r: Rates) -> Observables:
    """Members, deaths, recruits and incapacitations per week in state c."""
    total = c.sum(axis=1)
    deaths = r.theta[:, 0] * np.einsum("bi,bi->b", c, c @ mt)
    incapacitated = np.where(total > 0, r.eta[:, 0], 0.0)
    return Observables(total, deaths, r.rho[:, 0] * total, incapacitated)


def step(c: Array, mt: Array, r: Rates, h: float = 1.0) -> Array:
    """One classical Runge-Kutta step of h weeks; members never go below zero."""
    k1 = derivative(c, mt, r)
    k2 = derivative(c + 0.5 * h * k1, mt, r)
    k3 = derivative(c + 0.5 * h * k2, mt, r)
    k4 = derivative(c + h * k3, mt, r)
    nxt: Array = np.maximum(c + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4), 0.0)
    return nxt


class _Rate:
    """dC/dt for a state x laid out (groups, runs), with the cheapest algebra for the batch.

    M = diag(s) (W + 1 1^T - I) with s_i = 1 / (A_i + 1), so
    (M x)_i = s_i ((W x)_i + S - x_i): W is sparse (92 rival pairs among 150 groups).

    - Large batches with per-run rates: one sparse product W x, then element-wise work.
    - Small batches sharing theta and omega: one dense product with K = theta M + omega I.

    `__call__` writes dC/dt into `out`; with `deaths` it also stores theta x^T M x per run.
    """

    def __init__(self, conflict: Conflict, r: Rates, runs: int) -> None:
        self.rho, self.eta = r.rho.T, r.eta.T  # (1, B)
        self.omega = r.omega.T
        uniform = bool(np.all(r.theta == r.theta[0, 0]) and np.all(r.omega == r.omega[0, 0]))
        self.dense = uniform and runs <= 64
        n = conflict.rivalry.shape[0]
        self.tmp = np.empty((n, runs))
        self.deaths = np.empty(runs)
        self.total = np.empty(runs)
        # one run: the per-run scalars as Python floats save several numpy calls per stage
        self.single = runs == 1
        self.rho_f, self.eta_f = float(r.rho[0, 0]), float(r.eta[0, 0])
        self.omega_f = float(r.omega[0, 0])
        if self.dense:
            k = float(r.theta[0, 0]) * conflict.dense() + float(r.omega[0, 0]) * np.eye(n)
            self.k = np.ascontiguousarray(k)
        else:
            self.w = sparse.csr_array(conflict.rivalry)
            self.p = conflict.shelter[:, None] * r.theta.T  # (n, B)
            self.q = self.p - self.omega

    def __call__(self, x: Array, out: Array, deaths: bool = False) -> None:
        tmp = self.tmp
        if self.single and self.dense:
            s = float(x.sum())
            np.matmul(self.k, x, out=tmp)  # theta (M x) + omega x
            if deaths:
                self.total[0] = s
                self.deaths[0] = float(np.vdot(x, tmp)) - self.omega_f * float(np.vdot(x, x))
            np.subtract(self.rho_f - self.eta_f / max(s, 1e-12), tmp, out=out)
            out *= x
            return
        total = x.sum(axis=0, keepdims=True)
        base = self.rho - self.eta / np.maximum(total, 1e-12)
        if self.dense:
            np.matmul(self.k, x, out=tmp)  # theta (M x) + omega x
        else:
            g = self.w @ x
            g *= self.p
            np.multiply(self.q, x, out=tmp)
            g -= tmp
            np.multiply(self.p, total, out=tmp)
            tmp += g  # theta (M x) + omega x
        if deaths:
            self.total[:] = total[0]
            self.deaths[:] = np.einsum("ib,ib->b", x, tmp) - self.omega[0] * np.einsum(
                "ib,ib->b", x, x
            )
        np.subtract(base, tmp, out=out)
        out *= x


def integrate(
    c0: Array,
    conflict: Conflict,
    r: Rates,
    weeks: int,
    substeps: int = 1,
    keep_groups: bool = True,
) -> tuple[Array, Array, Array | None]:
    """Advance c0 (B, n) by `weeks` weeks under `conflict`.

    Returns the final state (B, n), the totals (weeks, 4, B) after each week (members,
    deaths, recruits, incapacitated) and, when keep_groups, the members per group
    (weeks, B, n).

    Same arithmetic as `step`, but with the state laid out (groups, runs), preallocated
    buffers and the sparse form of M (see `_Rate`): for 1,000 runs the element-wise passes,
    not the products, then dominate the cost.
    """
    h = 1.0 / substeps
    runs = c0.shape[0]
    totals = np.empty((weeks, 4, runs))
    groups = np.empty((weeks, *c0.shape)) if keep_groups else None
    c = np.array(c0.T, dtype=np.float64, order="C")
    k, acc, stage = (np.empty_like(c) for _ in range(3))
    rate = _Rate(conflict, r, runs)
    rho, eta = r.rho[:, 0], r.eta[:, 0]
    # k always holds dC/dt at the current state: the rate computed to observe the end of
    # one week is the first Runge-Kutta stage of the next.
    rate(c, k)
    # rate.total holds the members of each run at the start of the week (set by the
    # observation at the end of the previous one); one float compare for a single run
    rate.total[:] = c.sum(axis=0)
    threshold = eta / NEAR_EXTINCTION
    first_threshold = float(threshold[0])
    for week in range(weeks):
        if rate.total[0] < first_threshold if runs == 1 else bool(np.any(rate.total < threshold)):
            _week_near_extinction(c, k, acc, stage, rate, rho, eta)
        else:
            for sub in range(substeps):
                if sub:
                    rate(c, k)
                _rk4(c, k, acc, stage, rate, h)
        rate(c, k, deaths=True)
        totals[week, 0] = rate.total
        totals[week, 1] = rate.deaths
        if groups is not None:
            groups[week] = c.T
    totals[:, 2] = rho * totals[:, 0]
    totals[:, 3] = np.where(totals[:, 0] > 0, eta, 0.0)
    return np.ascontiguousarray(c.T), totals, groups


def _rk4(c: Array, k: Array, acc: Array, stage: Array, rate: _Rate, h: float) -> None:
    """One Runge-Kutta step of h weeks in place; k holds dC/dt at c on entry."""
    np.copyto(acc, k)  # k1
    for weight, frac in ((2.0, 0.5), (2.0, 0.5), (1.0, 1.0)):
        np.multiply(k, frac * h, out=stage)
        stage += c
        rate(stage, k)  # k2, k3, k4
        acc += k
        if weight == 2.0:
            acc += k
    acc *= h / 6.0
    c += acc
    np.maximum(c, 0.0, out=c)


def extinction_time(total: Array, rho: Array, eta: Array) -> Array:
    """Weeks until members reach zero under S' = rho S - eta alone (inf: never).

    The full model only removes more members (conflict, saturation), so a run is extinct
    by then at the latest: S(t) = eta/rho - (eta/rho - S) e^(rho t) reaches 0 at
    t = -ln(1 - rho S / eta) / rho (S / eta when rho = 0).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        x = rho * total / eta
        t = np.where(rho > 0, -np.log1p(-np.minimum(x, 1.0)) / rho, total / eta)
    out: Array = np.where((eta > 0) & (x < 1.0), t, np.inf)
    return out


def _week_near_extinction(
    c: Array, k: Array, acc: Array, stage: Array, rate: _Rate, rho: Array, eta: Array
) -> None:
    """One week for a batch in which some run has fewer than eta / NEAR_EXTINCTION members.

    Near zero members, arrests eta C_i / S take a share eta / S of each group a week that
    grows without bound: the model reaches zero in finite time, and a fixed weekly step
    would overshoot (to 1e14 members, or NaN). Here the week is cut into steps in which at
    most NEAR_EXTINCTION of any run is arrested, and a run whose `extinction_time` falls
    within the week (plus EXTINCTION_SLACK) is set to zero: it is extinct by the week's end.
    """
    left = 1.0
    while left > 0.0:
        total = c.sum(axis=0)
        extinct = extinction_time(total, rho, eta) <= left + EXTINCTION_SLACK
        c[:, extinct] = 0.0
        alive = (total > 0) & ~extinct & (eta > 0)
        if not alive.any():
            return
        h = min(left, NEAR_EXTINCTION * float(np.min(total[alive] / eta[alive])))
        rate(c, k)
        _rk4(c, k, acc, stage, rate, h)
        left -= h
