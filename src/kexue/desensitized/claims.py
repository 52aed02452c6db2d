"""The article's numbers, written once here, and the chapter's "article says / we measured" table.

Sources: Su Jianlin, kexue.fm/archives/8213 (5 March 2021) and its code bojone/oppo-text-match: frequency-rank
alignment "clearly" speeds up convergence; offline AUC 0.952 (0.866 on the leaderboard) with BERT-base, max
length 32, batch 64, Adam 1e-5, 100 epochs on the competition's data.
"""

from __future__ import annotations

from typing import Any

from ..report import difference_cell, mean_interval
from .recovery import PEOPLES_DAILY, RANK, RecoveryTable
from .results import TrainingRuns, ZeroShotRuns

ARTICLE = {
    "auc": 0.952,  # offline (validation) AUC of the baseline
    "leaderboard": 0.866,
    "auc claim": "offline AUC of the baseline (their data, 12-layer BERT-base, 100 epochs)",
    "convergence": "clearly faster convergence",
    "pretraining": "pretraining helps",
    "unlabelled": "used (semi-supervised)",
    "setting": "the competition's data, BERT-base, max length 32, batch 64, Adam 1e-5, 100 epochs",
}
NONE = "–"  # the article says nothing on this row


def claims(training: TrainingRuns, zero: ZeroShotRuns, recovered: RecoveryTable) -> list[dict[str, Any]]:
    """Rows (claim, article, ours) from the training runs, the zero-shot runs and the recovery table (its rank
    alignment on People's Daily counts)."""
    middle, steps = training.middle, training.steps
    gap = training.gaps("rank-align", "random-map", middle)
    gap_end = training.gaps("rank-align", "random-map", -1)
    people = recovered.row(PEOPLES_DAILY, RANK)
    return [
        {"claim": ARTICLE["auc claim"], "article": ARTICLE["auc"], "ours": training.auc_at("rank-align", True, -1)},
        {"claim": f"rank alignment minus random map, AUC at step {steps[middle]} (per seed)",
         "article": ARTICLE["convergence"], "ours": ", ".join(f"{g:+.3f}" for g in gap)},
        {"claim": f"the same at step {steps[-1]} (per seed)", "article": NONE,
         "ours": ", ".join(f"{g:+.3f}" for g in gap_end)},
        {"claim": f"the same, mean over the seeds with its 95% t-interval (step {steps[-1]})",
         "article": ARTICLE["convergence"], "ours": difference_cell(*mean_interval(gap_end))},
        {"claim": "pretrained + rank alignment minus random init (seed 0, final AUC)",
         "article": ARTICLE["pretraining"], "ours": training.auc("rank-align") - training.auc("random-init")},
        {"claim": "unlabelled texts in the MLM loss (rank alignment, seed 0, final AUC gain)",
         "article": ARTICLE["unlabelled"], "ours": training.auc("rank-align") - training.auc("rank-align", False)},
        {"claim": "true characters instead of the alignment (seed 0, final AUC)", "article": NONE,
         "ours": training.auc("plaintext")},
        {"claim": f"no training, all {zero.layers} layers: AUC of the rank alignment", "article": NONE,
         "ours": zero[("rank-align", 0)][-1]},
        {"claim": "the same, random maps (mean ± sd over seeds)", "article": NONE,
         "ours": zero.auc_at("random-map", -1)},
        {"claim": "no training, last layer: rank alignment minus random map (95% t-interval over the maps)",
         "article": NONE, "ours": difference_cell(*zero.gap_interval())},
        {"claim": "the same, true characters (id-overlap baseline: see the figure)", "article": NONE,
         "ours": zero[("plaintext", 0)][-1]},
        {"claim": "share of the gap from random maps to true characters that the alignment closes (no training)",
         "article": NONE, "ours": zero.closed_share()},
        {"claim": "cipher ids mapped to their true character (People's Daily counts)", "article": "not measurable",
         "ours": people["ids exact"]},
        {"claim": "token occurrences mapped to their true character", "article": "not measurable",
         "ours": people["tokens exact"]},
        {"claim": "token occurrences mapped to a character of similar frequency (within 2x)", "article": NONE,
         "ours": people["tokens similar"]},
    ]


def claims_setting(run: Any, data: Any) -> str:
    """The line under the claims table: what produced our numbers (``run`` from :func:`kexue.setup` with the
    chapter's sizes, ``data`` a :class:`CipherData`), and the article's setting."""
    return (f"{run.profile} profile, first {run.layers} layers of {run.model} with the cipher vocabulary "
            f"({len(data.vocab):,} tokens), {len(data.train):,} labelled + {len(data.held_out):,} unlabelled "
            f"People's Daily sentence pairs (loose criterion, short-short), AUC on {run.n_eval} held-out pairs, "
            f"{run.steps} steps of batch 32, max length 64, Adam {run.lr:g}, {run.device}, seeds {run.seeds} for "
            f"the key comparison, 1 seed elsewhere; article: {ARTICLE['setting']}")


def verdict_lines(training: TrainingRuns, zero: ZeroShotRuns) -> list[str]:
    """The chapter's counted verdicts, one line each: how often one start is above another."""

    def count(a: str, b: str) -> str:
        wins, total = training.wins(a, b)
        return f"{wins} of {total} (seed, evaluation step) comparisons"

    beats, maps = zero.beats("rank-align", "random-map")
    unlabelled, evaluations = training.unlabelled_wins("rank-align")
    return [
        f"rank alignment above random map:        {count('rank-align', 'random-map')}",
        f"rank alignment above random init:       {count('rank-align', 'random-init')}",
        f"true characters above rank alignment:   {count('plaintext', 'rank-align')}",
        f"no training, last layer: rank alignment above random map: {beats} of {maps} maps",
        f"with unlabelled above without (rank):   {unlabelled} of {evaluations}",
    ]
