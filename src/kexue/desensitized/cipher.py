"""The desensitization: a fixed random bijection character -> integer id, applied to real sentence pairs.

The competition's cipher was secret; ours is made here (:func:`make_cipher`), so the plaintext stays known and
the chapter can check how much of it an alignment decodes (:mod:`.recovery`).
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence


def characters(text: str) -> list[str]:
    """The characters of ``text`` after NFKC normalisation (full-width forms folded), whitespace dropped."""
    if not isinstance(text, str):
        raise TypeError(f"texts must be strings, got {type(text).__name__}")
    return [c for c in unicodedata.normalize("NFKC", text) if not c.isspace()]


@dataclass(frozen=True)
class Cipher:
    """A fixed bijection character -> integer id (the desensitization); ``decode`` inverts it."""

    char_to_id: dict[str, int]

    def encode(self, text: str) -> list[int]:
        """Cipher ids of the characters of ``text`` (see :func:`characters`)."""
        chars = characters(text)
        if not chars:
            raise ValueError("empty text: every text needs at least one visible character")
        missing = sorted({c for c in chars if c not in self.char_to_id})
        if missing:
            raise ValueError(f"characters {missing[:10]} are not in this cipher: build it from all the texts")
        return [self.char_to_id[c] for c in chars]

    def decode(self, ids: Iterable[int]) -> str:
        """The plaintext of cipher ids."""
        plain = {i: c for c, i in self.char_to_id.items()}
        return "".join(plain[i] for i in ids)


def make_cipher(texts: Iterable[str], seed: int = 0) -> Cipher:
    """A random bijection from the characters of ``texts`` to the ids 1..n (the same for the same seed)."""
    chars = sorted({c for t in texts for c in characters(t)})
    if not chars:
        raise ValueError("no characters to encipher: pass the texts of the data set")
    ids = list(range(1, len(chars) + 1))
    random.Random(seed).shuffle(ids)
    return Cipher(dict(zip(chars, ids)))


@dataclass(frozen=True)
class CipherPair:
    """Two texts as cipher ids; ``label`` 1 = match, 0 = no match, None = unlabelled."""

    a: tuple[int, ...]
    b: tuple[int, ...]
    label: int | None


def encipher_pairs(pairs: Sequence, cipher: Cipher, *, labelled: bool = True) -> list[CipherPair]:
    """Cipher each pair (any object with ``a``, ``b``, ``label``); ``labelled=False`` drops the labels."""
    out = []
    for pair in pairs:
        label = pair.label if labelled else None
        if label is not None and label not in (0, 1):
            raise ValueError(f"labels must be 0 or 1 (or None for unlabelled pairs), got {label!r}")
        out.append(CipherPair(tuple(cipher.encode(pair.a)), tuple(cipher.encode(pair.b)), label))
    return out
