"""What the article reports, and the words the chapter's prose uses for what this run measured.

The prose never types a measured number or a verdict: it glues these, computed from the run, so the
``smoke`` and ``book`` builds both say what their own tables show.

Two segmentations of the same test sentences are compared by the difference of their word F1,

    Δ = F1(a) - F1(b),

with a paired bootstrap over sentences: resample the sentences with replacement (the same draw for a and
b), recompute both micro-averaged F1 and their difference, and take the percentile interval of Δ.
:func:`kexue.report.verdict` reads the interval: "holds" (a is better), "contradicted" (b is better) or
"undetermined at this budget".
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from ..report import verdict
from .metrics import _check_same_text as check_same_text
from .metrics import word_spans

# Su, kexue.fm/archives/7476, and his bojone/perturbed_masking: word_segment.py with Google's
# bert-base-chinese, last layer, Euclidean distance, threshold 8; his two example outputs.
# Wu et al., ACL 2020 (LividWo/Perturbed-Masking README): dependency UAS on PUD with Eisner.
ARTICLE = {
    "threshold": 8,
    "layer": "last",
    "segmentations": {
        "大肠杆菌是人和许多动物肠道中最主要且数量最多的一种细菌":
            "大肠杆菌/是/人和/许多/动物/肠道/中最/主要/且数量/最多/的/一种/细菌",
        "苏剑林是科学空间的博主": "苏剑林/是/科学/空间/的博主",
    },
    "uas_pud_eisner": 41.7,
}

#: Characters the article's examples show attached to a neighbour (中最, 的博主).
FUNCTION_CHARACTERS = "的是中"


class Difference(NamedTuple):
    """Word F1 of a minus word F1 of b, its bootstrap interval, and what the interval says."""

    difference: float
    low: float
    high: float
    verdict: str  # kexue.report.verdict(low, high): "holds" when a is better


def sentence_counts(predicted: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> np.ndarray:
    """(sentences, 3) int array: right words, predicted words and gold words of each sentence."""
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predicted sentences but {len(gold)} gold ones")
    rows = []
    for p, g in zip(predicted, gold):
        check_same_text(p, g)
        p_spans, g_spans = word_spans(p), word_spans(g)
        rows.append((len(p_spans & g_spans), len(p_spans), len(g_spans)))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def _f1(counts: np.ndarray) -> np.ndarray:
    """Micro F1 = 2 tp / (predicted + gold) from summed counts (..., 3); 0 where there are no words."""
    tp, n_pred, n_gold = counts[..., 0], counts[..., 1], counts[..., 2]
    total = n_pred + n_gold
    return np.where(total > 0, 2 * tp / np.maximum(total, 1), 0.0)


def f1_difference(
    a: Sequence[Sequence[str]],
    b: Sequence[Sequence[str]],
    gold: Sequence[Sequence[str]],
    *,
    resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> Difference:
    """Δ = word F1(a) - word F1(b) on the same gold sentences, with a paired bootstrap interval."""
    if not gold:
        raise ValueError("f1_difference needs at least one sentence")
    ca, cb = sentence_counts(a, gold), sentence_counts(b, gold)
    delta = float(_f1(ca.sum(0)) - _f1(cb.sum(0)))
    draw = np.random.default_rng(seed).integers(0, len(gold), size=(resamples, len(gold)))
    deltas = _f1(ca[draw].sum(1)) - _f1(cb[draw].sum(1))
    low, high = np.quantile(deltas, [(1 - level) / 2, (1 + level) / 2])
    return Difference(delta, float(low), float(high), verdict(float(low), float(high)))


def compared(d: Difference, other: str) -> str:
    """How a scored against ``other`` (b), for a sentence "<a> {compared}": e.g. "scores higher in word F1
    than random cuts (by 0.120; 95% bootstrap interval 0.080 to 0.160)"; a lower score gives the interval
    of the shortfall, b - a, the same way round."""
    if d.verdict == "holds":
        return (f"scores higher in word F1 than {other} (by {d.difference:.3f}; "
                f"95% bootstrap interval {d.low:.3f} to {d.high:.3f})")
    if d.verdict == "contradicted":
        return (f"scores lower in word F1 than {other} (by {-d.difference:.3f}; "
                f"95% bootstrap interval {-d.high:.3f} to {-d.low:.3f})")
    return (f"cannot be told apart from {other} in word F1 on this many test sentences "
            f"(difference {d.difference:+.3f}; 95% bootstrap interval {d.low:+.3f} to {d.high:+.3f})")


def ablation_answer(d: Difference) -> str:
    """The answer to "must x_i be masked?" for segmentation, from Δ = F1(x_i left in place) - F1(masked)."""
    if d.verdict == "holds":
        return "the answer goes the reader's way: x_i need not be masked"
    if d.verdict == "contradicted":
        return "the answer goes the authors' way: masking x_i segments better"
    return "this run does not settle the question"


def layer_position(layer: int, num_layers: int) -> str:
    """Where ``layer`` (1..num_layers) sits: "the last layer, as in the article", else "low" (bottom third),
    "in the middle" or "high" (top third) of the encoder, "not the last layer the article used"."""
    if not 1 <= layer <= num_layers:
        raise ValueError(f"layer {layer} is not in 1..{num_layers}")
    if layer == num_layers:
        return "the last layer, as in the article"
    where = "low" if layer <= num_layers / 3 else "in the middle" if layer <= 2 * num_layers / 3 else "high"
    return f"{where} in the encoder, not the last layer the article used"


def shared_words(ours: Sequence[Sequence[str]], theirs: Sequence[Sequence[str]]) -> tuple[int, int]:
    """(words of ``theirs`` that ``ours`` also has, at the same place; words of ``theirs``), summed over
    sentences: how close our segmentation of the article's examples comes to the article's."""
    counts = sentence_counts(ours, theirs)
    return int(counts[:, 0].sum()), int(counts[:, 2].sum())


def attached(words: Sequence[Sequence[str]], characters: str = FUNCTION_CHARACTERS) -> tuple[int, int]:
    """(occurrences of ``characters`` inside a longer word, all their occurrences) over sentences."""
    inside = sum(sum(w.count(c) for c in characters) for s in words for w in s if len(w) > 1)
    total = sum("".join(s).count(c) for s in words for c in characters)
    return inside, total
