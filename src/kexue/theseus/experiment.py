"""The chapter's experiment, Su's table on the reviews: a fine-tuned predecessor, its first ``n`` layers
fine-tuned directly, and Theseus successors of ``n`` layers, each run cached by all its settings
(:func:`kexue.artifacts.cached_run`): :func:`predecessor_run`, :func:`direct_run`, :func:`theseus_run`."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from ..artifacts import cached_run
from ..data import load_reviews
from ..models import load_encoder
from ..text import MeanPoolClassifier, batches, encode_texts, prune_vocab, token_counts
from ..train import accuracy, cross_entropy_loss, train
from .modules import Theseus
from .schedules import Schedule, constant_then_one, train_theseus
from .successor import extract_successor, first_layers


# Part of the cache keys of the predecessor and of every successor trained from it; bump it when what the
# predecessor run computes changes. 2: its new classifier head starts from torch.manual_seed(0), its seed. In
# version 1 the head came from whatever state the global generator was in after loading the encoder, and converting
# offline-zh on first use (an empty model cache) draws from that generator: a cold build trained a different
# predecessor from a warm one under the same key (issue 19: test accuracy 0.751 cold, 0.785 warm).
PREDECESSOR_VERSION = 2


@dataclass(frozen=True)
class ReviewTask:
    """The reviews as the runs see them: the first ``n_train`` / ``n_dev`` / ``n_test`` of each split, cut to
    ``max_length`` pieces of the encoder ``model``, batches of ``batch_size``, dev accuracy every ``eval_every``."""

    model: str
    n_train: int
    n_dev: int
    n_test: int
    max_length: int
    batch_size: int
    eval_every: int = 20

    def load(self):
        """``(encoder, {"x_train", "y_train", "x_dev", "y_dev", "x_test", "y_test"})``: :func:`review_tensors`."""
        return review_tensors(self.model, n_train=self.n_train, n_dev=self.n_dev, n_test=self.n_test,
                              max_length=self.max_length)


@functools.lru_cache(maxsize=2)
def review_tensors(model: str, *, n_train: int, n_dev: int, n_test: int, max_length: int):
    """The reviews (fixed split, first ``n`` of each) as id tensors of the encoder ``model``, its vocabulary pruned to
    the pieces they use (made once per process and settings). Returns ``(encoder, {"x_train", "y_train", ...})``."""
    encoder = load_encoder(model)
    splits = {name: load_reviews(name)[:n] for name, n in (("train", n_train), ("dev", n_dev), ("test", n_test))}
    ids = {name: encode_texts(encoder, [t for t, _ in rows], max_length) for name, rows in splits.items()}
    pruned = dict(zip(ids, prune_vocab(encoder, *ids.values())))
    tensors = {}
    for name, rows in splits.items():
        tensors[f"x_{name}"] = pruned[name]
        tensors[f"y_{name}"] = torch.tensor([label for _, label in rows])
    return encoder, tensors


def fit(model: nn.Module, data: dict, *, pad_id: int, steps: int, lr: float, batch_size: int, seed: int,
        eval_every: int, desc: str, theseus_schedule: Schedule | None = None) -> dict:
    """One training run (plain, or Theseus when ``theseus_schedule`` is given) on the review tensors, seeded
    (dropout and batch order); dev accuracy every ``eval_every`` steps, test accuracy at the end (the texts run
    shortest first, ``pad_id`` marking padding).
    Returns ``{"history", "rates" (Theseus, else None), "test accuracy"}``."""
    torch.manual_seed(seed)
    loader = batches(data["x_train"], data["y_train"], batch_size=batch_size, seed=seed)
    lengths = {split: token_counts(data[f"x_{split}"], pad_id) for split in ("dev", "test")}  # shortest first
    evaluate = lambda m: {"dev accuracy": accuracy(m, data["x_dev"], data["y_dev"], 64, lengths["dev"])}  # noqa: E731
    if theseus_schedule is None:
        history, rates = train(model, cross_entropy_loss, loader, steps=steps, lr=lr, evaluate=evaluate,
                               eval_every=eval_every, desc=desc), None
    else:
        history, rates = train_theseus(model, loader, steps=steps, schedule=theseus_schedule, lr=lr,
                                       evaluate=evaluate, eval_every=eval_every, desc=desc)
    test_accuracy = accuracy(model, data["x_test"], data["y_test"], 64, lengths["test"])
    return {"history": history, "rates": rates, "test accuracy": test_accuracy}


@cached_run("theseus-predecessor", version=PREDECESSOR_VERSION)
def predecessor_run(task: ReviewTask, *, steps: int, lr: float, seed: int = 0) -> dict:
    """Fine-tune the whole encoder with a new mean-pool head (seeded by ``seed``, whatever ran before):
    :func:`fit`'s run plus ``"state"``, the trained classifier's state dict."""
    encoder, data = task.load()
    torch.manual_seed(seed)
    classifier = MeanPoolClassifier(copy.deepcopy(encoder.base), 2, encoder.pad_id)
    run = fit(classifier, data, pad_id=encoder.pad_id, steps=steps, lr=lr, batch_size=task.batch_size, seed=seed,
              eval_every=task.eval_every, desc="predecessor")
    return dict(run, state=classifier.state_dict())


def trained_predecessor(task: ReviewTask, *, steps: int, lr: float) -> MeanPoolClassifier:
    """The classifier of :func:`predecessor_run` (from the cache when it ran before), rebuilt from its state."""
    encoder, _ = task.load()
    predecessor = MeanPoolClassifier(copy.deepcopy(encoder.base), 2, encoder.pad_id)
    predecessor.load_state_dict(predecessor_run(task, steps=steps, lr=lr)["state"])
    return predecessor


@cached_run("theseus-direct")
def direct_run(task: ReviewTask, n: int, seed: int, *, steps: int, lr: float, keep_state: bool) -> dict:
    """Fine-tune the first ``n`` pretrained layers with a new head (seeded by ``seed``); the trained state dict
    under ``"state"`` when ``keep_state``, else None."""
    encoder, data = task.load()
    torch.manual_seed(seed)
    student = MeanPoolClassifier(first_layers(encoder.base, n), 2, encoder.pad_id)
    run = fit(student, data, pad_id=encoder.pad_id, steps=steps, lr=lr, batch_size=task.batch_size, seed=seed,
              eval_every=task.eval_every, desc=f"direct-{n}")
    return dict(run, state=student.state_dict() if keep_state else None)


@cached_run("theseus-successor", version=PREDECESSOR_VERSION)
def theseus_run(task: ReviewTask, n: int, seed: int, *, predecessor_steps: int, predecessor_lr: float,
                steps: int, replacing_steps: int, p: float, lr: float, replace_embeddings: bool,
                keep_state: bool) -> dict:
    """Theseus from the predecessor of :func:`predecessor_run` (``predecessor_steps`` at ``predecessor_lr``):
    ``replacing_steps`` at rate ``p``, then ``p = 1`` up to ``steps``, the successor trained at ``lr``; the
    extracted successor's state dict under ``"state"`` when ``keep_state``."""
    encoder, data = task.load()
    predecessor = trained_predecessor(task, steps=predecessor_steps, lr=predecessor_lr)
    theseus = Theseus(predecessor, n, p=p, seed=seed, replace_embeddings=replace_embeddings)
    run = fit(theseus, data, pad_id=encoder.pad_id, steps=steps, lr=lr, batch_size=task.batch_size, seed=seed,
              eval_every=task.eval_every, desc=f"theseus-{n}",
              theseus_schedule=constant_then_one(p, replacing_steps + 1))
    return dict(run, state=extract_successor(theseus).state_dict() if keep_state else None)


def compression_experiment(*, model: str, n_train: int, n_dev: int, n_test: int, max_length: int, batch_size: int,
                           predecessor_steps: int, steps: int, replacing_steps: int, p: float, lr: float,
                           theseus_lr: float, seeds: dict[int, Sequence[int]], replace_embeddings: bool = True,
                           eval_every: int = 20) -> dict:
    """The article's table: fine-tune the ``model`` predecessor on the reviews (seed 0), then for each successor
    depth ``n`` and each of its ``seeds[n]`` (a) fine-tune the first ``n`` pretrained layers directly
    (:func:`direct_run`), (b) run Theseus from the predecessor (:func:`theseus_run`): ``replacing_steps`` at rate
    ``p``, then ``p = 1`` up to ``steps`` (the same number of optimiser steps as (a)). Theseus trains the
    successor at ``theseus_lr``, everything else uses ``lr``.

    Every run is seeded (its new head, dropout, batch order, the replacement draws), so it gives the same
    weights whatever ran before it in the process, and is cached by all its settings. Returns
    ``{"predecessor": run, ("direct", n, seed): run, ("theseus", n, seed): run, "encoder": ..., "data": ...}``;
    a run holds its history, the rates (Theseus), its test accuracy, and the trained model's state dict (for the
    first seed of each ``n``).
    """
    task = ReviewTask(model, n_train, n_dev, n_test, max_length, batch_size, eval_every)
    results = {"predecessor": predecessor_run(task, steps=predecessor_steps, lr=lr)}
    for n, n_seeds in seeds.items():
        for seed in n_seeds:
            keep = seed == n_seeds[0]
            results[("direct", n, seed)] = direct_run(task, n, seed, steps=steps, lr=lr, keep_state=keep)
            results[("theseus", n, seed)] = theseus_run(
                task, n, seed, predecessor_steps=predecessor_steps, predecessor_lr=lr, steps=steps,
                replacing_steps=replacing_steps, p=p, lr=theseus_lr, replace_embeddings=replace_embeddings,
                keep_state=keep)
    results["encoder"], results["data"] = task.load()
    return results


def trained_models(results: dict, device: str | torch.device = "cpu") -> dict:
    """The trained classifiers of :func:`compression_experiment` (first seed of each depth), rebuilt from their
    state dicts on ``device``: ``{"full": predecessor, ("direct", n): ..., ("theseus", n): ...}``, in eval mode."""
    encoder = results["encoder"]
    full = MeanPoolClassifier(copy.deepcopy(encoder.base), 2, encoder.pad_id)
    full.load_state_dict(results["predecessor"]["state"])
    models = {"full": full.to(device).eval()}
    for (kind, n, seed), run in ((k, v) for k, v in results.items() if isinstance(k, tuple)):
        if run["state"] is not None:
            model = first_layers(full, n)
            model.load_state_dict(run["state"])
            models[(kind, n)] = model.to(device).eval()
    return models
