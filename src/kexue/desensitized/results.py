"""The runs' results as objects that know their tables: :class:`TrainingRuns` and :class:`ZeroShotRuns`.

Both are read-only mappings (``runs[key]``, ``.items()``) over what the cache stores, so figures and scripts that
index the raw results keep working; their methods give the chapter's tables and the numbers its claims and prose
are built from. A statistic over several seeds is ``(mean, std)`` (:func:`kexue.report.mean_std`), over one seed
the value itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from ..report import mean_interval, mean_std
from .model import INIT_LABELS

#: the starts that see only the cipher (no true characters)
CIPHERED = ("random-init", "random-map", "rank-align")


def _stat(values: Sequence[float]) -> float | tuple[float, float]:
    """(mean, std) over several values, the value itself for one."""
    return mean_std(values) if len(values) > 1 else values[0]


def _mean(values: Sequence[float]) -> float:
    stat = _stat(values)
    return stat[0] if isinstance(stat, tuple) else stat


@dataclass(frozen=True, eq=False)
class TrainingRuns(Mapping):
    """``runs[(init, unlabelled, seed)]``: one :func:`experiment` result (``steps``, ``auc``, ``loss``, ``seconds``);
    every run has the same evaluation steps."""

    runs: dict[tuple[str, bool, int], dict[str, Any]]

    def __getitem__(self, key: tuple[str, bool, int]) -> dict[str, Any]:
        return self.runs[key]

    def __iter__(self) -> Iterator[tuple[str, bool, int]]:
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)

    @property
    def steps(self) -> list[int]:
        """The evaluation steps (step 0 first)."""
        if not self.runs:
            raise ValueError("no runs")
        return list(next(iter(self.runs.values()))["steps"])

    @property
    def middle(self) -> int:
        """Index of the evaluation halfway through training (``len(steps) // 2``)."""
        return len(self.steps) // 2

    def groups(self) -> list[tuple[str, bool]]:
        """The (init, unlabelled) conditions, in the order they were run."""
        return list(dict.fromkeys((i, u) for i, u, _ in self.runs))

    def seeds(self, init: str, unlabelled: bool = True) -> list[int]:
        """The seeds run for one condition."""
        return [s for i, u, s in self.runs if (i, u) == (init, unlabelled)]

    def auc(self, init: str, unlabelled: bool = True, seed: int = 0, index: int = -1) -> float:
        """One run's AUC at evaluation ``index`` (default: the last)."""
        return self.runs[(init, unlabelled, seed)]["auc"][index]

    def auc_at(self, init: str, unlabelled: bool, index: int) -> float | tuple[float, float]:
        """The AUC at evaluation ``index`` over the condition's seeds."""
        return _stat([r["auc"][index] for (i, u, _), r in self.runs.items() if i == init and u == unlabelled])

    def minutes(self, init: str, unlabelled: bool) -> float:
        """Training minutes of the condition, all seeds together."""
        return sum(r["seconds"] for (i, u, _), r in self.runs.items() if (i, u) == (init, unlabelled)) / 60

    def rows(self, baseline: float | None = None) -> list[dict[str, Any]]:
        """The results table: per condition the seeds, the AUC halfway and at the end, the minutes; a last row
        with the id-overlap ``baseline`` when given."""
        steps, middle = self.steps, self.middle
        rows = [{"start": INIT_LABELS[i], "unlabelled texts": "yes" if u else "no", "seeds": len(self.seeds(i, u)),
                 f"AUC at step {steps[middle]}": self.auc_at(i, u, middle),
                 f"AUC at step {steps[-1]}": self.auc_at(i, u, -1), "minutes": self.minutes(i, u)}
                for i, u in self.groups()]
        if baseline is not None:
            rows.append({"start": "id-overlap baseline (no model)", f"AUC at step {steps[-1]}": baseline})
        return rows

    def gaps(self, a: str, b: str, index: int, unlabelled: bool = True) -> list[float]:
        """AUC of start ``a`` minus start ``b`` at evaluation ``index``, per seed that both ran."""
        return [self.auc(a, unlabelled, s, index) - self.auc(b, unlabelled, s, index)
                for s in self.seeds(a, unlabelled) if (b, unlabelled, s) in self.runs]

    def wins(self, a: str, b: str, unlabelled: bool = True) -> tuple[int, int]:
        """(how often ``a`` is above ``b``, comparisons): over the seeds both ran and every evaluation after step 0."""
        pairs = [(self.auc(a, unlabelled, s, i), self.auc(b, unlabelled, s, i))
                 for s in self.seeds(a, unlabelled) if (b, unlabelled, s) in self.runs
                 for i in range(1, len(self.steps))]
        return sum(x > y for x, y in pairs), len(pairs)

    def unlabelled_wins(self, init: str = "rank-align", seed: int = 0) -> tuple[int, int]:
        """(evaluations after step 0 where the run with the unlabelled texts is above the run without, evaluations)."""
        with_, without = self.runs[(init, True, seed)]["auc"][1:], self.runs[(init, False, seed)]["auc"][1:]
        return sum(a > b for a, b in zip(with_, without)), len(self.steps) - 1

    def best_final(self) -> float:
        """The highest final AUC of any run."""
        return max(r["auc"][-1] for r in self.runs.values())


@dataclass(frozen=True, eq=False)
class ZeroShotRuns(Mapping):
    """``runs[(init, seed)]``: the zero-shot AUC at every depth (index 0: embeddings, k: after layer k)."""

    runs: dict[tuple[str, int], list[float]]

    def __getitem__(self, key: tuple[str, int]) -> list[float]:
        return self.runs[key]

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)

    @property
    def layers(self) -> int:
        """The number of transformer layers read (depths 0..layers)."""
        return len(next(iter(self.runs.values()))) - 1

    def inits(self) -> list[str]:
        """The starts, in the order they were run."""
        return list(dict.fromkeys(i for i, _ in self.runs))

    def values_at(self, init: str, depth: int) -> list[float]:
        """The AUC of every seed of ``init`` at ``depth``."""
        return [aucs[depth] for (i, _), aucs in self.runs.items() if i == init]

    def auc_at(self, init: str, depth: int) -> float | tuple[float, float]:
        """The AUC at ``depth`` over the seeds of ``init``."""
        return _stat(self.values_at(init, depth))

    def mean_at(self, init: str, depth: int) -> float:
        """The mean AUC at ``depth`` over the seeds of ``init``."""
        return _mean(self.values_at(init, depth))

    def rows(self, train_layers: int) -> list[dict[str, Any]]:
        """The zero-shot table: per start the seeds and the AUC at the embeddings, after ``train_layers`` (the
        training runs' depth) and after the last layer."""
        return [{"start": INIT_LABELS[i], "seeds": len(self.values_at(i, 0)),
                 "AUC, embeddings only": self.auc_at(i, 0),
                 f"after layer {train_layers} (the training runs' depth)": self.auc_at(i, train_layers),
                 f"after layer {self.layers}": self.auc_at(i, -1)}
                for i in self.inits()]

    def beats(self, init: str = "rank-align", other: str = "random-map", *, seed: int = 0,
              depth: int = -1) -> tuple[int, int]:
        """(seeds of ``other`` that run ``(init, seed)`` beats at ``depth``, seeds of ``other``)."""
        others = self.values_at(other, depth)
        return sum(self.runs[(init, seed)][depth] > m for m in others), len(others)

    def depths_above(self, init: str = "rank-align", other: str = "random-map") -> tuple[int, int]:
        """(depths where the mean of ``init`` is above the mean of ``other``, depths)."""
        depths = range(self.layers + 1)
        return sum(self.mean_at(init, d) > self.mean_at(other, d) for d in depths), len(depths)

    def gap_interval(self, init: str = "rank-align", other: str = "random-map", *, seed: int = 0,
                     depth: int = -1) -> tuple[float, float, float]:
        """(mean, low, high) of AUC(``init``, ``seed``) − AUC(``other``, s) over the seeds s of ``other`` at
        ``depth``, a Student-t 95% interval (:func:`kexue.report.mean_interval`): it covers the spread of the random maps, not
        the choice of held-out pairs."""
        return mean_interval([self.runs[(init, seed)][depth] - m for m in self.values_at(other, depth)])

    def closed_share(self, depth: int = -1) -> float:
        """The share of the gap from the random maps' mean to the true characters that the rank alignment
        closes at ``depth``: (rank - maps) / (true - maps)."""
        maps = self.mean_at("random-map", depth)
        return (self.runs[("rank-align", 0)][depth] - maps) / (self.runs[("plaintext", 0)][depth] - maps)

    def spread(self, depth: int, inits: Sequence[str] = CIPHERED) -> float:
        """Highest minus lowest mean AUC at ``depth`` among ``inits`` (default: the ciphered starts)."""
        means = [self.mean_at(i, depth) for i in inits if self.values_at(i, depth)]
        return max(means) - min(means)
