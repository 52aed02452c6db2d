"""How much of the cipher an alignment decodes: possible only here, because we hold the key.

Per kept cipher id (by rank r): ``exact`` when the assumed character is the true one, ``similar`` when their
reference frequencies f are within a factor k, |log f(assumed) - log f(true)| <= log k. ``recovery`` gives the
shares of ids, and of token occurrences (weighted by count), for both; :func:`recovery_table` the chapter's
comparison of references.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np

from ..models import Encoder
from .alignments import Alignment, random_alignment, rank_alignment, ranked_characters
from .cipher import Cipher
from .references import char_counts, reference_counts
from .vocabulary import SPECIALS, CipherVocab

#: the references the chapter compares, by the names its table shows
PEOPLES_DAILY = "People's Daily, test split"
JIEBA = "jieba dictionary"
OWN_COUNTS = "the ciphered texts' own counts (ceiling)"
RANK, RANDOM = "rank alignment", "random map"


def recovery_flags(alignment: Alignment, vocab: CipherVocab, cipher: Cipher, reference: Counter,
                   factor: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Per kept cipher id (by rank): is the assumed character the true one (``exact``), and is its ``reference``
    frequency within ``factor`` of the true character's (``similar``: |log f(assumed) - log f(true)| <= log factor;
    a true character missing from the reference is never similar)?"""
    if factor < 1:
        raise ValueError(f"factor must be at least 1, got {factor}")
    plain = {i: c for c, i in cipher.char_to_id.items()}
    true = [plain[i] for i in vocab.ids]
    exact = np.array([c == t for c, t in zip(alignment.chars, true)])
    similar = np.array([c is not None and reference.get(t, 0) > 0 and reference.get(c, 0) > 0
                        and abs(math.log(reference[c] / reference[t])) <= math.log(factor)
                        for c, t in zip(alignment.chars, true)])
    return exact, similar


def recovery(alignment: Alignment, vocab: CipherVocab, cipher: Cipher, reference: Counter,
             factor: float = 2.0) -> dict[str, float]:
    """Fractions of kept cipher ids, and of their token occurrences, that the alignment maps to their true
    character (``exact``) or to one of similar frequency (``similar``, see :func:`recovery_flags`)."""
    exact, similar = recovery_flags(alignment, vocab, cipher, reference, factor)
    weights = np.asarray(vocab.counts, dtype=np.float64)
    return {
        "ids exact": float(exact.mean()), "tokens exact": float(weights[exact].sum() / weights.sum()),
        "ids similar": float(similar.mean()), "tokens similar": float(weights[similar].sum() / weights.sum()),
    }


def true_ranks(vocab: CipherVocab, cipher: Cipher, reference: Counter, encoder: Encoder) -> np.ndarray:
    """For the cipher id of rank r (0-based), the rank of its true character among the encoder's characters ranked
    by ``reference`` (the list :func:`rank_alignment` reads from); NaN if the character is not in that list.
    The rank alignment is right exactly where ``true_ranks[r] == r``."""
    order = {c: r for r, (c, _) in enumerate(ranked_characters(encoder, reference))}
    plain = {i: c for c, i in cipher.char_to_id.items()}
    return np.array([order.get(plain[i], np.nan) for i in vocab.ids], dtype=np.float64)


def decode_with(alignment: Alignment, vocab: CipherVocab, cipher_ids: Iterable[int], unknown: str = "□") -> str:
    """What the model is told a ciphered text says: each kept id read as the character the alignment gave it."""
    first = len(SPECIALS)
    return "".join(unknown if t < first or alignment.chars[t - first] is None else alignment.chars[t - first]
                   for t in vocab.tokens(cipher_ids))


def chapter_references(data: Any) -> dict[str, Counter]:
    """The three references the chapter compares: People's Daily's test split (what the training runs use),
    jieba's dictionary, and the character counts of ``data``'s own plaintext (the ceiling of any rank alignment)."""
    own = char_counts(t for p in data.plain_train + data.plain_held_out for t in (p.a, p.b))
    return {PEOPLES_DAILY: reference_counts("peoples-daily-test"), JIEBA: reference_counts("jieba"),
            OWN_COUNTS: own}


@dataclass(frozen=True)
class RecoveryTable:
    """:func:`recovery` of the rank alignment and of a random map per reference (``rows``, the chapter's table),
    with :func:`true_ranks` and the rank alignment's :func:`recovery_flags` per reference (for the figure)."""

    rows: list[dict[str, Any]]
    ranks: dict[str, np.ndarray]
    flags: dict[str, tuple[np.ndarray, np.ndarray]]

    def row(self, reference: str = PEOPLES_DAILY, mapping: str = RANK) -> dict[str, Any]:
        """The row of one reference and mapping (``"rank alignment"`` or ``"random map"``)."""
        for r in self.rows:
            if r["reference"] == reference and r["mapping"] == mapping:
                return r
        raise KeyError(f"no row for {reference!r} / {mapping!r}: references are {list(self.ranks)}")


def recovery_table(data: Any, encoder: Encoder, references: Mapping[str, Counter] | None = None,
                   *, seed: int = 0) -> RecoveryTable:
    """For each reference (default :func:`chapter_references`): what the rank alignment and a random map of the
    same rows (``seed``) decode of ``data``'s cipher (anything with ``vocab`` and ``cipher``)."""
    references = chapter_references(data) if references is None else references
    rows, ranks, flags = [], {}, {}
    for name, counts in references.items():
        aligned = rank_alignment(data.vocab, counts, encoder)
        shuffled = random_alignment(data.vocab, counts, encoder, seed=seed)
        rows.append({"reference": name, "mapping": RANK, **recovery(aligned, data.vocab, data.cipher, counts)})
        rows.append({"reference": name, "mapping": RANDOM, **recovery(shuffled, data.vocab, data.cipher, counts)})
        ranks[name] = true_ranks(data.vocab, data.cipher, counts, encoder)
        flags[name] = recovery_flags(aligned, data.vocab, data.cipher, counts)
    return RecoveryTable(rows, ranks, flags)
