"""One experiment: train a pair classifier (conditional or not) on all six subtasks and score its test pairs.

:class:`MatchingConfig` holds every setting that changes the result; :func:`matching_run` is the one cached run
(cache name ``"cln-matching"``, keyed by every field of the config); :class:`MatchingResult` keeps the predictions and
knows its scores and its rows of the result table.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Sequence

import torch
from torch import nn

from ..artifacts import cached_run
from ..data.matching import MatchPair, load_matching
from ..layers import keep_first_layers
from ..models import Encoder, load_encoder
from ..runtime import seed_everything
from ..text import batches, encode_pairs, prune_vocab
from ..train import History, cross_entropy_loss, train
from .matcher import build_matcher, conditional_loss, matcher_optimizer, predict, swap_criterion
from .baselines import system_scores
from .scores import always_match_scores, matching_scores

CONDITIONAL, WRONG, SHARED = "conditional", "conditional, wrong task id", "shared (no condition)"
DEV_METRICS = ("F1 A", "F1 B", "F1 mean", "conflict acc A", "conflict acc B")  # what the history records


@dataclass(frozen=True)
class MatchingConfig:
    """Everything that decides a :func:`matching_run` (and its cache key)."""

    conditional: bool
    model: str = "offline-zh"
    layers: int = 6
    max_length: int = 128
    n_train_per_task: int = 600  # training pairs per subtask
    n_dev_per_task: int = 50
    n_test_per_task: int = 150
    steps: int = 300
    batch_size: int = 16
    lr: float = 1e-4  # pretrained encoder
    head_lr: float = 1e-3  # the new classifier layer
    cond_lr: float = 1e-4  # the condition: E, W_γ, W_β
    cond_dim: int = 128
    eval_every: int = 100
    seed: int = 0
    data_seed: int = 0

    def recorded(self) -> dict:
        """The settings a record over seeds is made for: every field but ``seed`` and ``conditional``."""
        return {k: v for k, v in asdict(self).items() if k not in ("seed", "conditional")}


@dataclass
class MatchingResult:
    """What a :func:`matching_run` keeps: test predictions (right and, if conditional, wrong condition), the test
    labels, task ids and relations, dev-set history, the learned per-task LayerNorm shifts and the time taken."""

    config: MatchingConfig
    history: History
    labels: torch.Tensor
    tasks: torch.Tensor
    relations: list[str]
    pred: torch.Tensor
    pred_wrong: torch.Tensor | None = None
    shifts: torch.Tensor | None = None  # (tasks, norms, 2, hidden): W_γ c_t, W_β c_t
    norm_names: list[str] = field(default_factory=list)
    train_seconds: float = 0.0

    def scores(self, wrong_condition: bool = False) -> dict[str, float]:
        """:func:`matching_scores` and accuracy per criterion of the test predictions (with the swapped criterion if
        ``wrong_condition``)."""
        pred = self.pred_wrong if wrong_condition else self.pred
        if pred is None:
            raise ValueError("only a conditional model has predictions with the wrong condition")
        return system_scores(pred, self.labels, self.tasks, self.relations)

    def readings(self) -> dict[str, dict[str, float]]:
        """Scores per reading: "conditional" and "conditional, wrong task id", or "shared (no condition)"."""
        if not self.config.conditional:
            return {SHARED: self.scores()}
        return {CONDITIONAL: self.scores(), WRONG: self.scores(wrong_condition=True)}

    def always_match(self) -> dict[str, float]:
        """The scores of answering "match" to every one of these test pairs (:func:`always_match_scores`)."""
        return always_match_scores(self.labels, self.tasks, self.relations)

    def rows(self) -> list[dict[str, object]]:
        """Rows of the result table: ``{"model": reading, **scores}`` for each of :meth:`readings`."""
        return [{"model": name, **s} for name, s in self.readings().items()]


def _pair_tensors(encoder: Encoder, pairs: Sequence[MatchPair], max_length: int):
    ids = encode_pairs(encoder, [(p.a, p.b) for p in pairs], max_length)
    return ids, torch.tensor([p.task for p in pairs]), torch.tensor([p.label for p in pairs])


def _compute(config: MatchingConfig, device: str | torch.device | None, progress: bool) -> MatchingResult:
    seed_everything(config.seed)
    encoder = load_encoder(config.model, device=device)
    keep_first_layers(encoder.model, config.layers)
    splits = {name: load_matching(name, n, seed=config.data_seed) for name, n in
              (("train", config.n_train_per_task), ("dev", config.n_dev_per_task),
               ("test", config.n_test_per_task))}
    tensors = {name: _pair_tensors(encoder, pairs, config.max_length) for name, pairs in splits.items()}
    pruned = prune_vocab(encoder, *(t[0] for t in tensors.values()))
    tensors = {name: (ids, *t[1:]) for (name, t), ids in zip(tensors.items(), pruned)}
    seed_everything(config.seed)  # the new parameters start the same whatever happened above
    model = build_matcher(encoder, config.conditional, config.cond_dim)
    dev_ids, dev_task, dev_y = tensors["dev"]
    dev_rel = [p.relation for p in splits["dev"]]

    def evaluate(m: nn.Module) -> dict[str, float]:
        pred = predict(m, dev_ids, dev_task if config.conditional else None)
        s = matching_scores(pred, dev_y, dev_task, dev_rel)
        return {k: s[k] for k in DEV_METRICS}

    ids, task, y = tensors["train"]
    loader = batches(*((ids, task, y) if config.conditional else (ids, y)), batch_size=config.batch_size,
                     seed=config.seed)
    start = time.perf_counter()
    history = train(model, conditional_loss if config.conditional else cross_entropy_loss, loader,
                    steps=config.steps, optimizer=matcher_optimizer(model, config.lr, config.head_lr, config.cond_lr),
                    evaluate=evaluate, eval_every=config.eval_every, progress=progress,
                    desc="conditional" if config.conditional else "shared")
    seconds = time.perf_counter() - start
    test_ids, test_task, test_y = tensors["test"]
    extra = {}
    if config.conditional:
        pred = predict(model, test_ids, test_task)
        extra = dict(pred_wrong=predict(model, test_ids, swap_criterion(test_task)),
                     shifts=model.base.task_shifts(), norm_names=model.base.norm_names)
    else:
        pred = predict(model, test_ids)
    return MatchingResult(config=config, history=history, labels=test_y, tasks=test_task,
                          relations=[p.relation for p in splits["test"]], pred=pred, train_seconds=seconds, **extra)


@cached_run("cln-matching", ignore=("device",))
def matching_run(config: MatchingConfig, *, device: str | torch.device | None = None,
                 progress: bool = True) -> MatchingResult:
    """Train one pair classifier on all six subtasks and evaluate it on the test pairs (cached by ``config``).

    The encoder is ``config.model`` cut to its first ``config.layers`` layers, its vocabulary pruned to the pieces
    of the train/dev/test pairs; Adam with ``lr`` for the pretrained weights, ``head_lr`` for the classifier layer
    and ``cond_lr`` for the condition (E, W_γ, W_β).
    """
    return _compute(config, device, progress)
