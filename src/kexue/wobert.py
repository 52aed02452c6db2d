"""WoBERT: a word-level Chinese BERT made from a character-level one (Su Jianlin, kexue.fm/archives/7758).

The recipe, for any BERT-like ``transformers`` model behind an :class:`~kexue.models.Encoder`:

1. :func:`select_words` -- the vocabulary: the encoder's own tokens (one per CJK character, see
   :meth:`~kexue.models.Encoder.unit_ids`) plus the ``n`` most frequent words of jieba's dictionary that the
   encoder does not already hold as one token (the article: 20,000 words).
2. :class:`WordTokenizer` -- ``jieba.cut(text, HMM=False)``; a piece that is one of the new words becomes one
   token, any other piece falls back to the encoder's character tokens.
3. :func:`extend_embeddings` / :func:`add_words` -- append one embedding row per word, initialised to the mean
   of its characters' rows,  e(w) = (1/|w|) sum_{c in w} e(c),  and the same for the masked-LM output layer.
4. :func:`continue_pretraining` -- masked-LM training on word-tokenized text (15% of tokens, 80/10/10, masks
   drawn anew for every batch) through :func:`kexue.train.train`.

A :class:`WordTokenizer` offers the attributes :mod:`kexue.text` reads from an encoder (``unit_ids``, the special
ids, ``max_length``, ``name``), so ``kexue.text.encode_texts(tokenizer, texts)`` gives word-level batches.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, NamedTuple, Sequence

import numpy as np
import torch

from .data import load_jieba_frequencies, top_words
from .models import Encoder, load_encoder, load_masked_lm
from .text import IGNORE, MeanPoolClassifier, batches, encode_texts, mask_tokens, prune_vocab, trim_padding
from .timing import forward_times
from .train import History, accuracy, cross_entropy_loss, train

ARTICLE_WORDS = 20_000  # words the article adds to BERT's character vocabulary
ARTICLE_VOCAB_SIZE = 33_586  # WoBERT's final vocabulary
#: forward-pass speed-up of WoBERT over the character BERT the article reports, by input length in characters
ARTICLE_SPEEDUP = {128: 1.16, 256: 1.22, 512: 1.28}
#: the article's downstream accuracies (%), character BERT vs WoBERT
ARTICLE_ACCURACY = {"IFLYTEK": (60.31, 61.15), "TNEWS": (56.94, 57.05)}

_CJK_CHAR = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]"
_UNITS = re.compile(rf"{_CJK_CHAR}|(?:(?!{_CJK_CHAR})\S)+")  # one CJK character, or a run of other visible text


def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict ..." chatter on first use
    return jieba


def _unknown(encoder: Encoder, word: str) -> bool:
    return encoder.unk_id in encoder.unit_ids(word)


# -- 1. the vocabulary -------------------------------------------------------------------------------------------
def char_vocabulary(path: str | Path | None = None) -> list[str]:
    """bert-base-chinese's vocabulary (``kexue.models.char_vocab_file()``) without its redundant ``##``-prefixed
    CJK pieces: a Chinese text is split into single characters before WordPiece, so ``##中`` never occurs.
    This is the article's starting point; the word rows of :func:`add_words` are appended after all base rows."""
    from .models import char_vocab_file

    tokens = Path(path or char_vocab_file()).read_text(encoding="utf-8").splitlines()
    return [t for t in tokens if not (t.startswith("##") and re.fullmatch(_CJK_CHAR + "+", t[2:]))]


class WordSelection(NamedTuple):
    """The chosen words (most frequent first) and the more frequent ones passed over, with the reason."""

    words: list[str]
    skipped: dict[str, str]


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


# -- 2. the tokenizer ------------------------------------------------------------------------------------------------
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


# -- 3. the embedding ----------------------------------------------------------------------------------------------
def extend_embeddings(
    model: torch.nn.Module, pieces: Sequence[Sequence[int]], *, init: str = "mean", seed: int = 0
) -> int:
    """Append one input-embedding row per entry of ``pieces`` and return the id of the first new row.

    ``init="mean"``: row k is the mean of the existing rows ``pieces[k]``, e_k = (1/|p_k|) sum_{i in p_k} e_i.
    ``init="random"``: N(0, s^2) entries, s the standard deviation of the existing embedding entries.
    A masked-LM output layer (any model with ``get_output_embeddings``) gets the same treatment: tied weights stay
    tied; an untied decoder's new rows and bias entries are the means of its rows / biases at ``pieces[k]``
    (random: N(0, s^2) rows and the mean bias). Outputs on inputs of old ids do not change.
    """
    if init not in ("mean", "random"):
        raise ValueError(f"init must be 'mean' or 'random', got {init!r}")
    old = model.get_input_embeddings()
    V, d = old.weight.shape
    if not pieces:
        raise ValueError("no rows to add: pass one list of existing ids per new token")
    for p in pieces:
        if len(p) == 0 or min(p) < 0 or max(p) >= V:
            raise ValueError(f"each new row needs a non-empty list of existing ids in 0..{V - 1}, got {list(p)!r}")
    generator = torch.Generator().manual_seed(seed)

    def new_rows(weight: torch.Tensor) -> torch.Tensor:
        if init == "mean":
            return torch.stack([weight[list(p)].mean(0) for p in pieces])
        noise = torch.randn(len(pieces), weight.shape[1], generator=generator)
        return (noise * weight.std()).to(weight)

    output = model.get_output_embeddings()
    tied = output is not None and output.weight is old.weight
    embedding = torch.nn.Embedding(V + len(pieces), d, padding_idx=old.padding_idx).to(old.weight.device)
    embedding.weight.data.copy_(torch.cat([old.weight.data, new_rows(old.weight.data)]))
    model.set_input_embeddings(embedding)
    if output is not None:
        bias = getattr(output, "bias", None)
        decoder = torch.nn.Linear(d, V + len(pieces), bias=bias is not None).to(old.weight.device)
        if tied:
            decoder.weight = embedding.weight
        else:
            decoder.weight.data.copy_(torch.cat([output.weight.data, new_rows(output.weight.data)]))
        if bias is not None:
            if init == "mean":
                added = torch.stack([bias.data[list(p)].mean() for p in pieces])
            else:
                added = bias.data.mean().expand(len(pieces))
            decoder.bias.data.copy_(torch.cat([bias.data, added]))
        model.set_output_embeddings(decoder)
    model.config.vocab_size = V + len(pieces)
    return V


def add_words(encoder: Encoder, words: Sequence[str], *, init: str = "mean", seed: int = 0) -> WordTokenizer:
    """Extend ``encoder.model`` in place with one row per word (see :func:`extend_embeddings`) and return the
    tokenizer that speaks the extended vocabulary."""
    unknown = [w for w in words if _unknown(encoder, w)]
    if unknown:
        raise ValueError(
            f"{len(unknown)} word(s) have characters outside {encoder.name}'s vocabulary, e.g. {unknown[:5]}: "
            "drop them (select_words does), or keep their characters when pruning (word_char_ids)"
        )
    offset = extend_embeddings(encoder.model, [encoder.unit_ids(w) for w in words], init=init, seed=seed)
    return WordTokenizer(encoder, tuple(words), offset)


# -- 4. continued masked-LM pretraining ------------------------------------------------------------------------------
def mlm_loss_fn(tokenizer: WordTokenizer, *, vocab_size: int, rate: float = 0.15,
                seed: int = 0) -> Callable[[torch.nn.Module, tuple[torch.Tensor]], torch.Tensor]:
    """A ``loss_fn(model, (ids,))`` for :func:`kexue.train.train`: fresh BERT masks for every batch
    (:func:`kexue.text.mask_tokens`), then the mean cross-entropy over the masked positions."""
    generator = torch.Generator().manual_seed(seed)
    special = tokenizer.special_ids

    def loss_fn(model: torch.nn.Module, batch: tuple[torch.Tensor]) -> torch.Tensor:
        ids = trim_padding(batch[0], tokenizer.pad_id)
        inputs, labels = mask_tokens(ids.cpu(), mask_id=tokenizer.mask_id, vocab_size=vocab_size,
                                     special_ids=special, rate=rate, generator=generator)
        return _masked_loss(model, inputs.to(ids.device), labels.to(ids.device), tokenizer.pad_id)

    return loss_fn


def masked_logits(model: torch.nn.Module, inputs: torch.Tensor, chosen: torch.Tensor, pad_id: int) -> torch.Tensor:
    """MLM logits at the ``chosen`` positions only, shape (chosen.sum(), vocab).

    The head runs on the chosen hidden states alone (for BERT's ``cls`` and RoBERTa's ``lm_head``): with a
    20k-word vocabulary the output layer over every position would cost as much as the encoder.
    """
    head = getattr(model, "cls", None)
    if head is None:
        head = getattr(model, "lm_head", None)
    if head is None:
        return model(input_ids=inputs, attention_mask=(inputs != pad_id).long()).logits[chosen]
    hidden = model.base_model(input_ids=inputs, attention_mask=(inputs != pad_id).long()).last_hidden_state
    return head(hidden[chosen])


def _masked_loss(model: torch.nn.Module, inputs: torch.Tensor, labels: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Mean cross-entropy over the masked positions (0 when a batch happens to have none)."""
    chosen = labels != IGNORE
    if not chosen.any():
        return model.get_input_embeddings().weight.sum() * 0.0
    return torch.nn.functional.cross_entropy(masked_logits(model, inputs, chosen, pad_id), labels[chosen])


def fixed_masks(tokenizer: WordTokenizer, ids: torch.Tensor, *, vocab_size: int, rate: float = 0.15,
                seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """One draw of BERT masks for held-out ids, so that every evaluation scores the same positions."""
    return mask_tokens(ids, mask_id=tokenizer.mask_id, vocab_size=vocab_size, special_ids=tokenizer.special_ids,
                       rate=rate, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def mlm_metrics(model: torch.nn.Module, inputs: torch.Tensor, labels: torch.Tensor, *, pad_id: int,
                first_word_id: int | None = None, batch_size: int = 64) -> dict[str, float]:
    """Held-out masked-LM loss and accuracy over the masked positions; with ``first_word_id``, also the loss on
    the positions whose answer is a word (id >= first_word_id) and on those whose answer is a character."""
    device = next(model.parameters()).device
    losses, correct = [], []
    for start in range(0, len(inputs), batch_size):
        x = trim_padding(inputs[start:start + batch_size], pad_id).to(device)
        y = labels[start:start + batch_size, : x.shape[1]].to(device)
        chosen = y != IGNORE
        logits = masked_logits(model, x, chosen, pad_id)
        losses.append(torch.nn.functional.cross_entropy(logits, y[chosen], reduction="none").cpu())
        correct.append((logits.argmax(-1) == y[chosen]).cpu())
    loss, hit = torch.cat(losses), torch.cat(correct).float()
    out = {"mlm loss": loss.mean().item(), "mlm accuracy": hit.mean().item()}
    if first_word_id is not None:
        is_word = labels[labels != IGNORE] >= first_word_id
        out["loss on words"] = loss[is_word].mean().item() if is_word.any() else float("nan")
        out["loss on characters"] = loss[~is_word].mean().item() if (~is_word).any() else float("nan")
    return out


def continue_pretraining(
    model: torch.nn.Module,
    tokenizer: WordTokenizer,
    ids: torch.Tensor,
    *,
    steps: int,
    batch_size: int = 32,
    lr: float = 1e-4,
    held_out: torch.Tensor | None = None,
    eval_every: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Masked-LM training of ``model`` (in place) on padded ``ids`` with dynamic masking; with ``held_out`` ids,
    :func:`mlm_metrics` on one fixed masking of them every ``eval_every`` steps (and before the first step, as
    step 0)."""
    vocab = model.get_input_embeddings().num_embeddings
    evaluate = None
    if held_out is not None:
        x, y = fixed_masks(tokenizer, held_out, vocab_size=vocab, seed=seed + 1)

        def evaluate(m: torch.nn.Module) -> dict[str, float]:
            return mlm_metrics(m, x, y, pad_id=tokenizer.pad_id, first_word_id=tokenizer.offset)

    history = train(model, mlm_loss_fn(tokenizer, vocab_size=vocab, seed=seed),
                    batches(ids, batch_size=batch_size, seed=seed), steps=steps, lr=lr, evaluate=evaluate,
                    eval_every=eval_every, eval_at_start=True, grad_clip=1.0, progress=progress, desc="MLM")
    return history


# -- measuring: lengths, speed, a downstream task ---------------------------------------------------------------
def length_ratios(tokenizer: WordTokenizer, texts: Sequence[str]) -> np.ndarray:
    """Per text: number of character-level tokens / number of word-level tokens (>= 1; 1.36 means a word-level
    sequence is 1.36 times shorter)."""
    encoder = tokenizer.encoder
    return np.array([len(encoder.unit_ids(t)) / len(tokenizer.unit_ids(t)) for t in texts])


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


def fine_tune_classifier(
    base: torch.nn.Module,
    pad_id: int,
    train_ids: torch.Tensor,
    train_labels: torch.Tensor,
    dev_ids: torch.Tensor,
    dev_labels: torch.Tensor,
    *,
    steps: int,
    batch_size: int = 32,
    lr: float = 5e-5,
    eval_every: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Fine-tune ``base`` (a bare encoder) with a mean-pooling linear head (:class:`kexue.text.MeanPoolClassifier`)
    for ``steps`` steps; the history records the dev accuracy."""
    torch.manual_seed(seed)
    classifier = MeanPoolClassifier(base, int(train_labels.max()) + 1, pad_id)
    return train(classifier, cross_entropy_loss, batches(train_ids, train_labels, batch_size=batch_size, seed=seed),
                 steps=steps, lr=lr, evaluate=lambda m: {"dev accuracy": accuracy(m, dev_ids, dev_labels)},
                 eval_every=eval_every, progress=progress, desc="fine-tune")


def compare_tokens(tokenizer: WordTokenizer, texts: Sequence[str]) -> list[dict]:
    """For each text: the number of character tokens and of word tokens, and the word tokens joined by " / "."""
    rows = []
    for text in texts:
        words = tokenizer.tokenize(text)
        rows.append({"text": text, "char tokens": len(tokenizer.encoder.unit_ids(text)),
                     "word tokens": len(words), "tokens": " / ".join(words)})
    return rows


# -- the chapter's experiments (each a pure function of its arguments, so it can be cached by them) --------------
def word_model(name: str, words: Sequence[str], keep_texts: Sequence[str], *, init: str = "mean", prune: bool = True,
               seed: int = 0) -> tuple[Encoder, WordTokenizer]:
    """``load_masked_lm(name)``, pruned to the characters of ``keep_texts`` and of ``words`` (``prune=True``, needed
    for ``offline-zh`` on a CPU), then extended with ``words`` (:func:`add_words`)."""
    encoder = load_masked_lm(name, seed=seed)
    if prune:
        used = torch.tensor(sorted({i for t in keep_texts for i in encoder.unit_ids(t)}), dtype=torch.long)
        prune_vocab(encoder, used, word_char_ids(encoder, words))
    return encoder, add_words(encoder, words, init=init, seed=seed)


def mlm_comparison(name: str, words: Sequence[str], train_texts: Sequence[str], held_out_texts: Sequence[str],
                   keep_texts: Sequence[str], *, inits: Sequence[str] = ("mean", "random"), steps: int,
                   batch_size: int = 32, lr: float = 1e-4, max_length: int = 64, eval_every: int | None = None,
                   prune: bool = True, seed: int = 0, device: str | None = None) -> dict:
    """Continued MLM pretraining of the word-extended ``name`` from each initialisation of the new rows.

    Returns ``{"histories": {init: History}, "state": state dict of the model trained from inits[0]}``;
    ``keep_texts`` must hold every text any later run on the saved state will tokenize (see :func:`word_model`).
    """
    histories, state = {}, None
    for init in inits:
        encoder, tokenizer = word_model(name, words, keep_texts, init=init, prune=prune, seed=seed)
        if device is not None:
            encoder.to(device)
        ids = encode_texts(tokenizer, train_texts, max_length=max_length)
        held_out = encode_texts(tokenizer, held_out_texts, max_length=max_length)
        histories[init] = continue_pretraining(encoder.model, tokenizer, ids, steps=steps, batch_size=batch_size,
                                               lr=lr, held_out=held_out, eval_every=eval_every, seed=seed)
        if state is None:
            state = {k: v.detach().cpu().clone() for k, v in encoder.model.state_dict().items()}
    return {"histories": histories, "state": state}


def sentiment_comparison(name: str, words: Sequence[str], keep_texts: Sequence[str],
                         train: Sequence[tuple[str, int]], dev: Sequence[tuple[str, int]], *,
                         word_models: Mapping[str, tuple[str, dict | None]], steps: int, batch_size: int = 32,
                         lr: float = 5e-5, max_length: int = 64, eval_every: int | None = None, prune: bool = True,
                         seeds: Sequence[int] = (0,), device: str | None = None) -> dict[str, list[History]]:
    """Fine-tune the character model ``name`` and word models on the same reviews, with the same steps, batch size,
    learning rate and maximum length in tokens; one history per seed and model.

    ``word_models`` maps a label to ``(init, state)``: the word model of :func:`word_model` with that
    initialisation of the new rows, then the state dict ``state`` loaded over it when it is not None (e.g. the
    ``"state"`` of :func:`mlm_comparison`, built with the same ``keep_texts``).
    """
    texts, y = [t for t, _ in train], torch.tensor([label for _, label in train])
    dev_texts, dev_y = [t for t, _ in dev], torch.tensor([label for _, label in dev])
    out: dict[str, list[History]] = {"characters": []}
    for seed in seeds:
        encoder = load_encoder(name)
        x, x_dev = encode_texts(encoder, texts, max_length), encode_texts(encoder, dev_texts, max_length)
        if prune:
            x, x_dev = prune_vocab(encoder, x, x_dev)
        if device is not None:
            encoder.to(device)
        out["characters"].append(fine_tune_classifier(encoder.base, encoder.pad_id, x, y, x_dev, dev_y, steps=steps,
                                                      batch_size=batch_size, lr=lr, eval_every=eval_every, seed=seed))
        for label, (init, state) in word_models.items():
            encoder, tokenizer = word_model(name, words, keep_texts, init=init, prune=prune)
            if state is not None:
                encoder.model.load_state_dict(state)
            if device is not None:
                encoder.to(device)
            x, x_dev = encode_texts(tokenizer, texts, max_length), encode_texts(tokenizer, dev_texts, max_length)
            out.setdefault(label, []).append(fine_tune_classifier(
                encoder.base, tokenizer.pad_id, x, y, x_dev, dev_y, steps=steps, batch_size=batch_size, lr=lr,
                eval_every=eval_every, seed=seed))
    return out
