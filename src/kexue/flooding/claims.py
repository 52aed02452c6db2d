"""The chapter's "article says / we measured" table: the paper's and Su's claims, written once here, next to
what the runs measured.

Sources: Ishida et al., "Do We Need Zero Training Loss After Achieving Zero Training Error?", ICML 2020
(flood level b chosen from {0.00, 0.01, ..., 0.10} on validation data), and Su Jianlin, kexue.fm/archives/7643
(the descent-ascent expansion and the b-free variant).
"""

from __future__ import annotations

from typing import Any, Sequence

from ..report import format_value
from .expansion import GELU_EQUAL, RELU_EQUAL

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


def claims(rows: Sequence[dict[str, Any]], b_free_rows: Sequence[dict[str, Any]],
           slopes: dict[str, dict[str, float]]) -> list[dict[str, str]]:
    """Rows (claim, article, ours) from the sweep's rows (:func:`kexue.flooding.summarize` with
    ``name="b"``, baseline 0.0), the b-free rows (``name="method"``) and the expansion slopes."""
    by_b = {r["b"]: r for r in rows}
    levels = list(by_b)
    flooded = [b for b in levels if b > 0]
    best = best_level(rows)
    gelu, relu = slopes[GELU_EQUAL], slopes[RELU_EQUAL]
    by_method = {r["method"]: r for r in b_free_rows}

    def each(key: str, chosen: Sequence[float]) -> str:
        return "; ".join(f"b = {b:g}: {_pm(by_b[b][key])}" for b in chosen)

    return [
        {"claim": "without flooding the training loss goes to ~0", "article": ARTICLE["zero_loss"],
         "ours": f"b = 0: final training loss {_pm(by_b[0.0]['train loss (final)'], 4)}"},
        {"claim": "with flooding the training loss floats around b", "article": ARTICLE["floats"],
         "ours": each("train loss (final)", flooded)},
        {"claim": "flooding keeps the test loss from climbing", "article": ARTICLE["test_loss"],
         "ours": "final test loss " + each("test loss (final)", levels)},
        {"claim": "the test loss descends a second time", "article": ARTICLE["second_descent"],
         "ours": "fall after the peak " + each("test loss drop after peak", levels)},
        {"claim": "flooding improves test accuracy", "article": ARTICLE["accuracy"],
         "ours": f"best b = {best:g}: {_pm(by_b[best]['Δ test acc vs 0.0'])} over b = 0 (paired; chosen on test); "
                 f"best epoch of any run {_pm(by_b[0.0]['test acc (best epoch)'])}"},
        {"claim": "descent + ascent (ε) = step of ε²/2 on ‖∇L‖², up to higher order",
         "article": ARTICLE["expansion"],
         "ours": f"GELU MLP: gap ∝ ε^{gelu['abs_gap']:.2f}, update ∝ ε^{gelu['update']:.2f}; "
                 f"ReLU MLP: gap ∝ ε^{relu['abs_gap']:.2f}"},
        {"claim": "alternating ε1 > ε2 = step on L + ε1ε2/(2(ε1−ε2))‖∇L‖²", "article": ARTICLE["b_free"],
         "ours": f"final test acc descent-ascent {_pm(by_method['descent-ascent']['test acc (final)'])}, "
                 f"penalty {_pm(by_method['penalty']['test acc (final)'])}, "
                 f"SGD {_pm(by_method['sgd']['test acc (final)'])}"},
    ]


def claims_setting(run: Any) -> str:
    """The "measured with" line under the claims table, from the chapter's :class:`kexue.runtime.Run`."""
    return (
        f"{run.profile} profile; MLP 784-{run.hidden}-{run.hidden}-10; Fashion-MNIST, {run.n_train} training images "
        f"with {run.noise:.0%} symmetric label noise, {run.n_test} test images; {run.epochs} epochs, batch 100; "
        f"flooding with Adam 1e-3, b-free with plain steps (ε1 = {run.eps1}, ε2 = {run.eps2}); seeds {run.seeds} "
        f"(b-free {run.b_free_seeds}); 'final' = mean of the last {run.last} epochs; device {run.device}")
