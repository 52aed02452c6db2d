"""Where to draw the trees of an impact matrix: plain data, shared by the matplotlib drawings, the
client-side view of the rendered book (:mod:`kexue.viz.probe_view`) and the live explorer.

* :func:`constituency_layout` -- a binary tree of unit indices as nodes and edges: every leaf on the bottom
  row at x = its position in the sentence, every inner node at the mean x of its children, one row per depth;
* :func:`dependency_arcs` -- a head array as arcs from head to dependent, each with its score and a level
  (how high it rises: arcs over longer stretches rise higher, as displaCy draws them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..probing.trees import Tree, is_tree


def _is_leaf(node: Any) -> bool:
    return isinstance(node, (int, np.integer)) and not isinstance(node, bool)


def constituency_layout(tree: Tree, units: Sequence[str],
                        splits: Mapping[tuple[int, int], tuple[int, float]] | None = None) -> dict:
    """Nodes, edges and leaves of a constituency tree over ``units``.

    ``tree``: nested tuples of unit indices, e.g. ``((0, 1), (2, (3, 4)))``, each index 0..n-1 exactly once.
    ``splits`` (from :func:`kexue.probing.su_tree` / ``mart_tree``): span -> (unit where the right part starts,
    score), attached to the node of that span as ``split`` and ``score``.

    Returns ``{"nodes": [{"x", "depth", "span": [a, b], "text", "split", "score"}],
    "edges": [[parent, child]], "leaves": [{"x", "text"}], "depth": rows}``; an edge's child is a node index,
    or ``"leaf:i"`` for unit i. Leaves sit at depth ``rows``, below every inner node.
    """
    units = [str(u) for u in units]
    nodes: list[dict] = []
    edges: list[list] = []
    seen: list[int] = []

    def place(node: Any, depth: int) -> tuple[float, int, int]:
        """Lay out ``node``; returns (x, first unit, end unit)."""
        if _is_leaf(node):
            if not 0 <= node < len(units):
                raise ValueError(f"leaf {node} is not a unit index (0..{len(units) - 1})")
            seen.append(int(node))
            return float(node), int(node), int(node) + 1
        if not isinstance(node, (tuple, list)) or len(node) == 0:
            raise ValueError(f"a tree node must be a unit index or a non-empty tuple, got {node!r}")
        index = len(nodes)
        nodes.append({})
        xs, starts, ends = [], [], []
        for child in node:
            child_index = len(nodes)
            x, start, end = place(child, depth + 1)
            edges.append([index, f"leaf:{int(child)}" if _is_leaf(child) else child_index])
            xs.append(x)
            starts.append(start)
            ends.append(end)
        span = (min(starts), max(ends))
        split, score = (splits or {}).get(span, (None, None))
        nodes[index] = {"x": float(np.mean(xs)), "depth": depth, "span": list(span),
                        "text": "".join(units[span[0]:span[1]]), "split": split, "score": score}
        return nodes[index]["x"], span[0], span[1]

    place(tree, 0)
    if sorted(seen) != list(range(len(units))):
        missing = sorted(set(range(len(units))) - set(seen))
        repeated = sorted({i for i in seen if seen.count(i) > 1})
        raise ValueError(f"the tree's leaves must be each unit index 0..{len(units) - 1} exactly once "
                         f"(missing {missing}, repeated {repeated})")
    rows = max((n["depth"] for n in nodes), default=-1) + 1
    return {"nodes": nodes, "edges": edges, "leaves": [{"x": float(i), "text": u} for i, u in enumerate(units)],
            "depth": rows}


def check_heads(heads: Sequence[int], n: int) -> list[int]:
    """Validate a head array: length n + 1, ``heads[0] = -1``, a tree rooted at 0."""
    heads = [int(h) for h in heads]
    if len(heads) != n + 1:
        raise ValueError(f"heads must have length len(units) + 1 = {n + 1} (heads[0] = -1 for the root), "
                         f"got {len(heads)}")
    if heads[0] != -1:
        raise ValueError(f"heads[0] must be -1 (the root has no head), got {heads[0]}")
    if not is_tree(np.asarray(heads)):
        raise ValueError(f"heads {heads} do not form a tree: every unit needs a head in 0..{n} (not itself) "
                         "and a path to the root 0")
    return heads


def dependency_arcs(heads: Sequence[int], units: Sequence[str], scores: np.ndarray | None = None) -> list[dict]:
    """One arc per unit d = 1..n: ``{"head", "dependent", "score", "level"}``, positions 0 = ROOT, d = unit d-1.

    ``scores[h, d]`` (from :func:`kexue.probing.dependency_scores`) gives each arc its score. ``level`` ranks
    the arcs by the stretch they span (1 = the shortest), so an arc never rises lower than one it covers.
    """
    heads = check_heads(heads, len(units))
    lengths = sorted({abs(heads[d] - d) for d in range(1, len(heads))})
    level = {length: k + 1 for k, length in enumerate(lengths)}
    return [{"head": heads[d], "dependent": d,
             "score": None if scores is None else float(scores[heads[d], d]),
             "level": level[abs(heads[d] - d)]} for d in range(1, len(heads))]
