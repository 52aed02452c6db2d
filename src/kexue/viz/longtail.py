"""Figures for the logit-adjustment chapter: class counts, τ sweeps, per-class accuracy, 2-D decision regions
(one panel per rule of :func:`kexue.longtail.gaussian_toy_experiment`)."""

from __future__ import annotations

from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

GROUP_COLORS = {"head": "#4C72B0", "mid": "#DD8452", "tail": "#C44E52"}


def class_count_bar(counts: Sequence[int], names: Sequence[str], groups: dict[str, list[int]] | None = None, ax=None):
    """Bar chart of training examples per class on a log axis (an exponential profile is a straight line),
    bars coloured by head / mid / tail group, each labelled with its count."""
    counts = np.asarray(counts)
    if len(names) != len(counts):
        raise ValueError(f"{len(counts)} counts but {len(names)} names")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.2))
    color = ["#888888"] * len(counts)
    for group, classes in (groups or {}).items():
        for k in classes:
            color[k] = GROUP_COLORS.get(group, "#888888")
    ax.bar(range(len(counts)), counts, color=color)
    for k, n in enumerate(counts):
        ax.text(k, n * 1.08, f"{n:,}", ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylim(top=counts.max() * 3)
    ax.set_xticks(range(len(counts)), names, rotation=30, ha="right")
    ax.set_ylabel("training images")
    ax.grid(axis="x", visible=False)
    for group in groups or {}:
        ax.bar([0], [0], color=GROUP_COLORS.get(group, "#888888"), label=group)
    if groups:
        ax.legend(ncols=len(groups))
    return ax


def per_class_bars(accuracies: dict[str, Sequence[float]], names: Sequence[str], ax=None):
    """Grouped bars: per-class accuracy of each method (a dict name -> K accuracies)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.2))
    width = 0.8 / len(accuracies)
    for i, (method, acc) in enumerate(accuracies.items()):
        if len(acc) != len(names):
            raise ValueError(f"{method}: {len(acc)} accuracies for {len(names)} classes")
        ax.bar(np.arange(len(names)) + (i - (len(accuracies) - 1) / 2) * width, acc, width, label=method)
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set(ylabel="test accuracy of the class", ylim=(0, 1.05))
    ax.grid(axis="x", visible=False)
    ax.legend(ncols=len(accuracies), loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return ax


def tau_sweep_plot(curves: dict[str, dict[str, np.ndarray]], metric: str, ax=None, *, reference: float | None = None):
    """``metric`` against τ for each curve (the output of :func:`kexue.longtail.tau_curve`), ±1 std as a band
    where several seeds were run; ``reference`` draws a dotted horizontal line (e.g. ERM)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    for label, curve in curves.items():
        mean, std = curve[metric], curve[f"{metric} std"]
        line = ax.plot(curve["tau"], mean, marker="o" if len(mean) < 8 else None, ms=4, label=label)[0]
        if np.any(std > 0):
            ax.fill_between(curve["tau"], mean - std, mean + std, color=line.get_color(), alpha=0.2, lw=0)
    if reference is not None:
        ax.axhline(reference, color="gray", ls=":", lw=1)
    ax.axvline(1.0, color="gray", ls="--", lw=0.8)
    ax.set(xlabel="τ", ylabel=metric)
    ax.legend()
    return ax


def decision_regions(
    score_fn: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    reference_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ax=None,
    title: str | None = None,
    resolution: int = 300,
    max_points: int = 300,
):
    """Colour the plane by argmax of ``score_fn`` (points (M, 2) -> scores (M, K)) and scatter the data.

    Each class shows at most ``max_points`` points (drawn at random) so the rare ones stay visible;
    ``reference_fn`` adds its decision boundary as a dashed black line (e.g. the balanced Bayes rule).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    x = torch.as_tensor(x, dtype=torch.float32)
    lo, hi = x.min(0).values - 0.5, x.max(0).values + 0.5
    u = torch.linspace(lo[0].item(), hi[0].item(), resolution)
    v = torch.linspace(lo[1].item(), hi[1].item(), resolution)
    grid = torch.stack(torch.meshgrid(u, v, indexing="xy"), dim=-1).reshape(-1, 2)
    num_classes = int(y.max()) + 1
    colors = plt.get_cmap("tab10").colors[:num_classes]
    with torch.no_grad():
        region = score_fn(grid).argmax(1).reshape(resolution, resolution).numpy()
    ax.contourf(u, v, region, levels=np.arange(num_classes + 1) - 0.5, colors=colors, alpha=0.18)
    if reference_fn is not None:
        with torch.no_grad():
            ref = reference_fn(grid).argmax(1).reshape(resolution, resolution).numpy()
        ax.contour(u, v, ref, levels=np.arange(num_classes) + 0.5, colors="black", linestyles="--", linewidths=1)
    rng = np.random.default_rng(0)
    for k in range(num_classes):
        idx = np.flatnonzero(y.numpy() == k)
        idx = rng.choice(idx, size=min(max_points, len(idx)), replace=False)
        ax.scatter(x[idx, 0], x[idx, 1], s=8 if len(idx) >= max_points else 22, color=colors[k],
                   edgecolor="white", linewidth=0.3, label=f"class {k} (n={int((y == k).sum())})")
    ax.set(xlim=(lo[0].item(), hi[0].item()), ylim=(lo[1].item(), hi[1].item()), aspect="equal", title=title)
    ax.grid(False)
    return ax


def tau_sweeps(
    curves: dict[str, dict[str, np.ndarray]],
    reference: dict[str, tuple[float, float]] | None = None,
    metrics: Sequence[str] = ("balanced acc", "acc (train distribution)"),
):
    """One :func:`tau_sweep_plot` panel per metric, side by side; ``reference`` maps each metric to a
    (mean, std) pair (e.g. ERM's row of the results table) whose mean is drawn as the dotted line."""
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5))
    for ax, metric in zip(np.atleast_1d(axes), metrics):
        tau_sweep_plot(curves, metric, ax, reference=None if reference is None else reference[metric][0])
    fig.tight_layout()
    return fig


def toy_panels(toy, *, figsize: tuple[float, float] = (12, 4.3)):
    """Decision regions of every rule of a :class:`kexue.longtail.GaussianToy`, one panel each, titled with
    its balanced accuracy, the balanced Bayes boundaries dashed."""
    fig, axes = plt.subplots(1, len(toy.rules), figsize=figsize, sharey=True)
    for ax, (name, score) in zip(np.atleast_1d(axes), toy.rules.items()):
        decision_regions(score, toy.x, toy.y, reference_fn=toy.bayes_logits, ax=ax,
                         title=f"{name}\nbalanced accuracy {toy.balanced[name]:.3f}")
    np.atleast_1d(axes)[0].legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    return fig
