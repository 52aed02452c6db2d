"""Step 1, the vocabulary: the character model's own tokens plus the most frequent jieba words it lacks,

    V = V_c ∪ W,   W = the first N words of jieba's frequency ranking (length >= 2) not one token of V_c,

with |W| = N = 20,000 in the article.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple, Sequence

import torch

from ..data import load_jieba_frequencies, top_words
from ..models import Encoder
from ..models.encoder import CJK
from .article import ARTICLE_WORDS



def _unknown(encoder: Encoder, word: str) -> bool:
    return encoder.unk_id in encoder.unit_ids(word)


def char_vocabulary(path: str | Path | None = None) -> list[str]:
    """bert-base-chinese's vocabulary (``kexue.models.char_vocab_file()``) without its redundant ``##``-prefixed
    CJK pieces: a Chinese text is split into single characters before WordPiece, so ``##中`` never occurs.
    This is the article's starting point; the word rows of :func:`add_words` are appended after all base rows."""
    from ..models import char_vocab_file

    tokens = Path(path or char_vocab_file()).read_text(encoding="utf-8").splitlines()
    return [t for t in tokens if not (t.startswith("##") and re.fullmatch(CJK.pattern + "+", t[2:]))]


class WordSelection(NamedTuple):
    """The chosen words (most frequent first) and the more frequent ones passed over, with the reason."""

    words: list[str]
    skipped: dict[str, str]

    def reasons(self) -> dict[str, int]:
        """How many words were passed over for each reason (in the order the reasons first occur)."""
        counts: dict[str, int] = {}
        for reason in self.skipped.values():
            counts[reason] = counts.get(reason, 0) + 1
        return counts


def select_words(encoder: Encoder, n: int = ARTICLE_WORDS, *, min_len: int = 2) -> WordSelection:
    """The ``n`` most frequent jieba words of at least ``min_len`` characters that are new to ``encoder``.

    A word is passed over when the encoder already holds it as one token, when one of its characters is not in the
    encoder's vocabulary (it would embed as the unknown token), or when the tokenizer would not see it as written
    (:meth:`kexue.Encoder.normalize` changes it). Call it before :func:`kexue.text.prune_vocab`, and keep the words'
    characters when pruning (see :func:`word_char_ids`).
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    candidates = sum(len(w) >= min_len for w in load_jieba_frequencies())
    if n > candidates:
        raise ValueError(f"asked for {n} words, but jieba's dictionary has only {candidates} words of length "
                         f">= {min_len}: ask for at most {candidates}")
    words, skipped = [], {}
    for word in top_words(candidates, min_len=min_len):
        if encoder.normalize(word) != word:
            skipped[word] = "changed by normalisation"
        elif _unknown(encoder, word):
            skipped[word] = "character not in the vocabulary"
        elif len(encoder.unit_ids(word)) == 1:
            skipped[word] = "already one token"
        else:
            words.append(word)
            if len(words) == n:
                return WordSelection(words, skipped)
    raise ValueError(
        f"asked for {n} words, but jieba's dictionary has only {len(words)} usable words of length >= {min_len} "
        f"for {encoder.name} ({len(skipped)} passed over): ask for at most {len(words)}"
    )


def word_char_ids(encoder: Encoder, words: Sequence[str]) -> torch.Tensor:
    """All token ids the characters of ``words`` use, flat: pass it to :func:`kexue.text.prune_vocab` with the
    data so that pruning keeps every row a word's embedding is averaged from."""
    if not words:
        raise ValueError("no words given")
    return torch.tensor([i for w in words for i in encoder.unit_ids(w)], dtype=torch.long)
