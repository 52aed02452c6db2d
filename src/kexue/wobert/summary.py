"""The chapter's tables: held-out MLM metrics at the first and last evaluation, final dev accuracies, and the
"article says / we measured" rows."""

from __future__ import annotations

from typing import Mapping, Sequence

from ..report import mean_std
from ..train import History
from .article import ARTICLE_ACCURACY, ARTICLE_SPEEDUP, ARTICLE_VOCAB_SIZE
from .runs import SentimentConfig


def mlm_rows(histories: Mapping[str, History]) -> list[dict]:
    """One row per initialisation and step (0 and the last evaluation) with the held-out MLM metrics."""
    return [{"init": init, "step": step, **h.evals[h.eval_steps.index(step)]}
            for init, h in histories.items() for step in (0, h.eval_steps[-1])]


def final_accuracies(runs: Mapping[str, Sequence[History]],
                     metric: str = "dev accuracy") -> dict[str, tuple[float, float]]:
    """(mean, std) over seeds of each model's last ``metric``."""
    return {name: mean_std([h.metric(metric)[-1] for h in histories]) for name, histories in runs.items()}


def accuracy_rows(final: Mapping[str, tuple[float, float]], *, steps: int, seeds: int) -> list[dict]:
    """One row per model: its final dev accuracy (mean ± std with several seeds, else the value) and seeds."""
    return [{"model": name, f"dev accuracy after {steps} steps": acc if seeds > 1 else acc[0], "seeds": seeds}
            for name, acc in final.items()]


def _article_accuracy() -> str:
    return ", ".join(f"{task} {char:.2f} -> {word:.2f}" for task, (char, word) in ARTICLE_ACCURACY.items())


def claims(*, layout_size: int, vocab_size: int, model: str, pooled: Mapping[str, float], speed: Sequence[dict],
           final: Mapping[str, tuple[float, float]], device: str) -> list[dict]:
    """The "article says / we measured" rows: vocabulary size, characters per token, speed-up per input length,
    accuracy of the character and the word model (after and without MLM)."""
    after, before, char = (final[k][0] for k in ("words, mean init + MLM", "words, mean init", "characters"))
    news, reviews = pooled["People's Daily"], pooled["reviews"]
    speed_rows = [{"claim": f"speed-up at {r['characters']} characters",
                   "article": (f"{ARTICLE_SPEEDUP[r['characters']]}x (GPU)" if r["characters"] in ARTICLE_SPEEDUP
                               else "(not reported)"),
                   "ours": f"{r['speed-up']:.2f}x ({device})"} for r in speed]
    return [
        {"claim": "vocabulary size", "article": f"{ARTICLE_VOCAB_SIZE:,}",
         "ours": f"{layout_size:,} (bert-base-chinese layout); {vocab_size:,} ({model})"},
        {"claim": "characters per token, People's Daily", "article": "(not reported)",
         "ours": f"{news:.2f}"},
        {"claim": "characters per token, reviews", "article": "(not reported)", "ours": f"{reviews:.2f}"},
        *speed_rows,
        {"claim": "accuracy, char -> word model", "article": _article_accuracy(),
         "ours": f"reviews {char:.3f} -> {after:.3f} (after MLM), {before:.3f} (no MLM)"},
    ]


def claims_setting(config: SentimentConfig, *, profile: str, device: str) -> str:
    """The line under the claims table: profile, model, sizes, steps, device, seeds."""
    mlm = config.mlm
    return (f"profile {profile}, {mlm.model}, {mlm.words:,} words; MLM {mlm.steps} steps x {mlm.batch} "
            f"People's Daily sentences; sentiment {mlm.n_train_reviews:,} training / {mlm.n_dev_reviews} dev "
            "reviews, "
            f"{config.steps} steps; device {device}; seeds {list(config.seeds)}")
