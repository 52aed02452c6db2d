"""The trees of an impact matrix as matplotlib drawings (static images; :mod:`kexue.viz.probe_view` draws the
same layouts in the browser, interactively)."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path

from ..probing.trees import Tree
from .style import use_cjk_font
from .tree_layout import constituency_layout, dependency_arcs

ARC_COLOR = "#34495e"
ROOT_COLOR = "#e45756"


def draw_constituency(tree: Tree, tokens: Sequence[str], ax: Axes | None = None) -> Axes:
    """Draw a constituency tree top-down, tokens at the leaves in sentence order
    (:func:`kexue.viz.tree_layout.constituency_layout`)."""
    layout = constituency_layout(tree, tokens)
    nodes, bottom = layout["nodes"], layout["depth"]
    use_cjk_font()
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(min(max(4.0, 0.55 * len(tokens) + 1), 18.0), min(1.0 + 0.4 * bottom, 6.0)))
    for parent, child in layout["edges"]:
        p = nodes[parent]
        if isinstance(child, str):
            x, y = float(child.split(":")[1]), bottom
        else:
            x, y = nodes[child]["x"], nodes[child]["depth"]
        ax.plot([p["x"], x], [-p["depth"], -y], color=ARC_COLOR, lw=1.2, zorder=1)
    if nodes:
        ax.scatter([n["x"] for n in nodes], [-n["depth"] for n in nodes], s=28, color=ARC_COLOR, zorder=2,
                   gid="nodes")
    for leaf in layout["leaves"]:
        ax.text(leaf["x"], -bottom - 0.12, leaf["text"], ha="center", va="top", fontsize=12, gid="leaf")
    ax.set_xlim(-0.7, len(tokens) - 0.3)
    ax.set_ylim(-bottom - 0.9, 0.4)
    ax.set_axis_off()
    return ax


def draw_dependency(heads: Sequence[int], tokens: Sequence[str], ax: Axes | None = None,
                    root_label: str = "ROOT") -> Axes:
    """Draw a dependency tree: tokens on a line, arcs above from each head to its dependent.

    Convention: ``heads`` has length n + 1 with ``heads[0] = -1``; for d = 1..n, ``heads[d]`` is the head of
    token d (``tokens[d - 1]``), and 0 means the root. Arcs rise with their level; the arrow head points at
    the dependent; the root arc starts at a ROOT node.
    """
    tokens = [str(t) for t in tokens]
    arcs = dependency_arcs(heads, tokens)
    use_cjk_font()
    top = max((a["level"] for a in arcs), default=1)
    rise = 0.5  # arc peak height per level
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(min(max(4.0, 0.7 * (len(tokens) + 1) + 0.5), 18.0),
                                      min(1.2 + 0.28 * top * rise * 2, 5.5)))
    base = 0.15
    for arc in arcs:
        h, d, peak = arc["head"], arc["dependent"], rise * arc["level"]
        # Quadratic Bezier: its control point at twice the peak height gives that peak.
        path = Path([(h, base), ((h + d) / 2, base + 2 * peak), (d, base)], [Path.MOVETO, Path.CURVE3, Path.CURVE3])
        ax.add_patch(FancyArrowPatch(path=path, arrowstyle="-|>,head_length=5,head_width=2.5",
                                     color=ROOT_COLOR if h == 0 else ARC_COLOR, lw=1.3, gid="arc"))
    ax.text(0, 0, root_label, ha="center", va="top", fontsize=10, color=ROOT_COLOR, fontweight="bold", gid="root")
    for d, token in enumerate(tokens, start=1):
        ax.text(d, 0, token, ha="center", va="top", fontsize=12, gid="token")
    ax.set_xlim(-0.6, len(tokens) + 0.6)
    ax.set_ylim(-0.45, base + rise * top + 0.25)
    ax.set_axis_off()
    return ax
