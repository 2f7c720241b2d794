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

from ironriver.strategy.parameters import ModelParameters

Array = NDArray[np.float64]


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


def integrate(
    c0: Array, m: Array, r: Rates, weeks: int, substeps: int = 1, keep_groups: bool = True
) -> tuple[Array, Array, Array | None]:
    """Advance c0 (B, n) by `weeks` weeks under conflict matrix m.

    Returns the final state (B, n), the totals (weeks, 4, B) after each week (members,
    deaths, recruits, incapacitated) and, when keep_groups, the members per group
    (weeks, B, n).

    Same arithmetic as `step`, written with preallocated buffers: for a 1,000-run batch
    the element-wise passes over (B, n) arrays, not the matrix products, dominate the cost.
    """
    mt = np.ascontiguousarray(m.T)
    h = 1.0 / substeps
    runs = c0.shape[0]
    totals = np.empty((weeks, 4, runs))
    groups = np.empty((weeks, *c0.shape)) if keep_groups else None
    c = np.array(c0, dtype=np.float64)
    k, acc, stage, tmp = (np.empty_like(c) for _ in range(4))
    deaths = np.empty(runs)

    def rate(x: Array, out: Array, want_deaths: bool) -> None:
        np.matmul(x, mt, out=out)  # (M C)_i
        out *= r.theta
        if want_deaths:
            np.einsum("bi,bi->b", x, out, out=deaths)
        np.multiply(x, r.omega, out=tmp)
        out += tmp
        total = x.sum(axis=1, keepdims=True)
        np.subtract(r.rho - r.eta / np.maximum(total, 1e-12), out, out=out)
        out *= x

    # k always holds dC/dt at the current state: the rate computed to observe the end of
    # one week is the first Runge-Kutta stage of the next.
    rate(c, k, want_deaths=False)
    for week in range(weeks):
        for sub in range(substeps):
            if sub:
                rate(c, k, want_deaths=False)
            np.copyto(acc, k)  # k1
            for weight, frac in ((2.0, 0.5), (2.0, 0.5), (1.0, 1.0)):
                np.multiply(k, frac * h, out=stage)
                stage += c
                rate(stage, k, want_deaths=False)  # k2, k3, k4
                acc += k
                if weight == 2.0:
                    acc += k
            acc *= h / 6.0
            c += acc
            np.maximum(c, 0.0, out=c)
        rate(c, k, want_deaths=True)
        total = c.sum(axis=1)
        totals[week, 0] = total
        totals[week, 1] = deaths
        totals[week, 2] = r.rho[:, 0] * total
        totals[week, 3] = np.where(total > 0, r.eta[:, 0], 0.0)
        if groups is not None:
            groups[week] = c
    return c, totals, groups
