"""Word frequencies from jieba's main dictionary (``jieba/dict.txt``).

The file has 349,046 lines ``word freq pos`` (e.g. ``中国 129470 ns``) and
349,045 distinct words: ``B超 3 n`` appears twice.  As in jieba itself, a
repeated word keeps its last frequency.
"""

from __future__ import annotations

import functools

from ._paths import package_file


@functools.lru_cache(maxsize=1)
def _frequencies() -> dict[str, int]:
    text = package_file("jieba", "dict.txt").read_text(encoding="utf-8")
    frequencies: dict[str, int] = {}
    for line in text.splitlines():
        word, freq = line.split(" ")[:2]
        frequencies[word] = int(freq)
    return frequencies


def load_jieba_frequencies() -> dict[str, int]:
    """``{word: frequency}`` for all 349,045 words of jieba's dictionary (a fresh copy)."""
    return dict(_frequencies())


@functools.lru_cache(maxsize=8)
def _ranked(min_len: int) -> tuple[str, ...]:
    words = [word for word in _frequencies() if len(word) >= min_len]
    return tuple(sorted(words, key=lambda word: (-_frequencies()[word], word)))


def top_words(n: int, min_len: int = 2) -> list[str]:
    """The ``n`` most frequent words of at least ``min_len`` characters.

    Ties in frequency are broken by the words' code-point order.  With the
    default ``min_len=2`` there are 337,465 candidates, starting 一个, 中国, 我们.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    ranked = _ranked(min_len)
    if n > len(ranked):
        raise ValueError(
            f"asked for {n} words, but jieba's dictionary has only {len(ranked)} words"
            f" of length >= {min_len}"
        )
    return list(ranked[:n])
