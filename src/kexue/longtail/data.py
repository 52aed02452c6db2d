"""Long-tailed data: the exponential count profile, subsampling a balanced set to it, the class prior π.

The profile is the one of CIFAR-10-LT: class k keeps n_k = ⌊n_max · ρ^(−k/(K−1))⌋ examples,
ρ = n_max / n_min.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..nets import images_to_tensor

Tensorish = torch.Tensor | np.ndarray | Sequence[int]


def long_tail_counts(n_max: int, num_classes: int, rho: float) -> np.ndarray:
    """Per-class counts of the exponential profile: n_k = ⌊n_max · ρ^(−k/(K−1))⌋, k = 0..K−1.

    Class 0 keeps ``n_max`` examples and class K−1 keeps ⌊n_max/ρ⌋ (the convention of CIFAR-10-LT).
    """
    if num_classes < 2:
        raise ValueError(f"need at least 2 classes, got num_classes={num_classes}")
    if not rho >= 1:
        raise ValueError(f"the imbalance ratio rho = n_max / n_min must be >= 1, got {rho}")
    if n_max < rho:
        raise ValueError(f"n_max={n_max} < rho={rho} would leave the rarest class empty: raise n_max or lower rho")
    k = np.arange(num_classes)
    counts = np.floor(n_max * float(rho) ** (-k / (num_classes - 1)) + 1e-9).astype(np.int64)
    return counts


def long_tail_subsample(
    labels: Tensorish, rho: float, *, n_max: int | None = None, num_classes: int | None = None, seed: int = 0
) -> np.ndarray:
    """Indices of a long-tailed subset of a (balanced) labelled set: exactly :func:`long_tail_counts` per class.

    ``n_max`` defaults to the size of the smallest class; the examples kept in each class are drawn uniformly
    at random with ``seed``. The indices come back sorted.
    """
    y = _labels_numpy(labels)
    num_classes = num_classes or int(y.max()) + 1
    available = np.bincount(y, minlength=num_classes)
    if len(available) > num_classes:
        raise ValueError(f"labels go up to {len(available) - 1} but num_classes={num_classes}")
    n_max = int(available.min()) if n_max is None else n_max
    counts = long_tail_counts(n_max, num_classes, rho)
    short = [k for k in range(num_classes) if available[k] < counts[k]]
    if short:
        raise ValueError(
            f"classes {short} have fewer examples ({available[short].tolist()}) than requested "
            f"({counts[short].tolist()}): lower n_max"
        )
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(y == k), size=counts[k], replace=False) for k in range(num_classes)]
    return np.sort(np.concatenate(picked))


def class_prior(labels: Tensorish, num_classes: int | None = None, *, smoothing: float = 0.0) -> torch.Tensor:
    """Training class frequencies π_y = (n_y + smoothing) / Σ_k (n_k + smoothing), float64, shape (K,).

    ``smoothing=1.0`` (add-one) gives classes absent from ``labels`` a small positive prior, which the
    adjustment functions need (they refuse zeros).
    """
    if smoothing < 0:
        raise ValueError(f"smoothing must be >= 0, got {smoothing}")
    y = _labels_numpy(labels)
    counts = np.bincount(y, minlength=num_classes or 0)
    if num_classes is not None and len(counts) > num_classes:
        raise ValueError(f"labels go up to {len(counts) - 1} but num_classes={num_classes}")
    counts = counts + smoothing
    if counts.sum() == 0:
        raise ValueError("no labels to count: pass a non-empty label array")
    return torch.as_tensor(counts / counts.sum(), dtype=torch.float64)


@dataclass
class LongTailImages:
    """A long-tailed training set and the balanced test set of an image data set, as float tensors."""

    x_train: torch.Tensor  # (N, 1, H, W) in [0, 1]
    y_train: torch.Tensor  # (N,) int64
    x_test: torch.Tensor
    y_test: torch.Tensor
    counts: np.ndarray  # (K,) training examples per class
    prior: torch.Tensor  # (K,) π, float64
    config: dict  # how the set was made (name, rho, n_max, size, seed): part of the cache key of trained runs

    def cache_key(self) -> dict:
        """What a run trained on this set is keyed by (:func:`kexue.artifacts.key_value`): how it was made."""
        return self.config

    def describe(self) -> str:
        """One line: sizes, imbalance, resolution."""
        return (
            f"{len(self.y_train):,} training images (per class {self.counts.max()}..{self.counts.min()}, "
            f"ratio {self.counts.max() / self.counts.min():.0f}), {len(self.y_test):,} balanced test images, "
            f"{self.x_train.shape[-2]}x{self.x_train.shape[-1]} pixels"
        )


def fashion_mnist_lt(rho: float = 100, *, n_max: int = 6000, size: int = 28, seed: int = 0) -> LongTailImages:
    """Fashion-MNIST-LT: :func:`long_tail_subsample` of the training split; the full (balanced) test split.

    ``size`` 28 keeps the images, 14 averages 2x2 pixel blocks (4x less compute for the CNN).
    """
    from ..data import load_fashion_mnist

    if size not in (14, 28):
        raise ValueError(f"size must be 28 (original) or 14 (2x2 average pooling), got {size}")
    images, labels = load_fashion_mnist("train")
    keep = long_tail_subsample(labels, rho, n_max=n_max, seed=seed)
    test_images, test_labels = load_fashion_mnist("test")

    def prepare(x: np.ndarray) -> torch.Tensor:
        x = images_to_tensor(x)
        return F.avg_pool2d(x, 2) if size == 14 else x

    y_train = torch.as_tensor(labels[keep])
    return LongTailImages(
        x_train=prepare(images[keep]),
        y_train=y_train,
        x_test=prepare(test_images),
        y_test=torch.as_tensor(test_labels),
        counts=np.bincount(labels[keep], minlength=10),
        prior=class_prior(y_train, 10),
        config={"name": "fashion-mnist-lt", "rho": rho, "n_max": n_max, "size": size, "seed": seed},
    )


def _labels_numpy(labels: Tensorish) -> np.ndarray:
    y = labels.cpu().numpy() if torch.is_tensor(labels) else np.asarray(labels)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels must be a 1-D integer array of class ids, got {y.dtype} with shape {y.shape}")
    if len(y) and y.min() < 0:
        raise ValueError("labels must be class ids >= 0")
    return y.astype(np.int64)
