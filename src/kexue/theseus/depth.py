"""Does a task leave room for compression? The whole encoder against its first k layers, fine-tuned alike.

Theseus can only beat fine-tuning the first k layers where the full predecessor is clearly better than those k
layers at the same budget. On binary reviews it is not (the chapter's first table). :func:`depth_gap` measures
that gap on People's Daily tagging (segmentation and part of speech together, :mod:`kexue.tagging`): one tagger
per depth and seed, every run cached, and the differences as paired bootstraps over seeds and test sentences.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

import torch

from ..artifacts import cached_run
from ..data import load_peoples_daily
from ..models import load_encoder
from ..report import difference_cell, paired_bootstrap, verdict
from ..tagging import (TokenClassifier, encode_tagged, sentence_accuracies, tag_labels, tag_set, token_loss,
                       token_predictions)
from ..text import batches, prune_vocab
from ..train import train
from .successor import first_layers


@dataclass(frozen=True)
class TaggingTask:
    """People's Daily tagging as the runs see it: the first ``n_train`` training and ``n_test`` test sentences,
    cut to ``max_length`` tokens of the encoder ``model``, batches of ``batch_size``."""

    model: str
    n_train: int
    n_test: int
    max_length: int
    batch_size: int

    def load(self):
        """``(encoder, labels, {"x_train", "y_train", "x_test", "y_test"})``: :func:`tagging_tensors`."""
        return tagging_tensors(self.model, n_train=self.n_train, n_test=self.n_test, max_length=self.max_length)


@functools.lru_cache(maxsize=2)
def tagging_tensors(model: str, *, n_train: int, n_test: int, max_length: int):
    """The tagged sentences as id and label tensors of the encoder ``model`` (label set from the training
    sentences, vocabulary pruned to the pieces used; made once per process and settings)."""
    encoder = load_encoder(model)
    train_sentences = load_peoples_daily("train")[:n_train]
    test_sentences = load_peoples_daily("test")[:n_test]
    labels = tag_labels(tag_set(train_sentences))
    x, y = encode_tagged(encoder, train_sentences, labels, max_length)
    x_test, y_test = encode_tagged(encoder, test_sentences, labels, max_length)
    x, x_test = prune_vocab(encoder, x, x_test)
    return encoder, labels, {"x_train": x, "y_train": y, "x_test": x_test, "y_test": y_test}


@cached_run("theseus-depth")
def depth_run(task: TaggingTask, layers: int, seed: int, *, steps: int, lr: float) -> dict:
    """Fine-tune the first ``layers`` pretrained layers (all of them: the predecessor) with a new token head for
    ``steps`` steps (seeded by ``seed``): ``{"history", "sentence accuracy"}``, the latter per test sentence."""
    encoder, labels, data = task.load()
    if not 1 <= layers <= encoder.num_layers:
        raise ValueError(f"layers must be in 1..{encoder.num_layers} for {task.model}, got {layers}")
    torch.manual_seed(seed)
    tagger = TokenClassifier(first_layers(encoder.base, layers), len(labels), encoder.pad_id)
    history = train(tagger, token_loss, batches(data["x_train"], data["y_train"], batch_size=task.batch_size,
                                                seed=seed), steps=steps, lr=lr, desc=f"tagger-{layers}")
    predicted = token_predictions(tagger, data["x_test"])
    return {"history": history, "sentence accuracy": sentence_accuracies(predicted, data["y_test"])}


def depth_gap(task: TaggingTask, depths: Sequence[int], seeds: Sequence[int], *, steps: int,
              lr: float) -> dict[int, torch.Tensor]:
    """Per depth, the per-sentence test accuracies of :func:`depth_run`, shape (seeds, sentences)."""
    return {n: torch.stack([depth_run(task, n, s, steps=steps, lr=lr)["sentence accuracy"] for s in seeds])
            for n in depths}


def gap_rows(accuracies: dict[int, torch.Tensor]) -> list[dict]:
    """One row per depth below the deepest: the mean test accuracy of both and the difference deepest minus
    this depth, with its 95% paired-bootstrap interval over seeds and sentences and the verdict ("holds": the
    whole encoder is better, the task has room)."""
    deepest = max(accuracies)
    full = accuracies[deepest].numpy()
    rows = []
    for n in sorted((d for d in accuracies if d != deepest), reverse=True):
        part = accuracies[n].numpy()
        difference, low, high = paired_bootstrap(full, part)
        rows.append({"first layers": n, "accuracy": float(part.mean()), "whole encoder": float(full.mean()),
                     "whole minus first layers": difference_cell(difference, low, high),
                     "verdict": verdict(low, high)})
    return rows


def gap_facts(record: dict) -> dict[str, object]:
    """What the chapter's prose says of the depth-gap record (``results/theseus-gap.json``): the difference cell
    and the verdict at the deepest and the shallowest successor depth (keys ``tagging-...-deep`` / ``-shallow``),
    the depths, steps, seeds and test sentences."""
    rows = sorted(record["numbers"]["rows"], key=lambda r: r["first layers"], reverse=True)
    facts: dict[str, object] = {"tagging-steps": record["config"]["steps"], "tagging-seeds": len(record["seeds"]),
                                "tagging-n-test": record["numbers"]["n_test_sentences"],
                                "tagging-whole": rows[0]["whole encoder"]}
    for key, row in (("deep", rows[0]), ("shallow", rows[-1])):
        facts.update({f"tagging-depth-{key}": row["first layers"], f"tagging-acc-{key}": row["accuracy"],
                      f"tagging-gap-{key}": row["whole minus first layers"], f"tagging-verdict-{key}": row["verdict"]})
    return facts
