"""The words and numbers the chapter's prose takes from the runs (glued, never typed), and the longer runs we
recorded once on GPUs, which a book build does not repeat.

Every verdict word is computed from the numbers by :func:`compared`, so a build never says "above" beside a
table that shows "below".
"""

from __future__ import annotations

from typing import Any

from .recovery import JIEBA, OWN_COUNTS, PEOPLES_DAILY, RANK, RecoveryTable
from ..report import verdict
from .results import TrainingRuns, ZeroShotRuns

#: Longer runs of the chapter's set-up (book data: 4,000 labelled and 1,000 held-out pairs, loose criterion,
#: short-short, offline-zh, batch 32, max length 64), recorded once with ``benchmarks/desensitized_budget.py``
#: on 27 November 2026 (H100: 3 layers; H200: 12 layers), and a one-off CPU probe with a linear head on
#: mean-pooled states instead of the [YES]/[NO] head (true characters). Held-out AUC (1,000 pairs on the GPUs),
#: the mean over seeds or each seed's.
LONGER_RUNS = [
    {"run": "GPU, 3 layers, 1,500 steps, Adam 1e-4 (3 seeds, mean)",
     "true characters": 0.543, "rank alignment": 0.533, "random map": 0.532, "random init": 0.567},
    {"run": "GPU, 3 layers, 1,500 steps, Adam 3e-4 (3 seeds, mean)",
     "true characters": 0.535, "rank alignment": 0.532, "random map": 0.542, "random init": 0.588},
    {"run": "GPU, 12 layers, 600 steps, Adam 1e-4 (2 seeds, each)",
     "true characters": (0.58, 0.59), "rank alignment": (0.55, 0.54), "random map": (0.53, 0.56),
     "random init": (0.54, 0.55)},
    {"run": "CPU, linear head on mean-pooled states, 300 steps (1 run)", "true characters": 0.58},
]
#: the largest per-seed |rank alignment - random map| at any evaluation of the 3-layer GPU runs
LONGER_RUNS_MAX_GAP = 0.04


def longer_runs_rows() -> list[dict[str, Any]]:
    """:data:`LONGER_RUNS` as table rows (per-seed values as text, as recorded: two decimals)."""
    def cell(value: Any) -> Any:
        return ", ".join(f"{v:.2f}" for v in value) if isinstance(value, tuple) else value

    return [{key: cell(value) for key, value in row.items()} for row in LONGER_RUNS]


def compared(x: float, y: float, words: tuple[str, str, str] = ("above", "level with", "below")) -> str:
    """``words[0]`` when x > y, ``words[1]`` when x == y, ``words[2]`` when x < y."""
    return words[0] if x > y else words[1] if x == y else words[2]


def zero_shot_verdict(zero: ZeroShotRuns) -> str:
    """The verdict (:func:`kexue.report.verdict`) of the 95% interval of rank alignment minus random map at the
    last layer without training (:meth:`ZeroShotRuns.gap_interval`): "holds" when it lies above zero (rows
    placed by frequency let the pretrained layers recognise some of the text)."""
    _, low, high = zero.gap_interval()
    return verdict(low, high)


def prose_values(training: TrainingRuns, zero: ZeroShotRuns, recovered: RecoveryTable, *, baseline: float,
                 train_layers: int) -> dict[str, Any]:
    """The numbers and verdict words the chapter's sentences show, by glue name (without the chapter prefix);
    ``baseline`` (the id-overlap AUC) and ``train_layers`` (the training runs' depth) are inputs, glued where the
    chapter computes them (a glue name may appear once per page)."""
    best = training.best_final()
    plain_zero = zero[("plaintext", 0)][-1]
    beats, maps = zero.beats("rank-align", "random-map")
    above, depths = zero.depths_above("rank-align", "random-map")
    people, jieba, own = (recovered.row(name, RANK) for name in (PEOPLES_DAILY, JIEBA, OWN_COUNTS))
    return {
        "best-final": best,
        "best-vs-baseline": compared(best, baseline),
        "gpu-gap": LONGER_RUNS_MAX_GAP,
        "zero-init-last": zero.mean_at("random-init", -1),
        "zero-init-vs-chance": compared(zero.mean_at("random-init", -1), 0.5),
        "zero-maps-minus-init": zero.mean_at("random-map", -1) - zero.mean_at("random-init", -1),
        "zero-depths-above": above,
        "zero-depths": depths,
        "zero-plain-last": plain_zero,
        "zero-plain-vs-baseline": compared(plain_zero, baseline, ("beat", "match", "do not reach")),
        "zero-share": zero.closed_share(),
        "zero-spread": zero.spread(train_layers),
        "zero-beats": beats,
        "zero-maps": maps,
        "zero-verdict": zero_shot_verdict(zero),
        "pd-ids-exact": people["ids exact"],
        "pd-tokens-exact": people["tokens exact"],
        "pd-tokens-similar": people["tokens similar"],
        "own-ids-exact": own["ids exact"],
        "jieba-tokens-exact": jieba["tokens exact"],
        "jieba-vs-pd": compared(jieba["tokens exact"], people["tokens exact"], ("more", "as much", "less")),
    }
