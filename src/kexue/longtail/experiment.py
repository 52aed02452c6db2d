"""The chapter's experiment on Fashion-MNIST-LT: ERM and logit-adjusted CNNs over seeds, a loss sweep of τ,
and what they give: per-class bars, the results table, τ curves, the claims table and the verdicts of the prose.

The article's numbers (:data:`ARTICLE`) are the paper's, kept here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Sequence

import numpy as np
import torch

from ..report import mean_interval, verdict
from .data import LongTailImages
from .metrics import class_groups, mean_per_class_accuracy, mean_std_by_key, run_scores, tau_curve
from .training import cnn_test_logits

# Balanced accuracy on CIFAR-10-LT (ρ = 100, ResNet-32), Menon et al. (ICLR 2021), as reported in the README of
# github.com/google-research/google-research/tree/master/logit_adjustment; the paper finds τ ≈ 1 best.
ARTICLE = {"erm": 0.714, "post-hoc": 0.773, "loss": 0.779, "best tau": "≈ 1"}

# The rows of the results table: (method, prediction rule) -> (which runs, trained_with, goal), τ = 1.
METHODS = {
    ("ERM", "argmax f"): ("erm", "erm", "plain"),
    ("ERM + post-hoc", "argmax f − τ log π"): ("erm", "erm", "balanced"),
    ("LA loss", "argmax f"): ("la", "logit_adjusted", "balanced"),
    ("LA loss", "argmax f + τ log π"): ("la", "logit_adjusted", "plain"),
}
ERM, POSTHOC, LOSS, LOSS_PLAIN = METHODS
POSTHOC_TAUS = [i / 10 for i in range(31)]  # the post-hoc grid 0..3, step 0.1


@dataclass
class FashionRuns:
    """Test logits of the CNNs of :func:`fashion_runs` and the tables and verdicts computed from them."""

    data: LongTailImages
    seeds: list[int]
    epochs: float
    width: int
    erm: list[torch.Tensor]  # per seed, trained with τ = 0
    la: list[torch.Tensor]  # per seed, trained with the logit-adjusted loss, τ = 1
    sweep: dict[float, list[torch.Tensor]] = field(default_factory=dict)  # loss τ -> [first seed's logits]

    @property
    def groups(self) -> dict[str, list[int]]:
        """Head / mid / tail classes of the training counts (:func:`class_groups`)."""
        return class_groups(self.data.counts)

    def _runs(self, which: str) -> list[torch.Tensor]:
        return {"erm": self.erm, "la": self.la}[which]

    def per_class(self) -> dict[str, np.ndarray]:
        """Mean per-class test accuracy of ERM, ERM + post-hoc and the LA loss (balanced rules, τ = 1)."""
        d = self.data
        return {name: mean_per_class_accuracy(self._runs(which), d.y_test, d.prior, trained_with=t, goal=goal)
                for name, (which, t, goal) in
                {"ERM": METHODS[ERM], "post-hoc": METHODS[POSTHOC], "LA loss": METHODS[LOSS]}.items()}

    @cached_property
    def per_seed(self) -> dict[tuple[str, str], list[dict[str, float]]]:
        """For each row of :data:`METHODS`, the scores of every seed (:func:`run_scores`, τ = 1)."""
        d = self.data
        return {key: run_scores(self._runs(which), d.y_test, d.prior, self.groups, trained_with=t, goal=goal,
                                tau=1.0)
                for key, (which, t, goal) in METHODS.items()}

    @cached_property
    def results(self) -> dict[tuple[str, str], dict[str, tuple[float, float]]]:
        """For each row of :data:`METHODS`, every metric as (mean, std) over the seeds."""
        return {key: mean_std_by_key(scores) for key, scores in self.per_seed.items()}

    @property
    def erm_scores(self) -> dict[str, tuple[float, float]]:
        """ERM's row of :attr:`results` (read with argmax f): the reference line of the τ figures."""
        return self.results[ERM]

    def rows(self) -> list[dict[str, Any]]:
        """The results table: method, prediction rule, then every metric as (mean, std)."""
        return [{"method (τ = 1)": m, "prediction": rule, **scores} for (m, rule), scores in self.results.items()]

    def la_sweep(self) -> dict[float, list[torch.Tensor]]:
        """Loss τ -> runs of the first seed: ERM at 0, the τ = 1 run, and the swept values."""
        return {0.0: self.erm[:1], 1.0: self.la[:1], **self.sweep}

    @cached_property
    def curves(self) -> dict[str, dict[str, np.ndarray]]:
        """Scores against τ (:func:`tau_curve`): post-hoc on every ERM seed, and the loss sweep (one seed)."""
        d, groups = self.data, self.groups
        return {
            "ERM + post-hoc τ": tau_curve({t: self.erm for t in POSTHOC_TAUS}, d.y_test, d.prior, groups,
                                          trained_with="erm"),
            "LA loss with τ (1 seed)": tau_curve(self.la_sweep(), d.y_test, d.prior, groups,
                                                 trained_with="logit_adjusted"),
        }

    def best_tau(self) -> dict[str, float]:
        """Per curve, the τ with the highest mean balanced accuracy."""
        return {name: curve["tau"][curve["balanced acc"].argmax()] for name, curve in self.curves.items()}

    def claims(self) -> list[dict[str, Any]]:
        """The "article says / we measured" rows."""
        res, best = self.results, self.best_tau()
        balanced = {key: res[key]["balanced acc"] for key in METHODS}
        a = ARTICLE
        return [
            {"claim": "balanced accuracy, ERM", "article": a["erm"], "ours": balanced[ERM]},
            {"claim": "balanced accuracy, ERM + post-hoc (τ = 1)", "article": a["post-hoc"],
             "ours": balanced[POSTHOC]},
            {"claim": "balanced accuracy, logit-adjusted loss (τ = 1)", "article": a["loss"], "ours": balanced[LOSS]},
            {"claim": "gain of post-hoc over ERM", "article": a["post-hoc"] - a["erm"],
             "ours": balanced[POSTHOC][0] - balanced[ERM][0]},
            {"claim": "gain of the loss over ERM", "article": a["loss"] - a["erm"],
             "ours": balanced[LOSS][0] - balanced[ERM][0]},
            {"claim": "loss minus post-hoc", "article": a["loss"] - a["post-hoc"],
             "ours": balanced[LOSS][0] - balanced[POSTHOC][0]},
            {"claim": "best post-hoc τ (grid 0..3, step 0.1)", "article": a["best tau"],
             "ours": f"{best['ERM + post-hoc τ']:g}"},
            {"claim": f"best loss τ of {sorted(self.la_sweep())} (1 seed)", "article": a["best tau"],
             "ours": f"{best['LA loss with τ (1 seed)']:g}"},
            {"claim": "tail-group accuracy, ERM", "article": "–", "ours": res[ERM]["tail acc"]},
            {"claim": "tail-group accuracy, logit-adjusted loss", "article": "–", "ours": res[LOSS]["tail acc"]},
            {"claim": "accuracy on the training distribution, ERM", "article": "–",
             "ours": res[ERM]["acc (train distribution)"]},
            {"claim": "the same, LA loss read with argmax f + τ log π", "article": "–",
             "ours": res[LOSS_PLAIN]["acc (train distribution)"]},
        ]

    def setting(self, profile: str, device: Any) -> str:
        """What the claims were measured with: profile, network, data, epochs, device, seeds."""
        d = self.data
        size = d.x_train.shape[-1]
        return (f"{profile} profile, small CNN (width {self.width}) on {size}x{size} Fashion-MNIST-LT "
                f"(ρ = {d.config['rho']:g}), {len(d.y_train):,} training / {len(d.y_test):,} balanced test images, "
                f"{self.epochs} epochs, Adam, {device}, seeds {self.seeds} (mean ± std); "
                "article: CIFAR-10-LT (ρ = 100), ResNet-32")

    def difference(self, a: tuple[str, str], b: tuple[str, str], metric: str = "balanced acc") -> dict[str, Any]:
        """Row ``a`` minus row ``b`` of :data:`METHODS` on ``metric``, paired by seed: mean, confidence interval
        (:func:`kexue.report.mean_interval`) and :func:`kexue.report.verdict` on "a > b"."""
        diffs = [x[metric] - y[metric] for x, y in zip(self.per_seed[a], self.per_seed[b])]
        mean, low, high = mean_interval(diffs)
        return {"mean": mean, "low": low, "high": high, "verdict": verdict(low, high)}

    def findings(self, class_names: Sequence[str]) -> dict[str, Any]:
        """The numbers and words the chapter's prose shows (glued under ``logit-<key>``)."""
        res, best = self.results, self.best_tau()
        posthoc, loss = self.difference(POSTHOC, ERM), self.difference(LOSS, ERM)
        edge = self.difference(LOSS, POSTHOC)
        plain = self.difference(LOSS_PLAIN, ERM, "acc (train distribution)")
        change = {g: res[LOSS][f"{g} acc"][0] - res[ERM][f"{g} acc"][0] for g in ("head", "mid", "tail")}
        per_class = self.per_class()
        gain = per_class["LA loss"] - per_class["ERM"]
        top = int(np.argmax(gain))
        skewed = {key: res[key]["acc (train distribution)"][0] for key in (ERM, POSTHOC, LOSS)}
        return {
            "article-posthoc-gain": ARTICLE["post-hoc"] - ARTICLE["erm"],
            "article-loss-gain": ARTICLE["loss"] - ARTICLE["erm"],
            "article-edge": ARTICLE["loss"] - ARTICLE["post-hoc"],
            "posthoc-gain": posthoc["mean"], "posthoc-verdict": claim_phrase(posthoc["verdict"]),
            "loss-gain": loss["mean"], "loss-verdict": claim_phrase(loss["verdict"]),
            "edge": edge["mean"], "edge-comparison": comparison_phrase(edge["verdict"]),
            "best-posthoc-tau": float(best["ERM + post-hoc τ"]),
            "best-loss-tau": float(best["LA loss with τ (1 seed)"]),
            **{f"{g}-change": value for g, value in change.items()},
            "trade": "is what we see" if change["head"] < 0 < change["tail"] else "is not what we see",
            "top-class": class_names[top], "top-gain": float(gain[top]),
            "erm-skewed": skewed[ERM], "posthoc-skewed": skewed[POSTHOC], "loss-skewed": skewed[LOSS],
            "skewed-verdict": ("both below ERM, as expected" if max(skewed[POSTHOC], skewed[LOSS]) < skewed[ERM]
                               else "not both below ERM, against that expectation"),
            "plain-skewed": res[LOSS_PLAIN]["acc (train distribution)"][0],
            "plain-comparison": comparison_phrase(plain["verdict"]),
        }


def claim_phrase(outcome: str) -> str:
    """A :func:`kexue.report.verdict` outcome as the end of "the claim ...": holds / is contradicted / ..."""
    return {"holds": "holds", "contradicted": "is contradicted"}.get(outcome, f"is {outcome}")


def comparison_phrase(outcome: str) -> str:
    """A :func:`kexue.report.verdict` outcome on "a > b" as the word between a and b: above / below / ..."""
    return {"holds": "above", "contradicted": "below"}.get(outcome, "not distinguishable at this budget from")


def fashion_runs(
    data: LongTailImages, *, seeds: Sequence[int], sweep_taus: Sequence[float] = (), epochs: float = 10,
    width: int = 32, progress: bool = True,
) -> FashionRuns:
    """Train (or load from the cache) :func:`cnn_test_logits` for every seed with ERM (τ = 0) and with the
    logit-adjusted loss (τ = 1), and with each τ of ``sweep_taus`` for the first seed."""
    seeds = list(seeds)
    train_args = dict(epochs=epochs, width=width, progress=progress)
    erm = [cnn_test_logits(data, tau=0.0, seed=s, **train_args) for s in seeds]
    la = [cnn_test_logits(data, tau=1.0, seed=s, **train_args) for s in seeds]
    sweep = {t: [cnn_test_logits(data, tau=t, seed=seeds[0], **train_args)] for t in sweep_taus}
    return FashionRuns(data, seeds, epochs, width, erm, la, sweep)
