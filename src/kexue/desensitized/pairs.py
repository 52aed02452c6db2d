"""Pairs as tensors: padded token ids of each text (cut to fit), labels, and the model input built from them.

A pair (a, b) is read as x = ``[CLS] a [SEP] b [SEP]`` (``[CLS] b [SEP] a [SEP]`` when swapped); a pair longer
than ``max_length`` loses tokens from the end of its currently longer text (:func:`kexue.text.truncate_pair`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from ..text import token_counts, truncate_pair
from .cipher import CipherPair
from .vocabulary import CLS, PAD, SEP, CipherVocab


@dataclass(frozen=True)
class PairTensors:
    """Padded token ids of the first and second texts (already truncated) and labels (-1: unlabelled)."""

    a: torch.Tensor
    b: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, rows: slice | torch.Tensor) -> PairTensors:
        """The pairs in ``rows`` (a slice or a 1-d tensor of row numbers), e.g. ``pairs[:400]`` for the first 400."""
        if not isinstance(rows, slice) and not (isinstance(rows, torch.Tensor) and rows.ndim == 1):
            raise TypeError("index PairTensors with a slice (e.g. pairs[:400]) or a 1-d tensor of rows; its tensors "
                            "a, b, y hold single pairs")
        return PairTensors(self.a[rows], self.b[rows], self.y[rows])

    def lengths(self) -> torch.Tensor:
        """Tokens of each pair without specials (both texts' non-padding ids)."""
        return token_counts(self.a, PAD) + token_counts(self.b, PAD)


def pair_tensors(pairs: Sequence[CipherPair], vocab: CipherVocab, max_length: int = 64) -> PairTensors:
    """Token ids of pairs, each cut to fit ``[CLS] a [SEP] b [SEP]`` in ``max_length`` (longer text trimmed
    first, see :func:`kexue.text.truncate_pair`)."""
    if max_length < 5:
        raise ValueError(f"max_length must be at least 5 (three specials and a token per text), got {max_length}")
    if not pairs:
        raise ValueError("no pairs")
    rows_a, rows_b, labels = [], [], []
    for p in pairs:
        if not p.a or not p.b:
            raise ValueError("empty text in a pair: drop it (every text needs at least one id)")
        if p.label is not None and p.label not in (0, 1):
            raise ValueError(f"labels must be 0 or 1 (or None for unlabelled pairs), got {p.label!r}")
        a, b = truncate_pair(vocab.tokens(p.a), vocab.tokens(p.b), max_length - 3)
        rows_a.append(a)
        rows_b.append(b)
        labels.append(-1 if p.label is None else p.label)

    def pad(rows: list[list[int]]) -> torch.Tensor:
        out = torch.full((len(rows), max(map(len, rows))), PAD, dtype=torch.long)
        for i, row in enumerate(rows):
            out[i, : len(row)] = torch.tensor(row)
        return out

    return PairTensors(pad(rows_a), pad(rows_b), torch.tensor(labels))


def concat(*parts: PairTensors) -> PairTensors:
    """One set of pairs from several (e.g. labelled and unlabelled), padded to the longest."""
    width_a = max(p.a.shape[1] for p in parts)
    width_b = max(p.b.shape[1] for p in parts)

    def grow(t: torch.Tensor, width: int) -> torch.Tensor:
        return torch.nn.functional.pad(t, (0, width - t.shape[1]), value=PAD)

    return PairTensors(torch.cat([grow(p.a, width_a) for p in parts]), torch.cat([grow(p.b, width_b) for p in parts]),
                       torch.cat([p.y for p in parts]))


def assemble(a: torch.Tensor, b: torch.Tensor | None = None, swap: torch.Tensor | None = None) -> torch.Tensor:
    """``[CLS] a [SEP] b [SEP]`` per row (``[CLS] b [SEP] a [SEP]`` where ``swap``), padded with ``[PAD]``;
    ``[CLS] a [SEP]`` when ``b`` is None."""
    cls, sep = torch.tensor([CLS]), torch.tensor([SEP])
    if b is None:
        rows = [torch.cat([cls, x[x != PAD], sep]) for x in a]
    else:
        swap = torch.zeros(len(a), dtype=torch.bool) if swap is None else swap
        rows = []
        for x, z, s in zip(a, b, swap.tolist()):
            x, z = (z, x) if s else (x, z)
            rows.append(torch.cat([cls, x[x != PAD], sep, z[z != PAD], sep]))
    return torch.nn.utils.rnn.pad_sequence(rows, batch_first=True, padding_value=PAD)
