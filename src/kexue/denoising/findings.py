"""What the article reports, and the words the chapter's prose uses for what this run measured.

The prose never types a measured number or a verdict: it glues these, computed from the run's tables, so the
``smoke`` and ``book`` builds both say what their own numbers show.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

# Reported for MDSM (Li, Chen & Sommer 2019, "Annealed denoising score matching") on CIFAR-10, as quoted in the
# notes on kexue.fm/archives/7038 (unverified here): Inception score, FID, training iterations and GPUs.
ARTICLE = {
    "mdsm_cifar10_inception": 8.31,
    "mdsm_cifar10_fid": 31.7,
    "mdsm_cifar10_iterations": "300k",
    "mdsm_cifar10_gpus": 2,
}


def share_error(shares, weights) -> float:
    """Total variation distance between sample shares and mixture weights: (1/2) sum_k |share_k - w_k|
    (0 = the right proportions, 1 = disjoint)."""
    a, b = np.asarray(shares, dtype=float), np.asarray(weights, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"shares {a.shape} and weights {b.shape} must have the same shape")
    return float(0.5 * np.abs(a - b).sum())


def annealing_effect(plain_error: float, annealed_error: float) -> str:
    """How annealing changed the share error of plain Langevin: a phrase for the prose."""
    if annealed_error <= 0.5 * plain_error:
        return "corrects much of that"
    if annealed_error < plain_error:
        return "corrects part of that"
    return "does not correct that in this run"


def class_extremes(shares, reference, names: Sequence[str]) -> tuple[str, str]:
    """(the class most under-represented, the class most over-represented) in ``shares`` relative to the
    class shares of ``reference`` (real images)."""
    diff = np.asarray(shares, dtype=float) - np.asarray(reference, dtype=float)
    if len(diff) != len(names):
        raise ValueError(f"{len(diff)} class shares but {len(names)} class names")
    return names[int(diff.argmin())], names[int(diff.argmax())]


def best_set(rows: Sequence[Mapping], candidates: Sequence[str], column: str = "Fréchet distance") -> str:
    """The name (``row["images"]``) among ``candidates`` with the lowest ``column``."""
    by_name = {row["images"]: row[column] for row in rows}
    missing = [c for c in candidates if c not in by_name]
    if missing:
        raise KeyError(f"no rows for {missing}")
    return min(candidates, key=lambda c: by_name[c])


def compared(value: float, other: float, lower: str, higher: str) -> str:
    """``lower`` if ``value`` < ``other`` else ``higher``: e.g. compared(fd, fd_gauss, "beats", "does not beat")."""
    return lower if value < other else higher


def variety(spread: float, real_spread: float, tolerance: float = 0.1) -> str:
    """Pixel spread of a sample set against real images': "less varied than", "about as varied as" or
    "more varied than" (within ``tolerance``, relative, counts as about the same)."""
    if spread < (1 - tolerance) * real_spread:
        return "less varied than"
    if spread > (1 + tolerance) * real_spread:
        return "more varied than"
    return "about as varied as"


def collapse_verdict(classes: int, spread: float, real_spread: float, tolerance: float = 0.1) -> str:
    """Whether a generator collapsed as the article says maximising E_p alone does: one class and a pixel
    spread below ``tolerance`` times the real images'."""
    if classes <= 1 and spread < tolerance * real_spread:
        return "did what the article says: its samples collapse onto one image"
    return "did not fully collapse in this run"
