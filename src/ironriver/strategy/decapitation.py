"""Decapitation: at a given week a group splits into k rival factions.

A kingpin removal with a contested succession breaks a group into factions that fight each
other (Jones 2013; Calderón et al. 2015; Lindo & Padilla-Romo 2018). In the model this is a
change of the network, and therefore of the conflict matrix M, at the split week:

- the parent keeps its row as faction 1; k - 1 new groups are appended, named
  "<parent> f2", "<parent> f3", ...;
- every faction inherits the parent's rivalries and alliances with third groups, and the
  parent's alliance strength A_p (its shelter in M). A third group keeps its own A_j: its
  alliance with the old group is counted once, not once per faction, otherwise a split
  would shelter every ally of the parent and lower violence by construction;
- factions are mutual rivals with weight `faction_rivalry_weight` and not allied;
- the parent's members are divided by the given shares (equal by default). Members, deaths
  so far and the other groups are unchanged: the split itself kills no one, the new
  rivalry does, from the next week on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ironriver.errors import StrategyOptionError
from ironriver.i18n import msg
from ironriver.strategy.network import CartelNetwork, Conflict, Matrix
from ironriver.strategy.parameters import FACTION_RIVALRY_WEIGHT

#: At most this many factions per split: a contested succession breaks a group into a
#: handful of factions, and each faction is a row and a column of the conflict matrix, so
#: 100,000 would need tens of GiB. A bound of the tool, not an estimate.
MAX_FACTIONS = 20

SPLIT_PATTERN = re.compile(r"^(?P<group>.+?):(?P<k>\d+)@(?P<week>\d+)(?::(?P<shares>[0-9.,/]+))?$")


@dataclass(frozen=True)
class Split:
    """Group `group` splits into `factions` factions `week` weeks after January 2022.

    shares: fraction of the parent's members going to each faction (sums to 1); None means
    equal shares. A network analysis (e.g. community detection on the group's own members)
    can supply them.
    """

    group: str
    factions: int
    week: int
    shares: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not 2 <= self.factions <= MAX_FACTIONS:
            raise StrategyOptionError(
                msg(
                    "A split needs 2 to {max} factions, got {factions}.",
                    max=MAX_FACTIONS,
                    factions=self.factions,
                ),
                hint=msg(
                    "Write GROUP:K@WEEK with K from 2 to {max}, e.g. {example}.",
                    max=MAX_FACTIONS,
                    example="CJNG:3@26",
                ),
            )
        if self.week < 0:
            raise StrategyOptionError(
                msg("The split week must be 0 or later."),
                hint=msg("e.g. {example}.", example="CJNG:3@26"),
            )
        if self.shares is not None:
            if len(self.shares) != self.factions or not all(0 < s < math.inf for s in self.shares):
                raise StrategyOptionError(
                    msg(
                        "Split of {group}: give {factions} positive shares.",
                        group=self.group,
                        factions=self.factions,
                    ),
                    hint=msg(
                        "e.g. {example} (they are normalised to sum to 1).",
                        example="CJNG:3@26:0.5,0.3,0.2",
                    ),
                )

    def fractions(self) -> np.ndarray:
        """Shares normalised to sum to one."""
        raw = np.ones(self.factions) if self.shares is None else np.array(self.shares, float)
        out: np.ndarray = raw / raw.sum()
        return out

    @classmethod
    def parse(cls, text: str) -> Split:
        """Parse `GROUP:K@WEEK` or `GROUP:K@WEEK:s1,s2,...` (WEEK counted from January 2022)."""
        match = SPLIT_PATTERN.match(text.strip())
        if match is None:
            raise StrategyOptionError(
                msg("Cannot read the split {text!r}.", text=text),
                hint=msg(
                    "Write GROUP:K@WEEK, e.g. CJNG:3@26 (CJNG splits in 3 factions 26 weeks "
                    "after January 2022), optionally with shares: CJNG:2@0:0.7,0.3."
                ),
            )
        shares = match["shares"]
        parsed = None
        if shares:
            try:
                parsed = tuple(float(x) for x in re.split(r"[,/]", shares) if x)
            except ValueError:
                raise StrategyOptionError(
                    msg("Cannot read the shares of the split {text!r}.", text=text),
                    hint=msg(
                        "Give one positive number per faction, separated by commas, e.g. {example}.",
                        example="CJNG:3@26:0.5,0.3,0.2",
                    ),
                ) from None
        return cls(match["group"], int(match["k"]), int(match["week"]), parsed)

    def label(self) -> str:
        return f"{self.group}:{self.factions}@{self.week}"


def split_network(
    network: CartelNetwork,
    parent: int,
    factions: int,
    rivalry_weight: float = FACTION_RIVALRY_WEIGHT.value,
) -> CartelNetwork:
    """The network after group `parent` splits into `factions` factions (appended at the end)."""
    n, extra = network.size, factions - 1
    rivalry = _grow(network.rivalry, parent, extra)
    alliance = _grow(network.alliance, parent, extra)
    family = [parent, *range(n, n + extra)]
    for a in family:
        for b in family:
            if a != b:
                rivalry[a, b] = rivalry_weight
                alliance[a, b] = 0.0
    parent_row = network.nodes.iloc[parent]
    parent_name = network.names[parent]  # unique, unlike the short name
    # A group split twice numbers its new factions on: CJNG f2, f3, then f4, ...
    first = 2 + int((network.nodes["parent"] == parent_name).sum())
    new_rows = pd.DataFrame(
        [
            {
                **parent_row.to_dict(),
                "Node": f"{parent_row['Node']}-f{f}",
                "Group": f"{parent_row['Group']} (faction {f})",
                "ShortName": f"{parent_name} f{f}",
                "parent": parent_name,
            }
            for f in range(first, first + extra)
        ]
    )
    nodes = pd.concat([network.nodes, new_rows], ignore_index=True)
    old = network.alliance_strength()
    strength = np.concatenate([old, np.full(extra, old[parent])])
    return CartelNetwork(nodes=nodes, rivalry=rivalry, alliance=alliance, strength=strength)


def _grow(w: Matrix, parent: int, extra: int) -> Matrix:
    """Append `extra` copies of the parent's row and column (the inherited relations)."""
    n = w.shape[0]
    out = np.zeros((n + extra, n + extra))
    out[:n, :n] = w
    out[n:, :n] = w[parent]
    out[:n, n:] = w[:, parent][:, None]
    return out


def pad(network: CartelNetwork, size: int) -> Conflict:
    """Conflict of `network` among `size` groups (factions not yet split off have none)."""
    return network.conflict().padded(size)
