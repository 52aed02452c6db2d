"""The cipher vocabulary: the model's tokens are seven specials, then the kept cipher ids by decreasing count.

Count the cipher ids over all texts (labelled and unlabelled), send ids seen fewer than ``min_count`` times to
``[UNK]`` and rank the rest: the cipher id of rank r (0-based) is token ``len(SPECIALS) + r``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from .cipher import CipherPair

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[NO]", "[YES]")
PAD, UNK, CLS, SEP, MASK, NO, YES = range(len(SPECIALS))


@dataclass(frozen=True)
class CipherVocab:
    """Kept cipher ids by decreasing count; cipher id ``ids[r]`` (rank r) is token ``len(SPECIALS) + r``."""

    ids: tuple[int, ...]
    counts: tuple[int, ...]
    min_count: int
    index: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {i: len(SPECIALS) + r for r, i in enumerate(self.ids)})

    def __len__(self) -> int:
        """Size of the token vocabulary: specials plus kept cipher ids."""
        return len(SPECIALS) + len(self.ids)

    def tokens(self, cipher_ids: Iterable[int]) -> list[int]:
        """Token ids of cipher ids; rare ids and ids never counted become ``[UNK]``."""
        return [self.index.get(i, UNK) for i in cipher_ids]


def build_vocab(pairs: Iterable[CipherPair], min_count: int = 5) -> CipherVocab:
    """Count the cipher ids of all texts (labelled and unlabelled); keep those seen ``min_count`` times or more,
    ranked by count (ties: smaller id first)."""
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count}")
    counts = Counter(i for p in pairs for text in (p.a, p.b) for i in text)
    kept = sorted((i for i, n in counts.items() if n >= min_count), key=lambda i: (-counts[i], i))
    if not kept:
        raise ValueError(f"no cipher id occurs {min_count} times: pass more texts or lower min_count")
    return CipherVocab(tuple(kept), tuple(counts[i] for i in kept), min_count)
