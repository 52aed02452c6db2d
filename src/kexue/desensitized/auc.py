"""The metric: ROC-AUC of match scores (scikit-learn's), and a baseline that needs no model.

AUC = P(s(positive) > s(negative)), ties counting 1/2. The id-overlap baseline scores a pair by the Jaccard
overlap |A ∩ B| / |A ∪ B| of its two texts' id sets; a bijective cipher leaves it unchanged.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from .cipher import CipherPair


def roc_auc(scores: Sequence[float] | torch.Tensor, labels: Sequence[int] | torch.Tensor) -> float:
    """Area under the ROC curve (:func:`sklearn.metrics.roc_auc_score`): P(score of a random positive > score of
    a random negative), ties counting 1/2. Labels must be 0 or 1, both present."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels)
    if s.shape != y.shape:
        raise ValueError(f"{len(s)} scores but {len(y)} labels")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1 (unlabelled pairs have no AUC)")
    if len(np.unique(y)) < 2:
        raise ValueError("the AUC needs both positive and negative pairs")
    return float(roc_auc_score(y, s))


def overlap_auc(pairs: Sequence[CipherPair]) -> float:
    """ROC-AUC of the Jaccard overlap |A ∩ B| / |A ∪ B| of the two texts' id sets: a baseline without any model.
    A bijective cipher leaves it unchanged, so it scores the same on plaintext and ciphertext."""
    scores = [len(set(p.a) & set(p.b)) / len(set(p.a) | set(p.b)) for p in pairs]
    return roc_auc(scores, [p.label for p in pairs])
