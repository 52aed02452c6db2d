"""What a trained matcher has to beat, on the same test pairs: answers that need no fine-tuning at all.

* **always "match"**: every pair is called a match (accuracy 1/2 and F1 2/3 on a balanced subtask);
* **character overlap**: features (J, |A ∩ B|, log(1 + |a|), log(1 + |b|)) of a pair, with A, B the two texts'
  character sets and J = |A ∩ B| / |A ∪ B|, and one logistic regression per subtask fit on the training pairs;
* **zero-shot cosine**: s(a, b) = cos(u(a), u(b)), u = the L2-normalised mean of the last hidden states of each
  text read alone by the whole pretrained encoder (:meth:`kexue.Encoder.embed`), no training; a pair is called a
  match when s is above the median s of its subtask's dev pairs (labels are balanced, so half the pairs are).

The last two are set per subtask (a regression, a threshold), so they know the task as the conditional model
does: B's threshold can be stricter than A's, and their conflict accuracy can be above 1/2.
:func:`criterion_scores` adds accuracy and ROC-AUC per criterion to :func:`~kexue.cln.matching_scores`;
:func:`system_scores` gives both.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from ..artifacts import cached_run
from ..data.matching import TASKS, MatchPair, load_matching
from ..models import load_encoder
from .scores import matching_scores

ALWAYS, OVERLAP, ZERO_SHOT = 'always "match"', "character overlap (logistic regression)", "zero-shot cosine"


def criterion_scores(pred: torch.Tensor, labels: torch.Tensor, tasks: torch.Tensor,
                     score: torch.Tensor | None = None) -> dict[str, float]:
    """Accuracy on all of criterion A (tasks 0-2) and of B (3-5), and, given a match ``score`` per pair, the
    ROC-AUC per criterion (P(score of a random match > score of a random non-match)); a criterion without pairs
    is left out."""
    out = {}
    for name, part in (("A", tasks < 3), ("B", tasks >= 3)):
        if not part.any():
            continue
        out[f"acc {name}"] = (pred[part] == labels[part]).float().mean().item()
        if score is not None:
            out[f"AUC {name}"] = float(roc_auc_score(labels[part].numpy(), score[part].float().numpy()))
    return out


def overlap_features(pairs: Sequence[MatchPair]) -> np.ndarray:
    """Per pair: (J, |A ∩ B|, log(1 + |a|), log(1 + |b|)), A and B the character sets, J their Jaccard overlap."""
    rows = []
    for p in pairs:
        a, b = set(p.a), set(p.b)
        rows.append([len(a & b) / len(a | b), len(a & b), np.log1p(len(p.a)), np.log1p(len(p.b))])
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


def overlap_scores(train: Sequence[MatchPair], test: Sequence[MatchPair]) -> torch.Tensor:
    """P(match) of each test pair from a logistic regression on :func:`overlap_features`, one per subtask, fit on
    that subtask's training pairs."""
    x_train, x_test = overlap_features(train), overlap_features(test)
    y_train = np.array([p.label for p in train])
    task_train, task_test = np.array([p.task for p in train]), np.array([p.task for p in test])
    out = np.zeros(len(test))
    for t in np.unique(task_test):
        if len(np.unique(y_train[task_train == t])) < 2:
            raise ValueError(f"subtask {TASKS[t]!r} needs matching and non-matching training pairs")
        fit = LogisticRegression().fit(x_train[task_train == t], y_train[task_train == t])
        out[task_test == t] = fit.predict_proba(x_test[task_test == t])[:, 1]
    return torch.tensor(out)


def _cosines(encoder, pairs: Sequence[MatchPair], max_length: int) -> torch.Tensor:
    u = encoder.embed([p.a for p in pairs], max_length=max_length)
    v = encoder.embed([p.b for p in pairs], max_length=max_length)
    return (u * v).sum(-1)


@cached_run("cln-zero-shot", ignore=("device",))
def zero_shot_cosines(model: str, n_dev_per_task: int, n_test_per_task: int, *, max_length: int,
                      data_seed: int = 0, device: str | torch.device | None = None) -> dict[str, torch.Tensor]:
    """The zero-shot cosine of every dev and test pair (:func:`kexue.data.load_matching` with these sizes) under
    the whole encoder ``model``, each text cut to ``max_length`` tokens: ``{"dev": ..., "test": ...}``."""
    encoder = load_encoder(model, device=device)
    with torch.inference_mode():
        return {split: _cosines(encoder, load_matching(split, n, seed=data_seed), max_length)
                for split, n in (("dev", n_dev_per_task), ("test", n_test_per_task))}


def median_threshold_predictions(dev_score: torch.Tensor, dev_tasks: torch.Tensor, score: torch.Tensor,
                                 tasks: torch.Tensor) -> torch.Tensor:
    """1 where ``score`` is above the median dev score of its subtask (no labels used), else 0."""
    pred = torch.zeros(len(score), dtype=torch.long)
    for t in tasks.unique():
        if not (dev_tasks == t).any():
            raise ValueError(f"no dev pairs of subtask {TASKS[int(t)]!r} to set its threshold")
        pred[tasks == t] = (score[tasks == t] > dev_score[dev_tasks == t].median()).long()
    return pred


def baseline_answers(train: Sequence[MatchPair], dev: Sequence[MatchPair], test: Sequence[MatchPair],
                     cosines: dict[str, torch.Tensor]) -> dict[str, tuple[torch.Tensor, torch.Tensor | None]]:
    """(predictions, match score or None) of each baseline on ``test``; ``cosines`` from
    :func:`zero_shot_cosines` for these dev and test pairs."""
    if len(cosines["test"]) != len(test) or len(cosines["dev"]) != len(dev):
        raise ValueError("cosines must come from zero_shot_cosines for these dev and test pairs")
    tasks, dev_tasks = torch.tensor([p.task for p in test]), torch.tensor([p.task for p in dev])
    overlap = overlap_scores(train, test)
    return {
        ALWAYS: (torch.ones(len(test), dtype=torch.long), None),
        OVERLAP: ((overlap > 0.5).long(), overlap),
        ZERO_SHOT: (median_threshold_predictions(cosines["dev"], dev_tasks, cosines["test"], tasks),
                    cosines["test"]),
    }


def system_scores(pred: torch.Tensor, labels: torch.Tensor, tasks: torch.Tensor, relations: Sequence[str],
                  score: torch.Tensor | None = None) -> dict[str, float]:
    """:func:`matching_scores` and :func:`criterion_scores` of one system's answers (a trained model's or a
    baseline's) on the test pairs with these labels, task ids and relations."""
    return {**matching_scores(pred, labels, tasks, relations), **criterion_scores(pred, labels, tasks, score)}
