"""The 150-group cartel network (CIDE BACRIM 2020) and the conflict matrix M built on it.

The data ship inside the package (`data/cartel_network`, CC0, see SOURCE.txt there). Each
alliance and rivalry is listed in both directions; like the authors we symmetrise by taking
the larger weight of the two directions.

Groups are held in *rank order*: rank 1 is the group with the largest total strength
(rivalry weight + alliance weight), ties kept in file order (a stable sort, as R's `order`).
Rank decides the initial size (1/rank power law), so the order is part of the model.

Conflict matrix (Prieto-Curiel et al. 2023):

    M_ij = (W_ij + 1) / (A_i + 1),  M_ii = 0

with W the symmetrised rivalry weights and A_i the total alliance weight of group i. Every
pair of groups is in some conflict (the +1); rivalries raise it, alliances of i shelter i.

Groups the network names after a person (a personal name, or one person's alias) carry the
neutral label the synthetic world gives them ("Grupo delictivo 10056", "GD-10056": the world's
`organisations.load_network` decides and labels; `neutral_names`) in everything this module
holds, so no table, JSON or chart of the strategy model prints a real individual's name;
organisation names of public record (CJNG, Sinaloa, ...) stay. The shipped files stay as
published.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ironriver.errors import StrategyError, StrategyOptionError
from ironriver.i18n import msg

Matrix = NDArray[np.float64]

DATA_PACKAGE = "ironriver.strategy"
DATA_DIR = ("data", "cartel_network")


def read_data_file(name: str) -> pd.DataFrame:
    """Read one shipped CSV, dropping the UTF-8 byte-order mark the files begin with."""
    node = resources.files(DATA_PACKAGE)
    for part in (*DATA_DIR, name):
        node = node.joinpath(part)
    try:
        text = node.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as exc:
        raise StrategyError(
            msg("The packaged cartel network file {name} is missing.", name=name),
            hint=msg(
                "Reinstall ironriver; the data ship in {path}.",
                path="ironriver/strategy/data/cartel_network",
            ),
        ) from exc
    return pd.read_csv(io.StringIO(text))


@dataclass(frozen=True)
class Conflict:
    """The conflict matrix in factored form: M = diag(shelter) (W + 1 1^T - I).

    rivalry: symmetric rivalry weights W (n, n), zero diagonal.
    shelter: 1 / (A_i + 1) per group (n,).
    """

    rivalry: Matrix
    shelter: NDArray[np.float64]

    def dense(self) -> Matrix:
        """M_ij = shelter_i (W_ij + 1), M_ii = 0."""
        m: Matrix = self.shelter[:, None] * (self.rivalry + 1.0)
        np.fill_diagonal(m, 0.0)
        return m

    def padded(self, size: int) -> Conflict:
        """The same conflict among `size` groups; the extra groups have no relations.

        They stand for factions that do not exist yet: with no members they affect no one.
        """
        n = self.rivalry.shape[0]
        w = np.zeros((size, size))
        w[:n, :n] = self.rivalry
        shelter = np.ones(size)
        shelter[:n] = self.shelter
        return Conflict(w, shelter)


@dataclass(frozen=True)
class CartelNetwork:
    """Groups in rank order with symmetric rivalry and alliance weights.

    nodes: one row per group (Node, Group, State, ShortName, parent), rank order.
    rivalry: symmetric weights W (0 = no declared rivalry), shape (n, n).
    alliance: symmetric weights (0 = no alliance), shape (n, n).
    strength: total alliance weight A_i per group; None means the row sums of `alliance`.
        A split sets it so that an ally of the split group keeps its own A_j (see
        `decapitation`).
    """

    nodes: pd.DataFrame
    rivalry: Matrix
    alliance: Matrix
    strength: NDArray[np.float64] | None = None

    def alliance_strength(self) -> NDArray[np.float64]:
        """A_i, the total alliance weight of each group (its shelter from conflict)."""
        if self.strength is not None:
            return self.strength
        out: NDArray[np.float64] = self.alliance.sum(axis=1)
        return out

    @property
    def size(self) -> int:
        return len(self.nodes)

    @property
    def names(self) -> list[str]:
        """Display names in rank order, unique (the column labels of per-group outputs).

        A group's short name, or "short name (node id)" when several groups share it: the
        2020 network has two "Tequileros" (N10010 and N10129), and per-group outputs keyed by
        the short name alone would merge them.
        """
        shorts = [str(x) for x in self.nodes["ShortName"]]
        counts = Counter(shorts)
        return [
            f"{short} ({node})" if counts[short] > 1 else short
            for short, node in zip(shorts, self.nodes["Node"], strict=True)
        ]

    def conflict_matrix(self) -> Matrix:
        """M_ij = (W_ij + 1) / (A_i + 1) with a zero diagonal."""
        strength = self.alliance_strength()
        m: Matrix = (self.rivalry + 1.0) / (strength[:, None] + 1.0)
        np.fill_diagonal(m, 0.0)
        return m

    def conflict(self) -> Conflict:
        """The conflict matrix in the factored form the integrator uses."""
        return Conflict(np.array(self.rivalry), 1.0 / (self.alliance_strength() + 1.0))

    def initial_shares(self) -> NDArray[np.float64]:
        """Share of all members in group of rank r: (1/r) / sum_k (1/k), over the 150 groups.

        Factions created by a split start empty: they get members only when the split
        happens, so their share here is zero.
        """
        original = (self.nodes["parent"] == "").to_numpy()
        ranks = np.arange(1, int(original.sum()) + 1, dtype=np.float64)
        weights = 1.0 / ranks
        shares = np.zeros(self.size)
        shares[original] = weights / weights.sum()
        return shares

    def index_of(self, group: str) -> int:
        """Position of a group given by display name, short name, full name or node id
        (case-insensitive). A name several groups share is an error listing them."""
        key = group.strip().casefold()
        columns = (
            pd.Series(self.names),
            self.nodes["ShortName"],
            self.nodes["Node"],
            self.nodes["Group"],
        )
        for column in columns:
            matches = np.flatnonzero(column.astype(str).str.casefold().to_numpy() == key)
            if matches.size == 1:
                return int(matches[0])
            if matches.size > 1:
                raise StrategyOptionError(
                    msg(
                        "{group!r} names {count} cartel groups: {candidates}.",
                        group=group,
                        count=int(matches.size),
                        candidates="; ".join(
                            f"{self.nodes['Node'].iloc[i]} ({self.nodes['Group'].iloc[i]})"
                            for i in matches
                        ),
                    ),
                    hint=msg(
                        "Name one of them by its node id, e.g. {example}.",
                        example=str(self.nodes["Node"].iloc[matches[0]]),
                    ),
                )
        raise StrategyOptionError(
            msg("No cartel group named {group!r}.", group=group),
            hint=msg(
                "Use a short name, a full name or a node id ({example}). Largest groups: {names}.",
                example="N10025",
                names=", ".join(self.names[:8]),
            ),
        )


def _symmetric(edges: pd.DataFrame, index: dict[str, int], n: int) -> Matrix:
    w = np.zeros((n, n))
    for a, b, weight in zip(edges["Node"], edges["RNode"], edges["weight"], strict=True):
        i, j = index[str(a)], index[str(b)]
        w[i, j] = max(w[i, j], float(weight))
    return np.maximum(w, w.T)


def neutral_names(nodes: pd.DataFrame) -> pd.DataFrame:
    """`nodes` (Node, Group, ShortName, ...) with the names the synthetic world uses: a group
    named after a person gets its neutral label (`ironriver.world.organisations`, which
    decides which groups those are), every other group keeps its name."""
    from ironriver.world.organisations import neutral_labels

    return neutral_labels(nodes, "Node", "Group", "ShortName")


@cache
def load_network() -> CartelNetwork:
    """The 2020 network of 150 groups, 92 rival pairs and 91 allied pairs, in rank order
    (groups named after a person under a neutral label: `neutral_names`)."""
    nodes = neutral_names(read_data_file("BACRIM2020_Nodes.csv"))
    index = {str(node): i for i, node in enumerate(nodes["Node"])}
    n = len(nodes)
    rivalry = _symmetric(read_data_file("BACRIM2020_Rivals.csv"), index, n)
    alliance = _symmetric(read_data_file("BACRIM2020_Alliances.csv"), index, n)
    strength = rivalry.sum(axis=1) + alliance.sum(axis=1)
    order = np.argsort(-strength, kind="stable")
    ranked = nodes.iloc[order].reset_index(drop=True)
    ranked["strength"] = strength[order]
    ranked["parent"] = ""
    return CartelNetwork(
        nodes=ranked,
        rivalry=_frozen(rivalry[np.ix_(order, order)]),
        alliance=_frozen(alliance[np.ix_(order, order)]),
    )


def _frozen(a: Matrix) -> Matrix:
    """Read-only, so the cached network cannot be changed by a caller by accident."""
    a.setflags(write=False)
    return a
