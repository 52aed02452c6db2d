"""Figures for probing a model without training (Perturbed Masking and friends).

Each function takes plain numpy arrays / lists and shows one thing with one call:

- ``impact_heatmap``: the token-to-token impact matrix f(i, j), interactive (plotly): hover a cell,
  slide through layers, switch between character and word level, all in the browser.
- ``segmentation_figure`` / ``show_segmentation``: unsupervised word segmentation from adjacent scores, as
  a bar chart and as coloured text.
- ``segmentation_by_layer``: held-out word F1 per layer against the baselines.

The trees are drawn by :mod:`kexue.viz.trees`; :mod:`kexue.viz.probe_view` puts matrix, segmentation and
trees in one client-side view, and :mod:`kexue.viz.explore` is the live explorer for any sentence.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from matplotlib.axes import Axes

from ..probing.metrics import word_prf
from .style import use_cjk_font

JOIN_COLOR = "#4c78a8"  # adjacent units glued into one word
CUT_COLOR = "#e45756"  # a word boundary
GOLD_COLOR = "#555555"


# ----------------------------------------------------------------------------- impact heatmap


def impact_heatmap(
    matrices: np.ndarray | Mapping[str, tuple[np.ndarray, Sequence[str]]],
    tokens: Sequence[str] | None = None,
    *,
    layers: Sequence[Any] | None = None,
    title: str | None = None,
    colorscale: str = "Blues",
    mask_diagonal: bool = True,
    active_layer: int = 0,
) -> go.Figure:
    """Interactive heatmap of an impact matrix f[i, j] = impact of token j on token i.

    Two ways to call it:

    - one level: ``impact_heatmap(m, tokens)`` with ``m`` of shape (n, n) or (L, n, n);
    - several levels, switched by a dropdown:
      ``impact_heatmap({"characters": (m1, chars), "words": (m2, words)}, layers=range(1, 13))``.

    With L > 1 a slider picks the layer (``layers`` labels its steps, default 0..L-1).
    Rows are the measured token i, columns the masked token j. The diagonal (a token's
    impact on itself, 0 by definition) is left blank unless ``mask_diagonal=False``.
    The colour range is shared by the layers of one level, so layers compare by colour.
    Everything runs client-side: it stays interactive in a static HTML book.
    """
    levels = _impact_levels(matrices, tokens)
    labels = []  # each level's layer labels
    for name, stack, _ in levels:
        if layers is not None and len(layers) != len(stack):
            raise ValueError(
                f"{len(layers)} layer labels given but level {name!r} has {len(stack)} layers"
            )
        labels.append(list(layers) if layers is not None else list(range(len(stack))))
    start = [_check_index(active_layer, len(stack)) for _, stack, _ in levels]
    n_traces = sum(len(stack) for _, stack, _ in levels)

    fig = go.Figure()
    first_trace: list[int] = []  # index of each level's first trace
    for (name, stack, toks), names in zip(levels, labels):
        first_trace.append(len(fig.data))
        zmax = float(np.nanmax(_masked(stack, mask_diagonal), initial=0.0))
        hover = [[f"impact of {_esc(a)} on {_esc(b)}" for a in toks] for b in toks]
        for label, matrix in zip(names, stack):
            fig.add_trace(
                go.Heatmap(
                    z=_masked(matrix, mask_diagonal),
                    text=hover,
                    hovertemplate="%{text}: %{z:.4g}<br>row i=%{y}, column j=%{x}"
                    f"<extra>layer {_esc(label)}</extra>",
                    hoverongaps=False,
                    colorscale=colorscale,
                    zmin=0.0 if zmax > 0 else None,
                    zmax=zmax if zmax > 0 else None,
                    colorbar=dict(title=dict(text="impact", side="right")),
                    visible=False,
                    name=f"{name} · layer {label}",
                )
            )
    fig.data[first_trace[0] + start[0]].visible = True

    def visible(level: int, layer: int) -> list[bool]:
        flags = [False] * n_traces
        flags[first_trace[level] + layer] = True
        return flags

    def label_height(level: int) -> int:
        """Pixels taken below the plot by the x tick labels and the axis title."""
        longest = max((len(t) for t in levels[level][2]), default=1)
        return (20 if longest <= 2 else 12 * longest + 8) + 28

    def slider(level: int) -> list[dict]:
        if len(levels[level][1]) < 2:
            return []
        steps = [
            dict(method="restyle", args=[{"visible": visible(level, k)}], label=str(label))
            for k, label in enumerate(labels[level])
        ]
        return [
            dict(
                active=start[level],
                steps=steps,
                currentvalue=dict(prefix="layer: "),
                y=0,
                yanchor="top",
                pad=dict(t=label_height(level), b=10),
            )
        ]

    def axes(level: int) -> dict:
        toks = levels[level][2]
        ticks = list(range(len(toks)))
        text = [_esc(t) for t in toks]
        return {
            "xaxis.tickvals": ticks,
            "xaxis.ticktext": text,
            "xaxis.tickangle": 0 if max((len(t) for t in toks), default=0) <= 2 else -60,
            "yaxis.tickvals": ticks,
            "yaxis.ticktext": text,
        }

    def heading(level: int) -> str:
        parts = [title, levels[level][0] if len(levels) > 1 else None]
        return " · ".join(p for p in parts if p)

    biggest = max(len(toks) for _, _, toks in levels)
    side = int(min(max(320, 26 * biggest), 720))  # plot area, pixels
    top = 60 if (title or len(levels) > 1) else 20
    bottom = max(label_height(k) for k in range(len(levels)))
    if any(len(stack) > 1 for _, stack, _ in levels):
        bottom += 80  # room for the slider
    fig.update_layout(
        title=dict(text=heading(0) or None, x=0, xref="paper", xanchor="left"),
        width=side + 200,
        height=side + top + bottom,
        plot_bgcolor="white",
        margin=dict(l=60, r=20, t=top, b=bottom),
        sliders=slider(0),
        xaxis=dict(title=dict(text="masked token j"), showgrid=False, zeroline=False,
                   constrain="domain"),
        yaxis=dict(title=dict(text="token being measured i"), autorange="reversed",
                   showgrid=False, zeroline=False, scaleanchor="x", scaleratio=1,
                   constrain="domain"),
    )
    fig.update_layout(axes(0))
    if len(levels) > 1:
        buttons = [
            dict(
                method="update",
                label=name,
                args=[
                    {"visible": visible(k, start[k])},
                    {"sliders": slider(k), "title.text": heading(k), **axes(k)},
                ],
            )
            for k, (name, _, _) in enumerate(levels)
        ]
        fig.update_layout(
            updatemenus=[
                dict(type="dropdown", buttons=buttons, active=0, direction="down",
                     x=1, xanchor="right", y=1, yanchor="bottom", pad=dict(b=8))
            ]
        )
    return fig


def _impact_levels(
    matrices: np.ndarray | Mapping[str, tuple[np.ndarray, Sequence[str]]],
    tokens: Sequence[str] | None,
) -> list[tuple[str, np.ndarray, list[str]]]:
    """Normalise the two call forms to [(name, (L, n, n) array, tokens)]."""
    if isinstance(matrices, Mapping):
        if tokens is not None:
            raise ValueError(
                "with a dict of levels, give each level's tokens in the dict: "
                "{'characters': (matrix, tokens), ...}; do not pass tokens separately"
            )
        if not matrices:
            raise ValueError("the dict of levels is empty")
        items = []
        for name, value in matrices.items():
            if not (isinstance(value, (tuple, list)) and len(value) == 2):
                raise ValueError(f"level {name!r} must be a (matrix, tokens) pair")
            items.append((str(name), value[0], value[1]))
    else:
        if tokens is None:
            raise ValueError("tokens are required: impact_heatmap(matrix, tokens)")
        items = [("impact", matrices, tokens)]

    levels = []
    for name, matrix, toks in items:
        stack = np.asarray(matrix, dtype=float)
        if stack.ndim == 2:
            stack = stack[None]
        if stack.ndim != 3 or stack.shape[1] != stack.shape[2]:
            raise ValueError(
                f"level {name!r}: expected an (n, n) or (L, n, n) matrix, got shape {stack.shape}"
            )
        toks = [str(t) for t in toks]
        if stack.shape[-1] != len(toks):
            raise ValueError(
                f"level {name!r}: the matrix is {stack.shape[-1]}x{stack.shape[-1]} "
                f"but there are {len(toks)} tokens; they must match"
            )
        if len(stack) == 0:
            raise ValueError(f"level {name!r} has no layers")
        levels.append((name, stack, toks))
    return levels


def _masked(matrix: np.ndarray, mask_diagonal: bool) -> np.ndarray:
    """A copy with the diagonal set to NaN (drawn blank) when asked."""
    out = np.array(matrix, dtype=float)
    if mask_diagonal:
        n = out.shape[-1]
        out[..., np.arange(n), np.arange(n)] = np.nan
    return out


def _check_index(index: int, length: int) -> int:
    if not -length <= index < length:
        raise ValueError(f"active_layer={index} is out of range for {length} layers")
    return index % length


def _esc(value: Any) -> str:
    """Escape text for plotly's HTML-like labels."""
    return html.escape(str(value), quote=False)


# ------------------------------------------------------------------------------ segmentation


def segmentation_figure(
    units: Sequence[str],
    scores: Sequence[float],
    threshold: float,
    gold_words: Sequence[str] | None = None,
    ax: Axes | None = None,
    *,
    title: str | None = None,
) -> Axes:
    """Bars of the adjacent scores s_i (between unit i and i+1), with the threshold and cuts.

    A bar below the threshold is a predicted cut (red), above it a join (blue). Gold word
    boundaries, when ``gold_words`` is given, are dotted vertical lines. Units label the x axis
    and each bar stands in the gap between its two units.
    """
    units, scores = _check_scores(units, scores)
    gold = _gold_gaps(units, gold_words) if gold_words is not None else set()
    use_cjk_font()
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(min(max(6.0, 0.42 * len(units) + 1.5), 18.0), 3.2))

    gaps = np.arange(len(scores)) + 0.5
    cut = scores < threshold
    for mask, color, gid, label in (
        (~cut, JOIN_COLOR, "join", "join (s ≥ t)"),
        (cut, CUT_COLOR, "cut", "cut (s < t)"),
    ):
        bars = ax.bar(gaps[mask], scores[mask], width=0.55, color=color, label=label, zorder=2)
        for bar in bars:
            bar.set_gid(gid)
    ax.axhline(threshold, color="black", ls="--", lw=1.2, label=f"threshold t = {threshold:.3g}",
               gid="threshold", zorder=3)
    for k, gap in enumerate(sorted(gold)):
        ax.axvline(gap + 0.5, color=GOLD_COLOR, ls=":", lw=1.3, zorder=1, gid="gold",
                   label="gold boundary" if k == 0 else None)

    ax.set_xticks(np.arange(len(units)), units, fontsize=11)
    ax.tick_params(axis="x", length=0)
    ax.set_xlim(-0.6, len(units) - 0.4)
    ax.set_ylabel("adjacent score $s_i$")
    ax.grid(axis="x", visible=False)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=4, fontsize=8, frameon=False)
    if title:
        ax.set_title(title, pad=24)
    return ax


def segmentation_text(words: Sequence[str]) -> str:
    """The plain text form of a segmentation: words joined by "/"."""
    return "/".join(words)


def show_segmentation(words: Sequence[str], gold: Sequence[str] | None = None):
    """Render words as boxes separated by " / " (an IPython HTML object, shown in notebooks).

    With ``gold``, predicted words that match a gold word (same span) are green, the others
    red; a second row shows the gold words, the missed ones in amber, and a line of
    word-level precision / recall / F1. ``segmentation_text`` gives the plain "/" form.
    """
    from IPython.display import HTML

    return HTML(segmentation_html(list(words), None if gold is None else list(gold)))


def segmentation_html(words: list[str], gold: list[str] | None) -> str:
    """The HTML behind ``show_segmentation`` (also used by :mod:`kexue.viz.explore`)."""
    if gold is not None and "".join(words) != "".join(gold):
        raise ValueError(
            f"the words and the gold words spell different texts: "
            f"{''.join(words)!r} vs {''.join(gold)!r}"
        )
    neutral = ("#e8eef7", "#8ea6c8")
    good, bad, missed = ("#dcf1dc", "#2e7d32"), ("#fde0dc", "#c62828"), ("#fff1cc", "#d49b00")

    def row(label: str, items: list[tuple[str, tuple[str, str]]]) -> str:
        sep = '<span style="color:#999;margin:0 2px">/</span>'
        boxes = sep.join(
            f'<span style="background:{bg};border:1px solid {border};border-radius:4px;'
            f'padding:1px 5px;color:#222">{html.escape(w)}</span>'
            for w, (bg, border) in items
        )
        return (f'<div style="margin:3px 0;line-height:2"><span style="color:#666;'
                f'display:inline-block;width:3.5em">{label}</span>{boxes}</div>')

    if gold is None:
        body = row("", [(w, neutral) for w in words])
    else:
        pred_spans, gold_spans = _spans(words), _spans(gold)
        p, r, f = word_prf([words], [gold])
        body = (
            row("pred", [(w, good if s in gold_spans else bad) for w, s in zip(words, pred_spans)])
            + row("gold", [(w, neutral if s in pred_spans else missed)
                           for w, s in zip(gold, gold_spans)])
            + f'<div style="color:#444;font-size:90%">words: precision {p:.2f} · '
            f"recall {r:.2f} · F1 {f:.2f}</div>"
        )
    return f'<div style="font-size:15px">{body}</div>'


def _spans(words: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) character offsets of each word."""
    ends = np.cumsum([len(w) for w in words]).tolist()
    return list(zip([0] + ends[:-1], ends))


def _check_scores(units: Sequence[str], scores: Sequence[float]) -> tuple[list[str], np.ndarray]:
    units = [str(u) for u in units]
    scores = np.asarray(scores, dtype=float).reshape(-1)
    if len(units) and len(scores) != len(units) - 1:
        raise ValueError(
            f"{len(units)} units need {len(units) - 1} adjacent scores (one per gap), "
            f"got {len(scores)}"
        )
    return units, scores


def _gold_gaps(units: list[str], gold_words: Sequence[str]) -> set[int]:
    """Indices i of the gaps (between unit i and i+1) that are gold word boundaries."""
    if "".join(gold_words) != "".join(units):
        raise ValueError(
            f"the gold words spell {''.join(gold_words)!r} but the units spell {''.join(units)!r}"
        )
    boundaries = {end for _, end in _spans(gold_words)}
    ends = np.cumsum([len(u) for u in units]).tolist()
    return {i for i, end in enumerate(ends[:-1]) if end in boundaries}


def segmentation_by_layer(report, ax: Axes | None = None) -> Axes:
    """Test word F1 per layer (thresholds chosen on dev) against the baselines of a
    :class:`~kexue.probing.SegmentationReport`, the baselines as horizontal lines."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 3.2))
    ax.plot([r.layer for r in report.layers], [r.test_word.f1 for r in report.layers], marker="o",
            label="Perturbed Masking\n(threshold chosen on dev)")
    for (name, (word, _)), style in zip(report.baselines.items(), [":", "--", "-."]):
        ax.axhline(word.f1, ls=style, color="grey", label=name)
    ax.set(xlabel="layer", ylabel="test word F1")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return ax
