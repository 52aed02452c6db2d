"""Training the joint model: :func:`kexue.train.train` with the PET loss, the held-out ROC-AUC as evaluation."""

from __future__ import annotations

import torch
from transformers import BertForMaskedLM

from ..text import batches
from ..train import History, train
from .auc import roc_auc
from .pairs import PairTensors, concat
from .pet import pet_loss_fn, yes_probability


def train_matcher(model: BertForMaskedLM, labelled: PairTensors, held_out: PairTensors, *,
                  unlabelled: PairTensors | None = None, steps: int = 200, lr: float = 5e-5, batch_size: int = 32,
                  eval_every: int = 25, seed: int = 0, progress: bool = True) -> History:
    """Train the joint model with :func:`kexue.train.train` on labelled (+ unlabelled) pairs, shuffled together;
    evaluate the ROC-AUC of :func:`yes_probability` on ``held_out`` every ``eval_every`` steps (and at step 0)."""
    if (labelled.y < 0).any():
        raise ValueError("labelled pairs must all have labels 0 or 1; pass unlabelled ones as unlabelled=")
    if (held_out.y < 0).any():
        raise ValueError("held-out pairs need labels 0 or 1 to measure the AUC")
    data = labelled if unlabelled is None else concat(labelled, PairTensors(unlabelled.a, unlabelled.b,
                                                                            torch.full_like(unlabelled.y, -1)))
    vocab_size = model.config.vocab_size

    def evaluate(m: BertForMaskedLM) -> dict[str, float]:
        return {"auc": roc_auc(yes_probability(m, held_out), held_out.y)}

    return train(model, pet_loss_fn(vocab_size, seed=seed), batches(data.a, data.b, data.y,
                 batch_size=batch_size, seed=seed), steps=steps, lr=lr, evaluate=evaluate, eval_every=eval_every,
                 eval_at_start=True, progress=progress, desc="PET matcher")
