"""The chapter's experiments, each run cached by all its arguments (:func:`kexue.artifacts.cached_run`).

* :func:`experiment`: one joint model trained from one start (:func:`cipher_model` + :func:`train_matcher`);
* :func:`zero_shot_run`: :func:`zero_shot_auc` of one start, no training;
* :func:`compare_inits`: :func:`experiment` for each (init, unlabelled, seed) -> :class:`TrainingRuns`;
* :func:`compare_zero_shot`: :func:`zero_shot_run` for each (init, seed) -> :class:`ZeroShotRuns`.
"""

from __future__ import annotations

import time
from typing import Sequence

import torch

from ..artifacts import cached_run
from ..runtime import pick_device
from .data import CipherData
from .model import cipher_model
from .pairs import pair_tensors
from .references import reference_counts
from .results import TrainingRuns, ZeroShotRuns
from .trainer import train_matcher
from .zero_shot import zero_shot_auc


def training_conditions(seeds: Sequence[int]) -> list[tuple[str, bool, int]]:
    """The chapter's training runs as (init, unlabelled, seed): rank alignment and random map with the unlabelled
    texts for every seed (the key comparison), random init and true characters once, and rank alignment and
    random map once without the unlabelled texts."""
    return ([(init, True, seed) for init in ("rank-align", "random-map") for seed in seeds]
            + [("random-init", True, 0), ("plaintext", True, 0)]
            + [(init, False, 0) for init in ("rank-align", "random-map")])


def zero_shot_conditions(seeds: Sequence[int]) -> list[tuple[str, int]]:
    """The chapter's zero-shot starts as (init, seed): true characters and rank alignment once, a random map per
    seed, and random init for the first two seeds."""
    return ([("plaintext", 0), ("rank-align", 0)] + [("random-map", s) for s in seeds]
            + [("random-init", s) for s in seeds[:2]])


@cached_run("desensitized")
def experiment(data: CipherData, init: str, *, unlabelled: bool, seed: int = 0,
               reference: str = "peoples-daily-test", model: str = "offline-zh", layers: int = 4,
               steps: int = 200, lr: float = 1e-4, batch_size: int = 32, max_length: int = 64,
               eval_every: int = 25, n_eval: int = 500, progress: bool = True) -> dict:
    """Train one joint model (:func:`cipher_model` + :func:`train_matcher`); the AUC on the first ``n_eval``
    held-out pairs at each evaluation step, the training losses and the wall time."""
    torch.manual_seed(seed)
    counts = None if init in ("random-init", "plaintext") else reference_counts(reference)
    network = cipher_model(init, data.vocab, model=model, layers=layers, reference=counts,
                         cipher=data.cipher, seed=seed)
    labelled = pair_tensors(data.train, data.vocab, max_length)
    pool = pair_tensors(data.held_out, data.vocab, max_length)
    held = pool[:n_eval]
    start = time.perf_counter()
    history = train_matcher(network, labelled, held, unlabelled=pool if unlabelled else None, steps=steps, lr=lr,
                            batch_size=batch_size, eval_every=eval_every, seed=seed, progress=progress)
    return {"steps": history.eval_steps, "auc": history.metric("auc"), "loss": history.losses,
            "seconds": time.perf_counter() - start}


def compare_inits(data: CipherData, conditions: Sequence[tuple[str, bool, int]], **settings) -> TrainingRuns:
    """:func:`experiment` (each run cached) for each (init, unlabelled, seed), with ``settings`` passed on."""
    return TrainingRuns({(init, unlabelled, seed): experiment(data, init, unlabelled=unlabelled, seed=seed,
                                                              **settings)
                         for init, unlabelled, seed in conditions})


@cached_run("desensitized-zero-shot", ignore=("device",))
def zero_shot_run(data: CipherData, init: str, seed: int, *, model: str = "offline-zh", layers: int = 12,
                  n_eval: int = 400, max_length: int = 64, reference: str = "peoples-daily-test",
                  device: str | torch.device | None = None) -> list[float]:
    """:func:`zero_shot_auc` of the start ``init`` (seed ``seed``) on the first ``n_eval`` held-out pairs, with
    the first ``layers`` layers of ``model``, on ``device`` (default: the GPU when there is one)."""
    held = pair_tensors(data.held_out, data.vocab, max_length)[:n_eval]
    counts = reference_counts(reference) if init in ("random-map", "rank-align") else None
    network = cipher_model(init, data.vocab, model=model, layers=layers, reference=counts,
                         cipher=data.cipher, seed=seed, device=device or pick_device())
    return zero_shot_auc(network, held)


def compare_zero_shot(data: CipherData, conditions: Sequence[tuple[str, int]], **settings) -> ZeroShotRuns:
    """:func:`zero_shot_run` (each cached) for each (init, seed), with ``settings`` passed on."""
    return ZeroShotRuns({(init, seed): zero_shot_run(data, init, seed, **settings) for init, seed in conditions})
