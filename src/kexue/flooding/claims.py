"""The chapter's "article says / we measured" table: the paper's and Su's claims, written once here, next to
what the runs measured.

Sources: Ishida et al., "Do We Need Zero Training Loss After Achieving Zero Training Error?", ICML 2020
(flood level b chosen from {0.00, 0.01, ..., 0.10} on validation data), and Su Jianlin, kexue.fm/archives/7643
(the descent-ascent expansion and the b-free variant).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..report import difference_cell, format_value, mean_interval, mean_std
from .expansion import GELU_EQUAL, RELU_EQUAL
from .summary import Results, curve_gap, final_value, second_descent, seed_differences, settings_and_seeds

# the paper's grid of flood levels: first value, step, last value (Ishida et al. 2020, section 4)
B_GRID = (0.00, 0.01, 0.10)

ARTICLE = {
    "zero_loss": "training loss → 0 after zero training error",
    "floats": "loss stays near b",
    "test_loss": "lower test loss than without flooding",
    "second_descent": "test loss falls again after its rise (second descent)",
    "accuracy": (f"modest gains; b chosen from {{{B_GRID[0]:.2f}, {B_GRID[0] + B_GRID[1]:.2f}, …, "
                 f"{B_GRID[2]:.2f}}} on validation data"),
    "expansion": "equal to second order",
    "b_free": "same dynamics as the penalty",
}


def _pm(stat: tuple[float, float], digits: int = 3) -> str:
    return format_value(stat, digits)  # "mean ± std", as in every table of the book


def best_level(rows: Sequence[dict[str, Any]]) -> float:
    """The flood level b > 0 with the highest mean final test accuracy (chosen on the test set: it flatters)."""
    flooded = [r for r in rows if r["b"] > 0]
    if not flooded:
        raise ValueError("the sweep has no flood level b > 0 to pick from")
    return max(flooded, key=lambda r: r["test acc (final)"][0])["b"]


def tested_difference(diffs: Sequence[float]) -> str:
    """A paired difference over seeds as a claims cell: its mean, 95% Student-t interval and the verdict
    (:func:`kexue.report.difference_cell`); with one seed the interval is unbounded and the verdict undetermined."""
    return difference_cell(*mean_interval(diffs))


def claims(sweep: Results, b_free: Results, slopes: dict[str, dict[str, float]], *,
           last: int) -> list[dict[str, str]]:
    """Rows (claim, article, ours) from the sweep (flood level b, seed) -> curves, the b-free comparison
    (method, seed) -> curves, and the expansion slopes; "final" = mean of the last ``last`` epochs. Every
    compared claim is a paired difference over seeds with its 95% interval and verdict (:func:`tested_difference`)."""
    levels, _ = settings_and_seeds(sweep)
    if 0.0 not in levels:
        raise ValueError("the sweep needs b = 0, the baseline of every comparison")
    flooded = [b for b in levels if b > 0]
    gelu, relu = slopes[GELU_EQUAL], slopes[RELU_EQUAL]

    def final(key: str) -> Callable[[dict], float]:
        return lambda curves: final_value(curves, key, last)

    def mean_final(b: float, key: str) -> tuple[float, float]:
        return mean_std([final(key)(c) for (level, _), c in sweep.items() if level == b])

    def each(measure: Callable[[dict], float], sign: float = 1.0) -> str:
        return "; ".join(f"b = {b:g}: " + tested_difference([sign * d for d in seed_differences(sweep, b, 0.0, measure)])
                         for b in flooded)

    _, seeds = settings_and_seeds(b_free)
    closer = [curve_gap(b_free, "descent-ascent", "sgd", s) - curve_gap(b_free, "descent-ascent", "penalty", s)
              for s in seeds]
    return [
        {"claim": "without flooding the training loss goes to ~0", "article": ARTICLE["zero_loss"],
         "ours": f"b = 0: final training loss {_pm(mean_final(0.0, 'train_loss'), 4)}"},
        {"claim": "with flooding the training loss floats around b", "article": ARTICLE["floats"],
         "ours": "; ".join(f"b = {b:g}: {_pm(mean_final(b, 'train_loss'))}" for b in flooded)},
        {"claim": "flooding lowers the final test loss (b = 0 minus b)", "article": ARTICLE["test_loss"],
         "ours": each(final("test_loss"), sign=-1.0)},
        {"claim": "the test loss falls again after its peak (fall after the peak, b minus b = 0)",
         "article": ARTICLE["second_descent"], "ours": each(lambda c: second_descent(c, last))},
        {"claim": "flooding improves the final test accuracy (b minus b = 0)", "article": ARTICLE["accuracy"],
         "ours": each(final("test_acc"))},
        {"claim": "descent + ascent (ε) = step of ε²/2 on ‖∇L‖², up to higher order",
         "article": ARTICLE["expansion"],
         "ours": f"GELU MLP: gap ∝ ε^{gelu['abs_gap']:.2f}, update ∝ ε^{gelu['update']:.2f}; "
                 f"ReLU MLP: gap ∝ ε^{relu['abs_gap']:.2f}"},
        {"claim": "alternating ε1 > ε2 = step on L + ε1ε2/(2(ε1−ε2))‖∇L‖²: descent-ascent runs closer to the "
                  "penalty than to SGD (test-accuracy curve gap to SGD minus gap to the penalty)",
         "article": ARTICLE["b_free"], "ours": tested_difference(closer)},
    ]


def claims_setting(run: Any) -> str:
    """The "measured with" line under the claims table, from the chapter's :class:`kexue.runtime.Run`."""
    return (
        f"{run.profile} profile; MLP 784-{run.hidden}-{run.hidden}-10; Fashion-MNIST, {run.n_train} training images "
        f"with {run.noise:.0%} symmetric label noise, {run.n_test} test images; {run.epochs} epochs, batch 100; "
        f"flooding with Adam 1e-3, b-free with plain steps (ε1 = {run.eps1}, ε2 = {run.eps2}); seeds {run.seeds} "
        f"(b-free {run.b_free_seeds}); 'final' = mean of the last {run.last} epochs; device {run.device}")
