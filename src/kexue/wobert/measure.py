"""How much shorter and faster word-level input is. A layer on n tokens costs about alpha n d^2 + beta n^2 d, so
shortening a text by r = n_char / n_word speeds the forward pass up by at most r while the first term dominates
and by up to r^2 when attention does.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import torch

from ..text import encode_texts
from ..timing import forward_times
from .tokenizer import WordTokenizer


def length_ratios(tokenizer: WordTokenizer, texts: Sequence[str]) -> np.ndarray:
    """Per text: number of character-level tokens / number of word-level tokens (>= 1; 1.36 means a word-level
    sequence is 1.36 times shorter)."""
    encoder = tokenizer.encoder
    return np.array([len(encoder.unit_ids(t)) / len(tokenizer.unit_ids(t)) for t in texts])



def pooled_ratio(tokenizer: WordTokenizer, texts: Sequence[str]) -> float:
    """Characters per word token pooled over all of ``texts``: sum of character tokens / sum of word tokens
    (long texts weigh more than in the mean of :func:`length_ratios`)."""
    encoder = tokenizer.encoder
    return sum(len(encoder.unit_ids(t)) for t in texts) / sum(len(tokenizer.unit_ids(t)) for t in texts)


def text_windows(texts: Iterable[str], size: int, count: int) -> list[str]:
    """``count`` consecutive, non-overlapping windows of ``size`` characters from the concatenation of ``texts``."""
    if size < 1 or count < 1:
        raise ValueError(f"size and count must be positive, got {size}, {count}")
    stream, windows = "", []
    for text in texts:
        stream += text
        while len(stream) >= size and len(windows) < count:
            windows.append(stream[:size])
            stream = stream[size:]
        if len(windows) == count:
            return windows
    raise ValueError(f"the texts hold only {len(windows)} windows of {size} characters; pass more text")


def speed_ratios(model: torch.nn.Module, tokenizer: WordTokenizer, texts: Sequence[str],
                 lengths: Sequence[int] = (128, 256, 512), *, batch_size: int = 4, repeats: int = 5) -> list[dict]:
    """Forward-pass speed-up of word-level over character-level input of the same text, per input length L.

    For each L, ``batch_size`` windows of L - 2 characters (so the character input, with [CLS] and [SEP], is L
    tokens) are fed once as characters and once as words to the same ``model`` (taking turns, see
    :func:`kexue.timing.forward_times`); speed-up = t_char / t_word.
    """
    pad = tokenizer.pad_id

    def forward(m: torch.nn.Module, ids: torch.Tensor) -> None:
        m(input_ids=ids, attention_mask=(ids != pad).long())

    rows = []
    windows = text_windows(texts, max(lengths) - 2, batch_size * len(lengths))
    for k, L in enumerate(lengths):
        chunk = [w[: L - 2] for w in windows[k * batch_size:(k + 1) * batch_size]]
        chars = encode_texts(tokenizer.encoder, chunk, max_length=L)
        words = encode_texts(tokenizer, chunk, max_length=L)
        times = forward_times({"char": model, "word": model}, {"char": chars, "word": words}, repeats=repeats,
                              call=forward)
        t_char, t_word = times["char"], times["word"]
        rows.append({"characters": L, "char tokens": chars.shape[1],
                     "word tokens": float((words != tokenizer.pad_id).sum(1).float().mean()),
                     "char ms": 1000 * t_char, "word ms": 1000 * t_word, "speed-up": t_char / t_word})
    return rows



def compare_tokens(tokenizer: WordTokenizer, texts: Sequence[str]) -> list[dict]:
    """For each text: the number of character tokens and of word tokens, and the word tokens joined by " / "."""
    rows = []
    for text in texts:
        words = tokenizer.tokenize(text)
        rows.append({"text": text, "char tokens": len(tokenizer.encoder.unit_ids(text)),
                     "word tokens": len(words), "tokens": " / ".join(words)})
    return rows

