"""Figures for the denoising chapter: sample grids, denoiser curves, energy contours, trajectories, class shares."""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch


def _grid_image(images: torch.Tensor, nrow: int, pad_value: float = 0.5, pad: int = 1) -> np.ndarray:
    """(N, 1, H, W) -> one 2-D array of nrow columns, grey padding between images."""
    x = torch.as_tensor(images).detach().float().clamp(0, 1).cpu()
    if x.dim() != 4 or x.shape[1] != 1:
        raise ValueError(f"image_grid takes (N, 1, H, W) images, got shape {tuple(x.shape)}")
    n, _, h, w = x.shape
    rows = -(-n // nrow)
    canvas = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad), pad_value, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, nrow)
        canvas[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = x[i, 0]
    return canvas


def image_grid(images: torch.Tensor, nrow: int = 8, *, title: str | None = None, ax=None, pad_value: float = 0.5):
    """Show a batch of one-channel images (N, 1, H, W) in [0, 1] as a grid (0 black, 1 white)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 3.2 * (-(-len(images) // nrow)) / nrow + 0.3))
    ax.imshow(_grid_image(images, nrow, pad_value), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def sample_grids(grids: Mapping[str, torch.Tensor], nrow: int = 8, size: float = 3.2):
    """Several image grids side by side, one per name; returns the figure."""
    fig, axes = plt.subplots(1, len(grids), figsize=(size * len(grids), size + 0.4), squeeze=False)
    for ax, (name, images) in zip(axes[0], grids.items()):
        image_grid(images, nrow, title=name, ax=ax)
    fig.tight_layout()
    return fig


def denoiser_curves(x: torch.Tensor, curves: Mapping[str, torch.Tensor], *, density: torch.Tensor | None = None,
                    ax=None):
    """1-D denoisers r(x) against x (with the identity for reference) and, shaded, the density of the noisy input."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.8))
    x = np.asarray(x).reshape(-1)
    ax.plot(x, x, color="0.6", lw=1, ls=":", label="identity (no denoising)")
    for (name, y), style in zip(curves.items(), ("-", "--", "-.")):
        ax.plot(x, np.asarray(y).reshape(-1), ls=style, lw=2, label=name)
    if density is not None:
        twin = ax.twinx()
        twin.fill_between(x, np.asarray(density).reshape(-1), color="C2", alpha=0.15, lw=0)
        twin.set_ylabel("density of noisy x", color="C2")
        twin.set_ylim(bottom=0)
        twin.grid(False)
    ax.set(xlabel="noisy input x", ylabel="denoised r(x)")
    ax.legend(loc="upper left")
    return ax


def energy_contours(fields: Mapping[str, Callable[[torch.Tensor], torch.Tensor]], *, lim: float = 3.5, n: int = 150,
                    points: Mapping[str, torch.Tensor] | None = None, levels: int = 14):
    """Contour plots of scalar fields f(x) on [-lim, lim]^2 side by side, each shifted so its maximum is 0 and
    drawn with the same levels (taken from the first field); ``points`` adds a scatter to each panel."""
    axis = torch.linspace(-lim, lim, n)
    xx, yy = torch.meshgrid(axis, axis, indexing="xy")
    grid = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)
    values = {}
    for name, f in fields.items():
        v = torch.as_tensor(f(grid)).detach().double().reshape(n, n)
        values[name] = (v - v.max()).numpy()
    first = next(iter(values.values()))
    bounds = np.linspace(np.quantile(first, 0.1), 0, levels)
    fig, axes = plt.subplots(1, len(values), figsize=(4.2 * len(values), 4), squeeze=False)
    for ax, (name, v) in zip(axes[0], values.items()):
        filled = ax.contourf(xx.numpy(), yy.numpy(), np.clip(v, bounds[0], 0), levels=bounds, cmap="viridis")
        ax.contour(xx.numpy(), yy.numpy(), v, levels=bounds, colors="white", linewidths=0.4)
        for label, pts in (points or {}).items():
            p = torch.as_tensor(pts).detach().cpu().numpy()
            ax.scatter(p[:, 0], p[:, 1], s=2, alpha=0.5, color="C3", label=label)
        ax.set(title=name, aspect="equal", xlim=(-lim, lim), ylim=(-lim, lim))
        ax.grid(False)
    fig.colorbar(filled, ax=axes[0].tolist(), shrink=0.85, label="value − max")
    return fig


def scatter_panels(panels: Mapping[str, torch.Tensor], *, lim: float = 3.5, size: float = 3.2):
    """2-D point clouds side by side on the same square axes."""
    fig, axes = plt.subplots(1, len(panels), figsize=(size * len(panels), size + 0.3), squeeze=False)
    for ax, (name, pts) in zip(axes[0], panels.items()):
        p = torch.as_tensor(pts).detach().cpu().numpy()
        ax.scatter(p[:, 0], p[:, 1], s=2, alpha=0.4)
        ax.set(title=name, aspect="equal", xlim=(-lim, lim), ylim=(-lim, lim))
    fig.tight_layout()
    return fig


def trajectory_grid(trajectory: torch.Tensor, sigmas: Sequence[float], *, chains: int = 6, denoised: bool = True):
    """A few Langevin chains (rows) after each noise level (columns): start, sigma_1 ... sigma_L, denoised.
    ``trajectory`` is :attr:`LangevinResult.trajectory`, shape (columns, chains, 1, H, W)."""
    traj = torch.as_tensor(trajectory)[:, :chains]
    labels = ["start"] + [f"σ={float(s):.2g}" for s in sigmas] + (["denoised"] if denoised else [])
    if len(labels) != len(traj):
        raise ValueError(f"trajectory has {len(traj)} columns but sigmas/denoised describe {len(labels)}")
    cols, rows = traj.shape[0], traj.shape[1]
    fig, axes = plt.subplots(rows, cols, figsize=(0.75 * cols, 0.75 * rows + 0.4), squeeze=False)
    for c in range(cols):
        for r in range(rows):
            ax = axes[r, c]
            ax.imshow(traj[c, r, 0].clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
        axes[0, c].set_title(labels[c], fontsize=7)
    fig.subplots_adjust(wspace=0.05, hspace=0.05)
    return fig


def class_share_bars(shares: Mapping[str, np.ndarray], class_names: Sequence[str], ax=None):
    """Grouped bars: the fraction of each set's images that the classifier puts in each class."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    k = len(class_names)
    width = 0.8 / len(shares)
    for i, (name, share) in enumerate(shares.items()):
        ax.bar(np.arange(k) + (i - (len(shares) - 1) / 2) * width, share, width, label=name)
    ax.axhline(1 / k, color="0.4", lw=1, ls=":")
    ax.set_xticks(np.arange(k), class_names, rotation=30, ha="right")
    ax.set(ylabel="share of images")
    ax.legend(fontsize=8)
    return ax
