"""Step 2, the tokenizer: ``jieba.cut(text, HMM=False)`` into pieces p_1 ... p_m; a piece in W is one token,
any other piece falls back to the character model's tokens (one per CJK character, runs of other text).

Without the HMM jieba invents no words outside its dictionary, so the cut is a deterministic function of it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..models import Encoder
from ..models.encoder import CJK

_UNITS = re.compile(rf"{CJK.pattern}|(?:(?!{CJK.pattern})\S)+")  # one CJK character, or a run of other visible text


def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict ..." chatter on first use
    return jieba



@dataclass
class WordTokenizer:
    """Word-level tokenizer over a character-level ``encoder``: ids below ``offset`` are the encoder's own tokens,
    ``offset + k`` is ``words[k]``.

    ``cut`` runs ``jieba.cut(text, HMM=False)`` on the normalised text; pieces that are in ``words`` stay whole,
    every other piece is split into CJK characters and runs of other text, which the encoder tokenizes.
    """

    encoder: Encoder
    words: tuple[str, ...]
    offset: int
    word_ids: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.words = tuple(self.words)
        self.word_ids = {w: self.offset + k for k, w in enumerate(self.words)}
        if len(self.word_ids) != len(self.words):
            raise ValueError("the word list has repeats: each word must appear once")

    # what kexue.text reads from an encoder
    @property
    def name(self) -> str:
        return f"{self.encoder.name}+{len(self.words)} words"

    @property
    def max_length(self) -> int:
        return self.encoder.max_length

    @property
    def vocab_size(self) -> int:
        return self.offset + len(self.words)

    @property
    def cls_id(self) -> int:
        return self.encoder.cls_id

    @property
    def sep_id(self) -> int:
        return self.encoder.sep_id

    @property
    def pad_id(self) -> int:
        return self.encoder.pad_id

    @property
    def mask_id(self) -> int:
        return self.encoder.mask_id

    @property
    def unk_id(self) -> int:
        return self.encoder.unk_id

    @property
    def special_ids(self) -> list[int]:
        return self.encoder.special_ids

    # text -> units -> ids
    def cut(self, text: str) -> list[str]:
        """The units of ``text``: whole words where they are in the vocabulary, else characters / non-CJK runs."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}")
        text = self.encoder.normalize(text)
        if not text.strip():
            raise ValueError("empty text: there is nothing to tokenize (drop empty texts from the data)")
        units: list[str] = []
        for piece in _jieba().cut(text, HMM=False):
            if piece in self.word_ids:
                units.append(piece)
            else:
                units.extend(_UNITS.findall(piece))
        return units

    def unit_ids(self, text: str) -> list[int]:
        """Token ids of ``text`` (no special tokens)."""
        ids: list[int] = []
        for unit in self.cut(text):
            word = self.word_ids.get(unit)
            ids.extend([word] if word is not None else self.encoder.unit_ids(unit))
        return ids

    def token(self, i: int) -> str:
        """The text of token id ``i`` (a word, a character, or a sub-word piece without its marker)."""
        if i >= self.offset:
            return self.words[i - self.offset]
        original = int(self.encoder.kept_ids[i]) if self.encoder.kept_ids is not None else i
        piece = self.encoder.tokenizer.convert_ids_to_tokens(original)
        return piece.removeprefix("##").replace("\u2581", "")

    def tokenize(self, text: str) -> list[str]:
        """The tokens of ``text`` as strings."""
        return [self.token(i) for i in self.unit_ids(text)]

    def decode(self, ids: Iterable[int]) -> str:
        """Text of ``ids`` with special tokens dropped; ``decode(encode(t))`` is ``encoder.normalize(t)`` without
        whitespace when every character of ``t`` is in the vocabulary."""
        special = set(self.special_ids) - {self.unk_id}
        return "".join(self.token(int(i)) for i in ids if int(i) not in special)

    # save / load
    def save(self, folder: str | Path) -> Path:
        """Write ``wobert_words.txt`` (one word a line, in id order) and ``wobert.json`` to ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "wobert_words.txt").write_text("\n".join(self.words) + "\n", encoding="utf-8")
        meta = {"offset": self.offset, "base": self.encoder.name, "words": len(self.words)}
        (folder / "wobert.json").write_text(json.dumps(meta), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path, encoder: Encoder) -> "WordTokenizer":
        """The tokenizer saved in ``folder``, over ``encoder`` (the same base, in the same pruned state)."""
        folder = Path(folder)
        meta = json.loads((folder / "wobert.json").read_text(encoding="utf-8"))
        words = (folder / "wobert_words.txt").read_text(encoding="utf-8").split("\n")[: meta["words"]]
        if meta["offset"] + len(words) != encoder.model.get_input_embeddings().num_embeddings:
            raise ValueError(
                f"{folder} holds {len(words)} words from id {meta['offset']}, but the encoder's embedding has "
                f"{encoder.model.get_input_embeddings().num_embeddings} rows: load the model saved with it"
            )
        return cls(encoder, words, meta["offset"])
