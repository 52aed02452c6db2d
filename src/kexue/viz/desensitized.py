"""Figures for the desensitized-text chapter: AUC against training step, and what the rank alignment decodes."""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from ..desensitized.model import INIT_LABELS  # the names the tables use, re-exported here

INIT_COLOURS = {"random-init": "#7f7f7f", "random-map": "#d62728", "rank-align": "#1f77b4", "plaintext": "#2ca02c"}


def plot_auc_curves(results: Mapping[tuple[str, bool, int], dict], *, baseline: float | None = None, axes=None):
    """Held-out ROC-AUC against training step: one panel without and one with the unlabelled texts, one colour per
    initialisation; thin lines are seeds, the thick line their mean. ``results``: what
    :func:`kexue.desensitized.compare_inits` returns. ``baseline``: a dashed reference level (e.g. the id-overlap
    AUC)."""
    panels = sorted({unlabelled for _, unlabelled, _ in results})
    if axes is None:
        _, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels) + 3.2, 3.8), sharey=True, squeeze=False)
        axes = axes[0]
    for ax, unlabelled in zip(axes, panels):
        inits = list(dict.fromkeys(i for i, u, _ in results if u == unlabelled))
        for init in inits:
            runs = [r for (i, u, _), r in results.items() if i == init and u == unlabelled]
            colour = INIT_COLOURS.get(init)
            for r in runs:
                ax.plot(r["steps"], r["auc"], color=colour, lw=0.7, alpha=0.45)
            mean = np.mean([r["auc"] for r in runs], axis=0)
            ax.plot(runs[0]["steps"], mean, color=colour, lw=2, marker="o", ms=3,
                    label=f"{INIT_LABELS.get(init, init)} ({len(runs)} seed{'s' if len(runs) > 1 else ''})")
        if baseline is not None:
            ax.axhline(baseline, color="k", ls="--", lw=0.8, label="id-overlap baseline (no model)")
        ax.axhline(0.5, color="k", ls=":", lw=0.6)
        ax.set(xlabel="training step", title="with unlabelled texts" if unlabelled else "labelled pairs only")
    axes[0].set_ylabel("held-out ROC-AUC")
    axes[-1].legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    axes[0].figure.tight_layout()
    return axes


def plot_zero_shot(results: Mapping[tuple[str, int], Sequence[float]], *, baseline: float | None = None, ax=None):
    """Zero-shot ROC-AUC (cosine of mean-pooled states, no training) against depth, one colour per start; thin
    lines are seeds, the thick line their mean. ``results``: :func:`kexue.desensitized.compare_zero_shot`.
    ``baseline``: a dashed reference level (e.g. the id-overlap AUC)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7.8, 3.8))
    for init in dict.fromkeys(i for i, _ in results):
        runs = [np.asarray(r) for (i, _), r in results.items() if i == init]
        colour = INIT_COLOURS.get(init)
        depth = np.arange(len(runs[0]))
        if len(runs) > 1:
            for r in runs:
                ax.plot(depth, r, color=colour, lw=0.7, alpha=0.45)
        ax.plot(depth, np.mean(runs, axis=0), color=colour, lw=2, marker="o", ms=3,
                label=f"{INIT_LABELS.get(init, init)} ({len(runs)} seed{'s' if len(runs) > 1 else ''})")
    if baseline is not None:
        ax.axhline(baseline, color="k", ls="--", lw=0.8, label="id-overlap baseline (no model)")
    ax.axhline(0.5, color="k", ls=":", lw=0.6)
    ax.set(xlabel="depth (0 = embedding layer, k = after layer k)", ylabel="held-out ROC-AUC, no training",
           xticks=range(len(runs[0])))
    ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    ax.figure.tight_layout()
    return ax


def plot_rank_recovery(true_ranks: Mapping[str, np.ndarray], flags: Mapping[str, tuple[np.ndarray, np.ndarray]],
                       *, factor: float = 2.0, axes=None):
    """Left: for each cipher id (x: its frequency rank in the ciphered data), the rank of its true character in a
    reference corpus (y); the rank alignment is right exactly on the diagonal. Right: by rank band, the fraction of
    ids mapped to their true character (dashed) or to one of similar frequency (solid), per reference; ``flags``
    are :func:`kexue.desensitized.recovery_flags` (exact, similar) per reference."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(13, 4.3))
    colours = plt.cm.tab10(np.arange(len(true_ranks)))
    edges = np.unique(np.geomspace(1, max(len(r) for r in true_ranks.values()) + 1, 9).astype(int))
    for colour, (name, ranks) in zip(colours, true_ranks.items()):
        r = np.arange(len(ranks))
        axes[0].scatter(r + 1, ranks + 1, s=3, alpha=0.35, color=colour, label=name, rasterized=True)
        exact, similar = flags[name]
        centres, exact_share, similar_share = [], [], []
        for lo, hi in zip(edges[:-1], edges[1:]):
            band = (r + 1 >= lo) & (r + 1 < hi)
            if band.any():
                centres.append(np.sqrt(lo * hi))
                exact_share.append(exact[band].mean())
                similar_share.append(similar[band].mean())
        axes[1].plot(centres, similar_share, color=colour, marker="o", ms=3,
                     label=f"{name}: frequency within {factor:g}x")
        axes[1].plot(centres, exact_share, color=colour, marker="s", ms=3, ls="--", label=f"{name}: exact")
    top = max(np.nanmax(r) for r in true_ranks.values()) + 1
    axes[0].plot([1, top], [1, top], color="k", lw=0.8)
    axes[0].set(xscale="log", yscale="log", xlabel="rank of the cipher id in the ciphered data",
                ylabel="rank of its true character in the reference", title="where each cipher id should have gone")
    axes[0].legend(fontsize=8, markerscale=4)
    axes[1].set(xscale="log", xlabel="rank of the cipher id (bands)", ylabel="fraction of ids", ylim=(-0.02, 1.02),
                title="how often the rank alignment is right, or close")
    axes[1].legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    axes[0].figure.tight_layout()
    return axes
