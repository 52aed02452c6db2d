"""One masked LM does everything (PET style): the joint loss over masked tokens and the label at ``[CLS]``.

Every batch draws a fresh BERT corruption x~ of x (15% of the text tokens, then 80/10/10); the targets T are the
chosen positions, with their original tokens, and position 0 with ``[YES]`` (y = 1) or ``[NO]`` (y = 0) for
labelled pairs only. One cross-entropy over all targets of the batch,

    L = - (1 / |T|) sum_{(i, t) in T} log p_theta(target_{i,t} | x~_i),

so unlabelled pairs train the token predictions and never the label. The match score, read at ``[CLS]`` without
corruption, is s(a, b) = p([YES]) / (p([YES]) + p([NO])).
"""

from __future__ import annotations

import torch
from transformers import BertForMaskedLM

from ..text import IGNORE, mask_tokens
from ..train import batched_eval
from .pairs import PairTensors, assemble
from .vocabulary import MASK, NO, PAD, SPECIALS, YES


def pet_targets(input_ids: torch.Tensor, y: torch.Tensor, *, vocab_size: int, rate: float = 0.15,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(corrupted inputs, targets) of the joint model: BERT masking of the text tokens
    (:func:`kexue.text.mask_tokens`: ``rate``, then 80/10/10) and, at ``[CLS]``, the target ``[YES]`` (y = 1) or
    ``[NO]`` (y = 0); unlabelled pairs (y = -1) get ``IGNORE`` there, so they train the token predictions only."""
    inputs, targets = mask_tokens(input_ids, mask_id=MASK, vocab_size=vocab_size, special_ids=range(len(SPECIALS)),
                                  rate=rate, generator=generator)
    targets[:, 0] = torch.where(y == 1, YES, torch.where(y == 0, NO, IGNORE))
    return inputs, targets


def pet_loss_fn(vocab_size: int, *, rate: float = 0.15, swap: float = 0.5, seed: int = 0):
    """``loss_fn(model, (a, b, y))`` for :func:`kexue.train.train`: random order swap (prob. ``swap``), fresh
    masking every batch, and one cross-entropy over all targets of the batch (``[CLS]`` labels and masked tokens):

    L = - (1 / |T|) sum_{(i, t) in T} log p_model(target_{i,t} | corrupted pair i),

    T = masked positions plus the ``[CLS]`` of labelled pairs. Logits are computed only at the target positions.
    """
    generator = torch.Generator().manual_seed(seed)

    def loss_fn(model: BertForMaskedLM, batch) -> torch.Tensor:
        a, b, y = (t.cpu() for t in batch)
        ids = assemble(a, b, torch.rand(len(a), generator=generator) < swap)
        inputs, targets = pet_targets(ids, y, vocab_size=vocab_size, rate=rate, generator=generator)
        device = next(model.parameters()).device
        mask = (ids != PAD).long().to(device)
        hidden = model.bert(input_ids=inputs.to(device), attention_mask=mask).last_hidden_state
        chosen = (targets != IGNORE).to(device)
        if not chosen.any():  # nothing to predict in this batch (tiny unlabelled batches): no signal
            return hidden.sum() * 0.0
        logits = model.cls(hidden[chosen])
        return torch.nn.functional.cross_entropy(logits, targets.to(device)[chosen])

    return loss_fn


def yes_probability(model: BertForMaskedLM, pairs: PairTensors, batch_size: int = 128) -> torch.Tensor:
    """Match score of each pair: s = p(yes) / (p(yes) + p(no)) from the MLM head at ``[CLS]`` (no masking, no swap);
    the pairs run shortest first."""
    device = next(model.parameters()).device

    def score(batch: PairTensors) -> torch.Tensor:
        ids = assemble(batch.a, batch.b).to(device)
        hidden = model.bert(input_ids=ids, attention_mask=(ids != PAD).long()).last_hidden_state[:, 0]
        logits = model.cls(hidden)[:, [NO, YES]]
        return torch.softmax(logits.float(), -1)[:, 1]  # the full softmax's normaliser cancels

    return batched_eval(model, score, pairs, batch_size=batch_size, lengths=pairs.lengths())
