"""Text batches for training encoders: ids of texts and pairs, vocabulary pruning, MLM masking, a classifier.

The training chapters (BERT-of-Theseus, WoBERT, conditional LayerNorm, desensitized text) share these pieces:

* :func:`encode_texts` / :func:`encode_pairs` turn texts into padded id tensors ``[CLS] a [SEP] (b [SEP])``, one
  token per CJK character (see :meth:`kexue.Encoder.unit_ids`); pairs are truncated longer-text-first.
* :func:`prune_vocab` keeps only the embedding rows the data uses. ``offline-zh`` has 250k pieces, 96M of its 118M
  parameters; a task needs a few thousand, and training is then ~25x cheaper per optimiser step.
* :func:`mask_tokens` draws BERT's masked-LM corruption (15% of tokens; of those 80% ``[MASK]``, 10% random, 10% kept).
* :class:`MeanPoolClassifier`: mean of the last hidden states over real tokens, then a linear layer.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import torch
from torch.utils.data import DataLoader, TensorDataset

from .models import Encoder, mean_pool

IGNORE = -100  # label value that cross-entropy ignores


def _text_ids(encoder: Encoder, text: str) -> list[int]:
    if not isinstance(text, str):
        raise TypeError(f"texts must be strings, got {type(text).__name__}")
    if not text.strip():
        raise ValueError("empty text: drop it from the data (every text needs at least one visible character)")
    return encoder.unit_ids(text)


def pad_rows(rows: Sequence[Sequence[int]], pad_id: int) -> torch.Tensor:
    """Rows of ids of different lengths as one tensor, each row filled up with ``pad_id`` to the longest."""
    out = torch.full((len(rows), max(map(len, rows))), pad_id, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return out


def trim_padding(ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Drop the trailing columns that are padding in every row: the id tensors are padded to the longest text of
    the whole data set, a batch only needs its own longest (median review 46 characters, padded to 128)."""
    return ids[:, : max(1, int((ids != pad_id).sum(1).max()))]


def token_counts(ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """The number of real (non-padding) tokens in each row of padded ids: the ``lengths`` that let
    :func:`kexue.train.batched_eval` run the rows shortest first."""
    return (ids != pad_id).sum(-1)


def encoder_states(base: torch.nn.Module, input_ids: torch.Tensor, pad_id: int,
                   **kwargs) -> tuple[torch.Tensor, torch.Tensor]:
    """(last hidden states, attention mask) of ``base`` on padded ids, the batch's padding-only columns cut first
    (:func:`trim_padding`: the same numbers, less work); extra keyword arguments go to ``base``."""
    input_ids = trim_padding(input_ids, pad_id)
    mask = (input_ids != pad_id).long()
    return base(input_ids=input_ids, attention_mask=mask, **kwargs).last_hidden_state, mask


def _check_length(max_length: int, minimum: int, encoder: Encoder) -> None:
    if not minimum <= max_length <= encoder.max_length:
        raise ValueError(f"max_length must be in {minimum}..{encoder.max_length} for {encoder.name}, got {max_length}")


def encode_texts(encoder: Encoder, texts: Sequence[str], max_length: int = 64) -> torch.Tensor:
    """Padded ids ``[CLS] text [SEP]`` of each text, cut to ``max_length`` tokens (specials included)."""
    _check_length(max_length, 3, encoder)
    rows = [[encoder.cls_id, *_text_ids(encoder, t)[: max_length - 2], encoder.sep_id] for t in texts]
    if not rows:
        raise ValueError("no texts to encode")
    return pad_rows(rows, encoder.pad_id)


def truncate_pair(a: Sequence[int], b: Sequence[int], budget: int) -> tuple[list[int], list[int]]:
    """Cut two token lists to at most ``budget`` tokens in all, always trimming the currently longer one.

    Ties trim ``a``. Each side keeps at least one token, so ``budget`` must be at least 2.
    """
    if budget < 2:
        raise ValueError(f"a pair needs a budget of at least 2 tokens, got {budget}")
    a, b = list(a), list(b)
    excess = len(a) + len(b) - budget
    while excess > 0:
        if len(a) >= len(b):
            a.pop()
        else:
            b.pop()
        excess -= 1
    return a, b


def encode_pairs(encoder: Encoder, pairs: Sequence[tuple[str, str]], max_length: int = 128) -> torch.Tensor:
    """Padded ids ``[CLS] a [SEP] b [SEP]`` of each pair; the longer text is trimmed first to fit ``max_length``."""
    _check_length(max_length, 5, encoder)
    rows = []
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(f"each pair must be (text_a, text_b), got {pair!r}")
        a, b = truncate_pair(_text_ids(encoder, pair[0]), _text_ids(encoder, pair[1]), max_length - 3)
        rows.append([encoder.cls_id, *a, encoder.sep_id, *b, encoder.sep_id])
    if not rows:
        raise ValueError("no pairs to encode")
    return pad_rows(rows, encoder.pad_id)


def take_embedding_rows(model: torch.nn.Module, rows: torch.Tensor) -> None:
    """A new vocabulary whose token t starts as old token ``rows[t]`` (rows may repeat): the input embedding becomes
    E[rows], a masked-LM output layer keeps the same rows of its weight and bias (zeros where it had none), tied to
    the new embedding when the model ties them; ``config.vocab_size`` follows. Changes ``model`` in place."""
    old = model.get_input_embeddings()
    if len(rows) == 0 or rows.min() < 0 or rows.max() >= old.num_embeddings:
        raise ValueError(f"rows must be a non-empty tensor of ids in 0..{old.num_embeddings - 1}")
    new = torch.nn.Embedding(len(rows), old.embedding_dim, padding_idx=None).to(old.weight.device)
    new.weight.data.copy_(old.weight.data[rows])
    output = model.get_output_embeddings()
    tied = output is not None and (output.weight is old.weight or getattr(model.config, "tie_word_embeddings", False))
    model.set_input_embeddings(new)
    if output is not None:
        decoder = torch.nn.Linear(old.embedding_dim, len(rows)).to(old.weight.device)
        decoder.weight.data.copy_(output.weight.data[rows])
        bias = getattr(output, "bias", None)
        decoder.bias.data.copy_(bias.data[rows]) if bias is not None else decoder.bias.data.zero_()
        model.set_output_embeddings(decoder)
        if tied:
            decoder.weight = new.weight
    model.config.vocab_size = len(rows)


def prune_vocab(encoder: Encoder, *id_tensors: torch.Tensor) -> list[torch.Tensor]:
    """Keep only the vocabulary rows used in ``id_tensors`` (plus the special tokens); return the tensors re-indexed.

    Changes ``encoder`` in place: its input embedding (and a masked-LM output layer and bias) keep the used rows, in
    increasing order of the original id, and ``encoder.unit_ids`` / ``encode`` / the special ids speak the new ids
    from then on (text outside the kept rows becomes the unknown token). Prune once, with every tensor the
    experiment will use; ``encoder.kept_ids[new_id]`` is the original id.
    """
    if encoder.kept_ids is not None:
        raise ValueError("this encoder is already pruned; load a fresh one to prune with other data")
    if not id_tensors:
        raise ValueError("pass the id tensors of the data (e.g. the output of encode_texts)")
    used = torch.unique(torch.cat([t.flatten() for t in id_tensors] + [torch.tensor(encoder.special_ids)]))
    model = encoder.model
    old = model.get_input_embeddings()
    if used.max() >= old.num_embeddings or used.min() < 0:
        raise ValueError("the id tensors hold ids outside this encoder's vocabulary: encode them with this encoder")
    take_embedding_rows(model, used)
    old_to_new = torch.full((old.num_embeddings,), -1, dtype=torch.long)
    old_to_new[used] = torch.arange(len(used))
    encoder.set_id_map(old_to_new, used)
    return [old_to_new[t] for t in id_tensors]


def mask_tokens(
    input_ids: torch.Tensor,
    *,
    mask_id: int,
    vocab_size: int,
    special_ids: Iterable[int],
    rate: float = 0.15,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's dynamic masking: returns (corrupted inputs, labels).

    Each non-special token is chosen with probability ``rate``; a chosen token becomes ``[MASK]`` with probability
    0.8, a uniformly random non-special token with 0.1, and stays itself with 0.1. Labels hold the original id at
    chosen positions and ``IGNORE`` (-100) elsewhere. Call it per batch so every epoch sees new masks.
    """
    if not 0.0 < rate < 1.0:
        raise ValueError(f"rate must be in (0, 1), got {rate}")
    special = torch.tensor(sorted(set(special_ids)), dtype=torch.long)
    candidates = ~torch.isin(input_ids, special)
    draw = torch.rand(input_ids.shape, generator=generator)
    chosen = candidates & (draw < rate)
    how = torch.rand(input_ids.shape, generator=generator)
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, IGNORE))
    inputs = input_ids.clone()
    inputs[chosen & (how < 0.8)] = mask_id
    ordinary = torch.ones(vocab_size, dtype=torch.bool)
    ordinary[special[special < vocab_size]] = False
    pool = ordinary.nonzero().flatten()
    random_spot = chosen & (how >= 0.8) & (how < 0.9)
    picks = torch.randint(len(pool), (int(random_spot.sum()),), generator=generator)
    inputs[random_spot] = pool[picks]
    return inputs, labels


class MeanPoolClassifier(torch.nn.Module):
    """logits = W · mean(h_t over non-padding tokens t) + b, with h the encoder's last hidden states.

    ``base`` is any ``transformers`` encoder that takes ``input_ids`` and ``attention_mask``; padding is the
    ``pad_id`` token. Extra keyword arguments of ``forward`` go to ``base`` (e.g. a condition).
    """

    def __init__(self, base: torch.nn.Module, num_labels: int, pad_id: int):
        super().__init__()
        if num_labels < 2:
            raise ValueError(f"a classifier needs at least 2 labels, got {num_labels}")
        self.base, self.pad_id = base, pad_id
        self.head = torch.nn.Linear(base.config.hidden_size, num_labels)

    def pool(self, input_ids: torch.Tensor, **kwargs) -> torch.Tensor:
        """Mean of the last hidden states over the real (non-padding) tokens (:func:`encoder_states`)."""
        return mean_pool(*encoder_states(self.base, input_ids, self.pad_id, **kwargs))

    def forward(self, input_ids: torch.Tensor, **kwargs) -> torch.Tensor:
        return self.head(self.pool(input_ids, **kwargs))


def batches(*tensors: torch.Tensor, batch_size: int, seed: int = 0) -> DataLoader:
    """A shuffling loader over aligned tensors (same first dimension), reproducible for a seed."""
    if len({len(t) for t in tensors}) != 1:
        raise ValueError(f"tensors must have the same length, got {[len(t) for t in tensors]}")
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(TensorDataset(*tensors), batch_size=min(batch_size, len(tensors[0])), shuffle=True,
                      drop_last=True, generator=generator)
