"""The numbers and verdict words the chapter's sentences show (glued into the prose), computed from the runs,
so that every build, whatever its profile, says only what its own tables say.

Each function returns {name: value}; the chapter glues every entry as ``wobert-<name>``.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from ..data import load_reviews
from ..report import verdict
from ..train import History
from .article import (ACCURACY_MARGIN, ARTICLE_NER_DROP, ARTICLE_ROUGE_GAIN, ARTICLE_SPEEDUP, ARTICLE_VOCAB_SIZE,
                      ARTICLE_WORDS, article_gains)
from .experiments import SentimentRuns
from .runs import RECORD_WORD_MODELS, SentimentConfig, SpeedConfig
from .summary import final_accuracies
from .vocabulary import char_vocabulary


def article_facts() -> dict[str, Any]:
    """The article's numbers the prose quotes (see :mod:`.article`)."""
    gains = article_gains()
    first, last = min(ARTICLE_SPEEDUP), max(ARTICLE_SPEEDUP)
    return {"article-words": ARTICLE_WORDS, "article-vocab": ARTICLE_VOCAB_SIZE,
            "article-speed-first": ARTICLE_SPEEDUP[first], "article-speed-first-length": first,
            "article-speed-last": ARTICLE_SPEEDUP[last], "article-speed-last-length": last,
            "article-gain-min": min(gains.values()), "article-gain-max": max(gains.values()),
            "article-rouge-csl": ARTICLE_ROUGE_GAIN["CSL"], "article-rouge-lcsts": ARTICLE_ROUGE_GAIN["LCSTS"],
            "article-ner-drop": ARTICLE_NER_DROP}


def vocabulary_facts() -> dict[str, int]:
    """bert-base-chinese without its ``##`` Chinese pieces (``char-vocab``), plus the article's words
    (``layout``), and how many entries that layout has more than the article's vocabulary (``layout-extra``)."""
    chars = len(char_vocabulary())
    return {"char-vocab": chars, "layout": chars + ARTICLE_WORDS,
            "layout-extra": chars + ARTICLE_WORDS - ARTICLE_VOCAB_SIZE}


def _than(a: float, b: float, more: str, less: str, same: str) -> str:
    return more if a > b else less if a < b else same


def length_facts(pooled: Mapping[str, float]) -> dict[str, Any]:
    """How much shorter word input is, 1 - 1/r for the pooled ratio r of each corpus, and which shrinks more."""
    news, reviews = 1 - 1 / pooled["People's Daily"], 1 - 1 / pooled["reviews"]
    return {"news-shrink": news, "reviews-shrink": reviews,
            "news-vs-reviews": _than(news, reviews, "more than", "less than", "as much as")}


def _trend(values: Sequence[float]) -> str:
    steps = np.diff(values)
    if (steps > 0).all():
        return "grew with the input length"
    if (steps < 0).all():
        return "fell as the input grew longer"
    return "did not change steadily with the input length"


def _and(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _side(speed_up: float, ratio: float) -> str:
    return "above" if speed_up > ratio else "below"


def _vs_article(rows: Sequence[dict]) -> str:
    common = [r for r in rows if r["characters"] in ARTICLE_SPEEDUP]
    if not common:
        lengths = _and([str(r["characters"]) for r in rows])
        return f"measured at lengths the article does not report ({lengths} characters)"
    groups: dict[str, list[str]] = {}
    for r in common:
        side = _side(r["speed-up"], ARTICLE_SPEEDUP[r["characters"]])
        groups.setdefault(side, []).append(str(r["characters"]))
    parts, what = [], "the article's GPU numbers"
    for side, lengths in groups.items():
        parts.append(f"{side} {what} at {_and(lengths)} characters")
        what = "them"
    return " and ".join(parts)


def speed_facts(rows: Sequence[dict], config: SpeedConfig) -> dict[str, Any]:
    """The measured speed-up at the shortest and longest input, whether it grew with the length, where it lies
    against the length ratio (char tokens / word tokens) at both ends, and against the article's numbers."""
    first, last = rows[0], rows[-1]
    ends = [_side(r["speed-up"], r["char tokens"] / r["word tokens"]) for r in (first, last)]
    if ends[0] == ends[1]:
        vs_ratio = f"{ends[0]} the length ratio at both ends"
    else:
        vs_ratio = f"{ends[0]} the length ratio at the shortest input and {ends[1]} it at the longest"
    return {"speed-first": first["speed-up"], "speed-first-length": first["characters"],
            "speed-last": last["speed-up"], "speed-last-length": last["characters"],
            "speed-trend": _trend([r["speed-up"] for r in rows]), "speed-vs-ratio": vs_ratio,
            "speed-vs-article": _vs_article(rows), "speed-batch": config.batch, "device": config.device}


def _wins(flags: Sequence[bool]) -> str:
    n, k = len(flags), int(sum(flags))
    if k == n:
        return f"at every one of the {n} evaluations" if n > 1 else "at the one evaluation"
    if k == 0:
        return f"at none of the {n} evaluations"
    return f"at {k} of the {n} evaluations"


def mlm_facts(histories: Mapping[str, History]) -> dict[str, Any]:
    """Mean against random new rows on the held-out data: at how many evaluations the mean start has the lower
    loss on word and on character answers, the final loss and accuracy of both, and whether the article's
    "mean init starts lower" holds at step 0 for words, characters, both or neither."""
    mean, rand = histories["mean"], histories["random"]
    lower = {key: [m < r for m, r in zip(mean.metric(key), rand.metric(key))]
             for key in ("loss on words", "loss on characters")}
    words0, chars0 = lower["loss on words"][0], lower["loss on characters"][0]
    start = {(True, True): "holds here for word and character answers alike",
             (True, False): "holds here only for the word answers",
             (False, True): "holds here only for the character answers",
             (False, False): "does not hold here"}[(words0, chars0)]
    return {"mlm-word-wins": _wins(lower["loss on words"]), "mlm-char-wins": _wins(lower["loss on characters"]),
            "mlm-steps": mean.eval_steps[-1],
            "mlm-loss-mean": mean.evals[-1]["mlm loss"], "mlm-loss-random": rand.evals[-1]["mlm loss"],
            "mlm-acc-mean": mean.evals[-1]["mlm accuracy"], "mlm-acc-random": rand.evals[-1]["mlm accuracy"],
            "mlm-start-verdict": start}


def _largest_swing(histories: Sequence[History], metric: str) -> float:
    swings = [np.abs(np.diff(h.metric(metric))).max() for h in histories if len(h.evals) > 1]
    return float(max(swings)) if swings else 0.0


def sentiment_facts(runs: SentimentRuns, config: SentimentConfig, metric: str = "dev accuracy") -> dict[str, Any]:
    """Final accuracies, their spread, the smallest over models of the largest jump between two consecutive
    evaluations, the binomial standard error sqrt(p(1-p)/n) of an accuracy on the n dev reviews, and for each of
    :data:`RECORD_WORD_MODELS` (keys ``-mean`` and ``-mlm``) the word minus character difference with its 95%
    paired-bootstrap interval over the seeds and reviews (:meth:`SentimentRuns.difference`), judged as an
    equivalence claim within ±:data:`ACCURACY_MARGIN`."""
    n = config.mlm.n_dev_reviews
    acc = {name: value[0] for name, value in final_accuracies(runs).items()}
    p = float(np.mean(list(acc.values())))
    tests = {key: runs.difference(name) for key, name in zip(("mean", "mlm"), RECORD_WORD_MODELS)}
    half = 100 * max(high - low for _, low, high in tests.values()) / 2
    return {"acc-char": acc["characters"], "acc-mean": acc["words, mean init"],
            "acc-random": acc["words, random init"], "acc-mlm": acc[RECORD_WORD_MODELS[1]],
            "acc-spread": max(acc.values()) - min(acc.values()),
            "acc-swing": min(_largest_swing(h, metric) for h in runs.histories.values()),
            "acc-se": math.sqrt(p * (1 - p) / n), **_tested("acc", tests), "acc-half-width-points": half,
            "acc-margin-points": 100 * ACCURACY_MARGIN,
            "gains-vs-budget": _than(max(article_gains().values()), half, "larger than", "smaller than",
                                     "as large as"),
            "dev": n, "ft-steps": config.steps, "ft-batch": config.batch, "seeds": len(config.seeds)}


def _tested(prefix: str, tests: Mapping[str, tuple[float, float, float]]) -> dict[str, Any]:
    """``<prefix>-diff-<key>``, ``-low-``, ``-high-`` and ``-verdict-`` (equivalence within ±ACCURACY_MARGIN)
    for each ``key: (difference, low, high)``."""
    out: dict[str, Any] = {}
    for key, (diff, low, high) in tests.items():
        out.update({f"{prefix}-diff-{key}": diff, f"{prefix}-low-{key}": low, f"{prefix}-high-{key}": high,
                    f"{prefix}-verdict-{key}": verdict(low, high, margin=ACCURACY_MARGIN)})
    return out


def _majority_rate(n_dev: int) -> float:
    """The accuracy of always answering the commonest label of the first ``n_dev`` dev reviews."""
    labels = [label for _, label in load_reviews("dev")[:n_dev]]
    return max(labels.count(v) for v in set(labels)) / len(labels)


def record_facts(record: Mapping[str, Any]) -> dict[str, Any]:
    """The recorded run's comparison (``results/wobert.json``, :mod:`kexue.records`) for the prose: accuracies,
    the differences with their intervals and verdicts (the half-width in points of the mean-init one), the
    spread of the character model and of the word model after MLM over the seeds, the majority-label rate,
    seeds and dev reviews (keys ``record-...``)."""
    numbers = record["numbers"]
    accuracies = numbers["accuracies"]
    tests = {key: tuple(numbers["differences"][name][k] for k in ("difference", "low", "high"))
             for key, name in zip(("mean", "mlm"), RECORD_WORD_MODELS)}
    return {"record-char": float(np.mean(accuracies["characters"])),
            "record-word-mean": float(np.mean(accuracies[RECORD_WORD_MODELS[0]])),
            "record-word-mlm": float(np.mean(accuracies[RECORD_WORD_MODELS[1]])),
            **_tested("record", tests),
            "record-half-width-points": 100 * (tests["mean"][2] - tests["mean"][1]) / 2,
            "record-char-min": min(accuracies["characters"]), "record-char-max": max(accuracies["characters"]),
            "record-mlm-min": min(accuracies[RECORD_WORD_MODELS[1]]),
            "record-mlm-max": max(accuracies[RECORD_WORD_MODELS[1]]),
            "record-majority": _majority_rate(numbers["n_dev"]),
            "record-seeds": len(record["seeds"]), "record-dev": numbers["n_dev"],
            "record-steps": record["config"]["steps"]}
