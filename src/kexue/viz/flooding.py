"""Figures for the flooding chapter: training curves over seeds, the flood-level sweep, the expansion check."""

from __future__ import annotations

from typing import Any, Sequence

import matplotlib.pyplot as plt
import numpy as np

PANELS = {
    "train_loss": "training loss (noisy labels)",
    "test_loss": "test loss",
    "train_acc": "training accuracy (noisy labels)",
    "test_acc": "test accuracy",
}


def _label(setting: Any) -> str:
    return f"b = {setting:g}" if isinstance(setting, (int, float)) else str(setting)


def plot_curves(results: dict[tuple[Any, int], dict], panels: Sequence[str] = tuple(PANELS), *, axes=None,
                log_loss: bool = True):
    """One panel per curve name: the mean over seeds (line) and its min-max range (band) against the epoch, one
    colour per setting (the first element of each key). A numeric setting is taken as the flood level b and drawn
    as a dashed line on the training-loss panel."""
    settings = list(dict.fromkeys(k for k, _ in results))
    if axes is None:
        cols = 2 if len(panels) > 1 else 1
        rows = -(-len(panels) // cols)
        _, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.4 * rows), squeeze=False)
    axes = np.asarray(axes).reshape(-1)
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(settings)))
    for colour, setting in zip(colours, settings):
        runs = [curves for (s, _), curves in results.items() if s == setting]
        epochs = runs[0]["epoch"]
        for ax, name in zip(axes, panels):
            values = np.array([r[name] for r in runs])
            ax.plot(epochs, values.mean(0), color=colour, lw=1.3, label=_label(setting))
            if len(runs) > 1:
                ax.fill_between(epochs, values.min(0), values.max(0), color=colour, alpha=0.15, lw=0)
            if name == "train_loss" and isinstance(setting, (int, float)) and setting > 0:
                ax.axhline(setting, color=colour, ls="--", lw=0.8)
    for ax, name in zip(axes, panels):
        ax.set(xlabel="epoch", ylabel=PANELS.get(name, name))
        if log_loss and name.endswith("loss"):
            ax.set_yscale("log")
    axes[0].legend(fontsize=8)
    axes[0].figure.tight_layout()
    return axes


def plot_level_sweep(rows: Sequence[dict[str, Any]], *, axes=None):
    """Test accuracy (final and best epoch) and final test loss against the flood level b, mean ± std over seeds,
    from the rows of :func:`kexue.flooding.summarize`."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    first = next(iter(rows[0]))  # the setting column: the flood level b
    b = np.array([r[first] for r in rows], dtype=float)
    for key, marker in (("test acc (final)", "o"), ("test acc (best epoch)", "s")):
        mean, std = np.array([r[key] for r in rows]).T
        axes[0].errorbar(b, mean, yerr=std, marker=marker, capsize=3, label=key)
    axes[0].set(xlabel="flood level b", ylabel="test accuracy")
    axes[0].legend(fontsize=8)
    mean, std = np.array([r["test loss (final)"] for r in rows]).T
    axes[1].errorbar(b, mean, yerr=std, marker="o", capsize=3, color="C3")
    axes[1].set(xlabel="flood level b", ylabel="final test loss")
    axes[0].figure.tight_layout()
    return axes


def plot_expansion_check(checks: dict[str, Sequence[dict[str, float]]], *, axes=None):
    """Log-log plots of the descent-ascent versus penalty-step gap against eps, one line per named check (rows of
    :func:`kexue.flooding.expansion_check`): the update and the absolute gap, with eps^2 and eps^3 guides starting a
    decade below the first check's gap at its smallest eps, and the relative gap."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    for i, (name, rows) in enumerate(checks.items()):
        eps = np.array([r["eps"] for r in rows])
        gap = np.array([r["abs_gap"] for r in rows])
        axes[0].loglog(eps, [r["update"] for r in rows], color=f"C{i}", ls=":", lw=1, label=f"{name}: update")
        axes[0].loglog(eps, gap, color=f"C{i}", marker="o", ms=4, label=f"{name}: gap")
        axes[1].loglog(eps, [r["rel_gap"] for r in rows], color=f"C{i}", marker="o", ms=4)
    reference = next(iter(checks.values()))
    eps = np.array([r["eps"] for r in reference])
    anchor = reference[-1]["abs_gap"] / 10  # the guides start a decade below the reference's smallest eps
    for power, ls in ((2, "--"), (3, "-.")):
        axes[0].loglog(eps, anchor * (eps / eps[-1]) ** power, color="grey", ls=ls, lw=0.8, label=f"∝ ε^{power}")
    axes[0].set(xlabel="ε", ylabel="size of update (dotted) and gap (solid)")
    axes[1].set(xlabel="ε", ylabel="relative gap (gap / update)")
    handles, labels = axes[0].get_legend_handles_labels()
    figure = axes[0].figure
    figure.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, bbox_to_anchor=(0.5, -0.02))
    figure.tight_layout(rect=(0, 0.16, 1, 1))
    return axes
