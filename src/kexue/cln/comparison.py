"""The chapter's comparison: one conditional and one shared model, same data, steps and seed, and its tables.

:func:`compare` runs both (each through the cached :func:`~kexue.cln.matching_run`); the
:class:`MatchingComparison` it returns knows the three readings of the test pairs, the result table
(:meth:`~MatchingComparison.rows`), the "article says / we measured" rows (:meth:`~MatchingComparison.claims`)
and the numbers and words of the chapter's prose (:meth:`~MatchingComparison.facts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Sequence

import torch

from ..data.matching import SAME_ARTICLE, TASKS, load_matching
from ..report import difference_cell, paired_bootstrap, verdict
from ..train import History
from .baselines import baseline_answers, system_scores, zero_shot_cosines
from .experiment import CONDITIONAL, SHARED, WRONG, MatchingConfig, MatchingResult, matching_run
from .facts import comparison_facts
from .shifts import shift_facts

# Su, kexue.fm/archives/8337 and bojone/sohu2021-baseline: the offline score of the conditional baseline, and
# its training recipe (Adam with an EMA of the weights, batch 16, 5 epochs).
ARTICLE = {"F1 mean": 0.74, "epochs": 5, "batch_size": 16, "lr": 2e-5, "ema": 0.9999}
COLUMNS = ["model", *TASKS, "F1 A", "F1 B", "F1 mean", "conflict acc A", "conflict acc B", "conflict acc mean"]
REFERENCE = 'always "match" (reference)'
BASELINE_COLUMNS = ["model", "acc A", "acc B", "AUC A", "AUC B", "F1 mean", "conflict acc mean"]
Answers = dict[str, tuple[torch.Tensor, torch.Tensor | None]]  # system -> (predictions, match score or None)


def _sci(x: float) -> str:
    """2e-05 -> '2e-5' (how the article writes a learning rate)."""
    mantissa, _, exponent = f"{x:g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa


@dataclass
class MatchingComparison:
    """A conditional and a shared run of the same :class:`~kexue.cln.MatchingConfig` (but ``conditional``)."""

    conditional: MatchingResult
    shared: MatchingResult
    baselines: Answers = field(default_factory=dict)  # from kexue.cln.baselines.baseline_answers, same test pairs

    @property
    def config(self) -> MatchingConfig:
        return self.conditional.config

    def results(self) -> dict[str, MatchingResult]:
        return {"conditional": self.conditional, "shared": self.shared}

    def histories(self) -> dict[str, History]:
        """The dev-set histories, for :func:`kexue.viz.cln.training_curves`."""
        return {name: result.history for name, result in self.results().items()}

    def readings(self) -> dict[str, dict[str, float]]:
        """Test scores of the three readings: conditional, conditional with the wrong task id, shared."""
        return {**self.conditional.readings(), **self.shared.readings()}

    def always_match(self) -> dict[str, float]:
        """The scores of answering "match" to every test pair (the same pairs for both models)."""
        return self.shared.always_match()

    def rows(self) -> list[dict[str, object]]:
        """The result table (columns :data:`COLUMNS`): the three readings and the always-"match" reference."""
        return self.conditional.rows() + self.shared.rows() + [{"model": REFERENCE, **self.always_match()}]

    def baseline_scores(self) -> dict[str, dict[str, float]]:
        """:func:`~kexue.cln.baselines.system_scores` of each baseline on the test pairs of the trained runs."""
        r = self.conditional
        return {name: system_scores(pred, r.labels, r.tasks, r.relations, score)
                for name, (pred, score) in self.baselines.items()}

    def baseline_rows(self) -> list[dict[str, object]]:
        """The trained models beside the baselines (columns :data:`BASELINE_COLUMNS`) on the same test pairs."""
        trained = [{"model": name, **scores} for name, scores in self.readings().items() if name != WRONG]
        return trained + [{"model": name, **scores} for name, scores in self.baseline_scores().items()]

    @cached_property
    def tests(self) -> dict[str, tuple[str, tuple[float, float, float]]]:
        """:func:`difference_tests` of this comparison alone (one seed: the intervals cover the test pairs),
        computed once: the table, the claims and the prose all read it."""
        return difference_tests([self])

    def differences(self) -> list[dict[str, object]]:
        """Claims rows of :attr:`tests`: the difference, its interval and the verdict computed from it."""
        return difference_rows(self.tests)

    def baseline_facts(self) -> dict[str, str]:
        """The prose's words for :attr:`tests`: "beats the best baseline, the zero-shot cosine (+0.041 [...])"."""
        verbs = {"holds": "beats", "contradicted": "falls below"}
        facts = {}
        for key, (best, interval) in self.tests.items():
            cell = difference_cell(*interval)
            if key == "conflict":
                facts["cln-vs-shared"] = cell
                continue
            verb = verbs.get(verdict(*interval[1:]), "is not distinguishable from")
            facts[f"cln-vs-baseline-{key.lower()}"] = f"{verb} the best baseline, the {best} ({cell})"
        return facts

    def claims(self, start_gaps: list[float], record: dict | None = None) -> list[dict[str, object]]:
        """The "article says / we measured" rows; ``start_gaps`` from :func:`~kexue.cln.start_gaps`; with a
        ``record`` (``results/cln.json``, :mod:`kexue.records`), its differences over seeds too."""
        r = self.readings()
        c, w, s = r[CONDITIONAL], r[WRONG], r[SHARED]
        return [
            {"claim": "one conditional model for all six subtasks: mean of F1 A and F1 B",
             "article": f"≈ {ARTICLE['F1 mean']:.2f} (offline)", "ours": c["F1 mean"]},
            {"claim": "the same without the condition (one shared model)", "article": "–", "ours": s["F1 mean"]},
            {"claim": "conditional model read with the wrong task id", "article": "–", "ours": w["F1 mean"]},
            {"claim": "conflict pairs, mean accuracy over A and B: conditional / wrong task id / shared",
             "article": "–",
             "ours": f"{c['conflict acc mean']:.3f} / {w['conflict acc mean']:.3f} / {s['conflict acc mean']:.3f}"},
            {"claim": "conflict pairs, criterion B accuracy: conditional / shared", "article": "–",
             "ours": f"{c['conflict acc B']:.3f} / {s['conflict acc B']:.3f}"},
            {"claim": "zero-initialised W: the converted model equals the pretrained one", "article": "exactly",
             "ours": f"max |difference| {max(start_gaps):.1e}"},
        ] + (self.differences() if self.baselines else []) + (recorded_rows(record) if record else [])

    def setting(self, profile: str, device: str | torch.device) -> str:
        """What the claims were measured with (profile, model, data, steps, rates, device, seed) and the article's
        recipe."""
        cfg = self.config
        return (f"{profile} profile, {cfg.model} (first {cfg.layers} layers), People's Daily matching analogue: "
                f"{len(TASKS) * cfg.n_train_per_task:,} training / "
                f"{len(TASKS) * cfg.n_test_per_task:,} test pairs, "
                f"max length {cfg.max_length}, {cfg.steps} steps of batch {cfg.batch_size}, Adam lr {cfg.lr:g} "
                f"(classifier {cfg.head_lr:g}, condition {cfg.cond_lr:g}), {device}, seed {cfg.seed}; "
                f"article: the Sohu 2021 data, {ARTICLE['epochs']} epochs of batch {ARTICLE['batch_size']}, "
                f"Adam lr {_sci(ARTICLE['lr'])} with EMA {ARTICLE['ema']:g}")

    def facts(self) -> dict[str, object]:
        """Every number and verdict the chapter's prose glues (keys ``cln-...``): the readings' scores and words
        (:func:`~kexue.cln.facts.comparison_facts`), the shifts (:func:`~kexue.cln.shift_facts`), the amount of
        training and the article's score."""
        r, cfg = self.readings(), self.config
        n_train = len(TASKS) * cfg.n_train_per_task
        return {
            **comparison_facts(r[CONDITIONAL], r[WRONG], r[SHARED], self.always_match()),
            **shift_facts(self.conditional.shifts, self.conditional.norm_names),
            "cln-steps": cfg.steps,
            "cln-batch-size": cfg.batch_size,
            "cln-layers": cfg.layers,
            "cln-max-length": cfg.max_length,
            "cln-n-train": f"{n_train:,}",
            "cln-passes": cfg.steps * cfg.batch_size / n_train,
            "cln-article-f1": ARTICLE["F1 mean"],
            **(self.baseline_facts() if self.baselines else {}),
        }


def difference_tests(comparisons: Sequence[MatchingComparison]) -> dict[str, tuple[str, tuple[float, float, float]]]:
    """The compared differences of accuracy, each (what it is compared with, (difference, low, high)), with a
    paired-bootstrap 95% interval over seeds (one comparison per seed, same test pairs) and test pairs: keys "A"
    and "B", the conditional model minus the best baseline on that criterion (best by its accuracy there);
    "conflict", the conditional minus the shared model on the conflict pairs (the comparison the condition is
    for)."""
    first = comparisons[0]
    labels, tasks = first.conditional.labels, first.conditional.tasks
    if any(not torch.equal(c.conditional.labels, labels) for c in comparisons):
        raise ValueError("the comparisons must share their test pairs (same sizes and data_seed)")

    def correct(pred: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        return (pred == labels).float()[keep]

    def per_seed(get, keep: torch.Tensor) -> torch.Tensor:
        return torch.stack([correct(get(c), keep) for c in comparisons])

    out = {}
    for name, part in (("A", tasks < 3), ("B", tasks >= 3)):
        best = max(first.baselines, key=lambda b: correct(first.baselines[b][0], part).mean().item())
        out[name] = (best, paired_bootstrap(per_seed(lambda c: c.conditional.pred, part),
                                            per_seed(lambda c: c.baselines[best][0], part)))
    conflict = torch.tensor([r == SAME_ARTICLE for r in first.conditional.relations])
    out["conflict"] = ("shared", paired_bootstrap(per_seed(lambda c: c.conditional.pred, conflict),
                                                  per_seed(lambda c: c.shared.pred, conflict)))
    return out


def difference_rows(tests: dict[str, tuple[str, tuple[float, float, float]]]) -> list[dict[str, object]]:
    """Claims rows of :func:`difference_tests`: the difference, its interval and the verdict computed from it."""
    rows = [{"claim": f"accuracy on {c}: conditional model minus the best baseline ({tests[c][0]})",
             "article": "–", "ours": difference_cell(*tests[c][1])} for c in ("A", "B")]
    rows.append({"claim": "accuracy on the conflict pairs: conditional minus shared", "article": "–",
                 "ours": difference_cell(*tests["conflict"][1])})
    return rows


def recorded_rows(record: dict) -> list[dict[str, object]]:
    """The differences of a record over seeds as claims rows, each claim marked with the seeds."""
    seeds = ", ".join(map(str, record["seeds"]))
    return [{**row, "claim": f"{row['claim']} (recorded run, seeds {seeds})"}
            for row in record["numbers"]["differences"]]


def compare(config: MatchingConfig, *, device: str | torch.device | None = None,
            progress: bool = True) -> MatchingComparison:
    """Run ``config`` conditional and then shared (``config.conditional`` is ignored), each run cached, and the
    baselines on the same test pairs (the zero-shot cosines cached too)."""
    runs = [matching_run(replace(config, conditional=flag), device=device, progress=progress) for flag in (True, False)]
    splits = {split: load_matching(split, n, seed=config.data_seed) for split, n in
              (("train", config.n_train_per_task), ("dev", config.n_dev_per_task), ("test", config.n_test_per_task))}
    cosines = zero_shot_cosines(config.model, config.n_dev_per_task, config.n_test_per_task,
                                max_length=config.max_length, data_seed=config.data_seed, device=device)
    baselines = baseline_answers(splits["train"], splits["dev"], splits["test"], cosines)
    return MatchingComparison(*runs, baselines=baselines)
