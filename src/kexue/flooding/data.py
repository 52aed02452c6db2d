"""A seeded Fashion-MNIST subset with symmetric label noise: a set small enough for an MLP to memorise.

With a fraction r of labels flipped uniformly to the K - 1 other classes, the lowest cross-entropy any model
can reach on the noisy labels is

    H = -(1 - r) ln(1 - r) - r ln(r / (K - 1)),

so a training loss below H can only come from memorising wrong labels: a natural scale for the flood level b.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch


def stratified_subset(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of ``n`` examples drawn without replacement, about n / classes from each class, in random order."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    if not 0 < n <= len(labels):
        raise ValueError(f"n must be between 1 and the {len(labels)} examples, got {n}")
    rng = np.random.default_rng(seed)
    per_class = np.full(len(classes), n // len(classes))
    per_class[rng.permutation(len(classes))[: n % len(classes)]] += 1
    chosen = []
    for c, k in zip(classes, per_class):
        pool = np.flatnonzero(labels == c)
        if k > len(pool):
            raise ValueError(f"class {c} has {len(pool)} examples, fewer than the {k} asked for")
        chosen.append(rng.choice(pool, size=k, replace=False))
    return rng.permutation(np.concatenate(chosen))


def add_label_noise(labels: np.ndarray, rate: float, num_classes: int, seed: int) -> np.ndarray:
    """A copy of ``labels`` where round(rate * n) of them, chosen at random, are replaced by a different
    class drawn uniformly (symmetric label noise)."""
    if not 0 <= rate <= 1:
        raise ValueError(f"the noise rate must be in [0, 1], got {rate}")
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}")
    rng = np.random.default_rng(seed)
    noisy = labels.copy()
    flip = rng.choice(len(labels), size=round(rate * len(labels)), replace=False)
    shift = rng.integers(1, num_classes, size=len(flip))  # never 0, so the new class differs
    noisy[flip] = (labels[flip] + shift) % num_classes
    return noisy


def label_noise_entropy(rate: float, num_classes: int) -> float:
    """The lowest expected cross-entropy any model can reach on labels with symmetric noise ``rate``:
    H = -(1 - r) ln(1 - r) - r ln(r / (K - 1)), reached by predicting 1 - r for the true class and r / (K - 1)
    for each other one. Training losses below it mean the noise is being memorised."""
    if not 0 <= rate < 1 or num_classes < 2:
        raise ValueError(f"need 0 <= rate < 1 and at least 2 classes, got rate={rate}, num_classes={num_classes}")
    if rate == 0:
        return 0.0
    return float(-(1 - rate) * math.log(1 - rate) - rate * math.log(rate / (num_classes - 1)))


@lru_cache(maxsize=1)
def _fashion() -> tuple[torch.Tensor, np.ndarray, torch.Tensor, torch.Tensor]:
    from ..data import load_fashion_mnist
    from ..nets import images_to_tensor

    x_train, y_train = load_fashion_mnist("train")
    x_test, y_test = load_fashion_mnist("test")
    return images_to_tensor(x_train), y_train, images_to_tensor(x_test), torch.as_tensor(y_test)


def noisy_fashion_mnist(n_train: int, noise: float, seed: int, n_test: int | None = None) -> dict[str, torch.Tensor]:
    """A stratified Fashion-MNIST training subset of ``n_train`` images with a fraction ``noise`` of labels
    flipped (both seeded), and the first ``n_test`` test images (all 10,000 by default).

    Keys: ``x``, ``y`` (noisy labels, what the model is trained on), ``y_clean``, ``x_test``, ``y_test``.
    """
    x, y, x_test, y_test = _fashion()
    idx = stratified_subset(y, n_train, seed)
    n_test = len(y_test) if n_test is None else n_test
    return {
        "x": x[idx],
        "y": torch.as_tensor(add_label_noise(y[idx], noise, 10, seed + 1)),
        "y_clean": torch.as_tensor(y[idx]),
        "x_test": x_test[:n_test],
        "y_test": y_test[:n_test],
    }


def flipped_fraction(data: dict[str, torch.Tensor]) -> float:
    """The fraction of training labels that :func:`noisy_fashion_mnist` changed."""
    return (data["y"] != data["y_clean"]).float().mean().item()
