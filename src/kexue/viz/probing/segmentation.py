"""Unsupervised word segmentation, drawn: adjacent scores s_i against the threshold, words as coloured
boxes, and held-out word F1 per layer against the baselines."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from ...probing.metrics import word_prf
from ..style import use_cjk_font

JOIN_COLOR = "#4c78a8"  # adjacent units glued into one word
CUT_COLOR = "#e45756"  # a word boundary
GOLD_COLOR = "#555555"


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
