"""A picture in two dimensions: imbalanced Gaussian classes, their balanced Bayes rule, and softmax
regressions trained with ERM, adjusted post hoc, or trained with the logit-adjusted loss."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import nn

from .adjust import adjust_logits
from .data import class_prior
from .metrics import balanced_accuracy
from .training import linear_classifier


def gaussian_toy(
    counts: Sequence[int] = (1000, 100, 10), *, radius: float = 2.0, std: float = 1.0, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Imbalanced 2-D Gaussian classes: means μ_k on a circle of ``radius``, covariance std² I.

    Returns ``(x, y, means)`` with x (N, 2) float32, y (N,) int64, means (K, 2).
    """
    if len(counts) < 2 or min(counts) < 1:
        raise ValueError(f"need at least two classes with at least one point each, got counts={list(counts)}")
    angles = torch.arange(len(counts), dtype=torch.float64) * 2 * torch.pi / len(counts) + torch.pi / 2
    means = radius * torch.stack([angles.cos(), angles.sin()], dim=1).float()
    g = torch.Generator().manual_seed(seed)
    x = torch.cat([means[k] + std * torch.randn(n, 2, generator=g) for k, n in enumerate(counts)])
    y = torch.cat([torch.full((n,), k, dtype=torch.int64) for k, n in enumerate(counts)])
    return x, y, means


def gaussian_balanced_logits(x: torch.Tensor, means: torch.Tensor, std: float = 1.0) -> torch.Tensor:
    """Bayes scores for balanced accuracy on :func:`gaussian_toy`: log p(x|y) = −‖x − μ_y‖²/(2 std²) + c.

    The balanced rule ignores the prior, so its boundaries are the bisectors between the means."""
    return -torch.cdist(x.double(), means.double()) ** 2 / (2 * std**2)


class PostHoc(nn.Module):
    """A trained ``model`` whose logits come out adjusted post hoc: f(x) − τ log π (:func:`adjust_logits`)."""

    def __init__(self, model: nn.Module, prior: torch.Tensor, tau: float = 1.0):
        super().__init__()
        self.model, self.prior, self.tau = model, prior, tau

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return adjust_logits(self.model(x), self.prior, self.tau)


@dataclass
class GaussianToy:
    """The 2-D experiment: training points (x, y), class means, a large balanced check set, π, and per rule
    (ERM, ERM + post-hoc, logit-adjusted loss; τ = 1) the score function and its balanced accuracy."""

    x: torch.Tensor
    y: torch.Tensor
    means: torch.Tensor
    x_check: torch.Tensor
    y_check: torch.Tensor
    prior: torch.Tensor
    rules: dict[str, Callable[[torch.Tensor], torch.Tensor]]
    balanced: dict[str, float]  # balanced accuracy of each rule on the check set
    bayes: float  # the same for the balanced Bayes rule

    def bayes_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Scores of the balanced Bayes rule (:func:`gaussian_balanced_logits` with the true means)."""
        return gaussian_balanced_logits(x, self.means)

    def describe(self) -> str:
        """One line: the Bayes rule's balanced accuracy and the size of the check set."""
        return f"balanced Bayes rule (dashed): {self.bayes:.3f} on {len(self.y_check):,} balanced test points"


def gaussian_toy_experiment(
    counts: Sequence[int] = (1000, 100, 10),
    *,
    steps: int = 500,
    check_per_class: int = 3000,
    seed: int = 0,
    tau: float = 1.0,
) -> GaussianToy:
    """Draw :func:`gaussian_toy` with ``counts`` (seed ``seed``) and a balanced check set (``check_per_class``
    a class, seed ``seed + 1``), train an ERM and a logit-adjusted (τ) :func:`linear_classifier` for ``steps``
    full-batch steps, and score the three rules and the balanced Bayes rule by balanced accuracy."""
    x, y, means = gaussian_toy(counts, seed=seed)
    x_check, y_check, _ = gaussian_toy((check_per_class,) * len(counts), seed=seed + 1)
    prior = class_prior(y)
    erm = linear_classifier(x, y, prior=prior, tau=0.0, steps=steps)
    la = linear_classifier(x, y, prior=prior, tau=tau, steps=steps)
    rules = {"ERM": erm, f"ERM + post-hoc (τ = {tau:g})": PostHoc(erm, prior, tau),
             f"logit-adjusted loss (τ = {tau:g})": la}
    k = len(counts)
    with torch.no_grad():
        balanced = {name: balanced_accuracy(rule(x_check).argmax(1), y_check, k) for name, rule in rules.items()}
        bayes = balanced_accuracy(gaussian_balanced_logits(x_check, means).argmax(1), y_check, k)
    return GaussianToy(x, y, means, x_check, y_check, prior, rules, balanced, bayes)
