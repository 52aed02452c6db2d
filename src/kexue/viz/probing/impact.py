"""The impact matrix f(x_i, x_j) of Perturbed Masking as an interactive heat map (plotly).

Rows are the unit measured (i), columns the unit masked in addition (j); a slider steps through layers and a
menu switches between levels (characters, words). Everything runs client-side, so the figure stays
interactive in a static HTML book.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go


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
