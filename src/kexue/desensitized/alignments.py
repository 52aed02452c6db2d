"""From cipher tokens to rows of the pretrained embedding: Su's frequency-rank alignment and its controls.

With c_1, c_2, ..., c_V the kept cipher ids by decreasing count and w_1, w_2, ... the pretrained model's characters
by decreasing count in an open corpus, the new embedding is E'[tok(c_r)] = E[w_r] for r = 1..V; the specials
copy the model's own rows, and ``[NO]`` / ``[YES]`` start from its ``[UNK]`` row, as in the reference code.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import torch

from ..models import Encoder
from .cipher import Cipher
from .vocabulary import CipherVocab


@dataclass(frozen=True)
class Alignment:
    """``rows[t]``: the pretrained embedding row that token ``t`` of the cipher vocabulary starts from;
    ``chars[r]``: the character assumed for the cipher id of rank r (None: no character, the ``[UNK]`` row)."""

    rows: torch.Tensor
    chars: tuple[str | None, ...]
    kind: str


def _special_rows(encoder: Encoder) -> list[int]:
    # [NO] and [YES] start from the unknown token's row, as in the reference code
    return [encoder.pad_id, encoder.unk_id, encoder.cls_id, encoder.sep_id, encoder.mask_id,
            encoder.unk_id, encoder.unk_id]


def _char_row(encoder: Encoder, char: str) -> int | None:
    """The encoder's row for one character, or None if it is not a single known token."""
    ids = encoder.unit_ids(char)
    return ids[0] if len(ids) == 1 and ids[0] != encoder.unk_id else None


def ranked_characters(encoder: Encoder, reference: Counter, n: int | None = None) -> list[tuple[str, int]]:
    """The ``n`` (default: all) most frequent characters of ``reference`` that are single tokens of ``encoder``,
    with their rows (ties in frequency: code-point order); fewer when the reference names fewer."""
    ranked = []
    for char in sorted(reference, key=lambda c: (-reference[c], c)):
        row = _char_row(encoder, char)
        if row is not None:
            ranked.append((char, row))
            if len(ranked) == n:
                break
    return ranked


def _ranked_or_unknown(vocab: CipherVocab, reference: Counter, encoder: Encoder) -> list[str | None]:
    """One character per kept cipher id, by rank; where the reference runs out of characters (a small corpus, or
    many kept ids: 3,358 at the full sizes against 3,096 characters of People's Daily's test split), the rarest
    cipher ids get None, the ``[UNK]`` row, as the ids under ``min_count`` do."""
    chars: list[str | None] = [c for c, _ in ranked_characters(encoder, reference, len(vocab.ids))]
    return chars + [None] * (len(vocab.ids) - len(chars))


def _alignment(encoder: Encoder, chars: Sequence[str | None], kind: str) -> Alignment:
    rows = _special_rows(encoder) + [encoder.unk_id if c is None else _char_row(encoder, c) or encoder.unk_id
                                     for c in chars]
    return Alignment(torch.tensor(rows, dtype=torch.long), tuple(chars), kind)


def rank_alignment(vocab: CipherVocab, reference: Counter, encoder: Encoder) -> Alignment:
    """Cipher id of rank r -> the encoder's character of rank r in the ``reference`` counts (Su's alignment);
    ranks beyond the reference's characters -> ``[UNK]``."""
    return _alignment(encoder, _ranked_or_unknown(vocab, reference, encoder), "rank-align")


def random_alignment(vocab: CipherVocab, reference: Counter, encoder: Encoder, seed: int = 0) -> Alignment:
    """The same characters as :func:`rank_alignment`, assigned to the cipher ids in random order (the control)."""
    chars = _ranked_or_unknown(vocab, reference, encoder)
    random.Random(seed).shuffle(chars)
    return _alignment(encoder, chars, "random-map")


def plaintext_alignment(vocab: CipherVocab, cipher: Cipher, encoder: Encoder) -> Alignment:
    """The true mapping (possible only because we made the cipher): the ceiling an alignment could reach."""
    plain = {i: c for c, i in cipher.char_to_id.items()}
    return _alignment(encoder, [plain[i] for i in vocab.ids], "plaintext")
