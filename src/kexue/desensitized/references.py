"""Character counts of open corpora: the frequencies the rank alignment reads the pretrained side from."""

from __future__ import annotations

import functools
from collections import Counter
from typing import Iterable

from .cipher import characters

#: open corpora whose character counts the rank alignment may use
REFERENCES = {
    "peoples-daily-test": "People's Daily, test split (27-31 January; never ciphered here)",
    "jieba": "jieba's dictionary word frequencies, spread over their characters",
}


def char_counts(texts: Iterable[str]) -> Counter:
    """Character counts of ``texts`` (after :func:`characters`): an open corpus's frequencies."""
    return Counter(c for t in texts for c in characters(t))


def jieba_char_counts() -> Counter:
    """Character frequencies implied by jieba's dictionary: sum over words w of freq(w) x (times the char is in w)."""
    from ..data import load_jieba_frequencies

    counts: Counter = Counter()
    for word, freq in load_jieba_frequencies().items():
        for c in characters(word):
            counts[c] += freq
    return counts


def reference_counts(name: str) -> Counter:
    """Character counts of one of the :data:`REFERENCES` (a fresh copy; each corpus is read once per process)."""
    return Counter(_reference_counts(name))


@functools.cache
def _reference_counts(name: str) -> Counter:
    if name == "jieba":
        return jieba_char_counts()
    if name == "peoples-daily-test":
        from ..data import load_peoples_daily

        return char_counts(s.text for s in load_peoples_daily("test"))
    raise ValueError(f"reference must be one of {list(REFERENCES)}, got {name!r}")
