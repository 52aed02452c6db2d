"""Step 4, continued masked-LM pretraining on word-tokenized text: choose 15% of the positions M (of those 80%
become the mask token, 10% a random token, 10% stay), new masks for every batch, and minimise

    L = -(1/|M|) sum_{i in M} log p_theta(x_i | x~),

through :func:`kexue.train.train`; held-out loss and accuracy on one fixed draw of masks, split into the
positions whose answer is a word and those whose answer is a character.
"""

from __future__ import annotations

from typing import Callable

import torch

from ..text import IGNORE, batches, mask_tokens, trim_padding
from ..train import History, train
from .tokenizer import WordTokenizer


def mlm_loss_fn(tokenizer: WordTokenizer, *, vocab_size: int, rate: float = 0.15,
                seed: int = 0) -> Callable[[torch.nn.Module, tuple[torch.Tensor]], torch.Tensor]:
    """A ``loss_fn(model, (ids,))`` for :func:`kexue.train.train`: fresh BERT masks for every batch
    (:func:`kexue.text.mask_tokens`), then the mean cross-entropy over the masked positions."""
    generator = torch.Generator().manual_seed(seed)
    special = tokenizer.special_ids

    def loss_fn(model: torch.nn.Module, batch: tuple[torch.Tensor]) -> torch.Tensor:
        ids = trim_padding(batch[0], tokenizer.pad_id)
        inputs, labels = mask_tokens(ids.cpu(), mask_id=tokenizer.mask_id, vocab_size=vocab_size,
                                     special_ids=special, rate=rate, generator=generator)
        return _masked_loss(model, inputs.to(ids.device), labels.to(ids.device), tokenizer.pad_id)

    return loss_fn


def masked_logits(model: torch.nn.Module, inputs: torch.Tensor, chosen: torch.Tensor, pad_id: int) -> torch.Tensor:
    """MLM logits at the ``chosen`` positions only, shape (chosen.sum(), vocab).

    The head runs on the chosen hidden states alone (for BERT's ``cls`` and RoBERTa's ``lm_head``): with a
    20k-word vocabulary the output layer over every position would cost as much as the encoder.
    """
    head = getattr(model, "cls", None)
    if head is None:
        head = getattr(model, "lm_head", None)
    if head is None:
        return model(input_ids=inputs, attention_mask=(inputs != pad_id).long()).logits[chosen]
    hidden = model.base_model(input_ids=inputs, attention_mask=(inputs != pad_id).long()).last_hidden_state
    return head(hidden[chosen])


def _masked_loss(model: torch.nn.Module, inputs: torch.Tensor, labels: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Mean cross-entropy over the masked positions (0 when a batch happens to have none)."""
    chosen = labels != IGNORE
    if not chosen.any():
        return model.get_input_embeddings().weight.sum() * 0.0
    return torch.nn.functional.cross_entropy(masked_logits(model, inputs, chosen, pad_id), labels[chosen])


def fixed_masks(tokenizer: WordTokenizer, ids: torch.Tensor, *, vocab_size: int, rate: float = 0.15,
                seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """One draw of BERT masks for held-out ids, so that every evaluation scores the same positions."""
    return mask_tokens(ids, mask_id=tokenizer.mask_id, vocab_size=vocab_size, special_ids=tokenizer.special_ids,
                       rate=rate, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def mlm_metrics(model: torch.nn.Module, inputs: torch.Tensor, labels: torch.Tensor, *, pad_id: int,
                first_word_id: int | None = None, batch_size: int = 64) -> dict[str, float]:
    """Held-out masked-LM loss and accuracy over the masked positions; with ``first_word_id``, also the loss on
    the positions whose answer is a word (id >= first_word_id) and on those whose answer is a character."""
    device = next(model.parameters()).device
    losses, correct = [], []
    for start in range(0, len(inputs), batch_size):
        x = trim_padding(inputs[start:start + batch_size], pad_id).to(device)
        y = labels[start:start + batch_size, : x.shape[1]].to(device)
        chosen = y != IGNORE
        logits = masked_logits(model, x, chosen, pad_id)
        losses.append(torch.nn.functional.cross_entropy(logits, y[chosen], reduction="none").cpu())
        correct.append((logits.argmax(-1) == y[chosen]).cpu())
    loss, hit = torch.cat(losses), torch.cat(correct).float()
    out = {"mlm loss": loss.mean().item(), "mlm accuracy": hit.mean().item()}
    if first_word_id is not None:
        is_word = labels[labels != IGNORE] >= first_word_id
        out["loss on words"] = loss[is_word].mean().item() if is_word.any() else float("nan")
        out["loss on characters"] = loss[~is_word].mean().item() if (~is_word).any() else float("nan")
    return out


def continue_pretraining(
    model: torch.nn.Module,
    tokenizer: WordTokenizer,
    ids: torch.Tensor,
    *,
    steps: int,
    batch_size: int = 32,
    lr: float = 1e-4,
    held_out: torch.Tensor | None = None,
    eval_every: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Masked-LM training of ``model`` (in place) on padded ``ids`` with dynamic masking; with ``held_out`` ids,
    :func:`mlm_metrics` on one fixed masking of them every ``eval_every`` steps (and before the first step, as
    step 0)."""
    vocab = model.get_input_embeddings().num_embeddings
    evaluate = None
    if held_out is not None:
        x, y = fixed_masks(tokenizer, held_out, vocab_size=vocab, seed=seed + 1)

        def evaluate(m: torch.nn.Module) -> dict[str, float]:
            return mlm_metrics(m, x, y, pad_id=tokenizer.pad_id, first_word_id=tokenizer.offset)

    history = train(model, mlm_loss_fn(tokenizer, vocab_size=vocab, seed=seed),
                    batches(ids, batch_size=batch_size, seed=seed), steps=steps, lr=lr, evaluate=evaluate,
                    eval_every=eval_every, eval_at_start=True, grad_clip=1.0, progress=progress, desc="MLM")
    return history
