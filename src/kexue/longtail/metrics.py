"""Metrics for long-tailed classification: per-class, balanced and prior-weighted accuracy, head / mid / tail
groups, and the same over several runs (seeds) or as a function of τ.

acc_y is the accuracy within true class y; balanced accuracy is (1/K) Σ_y acc_y; the prior-weighted accuracy
Σ_y π_y acc_y is what a test set whose labels follow π would give.
"""

from __future__ import annotations

from typing import Any, Literal, Sequence

import numpy as np
import torch

from ..report import mean_std
from .adjust import log_prior, predict


def per_class_accuracy(predictions: torch.Tensor, targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Accuracy within each true class, shape (K,), float64; NaN for a class absent from ``targets``."""
    predictions, targets = torch.as_tensor(predictions), torch.as_tensor(targets)
    if predictions.shape != targets.shape or predictions.dim() != 1:
        raise ValueError(f"predictions {tuple(predictions.shape)} and targets {tuple(targets.shape)} must be equal 1-D")
    if len(targets) and (targets.min() < 0 or targets.max() >= num_classes):
        raise ValueError(f"targets must lie in 0..{num_classes - 1}")
    total = torch.bincount(targets, minlength=num_classes).double()
    correct = torch.bincount(targets[predictions == targets], minlength=num_classes).double()
    return torch.where(total > 0, correct / total.clamp(min=1), torch.nan)


def prior_weighted_accuracy(
    predictions: torch.Tensor, targets: torch.Tensor, prior: torch.Tensor | None = None
) -> float:
    """Σ_y π_y · acc_y: the accuracy expected on a test set whose labels follow π (e.g. the long-tailed training
    distribution), estimated from the per-class accuracies acc_y measured on ``targets``.

    With ``prior=None``, π is the label frequency of ``targets`` itself, and the result is the plain accuracy
    (the fraction of predictions equal to their target). Not :func:`kexue.train.accuracy`, which runs a model.
    """
    predictions, targets = torch.as_tensor(predictions), torch.as_tensor(targets)
    if prior is None:
        if predictions.shape != targets.shape:
            raise ValueError(f"predictions {tuple(predictions.shape)} and targets {tuple(targets.shape)} differ")
        return (predictions == targets).double().mean().item()
    pi = log_prior(prior).exp()
    acc = per_class_accuracy(predictions, targets, len(pi))
    if acc.isnan().any():
        raise ValueError("every class with prior > 0 needs test examples to weight its accuracy")
    return (pi * acc).sum().item()


def balanced_accuracy(predictions: torch.Tensor, targets: torch.Tensor, num_classes: int) -> float:
    """Mean of the per-class accuracies over the classes present in ``targets``."""
    acc = per_class_accuracy(predictions, targets, num_classes)
    return acc[~acc.isnan()].mean().item()


def class_groups(counts: Sequence[int] | np.ndarray) -> dict[str, list[int]]:
    """Head / mid / tail classes by training count: the ⌊K/3⌋ most frequent, the ⌊K/3⌋ rarest, the rest
    between (ties keep class order)."""
    counts = np.asarray(counts)
    if counts.ndim != 1 or len(counts) < 3:
        raise ValueError(f"need counts for at least 3 classes, got shape {counts.shape}")
    order = np.argsort(-counts, kind="stable").tolist()
    third = len(counts) // 3
    return {"head": sorted(order[:third]), "mid": sorted(order[third:-third]), "tail": sorted(order[-third:])}


def scores(
    predictions: torch.Tensor, targets: torch.Tensor, prior: torch.Tensor, groups: dict[str, list[int]]
) -> dict[str, float]:
    """Balanced accuracy, accuracy on the training distribution (:func:`prior_weighted_accuracy` with π), and
    the mean per-class accuracy of each group of :func:`class_groups`."""
    acc = per_class_accuracy(predictions, targets, len(prior))
    result = {"balanced acc": balanced_accuracy(predictions, targets, len(prior)),
              "acc (train distribution)": prior_weighted_accuracy(predictions, targets, prior)}
    result.update({f"{name} acc": acc[classes].mean().item() for name, classes in groups.items()})
    return result


def run_scores(
    logits: Sequence[torch.Tensor],
    targets: torch.Tensor,
    prior: torch.Tensor,
    groups: dict[str, list[int]],
    *,
    trained_with: Literal["erm", "logit_adjusted"],
    goal: Literal["balanced", "plain"],
    tau: float = 1.0,
) -> list[dict[str, float]]:
    """:func:`scores` of :func:`predict` for each run's test logits (one per seed), in the order of ``logits``."""
    return [scores(predict(z, prior, trained_with=trained_with, goal=goal, tau=tau), targets, prior, groups)
            for z in logits]


def evaluate_runs(logits: Sequence[torch.Tensor], targets: torch.Tensor, prior: torch.Tensor,
                  groups: dict[str, list[int]], **rule: Any) -> dict[str, tuple[float, float]]:
    """:func:`run_scores` as (mean, std) over the runs, per metric; ``rule``: its ``trained_with``, ``goal``,
    ``tau``."""
    return mean_std_by_key(run_scores(logits, targets, prior, groups, **rule))


def mean_per_class_accuracy(
    logits: Sequence[torch.Tensor],
    targets: torch.Tensor,
    prior: torch.Tensor,
    *,
    trained_with: Literal["erm", "logit_adjusted"],
    goal: Literal["balanced", "plain"],
    tau: float = 1.0,
) -> np.ndarray:
    """:func:`per_class_accuracy` of :func:`predict`, averaged over the runs (one per seed), shape (K,)."""
    return np.mean([per_class_accuracy(predict(z, prior, trained_with=trained_with, goal=goal, tau=tau), targets,
                                       len(prior)).numpy() for z in logits], axis=0)


def tau_curve(
    logits: dict[float, Sequence[torch.Tensor]],
    targets: torch.Tensor,
    prior: torch.Tensor,
    groups: dict[str, list[int]],
    *,
    trained_with: Literal["erm", "logit_adjusted"],
    goal: Literal["balanced", "plain"] = "balanced",
) -> dict[str, np.ndarray]:
    """Scores as a function of τ: ``logits[τ]`` holds the runs to evaluate with that τ (the same ERM runs at
    every τ for post-hoc adjustment; the runs trained with τ for the loss). Returns arrays ``tau`` and, per
    metric of :func:`scores`, ``<metric>`` (mean) and ``<metric> std``."""
    taus = sorted(logits)
    rows = [evaluate_runs(logits[t], targets, prior, groups, trained_with=trained_with, goal=goal, tau=t)
            for t in taus]
    out = {"tau": np.array(taus, dtype=np.float64)}
    for key in rows[0]:
        out[key] = np.array([r[key][0] for r in rows])
        out[f"{key} std"] = np.array([r[key][1] for r in rows])
    return out


def mean_std_by_key(results: Sequence[dict[str, float]]) -> dict[str, tuple[float, float]]:
    """Per key, (mean, sample std) over seeds (:func:`kexue.report.mean_std`)."""
    if not results:
        raise ValueError("mean_std_by_key needs at least one result")
    return {key: mean_std([r[key] for r in results]) for key in results[0]}
