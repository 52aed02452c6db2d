"""Figures for the BERT-of-Theseus chapter: the replacement rate and validation accuracy during training."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

COLOURS = {"predecessor": "0.45", "direct": "tab:orange", "theseus": "tab:blue"}


def plot_training(results: dict, *, axes=None):
    """Left: the replacement rate p_t of each Theseus run against the step. Then one panel per successor depth n:
    validation accuracy of direct fine-tuning of the first n layers and of the Theseus successor (each seed a
    line), with the predecessor's curve for reference. ``results`` comes from
    :func:`kexue.theseus.compression_experiment`."""
    runs = {k: v for k, v in results.items() if isinstance(k, tuple)}
    depths = sorted({n for _, n, _ in runs}, reverse=True)
    if axes is None:
        _, axes = plt.subplots(1, 1 + len(depths), figsize=(4.2 * (1 + len(depths)), 3.4), squeeze=False)
        axes = axes[0]
    styles = dict(zip(depths, ("-", "--", ":", "-.")))
    for (kind, n, seed), run in runs.items():
        if kind == "theseus" and seed == min(s for k, m, s in runs if k == kind and m == n):
            steps = np.arange(1, len(run["rates"]) + 1)
            axes[0].plot(steps, run["rates"], color=COLOURS["theseus"], ls=styles[n], label=f"Theseus-{n}")
    axes[0].set(xlabel="step", ylabel="replacement rate $p_t$", ylim=(-0.03, 1.05),
                title="each module replaced with prob. $p_t$")
    axes[0].legend(fontsize=8)
    predecessor = results["predecessor"]["history"]
    layers = results["encoder"].base.config.num_hidden_layers
    for ax, n in zip(axes[1:], depths):
        ax.plot(predecessor.eval_steps, predecessor.metric("dev accuracy"), color=COLOURS["predecessor"], ls="--",
                marker="o", ms=3, label=f"predecessor ({layers} layers)")
        for kind, label in (("direct", f"first {n} layers, fine-tuned"), ("theseus", f"Theseus successor ({n})")):
            seeds = sorted(s for k, m, s in runs if k == kind and m == n)
            for i, seed in enumerate(seeds):
                history = runs[(kind, n, seed)]["history"]
                ax.plot(history.eval_steps, history.metric("dev accuracy"), color=COLOURS[kind], marker="o", ms=3,
                        alpha=1.0 if i == 0 else 0.5, label=label if i == 0 else None)
        low, high = ax.get_ylim()
        ax.set(xlabel="step", ylabel="validation accuracy", title=f"{n}-layer successor",
               ylim=(low - 0.4 * (high - low), high))  # room for the legend under the curves
        ax.legend(fontsize=8, loc="lower right")
    axes[0].figure.tight_layout()
    return axes
