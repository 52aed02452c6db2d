"""The competition's score and the one that shows the condition at work.

F1 of the positive class per subtask, on all of A and of B, and their mean (the competition's score); the accuracy
on the *conflict* pairs (same article, not B-related: label 1 under A, 0 under B) per criterion and its mean.
"""

from __future__ import annotations

from typing import Sequence

import torch

from ..data.matching import SAME_ARTICLE, TASKS


def f1(pred: torch.Tensor, labels: torch.Tensor) -> float:
    """F1 of the positive class: 2 TP / (2 TP + FP + FN) (0 when there is no positive at all)."""
    pred, labels = pred.bool(), labels.bool()
    tp = (pred & labels).sum().item()
    wrong = (pred != labels).sum().item()
    return 2 * tp / (2 * tp + wrong) if tp + wrong else 0.0


def matching_scores(pred: torch.Tensor, labels: torch.Tensor, tasks: torch.Tensor,
                    relations: Sequence[str]) -> dict[str, float]:
    """F1 per subtask, F1 on all of criterion A (tasks 0-2) and of B (3-5), their mean (the competition's score),
    and the accuracy on the *conflict* pairs (relation "same article"; label 1 under A, 0 under B) per criterion and
    its mean. A model that gives a pair the same answer under A and B has a conflict mean of about 0.5."""
    if not len(pred) == len(labels) == len(tasks) == len(relations):
        raise ValueError("pred, labels, tasks and relations must have the same length")
    scores = {name: f1(pred[tasks == t], labels[tasks == t]) for t, name in enumerate(TASKS)}
    is_a = tasks < 3
    scores["F1 A"] = f1(pred[is_a], labels[is_a])
    scores["F1 B"] = f1(pred[~is_a], labels[~is_a])
    scores["F1 mean"] = (scores["F1 A"] + scores["F1 B"]) / 2
    conflict = torch.tensor([r == SAME_ARTICLE for r in relations])
    for name, part in (("A", is_a), ("B", ~is_a)):
        keep = conflict & part
        correct = (pred[keep] == labels[keep]).float()
        scores[f"conflict acc {name}"] = correct.mean().item() if keep.any() else float("nan")
    scores["conflict acc mean"] = (scores["conflict acc A"] + scores["conflict acc B"]) / 2
    return scores


def always_match_scores(labels: torch.Tensor, tasks: torch.Tensor, relations: Sequence[str]) -> dict[str, float]:
    """The reference that needs no model: :func:`matching_scores` of answering "match" to every pair (F1 2/3 on
    a balanced subtask: recall 1, precision 1/2)."""
    return matching_scores(torch.ones_like(labels), labels, tasks, relations)
