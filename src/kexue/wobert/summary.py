"""The chapter's tables: held-out MLM metrics at the first and last evaluation, final dev accuracies, and the
"article says / we measured" rows."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..report import difference_cell, mean_std
from ..train import History
from .article import ACCURACY_MARGIN, ARTICLE_ACCURACY, ARTICLE_SPEEDUP, ARTICLE_VOCAB_SIZE
from .experiments import SentimentRuns
from .runs import RECORD_WORD_MODELS, SentimentConfig


def mlm_rows(histories: Mapping[str, History]) -> list[dict]:
    """One row per initialisation and step (0 and the last evaluation) with the held-out MLM metrics."""
    return [{"init": init, "step": step, **h.evals[h.eval_steps.index(step)]}
            for init, h in histories.items() for step in (0, h.eval_steps[-1])]


def final_accuracies(runs: SentimentRuns) -> dict[str, tuple[float, float]]:
    """(mean, std) over seeds of each trained model's dev accuracy."""
    return {name: mean_std(runs.correct(name).mean(1).tolist()) for name in runs.predictions}


def accuracy_rows(final: Mapping[str, tuple[float, float]], *, steps: int, seeds: int) -> list[dict]:
    """One row per model: its final dev accuracy (mean ± std with several seeds, else the value) and seeds."""
    return [{"model": name, f"dev accuracy after {steps} steps": acc if seeds > 1 else acc[0], "seeds": seeds}
            for name, acc in final.items()]


def record_rows(record: Mapping[str, Any]) -> list[dict]:
    """One row per model of the recorded run (``results/wobert.json``): its dev accuracy on each seed."""
    return [{"model": name, "dev accuracy per seed": ", ".join(f"{a:.3f}" for a in accs),
             "mean": float(sum(accs) / len(accs))} for name, accs in record["numbers"]["accuracies"].items()]


def _article_accuracy() -> str:
    return ", ".join(f"{task} {char:.2f} -> {word:.2f}" for task, (char, word) in ARTICLE_ACCURACY.items())


def claims(*, layout_size: int, vocab_size: int, model: str, pooled: Mapping[str, float], speed: Sequence[dict],
           sentiment: SentimentRuns, device: str, record: Mapping[str, Any] | None = None) -> list[dict]:
    """The "article says / we measured" rows: vocabulary size, characters per token, speed-up per input length,
    and the accuracy of each of :data:`RECORD_WORD_MODELS` against the character model (difference, 95% interval
    over seeds and reviews, equivalence verdict within ±:data:`ACCURACY_MARGIN`), also from the ``record``
    (``results/wobert.json``) when given."""
    news, reviews = pooled["People's Daily"], pooled["reviews"]
    speed_rows = [{"claim": f"speed-up at {r['characters']} characters",
                   "article": (f"{ARTICLE_SPEEDUP[r['characters']]}x (GPU)" if r["characters"] in ARTICLE_SPEEDUP
                               else "(not reported)"),
                   "ours": f"{r['speed-up']:.2f}x ({device})"} for r in speed]
    seeds, n_dev = sentiment.predictions["characters"].shape
    rows = []
    for name in RECORD_WORD_MODELS:
        claim = f"accuracy: {name} − characters, equivalent within ±{100 * ACCURACY_MARGIN:g} point"
        rows.append({"claim": claim + f" ({seeds} seed(s), {n_dev:,} dev reviews)", "article": _article_accuracy(),
                     "ours": difference_cell(*sentiment.difference(name), margin=ACCURACY_MARGIN)})
        if record is not None:
            test = record["numbers"]["differences"][name]
            rows.append({"claim": claim + f" (recorded: {len(record['seeds'])} seeds, "
                                          f"{record['numbers']['n_dev']:,} dev reviews)",
                         "article": _article_accuracy(),
                         "ours": difference_cell(test["difference"], test["low"], test["high"],
                                                 margin=ACCURACY_MARGIN)})
    return [
        {"claim": "vocabulary size", "article": f"{ARTICLE_VOCAB_SIZE:,}",
         "ours": f"{layout_size:,} (bert-base-chinese layout); {vocab_size:,} ({model})"},
        {"claim": "characters per token, People's Daily", "article": "(not reported)",
         "ours": f"{news:.2f}"},
        {"claim": "characters per token, reviews", "article": "(not reported)", "ours": f"{reviews:.2f}"},
        *speed_rows,
        *rows,
    ]


def claims_setting(config: SentimentConfig, *, profile: str, device: str) -> str:
    """The line under the claims table: profile, model, sizes, steps, device, seeds."""
    mlm = config.mlm
    return (f"profile {profile}, {mlm.model}, {mlm.words:,} words; MLM {mlm.steps} steps x {mlm.batch} "
            f"People's Daily sentences; sentiment {mlm.n_train_reviews:,} training / {mlm.n_dev_reviews} dev "
            "reviews, "
            f"{config.steps} steps; device {device}; seeds {list(config.seeds)}")
