"""The numbers and verdict words the chapter's sentences show (glued into the prose), computed from the runs,
so that every build, whatever its profile, says only what its own tables say.

Each function returns {name: value}; the chapter glues every entry as ``flooding-<name>``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..report import mean_interval, verdict
from .claims import B_GRID, best_level, tested_difference
from .expansion import GELU_DOUBLE, GELU_EQUAL, RELU_EQUAL
from .summary import (Results, curve_gap, final_value, largest_jump, paired_differences, rise_to_peak, second_descent,
                      seed_differences)


def _word(value: float, reference: float, below: str, above: str, same: str) -> str:
    return below if value < reference else above if value > reference else same


def _both(a: float, b: float, reference: float, below: str, above: str, mixed: str) -> str:
    """``below`` when a and b are both under ``reference``, ``above`` when both are over it, else ``mixed``."""
    if a < reference and b < reference:
        return below
    if a > reference and b > reference:
        return above
    return mixed


def memorised(train_acc: float, noise: float) -> str:
    """What a final accuracy on noisy labels says about memorising them: only a fraction 1 - r of the labels
    are right, so an accuracy a above it fits at least (a - (1 - r)) / r of the wrong ones."""
    clean = 1 - noise
    if noise > 0 and train_acc > clean:
        return f"so at least {(train_acc - clean) / noise:.0%} of the wrong labels have been memorised"
    return "so nothing shows yet that the wrong labels are being memorised"


def gain_verdict(diffs: Sequence[float], level: float = 0.95) -> str:
    """A clause on a paired difference over seeds: where its confidence interval lies against zero."""
    if len(diffs) < 2:
        return "one seed cannot tell a difference of that size from noise"
    _, low, high = mean_interval(diffs, level)
    where = {"holds": "lies above zero", "contradicted": "lies below zero"}.get(verdict(low, high), "includes zero")
    return f"its {level:.0%} confidence interval over the {len(diffs)} seeds {where}"


def epoch_swing(curves: dict[str, list[float]], last: int, key: str = "test_loss") -> float:
    """Mean absolute change of ``curves[key]`` from one evaluation to the next over the last ``last`` of them."""
    values = np.asarray(curves[key][-(last + 1):])
    return float(np.abs(np.diff(values)).mean()) if len(values) > 1 else 0.0


def _over_seeds(results: Results, setting: Any, measure) -> float:
    return float(np.mean([measure(curves) for (s, _), curves in results.items() if s == setting]))


def sweep_facts(sweep: Results, rows: Sequence[dict[str, Any]], *, noise: float, last: int) -> dict[str, Any]:
    """Sections 1 and 2 and the closing notes: the flood-level sweep (``rows`` from
    :func:`kexue.flooding.summarize` with ``name="b"`` and baseline 0.0)."""
    by_b = {r["b"]: r for r in rows}
    flooded = [b for b in by_b if b > 0]
    if 0.0 not in by_b or not flooded:
        raise ValueError("the sweep needs b = 0 and at least one flood level b > 0")

    def mean(key: str, b: float) -> float:
        return by_b[b][key][0]

    plain_curve = np.mean([c["test_loss"] for (b, _), c in sweep.items() if b == 0.0], axis=0)
    top, best = max(flooded), best_level(rows)
    lowest = min(flooded, key=lambda b: mean("test loss (final)", b))
    worst = min(flooded, key=lambda b: mean("Δ test acc vs 0.0", b))
    descent = max(flooded, key=lambda b: mean("test loss drop after peak", b))
    rise = _over_seeds(sweep, descent, lambda c: rise_to_peak(c, last))
    drop = mean("test loss drop after peak", descent)
    swing = _over_seeds(sweep, descent, lambda c: epoch_swing(c, last))
    best_epoch, best_final = mean("test acc (best epoch)", 0.0), mean("test acc (final)", best)
    return {
        "clean": 1 - noise,
        "paper-b-low": B_GRID[0] + B_GRID[1],  # the paper's smallest flood level above zero
        "paper-b-high": B_GRID[2],
        "plain-train-loss": mean("train loss (final)", 0.0),
        "plain-train-acc": mean("train acc (final)", 0.0),
        "plain-memorised": memorised(mean("train acc (final)", 0.0), noise),
        "plain-test-loss": mean("test loss (final)", 0.0),
        "plain-test-loss-min": float(plain_curve.min()),
        "plain-test-acc": mean("test acc (final)", 0.0),
        "plain-test-acc-best": best_epoch,
        "top-level": f"b = {top:g}",
        "top-train-loss": mean("train loss (final)", top),
        "top-train-acc": mean("train acc (final)", top),
        "top-test-loss": mean("test loss (final)", top),
        "top-vs-plain": _word(mean("test loss (final)", top), mean("test loss (final)", 0.0),
                              "below", "above", "equal to"),
        "lowest-loss-level": f"b = {lowest:g}",
        "lowest-test-loss": mean("test loss (final)", lowest),
        "best-level": f"b = {best:g}",
        "best-delta": mean("Δ test acc vs 0.0", best),
        "best-delta-std": by_b[best]["Δ test acc vs 0.0"][1],
        "best-gain-verdict": gain_verdict(paired_differences(sweep, best, 0.0, last=last)),
        "best-in-paper-grid": "inside" if best <= B_GRID[2] else "outside",
        "worst-level": f"b = {worst:g}",
        "worst-delta": mean("Δ test acc vs 0.0", worst),
        "smallest-level": f"b = {min(flooded):g}",
        "smallest-delta": mean("Δ test acc vs 0.0", min(flooded)),
        "best-epoch": best_epoch,
        "best-flooded-final": best_final,
        "early-stop-gap": abs(best_epoch - best_final),
        "early-stop-word": _word(best_epoch, best_final, "falls short of", "beats", "equals"),
        "descent-level": f"b = {descent:g}",
        "descent-drop": drop,
        "descent-context": (f"after a rise of {rise:.3f} nats to its peak" if rise > 0 else
                            "but its test loss never rose before that: the peak is the first value, so this "
                            "fall is the ordinary first descent, not a second one"),
        "descent-swing": swing,
        "descent-vs-swing": _word(drop, swing, "smaller than", "larger than", "as large as"),
        "descent-test": tested_difference(seed_differences(sweep, descent, 0.0, lambda c: second_descent(c, last))),
        "lowest-loss-test": tested_difference([-d for d in seed_differences(
            sweep, lowest, 0.0, lambda c: final_value(c, "test_loss", last))]),
        "plain-descent-drop": mean("test loss drop after peak", 0.0),
    }


def relu_small_clause(rel_gap: float, larger_steps: Sequence[float]) -> str:
    """What the ReLU network's relative gap at the smallest step says: a collapse by orders of magnitude below
    every larger step means no unit switches any more (the loss is smooth there again)."""
    if larger_steps and rel_gap < min(larger_steps) / 100:
        return ("there the step is too small to switch any unit, the smooth behaviour returns, and this one point "
                "pulls the fitted slope up")
    if rel_gap > 1:
        return "the switching noise is still larger than the update itself"
    return "the switching noise is smaller than the update but has not vanished"


def expansion_facts(checks: dict[str, list[dict[str, float]]], slopes: dict[str, dict[str, float]],
                    max_eps: float = 0.1) -> dict[str, Any]:
    """Section 3: the fitted slopes of the expansion check (over eps <= ``max_eps``) and what they say."""
    gelu, double, relu = slopes[GELU_EQUAL], slopes[GELU_DOUBLE], slopes[RELU_EQUAL]
    second_order = abs(gelu["abs_gap"] - 3) < 0.3 and abs(gelu["update"] - 2) < 0.1
    relu_rows = sorted(checks[RELU_EQUAL], key=lambda r: r["eps"])
    smallest, others = relu_rows[0], relu_rows[1:]
    return {
        "gelu-gap": gelu["abs_gap"],
        "gelu-update": gelu["update"],
        "gelu-rel": gelu["rel_gap"],
        "gelu-verdict": ("exactly \"equal to second order, wrong at third\"" if second_order else
                         "not the \"equal to second order, wrong at third\" that the expansion predicts"),
        "double-update": double["update"],
        "double-rel": double["rel_gap"],
        "relu-gap": relu["abs_gap"],
        "relu-update": relu["update"],
        "relu-vs-update": _word(relu["abs_gap"], relu["update"], "more slowly than", "faster than", "as fast as"),
        "relu-small-eps": smallest["eps"],
        "relu-rel-small": smallest["rel_gap"],
        "relu-small-clause": relu_small_clause(smallest["rel_gap"], [r["rel_gap"] for r in others]),
        "relu-peak-rel": max(r["rel_gap"] for r in checks[RELU_EQUAL] if r["eps"] <= max_eps),
    }


def b_free_facts(b_free: Results, b_free_rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Section 4: how close descent-ascent runs to the penalty and to plain SGD (``b_free_rows`` from
    :func:`kexue.flooding.summarize` with ``name="method"`` and baseline "sgd")."""
    by_method = {r["method"]: r for r in b_free_rows}
    _, seeds = zip(*b_free)

    def gap(a: str, b: str) -> float:  # mean |difference| of the test-accuracy curves, over epochs and seeds
        return float(np.mean([curve_gap(b_free, a, b, s) for s in dict.fromkeys(seeds)]))

    def final(method: str, key: str) -> float:
        return by_method[method][key][0]

    to_penalty, to_sgd = gap("descent-ascent", "penalty"), gap("descent-ascent", "sgd")
    deltas = [final(m, "Δ test acc vs sgd") for m in ("descent-ascent", "penalty")]
    spikes = {m: _over_seeds(b_free, m, largest_jump) for m in ("descent-ascent", "penalty", "sgd")}
    best = [final(m, "test acc (best epoch)") for m in by_method]
    last = [final(m, "test acc (final)") for m in by_method]
    return {
        "b-free-to-penalty": to_penalty,
        "b-free-to-sgd": to_sgd,
        "b-free-closer": ("closer to the penalty run than to plain SGD, as the expansion predicts"
                          if to_penalty < to_sgd else
                          "no closer to the penalty run than to plain SGD, against the expansion's prediction"),
        "b-free-da-train-acc": final("descent-ascent", "train acc (final)"),
        "b-free-penalty-train-acc": final("penalty", "train acc (final)"),
        "b-free-sgd-train-acc": final("sgd", "train acc (final)"),
        "b-free-fit-word": _both(final("descent-ascent", "train acc (final)"), final("penalty", "train acc (final)"),
                                 final("sgd", "train acc (final)"), "less closely", "more closely",
                                 "neither consistently less nor more closely"),
        "b-free-da-delta": deltas[0],
        "b-free-penalty-delta": deltas[1],
        "b-free-acc-word": _both(*deltas, 0.0, "lower", "higher", "neither consistently lower nor higher"),
        "b-free-da-spike": spikes["descent-ascent"],
        "b-free-penalty-spike": spikes["penalty"],
        "b-free-sgd-spike": spikes["sgd"],
        "b-free-best-spread": max(best) - min(best),
        "b-free-final-spread": max(last) - min(last),
    }
