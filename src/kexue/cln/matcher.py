"""The pair classifier on top: ``[CLS] a [SEP] b [SEP]``, mean pooling, one linear layer shared by all tasks.

Only the condition tells the tasks apart. Training it: CE(model(ids | task), label), and Adam with three learning
rates (pretrained encoder, new classifier layer, new condition parameters).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..data.matching import TASKS
from ..models import Encoder
from ..text import MeanPoolClassifier, token_counts
from ..train import batched_eval
from .encoder import ConditionalEncoder


def build_matcher(encoder: Encoder, conditional: bool, cond_dim: int = 128) -> MeanPoolClassifier:
    """The pair classifier: mean pooling and a linear layer over ``encoder`` (made conditional if asked)."""
    base = ConditionalEncoder(encoder.base, len(TASKS), cond_dim) if conditional else encoder.base
    return MeanPoolClassifier(base, num_labels=2, pad_id=encoder.pad_id).to(encoder.device)


def conditional_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """CE(model(ids | task), label) for a batch (ids, task ids, labels)."""
    ids, task, labels = batch
    return F.cross_entropy(model(ids, task=task), labels)


def matcher_optimizer(model: MeanPoolClassifier, lr: float, head_lr: float,
                      cond_lr: float) -> torch.optim.Optimizer:
    """Adam with ``lr`` for the pretrained weights, ``head_lr`` for the classifier layer and ``cond_lr`` for the
    condition (E, W_γ, W_β; only when the model is conditional)."""
    head = list(model.head.parameters())
    condition = model.base.condition_parameters() if isinstance(model.base, ConditionalEncoder) else []
    new = {id(p) for p in head + condition}
    groups = [{"params": [p for p in model.parameters() if id(p) not in new], "lr": lr},
              {"params": head, "lr": head_lr}]
    return torch.optim.Adam(groups + ([{"params": condition, "lr": cond_lr}] if condition else []))


def swap_criterion(task: torch.Tensor) -> torch.Tensor:
    """The same length pairing under the other criterion (A ↔ B): t ↦ (t + 3) mod 6, the "wrong condition"."""
    return (task + 3) % len(TASKS)


def predict(model: nn.Module, input_ids: torch.Tensor, task: torch.Tensor | None = None,
            batch_size: int = 64) -> torch.Tensor:
    """Arg-max labels of ``model`` (a :class:`~kexue.text.MeanPoolClassifier`) for a batch of pair ids (passing
    ``task=`` to a conditional model), the pairs run shortest first."""
    lengths = token_counts(input_ids, model.pad_id)
    if task is None:
        return batched_eval(model, lambda ids: model(ids).argmax(-1), input_ids, batch_size=batch_size,
                            lengths=lengths)
    return batched_eval(model, lambda ids, t: model(ids, task=t).argmax(-1), input_ids, task, batch_size=batch_size,
                        lengths=lengths)
