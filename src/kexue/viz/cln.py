"""Figures for the conditional-LayerNorm chapter: what the task condition learned, and where it helps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..cln.shifts import shift_pca, shift_sizes, short_norm_name
from ..data.matching import KINDS, TASKS

if TYPE_CHECKING:
    from ..train import History

_CRITERION_COLOURS = {"A": "tab:blue", "B": "tab:orange"}
_KIND_MARKERS = dict(zip(KINDS, ("o", "s", "^")))


def condition_map(shifts: torch.Tensor, norm_names: Sequence[str], axes=None):
    """Left: the six tasks' LayerNorm shifts (W_γ c_t, W_β c_t of every layer, concatenated) projected on their two
    principal components (:func:`kexue.cln.shift_pca`). Right: the size ‖W_γ c_t‖ + ‖W_β c_t‖ of the shift, per
    task and per LayerNorm (:func:`kexue.cln.shift_sizes`)."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [1, 1.6]})
    xy, explained = shift_pca(shifts)
    ax = axes[0]
    for t, name in enumerate(TASKS):
        criterion, kind = name.split(" ")
        ax.scatter(*xy[t], s=110, c=_CRITERION_COLOURS[criterion], marker=_KIND_MARKERS[kind],
                   label=name, edgecolors="black", linewidths=0.5)
        ax.annotate(name, xy[t], textcoords="offset points", xytext=(7, 5), fontsize=8)
    ax.set(xlabel=f"PC 1 ({explained[0]:.0%})", ylabel=f"PC 2 ({explained[1]:.0%})",
           title="task shifts of all LayerNorms, PCA")
    ax.margins(0.25)
    size = shift_sizes(shifts)  # (tasks, norms)
    ax = axes[1]
    image = ax.imshow(size, aspect="auto", cmap="viridis")
    ax.set_yticks(range(len(TASKS)), TASKS, fontsize=8)
    ax.set_xticks(range(len(norm_names)), [short_norm_name(n) for n in norm_names], rotation=60, fontsize=8)
    ax.set_title("size of the shift  ‖W_γ c‖ + ‖W_β c‖")
    plt.colorbar(image, ax=ax, fraction=0.03)
    return axes


def score_bars(scores: Mapping[str, Mapping[str, float]], metrics: Sequence[str], ax=None, title: str = "",
               reference: tuple[float, str] | None = None):
    """Grouped bars: one group per metric, one bar per model (``scores[model][metric]``), values written on top;
    ``reference`` = (value, label) draws a dotted line for a baseline."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.8))
    width = 0.8 / len(scores)
    x = np.arange(len(metrics))
    for i, (model, values) in enumerate(scores.items()):
        bars = ax.bar(x + (i - (len(scores) - 1) / 2) * width, [values[m] for m in metrics], width, label=model)
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    ax.set_xticks(x, metrics, fontsize=9)
    ax.set(title=title)
    if reference is not None:
        ax.axhline(reference[0], color="dimgrey", lw=1, ls=":", label=reference[1])
    ax.legend(fontsize=8, loc="upper center", ncol=2)
    ax.set_ylim(0, 1.25)
    return ax


def _dev_series(history: "History", metric: str) -> list[float]:
    """A dev metric over the evaluations; "conflict acc mean" is the mean of the A and B conflict accuracies."""
    if metric == "conflict acc mean":
        return list(np.mean([history.metric("conflict acc A"), history.metric("conflict acc B")], axis=0))
    return history.metric(metric)


def training_curves(histories: Mapping[str, "History"], metrics: Sequence[str] = ("F1 mean", "conflict acc mean"),
                    window: int = 30, axes=None):
    """Left: training loss, moving average over ``window`` steps. Right: dev-set ``metrics`` at each evaluation."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.5))
    for i, (name, history) in enumerate(histories.items()):
        colour = f"C{i}"
        losses = np.asarray(history.losses)
        window = max(1, min(window, len(losses)))
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        axes[0].plot(history.steps[window - 1 :], smooth, color=colour, label=name)
        for metric, style in zip(metrics, ("-", "--", ":")):
            axes[1].plot(history.eval_steps, _dev_series(history, metric), style, marker="o", ms=4, color=colour,
                         label=f"{name}: {metric}")
    axes[0].set(xlabel="step", ylabel="training loss (moving average)")
    axes[0].legend(fontsize=8)
    axes[1].set(xlabel="step", ylabel="dev set", ylim=(0.3, 0.9))
    axes[1].axhline(0.5, color="grey", lw=0.8, ls=":")
    axes[1].legend(fontsize=8)
    return axes


def score_panels(scores: Mapping[str, Mapping[str, float]], axes=None):
    """The chapter's two panels of :func:`score_bars`: left, test F1 per criterion and their mean, against the
    F1 2/3 of answering "match" to every pair; right, accuracy on the conflict pairs, against the 0.5 mean of a
    task-blind model."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    score_bars(scores, ["F1 A", "F1 B", "F1 mean"], ax=axes[0], title="test F1",
               reference=(2 / 3, 'always "match"'))
    score_bars(scores, ["conflict acc A", "conflict acc B", "conflict acc mean"], ax=axes[1],
               title="accuracy on the conflict pairs (same article, not B-related)",
               reference=(0.5, "mean of a task-blind model"))
    axes[0].figure.tight_layout()
    return axes
