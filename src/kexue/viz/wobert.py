"""Figures for the WoBERT chapter: sequence-length ratios, speed-ups, MLM and fine-tuning curves."""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from ..train import History


def plot_length_ratios(ratios: Mapping[str, np.ndarray], *, ax=None):
    """Histogram per corpus of the per-text ratio (character tokens / word tokens), its mean as a dashed line."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.6))
    top = max(float(np.quantile(r, 0.995)) for r in ratios.values())
    bins = np.linspace(1.0, max(top, 1.1), 40)
    for (name, r), colour in zip(ratios.items(), plt.rcParams["axes.prop_cycle"].by_key()["color"]):
        ax.hist(r, bins=bins, density=True, alpha=0.45, color=colour, label=f"{name} (mean {r.mean():.2f})")
        ax.axvline(r.mean(), color=colour, ls="--", lw=1)
    ax.set(xlabel="characters per word-level token (per text)", ylabel="density")
    ax.legend(fontsize=8)
    return ax


def plot_speed(rows: Sequence[dict], article: Mapping[int, float] | None = None, *, ax=None):
    """Forward-pass speed-up of word over character input per input length, next to the article's numbers
    and to the ratio of the sequence lengths (the speed-up if time were linear in length)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.6))
    lengths = [r["characters"] for r in rows]
    x = np.arange(len(lengths))
    width = 0.27 if article else 0.4
    ax.bar(x - width / 2 if article else x, [r["speed-up"] for r in rows], width, label="measured")
    if article:
        ax.bar(x + width / 2, [article.get(L, np.nan) for L in lengths], width, label="article (GPU, WoBERT)")
    ax.hlines([r["char tokens"] / r["word tokens"] for r in rows], x - 0.35, x + 0.35, colors="k", lw=2,
              label="length ratio (char / word tokens)")
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xticks(x, [str(L) for L in lengths])
    top = max([r["speed-up"] for r in rows] + [r["char tokens"] / r["word tokens"] for r in rows])
    ax.set(xlabel="input length (characters)", ylabel="speed-up of word input", ylim=(0, 1.3 * top))
    ax.legend(fontsize=8, loc="upper left", ncol=2)
    return ax


def _smooth(values: Sequence[float], window: int) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    window = max(1, min(window, len(values)))
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot_mlm_curves(histories: Mapping[str, History], *, axes=None, window: int = 10):
    """Left: training MLM loss (moving average); right: held-out MLM loss on word and on character answers."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for (name, h), colour in zip(histories.items(), colours):
        smooth = _smooth(h.losses, window)
        axes[0].plot(h.steps[len(h.steps) - len(smooth):], smooth, color=colour, label=f"{name} init")
        axes[1].plot(h.eval_steps, h.metric("loss on words"), "-o", ms=3, color=colour, label=f"{name}: word answers")
        axes[1].plot(h.eval_steps, h.metric("loss on characters"), "--s", ms=3, color=colour,
                     label=f"{name}: character answers")
    axes[0].set(xlabel="step", ylabel=f"training MLM loss ({window}-step mean)")
    axes[1].set(xlabel="step", ylabel="held-out MLM loss")
    for ax in axes:
        ax.legend(fontsize=8)
    axes[0].figure.tight_layout()
    return axes


def plot_accuracy_curves(runs: Mapping[str, Sequence[History]], metric: str = "dev accuracy", *, ax=None):
    """Dev accuracy against the step, one colour per model, one line per seed."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.6))
    for (name, histories), colour in zip(runs.items(), plt.rcParams["axes.prop_cycle"].by_key()["color"]):
        for k, h in enumerate(histories):
            ax.plot(h.eval_steps, h.metric(metric), "-o", ms=3, color=colour, alpha=1.0 if k == 0 else 0.5,
                    label=name if k == 0 else None)
    ax.set(xlabel="fine-tuning step", ylabel=metric)
    ax.legend(fontsize=8)
    return ax
