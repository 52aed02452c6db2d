"""Quick looks at the packaged corpora: what the words and lengths look like."""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .style import use_cjk_font


def top_words_bar(sentences: Iterable[Sequence[str]], n: int = 20, *, min_len: int = 1, ax=None):
    """Horizontal bar chart of the ``n`` most frequent words (each sentence a sequence of words)."""
    use_cjk_font()
    counts = Counter(w for words in sentences for w in words if len(w) >= min_len)
    if not counts:
        raise ValueError("no words to count: pass sentences as sequences of words")
    words, freqs = zip(*counts.most_common(n))
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 0.22 * len(words) + 1))
    ax.barh(range(len(words)), freqs, color="#4C72B0")
    ax.set_yticks(range(len(words)), words)
    ax.invert_yaxis()
    ax.set_xlabel("count")
    return ax


def length_histogram(lengths: dict[str, Sequence[int]], *, bins: int = 40, ax=None, xlabel: str = "characters"):
    """Overlaid histograms of text lengths, one per named corpus, with the medians in the legend."""
    use_cjk_font()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    top = max(np.percentile(v, 99) for v in lengths.values())
    for name, values in lengths.items():
        ax.hist(np.clip(values, 0, top), bins=bins, range=(0, top), alpha=0.55, density=True,
                label=f"{name} (median {int(np.median(values))})")
    ax.set(xlabel=xlabel, ylabel="density")
    ax.legend()
    return ax
