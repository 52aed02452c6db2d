"""Multi-task text matching with conditional LayerNorm (Su, kexue.fm/archives/8337; code bojone/sohu2021-baseline).

One encoder serves several subtasks that look alike but label differently (the Sohu 2021 matching criteria A and B).
The task id t is the condition: c = E[t] (an embedding row, ``cond_dim`` = 128 in the article), and every LayerNorm

    LN(x) = γ ⊙ x̂ + β,        x̂ = (x − μ(x)) / sqrt(σ²(x) + ε)

becomes

    CLN(x | c) = (γ + W_γ c) ⊙ x̂ + (β + W_β c),

with W_γ, W_β initialised to zero, so that training starts exactly at the pretrained model. The pair classifier is
the usual one: ``[CLS] a [SEP] b [SEP]`` (the longer text trimmed first), mean pooling, one linear layer, shared by
all tasks; only the condition tells the tasks apart.

* :mod:`.layernorm` -- :class:`ConditionalLayerNorm` and :func:`convert_layernorms` (every ``nn.LayerNorm``);
* :mod:`.encoder` -- :class:`ConditionalEncoder`, c = E[task] handed to every conditional LayerNorm per call,
  and :func:`start_gaps`, the check that the converted model starts at the pretrained one;
* :mod:`.matcher` -- the pair classifier, its loss and optimiser, :func:`predict`, :func:`swap_criterion`;
* :mod:`.scores` -- F1 per subtask and criterion, accuracy on the conflict pairs;
* :mod:`.baselines` -- always "match", a character-overlap regression and the zero-shot cosine, to beat;
* :mod:`.pairs` -- tables of the People's Daily matching pairs (:mod:`kexue.data.matching`);
* :mod:`.experiment` -- :class:`MatchingConfig`, the cached :func:`matching_run`, :class:`MatchingResult`;
* :mod:`.comparison` -- conditional against shared (:func:`compare`), its tables and the article's numbers;
* :mod:`.shifts` -- what the condition learned: the per-task shifts (W_γ c_t, W_β c_t);
* :mod:`.facts` -- the numbers and verdict words of the chapter's prose.
"""

from .baselines import (baseline_answers, criterion_scores, overlap_features, overlap_scores,
                        zero_shot_cosines)
from .comparison import ARTICLE, BASELINE_COLUMNS, COLUMNS, MatchingComparison, compare
from .encoder import ConditionalEncoder, start_gaps
from .experiment import MatchingConfig, MatchingResult, matching_run
from .facts import comparison_facts, condition_verdict, criteria_words, f1_words, models_above
from .layernorm import ConditionalLayerNorm, convert_layernorms
from .matcher import build_matcher, conditional_loss, matcher_optimizer, predict, swap_criterion
from .pairs import example_conflicts, relation_counts
from .scores import always_match_scores, f1, matching_scores
from .shifts import separates_criteria, shift_facts, shift_pca, shift_sizes, short_norm_name

__all__ = [
    "ARTICLE",
    "BASELINE_COLUMNS",
    "COLUMNS",
    "ConditionalEncoder",
    "ConditionalLayerNorm",
    "MatchingComparison",
    "MatchingConfig",
    "MatchingResult",
    "always_match_scores",
    "baseline_answers",
    "build_matcher",
    "compare",
    "comparison_facts",
    "condition_verdict",
    "conditional_loss",
    "convert_layernorms",
    "criteria_words",
    "criterion_scores",
    "example_conflicts",
    "f1",
    "f1_words",
    "matcher_optimizer",
    "matching_run",
    "matching_scores",
    "models_above",
    "overlap_features",
    "overlap_scores",
    "predict",
    "relation_counts",
    "separates_criteria",
    "shift_facts",
    "shift_pca",
    "shift_sizes",
    "short_norm_name",
    "start_gaps",
    "swap_criterion",
    "zero_shot_cosines",
]
