"""Units of a text, and segmentations built from them without a model.

The unit rule of Su's segmenter (kexue.fm/archives/7476) as this package applies it: each CJK character is
a unit, a run of letters or digits (``GDP``, ``１９９８``) is one unit, whitespace separates units (never
joined across) and is dropped, and every other character is punctuation: its own word, never joined (a run
of one punctuation mark, ``……`` or ``——``, is one unit). So ``３０％`` can only come out as ``３０ / ％``.

A segmentation is a choice, for each adjacent pair of units, to join or cut (:func:`join_units`); long
texts are scored in windows cut at sentence ends (:func:`windows`); :func:`random_segment` is the baseline
that cuts at random.
"""

from __future__ import annotations

import unicodedata
from typing import Sequence

import numpy as np

from ..models.encoder import CJK

#: Marks that end a sentence: long texts are first cut after these (see :func:`windows`).
SENTENCE_END = frozenset("。！？；!?;…")
DEFAULT_WINDOW = 126


def _kind(ch: str) -> str:
    """``skip`` (whitespace, control), ``cjk``, ``word`` (letters, digits, combining marks) or ``punct``."""
    if ch.isspace() or unicodedata.category(ch).startswith("C"):
        return "skip"
    if CJK.fullmatch(ch):
        return "cjk"
    if ch.isalnum() or unicodedata.category(ch).startswith("M"):
        return "word"
    return "punct"


def split_units(text: str) -> tuple[list[str], np.ndarray]:
    """Units of ``text`` (CJK characters, runs of letters/digits, runs of one punctuation mark), and for
    each adjacent pair whether it may be joined: (n-1,) bool, False next to punctuation or across whitespace.
    """
    units: list[str] = []
    joins: list[bool] = []
    previous, gap = "skip", False  # kind of the last unit's last character; whitespace seen since then
    for ch in text:
        kind = _kind(ch)
        if kind == "skip":
            gap = True
            continue
        run = kind == previous and (kind == "word" or (kind == "punct" and units[-1][-1] == ch))
        if run and not gap:
            units[-1] += ch
        else:
            if units:
                joins.append(not gap and "punct" not in (kind, previous))
            units.append(ch)
        previous, gap = kind, False
    return units, np.array(joins, dtype=bool)


def join_units(units: Sequence[str], join: np.ndarray) -> list[str]:
    """Words from units, joining unit i and i+1 where ``join[i]``."""
    words = list(units[:1])
    for unit, glue in zip(units[1:], join):
        if glue:
            words[-1] += unit
        else:
            words.append(unit)
    return words


def windows(units: Sequence[str], window: int = DEFAULT_WINDOW) -> list[tuple[int, int]]:
    """Half-open unit ranges of at most ``window`` units that cover ``units``, each run through the model alone.

    Rule: cut after every sentence-ending mark (:data:`SENTENCE_END`), pack whole sentences greedily into
    windows, and cut a sentence longer than ``window`` into consecutive windows of ``window`` units. Pairs
    across a window edge get no score, so a hard cut inside a sentence is always a word boundary.
    """
    if window < 2:
        raise ValueError(f"window must be at least 2 units, got {window}")
    sentences, start = [], 0
    for k, unit in enumerate(units):
        if unit[-1] in SENTENCE_END or k == len(units) - 1:
            sentences.append((start, k + 1))
            start = k + 1
    pieces = [(a, min(a + window, end)) for start, end in sentences for a in range(start, end, window)]
    packed: list[tuple[int, int]] = []
    for start, end in pieces:
        if packed and end - packed[-1][0] <= window:
            packed[-1] = (packed[-1][0], end)
        else:
            packed.append((start, end))
    return packed


def random_segment(text: str, cut_rate: float, rng: np.random.Generator) -> list[str]:
    """Baseline: cut each joinable pair of units independently with probability ``cut_rate``."""
    units, joinable = split_units(text)
    join = joinable & (rng.random(len(joinable)) >= cut_rate)
    return join_units(units, join)
