"""Step 3, the embeddings: one new row per word w = c_1 ... c_k, the mean of its characters' rows,

    e(w) = (1/k) sum_j e(c_j),

and in a masked-LM head tied to the input embeddings the same row scores the word, with the bias
b_w = (1/k) sum_j b_{c_j}. The character rows are untouched, so outputs on character input do not change.
"""

from __future__ import annotations

from typing import Sequence

import torch

from ..models import Encoder
from .tokenizer import WordTokenizer
from .vocabulary import _unknown


def extend_embeddings(
    model: torch.nn.Module, pieces: Sequence[Sequence[int]], *, init: str = "mean", seed: int = 0
) -> int:
    """Append one input-embedding row per entry of ``pieces`` and return the id of the first new row.

    ``init="mean"``: row k is the mean of the existing rows ``pieces[k]``, e_k = (1/|p_k|) sum_{i in p_k} e_i.
    ``init="random"``: N(0, s^2) entries, s the standard deviation of the existing embedding entries.
    A masked-LM output layer (any model with ``get_output_embeddings``) gets the same treatment: tied weights stay
    tied; an untied decoder's new rows and bias entries are the means of its rows / biases at ``pieces[k]``
    (random: N(0, s^2) rows and the mean bias). Outputs on inputs of old ids do not change.
    """
    if init not in ("mean", "random"):
        raise ValueError(f"init must be 'mean' or 'random', got {init!r}")
    old = model.get_input_embeddings()
    V, d = old.weight.shape
    if not pieces:
        raise ValueError("no rows to add: pass one list of existing ids per new token")
    for p in pieces:
        if len(p) == 0 or min(p) < 0 or max(p) >= V:
            raise ValueError(f"each new row needs a non-empty list of existing ids in 0..{V - 1}, got {list(p)!r}")
    generator = torch.Generator().manual_seed(seed)

    def new_rows(weight: torch.Tensor) -> torch.Tensor:
        if init == "mean":
            return torch.stack([weight[list(p)].mean(0) for p in pieces])
        noise = torch.randn(len(pieces), weight.shape[1], generator=generator)
        return (noise * weight.std()).to(weight)

    output = model.get_output_embeddings()
    tied = output is not None and output.weight is old.weight
    embedding = torch.nn.Embedding(V + len(pieces), d, padding_idx=old.padding_idx).to(old.weight.device)
    embedding.weight.data.copy_(torch.cat([old.weight.data, new_rows(old.weight.data)]))
    model.set_input_embeddings(embedding)
    if output is not None:
        bias = getattr(output, "bias", None)
        decoder = torch.nn.Linear(d, V + len(pieces), bias=bias is not None).to(old.weight.device)
        if tied:
            decoder.weight = embedding.weight
        else:
            decoder.weight.data.copy_(torch.cat([output.weight.data, new_rows(output.weight.data)]))
        if bias is not None:
            if init == "mean":
                added = torch.stack([bias.data[list(p)].mean() for p in pieces])
            else:
                added = bias.data.mean().expand(len(pieces))
            decoder.bias.data.copy_(torch.cat([bias.data, added]))
        model.set_output_embeddings(decoder)
    model.config.vocab_size = V + len(pieces)
    return V


def add_words(encoder: Encoder, words: Sequence[str], *, init: str = "mean", seed: int = 0) -> WordTokenizer:
    """Extend ``encoder.model`` in place with one row per word (see :func:`extend_embeddings`) and return the
    tokenizer that speaks the extended vocabulary."""
    unknown = [w for w in words if _unknown(encoder, w)]
    if unknown:
        raise ValueError(
            f"{len(unknown)} word(s) have characters outside {encoder.name}'s vocabulary, e.g. {unknown[:5]}: "
            "drop them (select_words does), or keep their characters when pruning (word_char_ids)"
        )
    offset = extend_embeddings(encoder.model, [encoder.unit_ids(w) for w in words], init=init, seed=seed)
    return WordTokenizer(encoder, tuple(words), offset)
