"""Held-out evaluation of Perturbed-Masking segmentation: thresholds chosen on dev, scores on test.

The article shows examples only; this module measures. For every layer, the threshold that maximises word
F1 on the dev sentences is fixed, then applied to the test sentences, next to three baselines: random cuts
at the same rate, every character a word, and jieba (a supervised segmenter, as a reference point).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..models import Encoder
from .findings import Difference, f1_difference
from .metrics import PRF, boundary_prf, word_prf
from .segment import best_threshold, segment_scores
from .units import join_units, random_segment, split_units

Words = Sequence[str]


@dataclass
class LayerResult:
    """One layer: the dev-chosen threshold, its cut rate and dev word F1, and test word/boundary scores."""

    layer: int
    threshold: float
    cut_rate: float
    dev_word_f1: float
    test_word: PRF
    test_boundary: PRF
    predicted: list[list[str]] = field(default_factory=list, repr=False)  # its test segmentations


@dataclass
class SegmentationReport:
    """Per-layer results, the best layer on dev, and baseline scores on the same test sentences."""

    layers: list[LayerResult]
    baselines: dict[str, tuple[PRF, PRF]] = field(default_factory=dict)  # name -> (word, boundary)
    test_sentences: int = 0
    dev_sentences: int = 0
    gold: list[list[str]] = field(default_factory=list, repr=False)  # the test sentences' gold words
    baseline_words: dict[str, list[list[str]]] = field(default_factory=dict, repr=False)  # name -> segmentations

    @property
    def best(self) -> LayerResult:
        """The layer with the best *dev* word F1 (the test set plays no part in the choice)."""
        return max(self.layers, key=lambda r: r.dev_word_f1)

    def rows(self) -> list[dict]:
        """Rows for a results table: the dev-chosen layer, the baselines."""
        best = self.best
        rows = [{"method": f"Perturbed Masking (layer {best.layer}, threshold {best.threshold:.2f})",
                 "word F1": best.test_word.f1, "boundary F1": best.test_boundary.f1}]
        for name, (word, boundary) in self.baselines.items():
            rows.append({"method": name, "word F1": word.f1, "boundary F1": boundary.f1})
        return rows

    def versus(self, baseline: str, **bootstrap) -> Difference:
        """Word F1 of the dev-chosen layer minus that of ``baseline`` on the test sentences, with a paired
        bootstrap interval (:func:`~kexue.probing.findings.f1_difference`; ``bootstrap`` goes to it)."""
        if baseline not in self.baseline_words:
            raise KeyError(f"no baseline {baseline!r}; the report has {sorted(self.baseline_words)}")
        return f1_difference(self.best.predicted, self.baseline_words[baseline], self.gold, **bootstrap)


def evaluate_segmentation(
    encoder: Encoder,
    dev: Sequence[Words],
    test: Sequence[Words],
    layers: Sequence[int] | None = None,
    *,
    metric: str = "euclidean",
    mask_target: bool = True,
    seed: int = 0,
    jieba_baseline: bool = True,
) -> SegmentationReport:
    """Choose a threshold per layer on ``dev`` (gold word lists), then score ``test`` with it.

    Every layer's scores come from one pass per sentence. Baselines on the same test sentences: random cuts
    at the best layer's dev cut rate (``seed``), every character a word, and ``jieba.lcut`` (supervised).
    """
    if not dev or not test:
        raise ValueError("evaluate_segmentation needs gold-segmented dev and test sentences")
    layers = list(range(1, encoder.num_layers + 1)) if layers is None else list(layers)

    def score(sentences: Sequence[Words]) -> list[tuple[list[str], np.ndarray]]:
        return [segment_scores(encoder, "".join(words), layers=layers, metric=metric, mask_target=mask_target)
                for words in sentences]

    dev_scored, test_scored = score(dev), score(test)
    results = []
    for l, layer in enumerate(layers):
        threshold, dev_f1, cut_rate = best_threshold([(u, s[l]) for u, s in dev_scored], dev)
        predicted = [join_units(units, s[l] >= threshold) for units, s in test_scored]
        results.append(LayerResult(layer, threshold, cut_rate, dev_f1,
                                   word_prf(predicted, test), boundary_prf(predicted, test), predicted))
    report = SegmentationReport(results, test_sentences=len(test), dev_sentences=len(dev),
                                gold=[list(words) for words in test])
    texts = ["".join(words) for words in test]
    rng = np.random.default_rng(seed)
    candidates = {
        "random cuts at the same rate": [random_segment(t, report.best.cut_rate, rng) for t in texts],
        "every character a word": [split_units(t)[0] for t in texts],
    }
    if jieba_baseline:
        import jieba

        jieba.setLogLevel(60)
        candidates["jieba (supervised reference)"] = [jieba.lcut(t) for t in texts]
    for name, predicted in candidates.items():
        report.baselines[name] = (word_prf(predicted, test), boundary_prf(predicted, test))
        report.baseline_words[name] = predicted
    return report
