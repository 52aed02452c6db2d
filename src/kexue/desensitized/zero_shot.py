"""What the starting weights know before any training: pairs scored by the cosine of mean-pooled states.

Each text is read alone as ``[CLS] text [SEP]``; h_k(text) is the mean of layer k's hidden states over its real
tokens (k = 0: the embedding layer). The zero-shot score of a pair is cos(h_k(a), h_k(b)), and the result is the
held-out ROC-AUC of that score at every depth k. No labels are used to compute the scores.
"""

from __future__ import annotations

import torch
from transformers import BertForMaskedLM

from ..models import mean_pool
from ..text import token_counts
from ..train import batched_eval
from .auc import roc_auc
from .pairs import PairTensors, assemble
from .vocabulary import PAD


def mean_pooled_states(model: BertForMaskedLM, texts: torch.Tensor, batch_size: int = 128) -> torch.Tensor:
    """Each text read alone as ``[CLS] text [SEP]``: the mean of every layer's hidden states over its real tokens,
    shape (layers + 1, texts, hidden); index 0 is the embedding layer. ``texts``: padded token ids (``[PAD]`` = 0)."""
    if texts.ndim != 2 or not (texts != PAD).any(1).all():
        raise ValueError("texts must be a 2-d tensor of padded token ids with at least one token per row")
    device = next(model.parameters()).device

    def pooled(batch: torch.Tensor) -> torch.Tensor:
        ids = assemble(batch.cpu()).to(device)  # assemble builds its rows on the CPU
        mask = (ids != PAD).long()
        states = model.bert(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
        return torch.stack([mean_pool(h.float(), mask) for h in states])

    return batched_eval(model, pooled, texts, batch_size=batch_size, dim=1, lengths=token_counts(texts, PAD))


def zero_shot_auc(model: BertForMaskedLM, pairs: PairTensors, batch_size: int = 128) -> list[float]:
    """No training: score each pair by the cosine of its two texts' mean-pooled states (:func:`mean_pooled_states`)
    and return the held-out ROC-AUC at every depth (index 0: embeddings only, index k: after layer k).

    A model that starts from knowledge of the language separates matching pairs already here; how far a start
    falls below the true characters shows how much of that knowledge its embedding rows carry over."""
    if (pairs.y < 0).any():
        raise ValueError("zero-shot AUC needs labels 0 or 1 on every pair")
    a, b = mean_pooled_states(model, pairs.a, batch_size), mean_pooled_states(model, pairs.b, batch_size)
    cosines = torch.nn.functional.cosine_similarity(a, b, dim=-1)
    return [roc_auc(c, pairs.y) for c in cosines]
