"""Perturbed Masking (Wu et al., ACL 2020; Su, kexue.fm/archives/7476): what a masked encoder knows about
structure, read from how masking one unit changes another.

* :mod:`.impact` -- the impact matrix f(x_i, x_j), from the n(n+1)/2 distinct masked inputs;
* :mod:`.units` -- a text's units (characters, letter/digit runs, punctuation), joins and windows;
* :mod:`.segment` -- Su's unsupervised word segmentation from adjacent impacts (2n-1 inputs), calibrated;
* :mod:`.trees` -- constituency (Su's split, MART) and dependency (Eisner, Chu-Liu/Edmonds) trees from f;
* :mod:`.metrics` -- boundary and word F1, UAS, bracket F1;
* :mod:`.evaluate` -- held-out segmentation scores per layer, thresholds chosen on dev, with baselines;
* :mod:`.findings` -- the article's numbers, paired-bootstrap differences of word F1, and the prose's verdicts.
"""

from .evaluate import LayerResult, SegmentationReport, evaluate_segmentation
from .findings import (
    ARTICLE,
    Difference,
    ablation_answer,
    attached,
    compared,
    f1_difference,
    layer_position,
    shared_words,
)
from .impact import impact_matrix, impact_matrix_reference, pair_count
from .metrics import PRF, boundary_prf, bracket_prf, uas, word_prf
from .segment import adjacent_scores, best_threshold, calibrate, calibration, segment, segment_scores
from .trees import (
    brackets,
    chu_liu_edmonds,
    dependency_scores,
    eisner,
    is_projective,
    is_tree,
    mart_tree,
    su_tree,
    tree_to_brackets,
)
from .units import join_units, random_segment, split_units, windows

__all__ = [
    "evaluate_segmentation",
    "SegmentationReport",
    "LayerResult",
    "best_threshold",
    "impact_matrix",
    "impact_matrix_reference",
    "pair_count",
    "adjacent_scores",
    "segment",
    "segment_scores",
    "split_units",
    "join_units",
    "random_segment",
    "calibrate",
    "calibration",
    "su_tree",
    "mart_tree",
    "eisner",
    "chu_liu_edmonds",
    "dependency_scores",
    "brackets",
    "tree_to_brackets",
    "is_projective",
    "is_tree",
    "PRF",
    "word_prf",
    "boundary_prf",
    "uas",
    "bracket_prf",
    "windows",
    "ARTICLE",
    "Difference",
    "f1_difference",
    "compared",
    "ablation_answer",
    "layer_position",
    "shared_words",
    "attached",
]
