"""Scores for segmentations and trees: boundary and word P/R/F1, UAS, unlabeled bracket F1.

All are micro-averaged: counts are summed over the sentences, then P = tp / predicted, R = tp / gold,
F1 = 2PR / (P + R) (0 when a denominator is 0).
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from .trees import Tree, brackets, leaves


class PRF(NamedTuple):
    precision: float
    recall: float
    f1: float


def prf(true_positive: int, predicted: int, gold: int) -> PRF:
    """P, R and F1 from counts."""
    p = true_positive / predicted if predicted else 0.0
    r = true_positive / gold if gold else 0.0
    return PRF(p, r, 2 * p * r / (p + r) if p + r else 0.0)


def word_spans(words: Sequence[str]) -> set[tuple[int, int]]:
    """Each word as its half-open character span: ``["大肠", "杆菌"]`` -> {(0, 2), (2, 4)}."""
    ends = np.cumsum([len(w) for w in words])
    return {(int(end) - len(w), int(end)) for w, end in zip(words, ends)}


def _check_same_text(pred: Sequence[str], gold: Sequence[str]) -> None:
    if "".join(pred) != "".join(gold):
        raise ValueError(f"predicted and gold words spell different texts: {''.join(pred)!r} vs {''.join(gold)!r}")


def _micro(pred: Sequence[Sequence[str]], gold: Sequence[Sequence[str]], items) -> PRF:
    if len(pred) != len(gold):
        raise ValueError(f"{len(pred)} predicted sentences but {len(gold)} gold ones")
    tp = n_pred = n_gold = 0
    for p, g in zip(pred, gold):
        _check_same_text(p, g)
        p_items, g_items = items(p), items(g)
        tp, n_pred, n_gold = tp + len(p_items & g_items), n_pred + len(p_items), n_gold + len(g_items)
    return prf(tp, n_pred, n_gold)


def word_prf(pred: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> PRF:
    """Word P/R/F1: a predicted word is right when the same character span is a gold word."""
    return _micro(pred, gold, word_spans)


def boundary_prf(pred: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> PRF:
    """Boundary P/R/F1 over the cuts inside each sentence (its two ends are not counted)."""
    return _micro(pred, gold, lambda words: {end for _, end in word_spans(words)} - {len("".join(words))})


def uas(
    pred_heads: Sequence[Sequence[int]],
    gold_heads: Sequence[Sequence[int]],
    ignore: Sequence[Sequence[bool]] | None = None,
) -> float:
    """Unlabeled attachment score: the share of words whose predicted head is the gold head.

    Head arrays are as :func:`~kexue.probing.trees.eisner` returns them: length n+1, entry 0 for the root
    (not scored), heads[d] the head of word d (0 = root). ``ignore[s][d-1]`` True leaves word d of sentence s
    out (e.g. punctuation).
    """
    right = total = 0
    for s, (pred, gold) in enumerate(zip(pred_heads, gold_heads, strict=True)):
        if len(pred) != len(gold):
            raise ValueError(f"sentence {s}: {len(pred) - 1} predicted words but {len(gold) - 1} gold ones")
        keep = np.ones(len(gold) - 1, dtype=bool) if ignore is None else ~np.asarray(ignore[s], dtype=bool)
        right += int((np.asarray(pred)[1:] == np.asarray(gold)[1:])[keep].sum())
        total += int(keep.sum())
    return right / total if total else 0.0


def bracket_prf(pred_trees: Sequence[Tree], gold_trees: Sequence[Tree]) -> PRF:
    """Unlabeled bracket P/R/F1 over constituent spans.

    Trivial spans are left out, as usual for unsupervised parsing: single units (never a bracket here) and
    the whole sentence (every binary tree has it).
    """
    tp = n_pred = n_gold = 0
    for pred, gold in zip(pred_trees, gold_trees, strict=True):
        n = len(leaves(gold))
        if len(leaves(pred)) != n:
            raise ValueError(f"a predicted tree has {len(leaves(pred))} units but its gold tree has {n}")
        p, g = brackets(pred) - {(0, n)}, brackets(gold) - {(0, n)}
        tp, n_pred, n_gold = tp + len(p & g), n_pred + len(p), n_gold + len(g)
    return prf(tp, n_pred, n_gold)
