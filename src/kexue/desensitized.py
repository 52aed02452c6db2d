"""A pretrained masked LM on desensitized text: cipher ids, frequency-rank alignment and a PET-style matcher.

In the 2021 Xiaobu (OPPO) short-text matching competition every character arrived as an opaque integer id. Su's
baseline (kexue.fm/archives/8213, code bojone/oppo-text-match) still starts from a pretrained Chinese BERT:

* **Frequency-rank alignment.** Count the cipher ids over all texts (labelled and unlabelled), send ids seen
  fewer than ``min_count`` times to ``[UNK]`` and rank the rest; rank the pretrained model's characters by their
  frequency in an open corpus; the cipher id of rank r gets the embedding row (and MLM output row) of the
  character of rank r.
* **One MLM does everything** (PET style). Input ``[CLS] a [SEP] b [SEP]``; the MLM head at ``[CLS]`` predicts
  the new tokens ``[YES]`` / ``[NO]``; masked tokens of both texts are predicted as usual (dynamic masking, 15%
  with 80/10/10); unlabelled pairs contribute the token loss only; the two texts swap places with p = 0.5.
  The match score is p(yes) / (p(yes) + p(no)).

Here the cipher is ours: a fixed random bijection character -> id applied to real sentence pairs
(:mod:`kexue.data.matching`), so the plaintext is known and :func:`recovery` can say how much of the cipher the
rank alignment actually decodes. Token ids of the cipher vocabulary: the seven :data:`SPECIALS`, then the kept
cipher ids by decreasing count.
"""

from __future__ import annotations

import functools
import math
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
import torch
from transformers import BertConfig, BertForMaskedLM

from .layers import keep_first_layers
from .models import Encoder, load_masked_lm, mean_pool
from .runtime import pick_device
from .text import IGNORE, batches, mask_tokens, truncate_pair
from .train import History, train

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[NO]", "[YES]")
PAD, UNK, CLS, SEP, MASK, NO, YES = range(len(SPECIALS))
#: the ways to initialise the cipher model compared in the chapter
INITS = ("random-init", "random-map", "rank-align", "plaintext")


# -- the cipher -------------------------------------------------------------------------------------------------
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


# -- the cipher vocabulary ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CipherVocab:
    """Kept cipher ids by decreasing count; cipher id ``ids[r]`` (rank r) is token ``len(SPECIALS) + r``."""

    ids: tuple[int, ...]
    counts: tuple[int, ...]
    min_count: int
    index: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {i: len(SPECIALS) + r for r, i in enumerate(self.ids)})

    def __len__(self) -> int:
        """Size of the token vocabulary: specials plus kept cipher ids."""
        return len(SPECIALS) + len(self.ids)

    def tokens(self, cipher_ids: Iterable[int]) -> list[int]:
        """Token ids of cipher ids; rare ids and ids never counted become ``[UNK]``."""
        return [self.index.get(i, UNK) for i in cipher_ids]


def build_vocab(pairs: Iterable[CipherPair], min_count: int = 5) -> CipherVocab:
    """Count the cipher ids of all texts (labelled and unlabelled); keep those seen ``min_count`` times or more,
    ranked by count (ties: smaller id first)."""
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count}")
    counts = Counter(i for p in pairs for text in (p.a, p.b) for i in text)
    kept = sorted((i for i, n in counts.items() if n >= min_count), key=lambda i: (-counts[i], i))
    if not kept:
        raise ValueError(f"no cipher id occurs {min_count} times: pass more texts or lower min_count")
    return CipherVocab(tuple(kept), tuple(counts[i] for i in kept), min_count)


def char_counts(texts: Iterable[str]) -> Counter:
    """Character counts of ``texts`` (after :func:`characters`): an open corpus's frequencies."""
    return Counter(c for t in texts for c in characters(t))


def jieba_char_counts() -> Counter:
    """Character frequencies implied by jieba's dictionary: sum over words w of freq(w) x (times the char is in w)."""
    from .data import load_jieba_frequencies

    counts: Counter = Counter()
    for word, freq in load_jieba_frequencies().items():
        for c in characters(word):
            counts[c] += freq
    return counts


# -- from cipher tokens to rows of the pretrained embedding -------------------------------------------------------
@dataclass(frozen=True)
class Alignment:
    """``rows[t]``: the pretrained embedding row that token ``t`` of the cipher vocabulary starts from;
    ``chars[r]``: the character assumed for the cipher id of rank r (None: no character, the ``[UNK]`` row)."""

    rows: torch.Tensor
    chars: tuple[str | None, ...]
    kind: str


def _special_rows(encoder: Encoder) -> list[int]:
    # [NO] and [YES] start from the unknown token's row, as in the reference code
    return [encoder.pad_id, encoder.unk_id, encoder.cls_id, encoder.sep_id, encoder.mask_id,
            encoder.unk_id, encoder.unk_id]


def _char_row(encoder: Encoder, char: str) -> int | None:
    """The encoder's row for one character, or None if it is not a single known token."""
    ids = encoder.unit_ids(char)
    return ids[0] if len(ids) == 1 and ids[0] != encoder.unk_id else None


def ranked_characters(encoder: Encoder, reference: Counter, n: int | None = None) -> list[tuple[str, int]]:
    """The ``n`` (default: all) most frequent characters of ``reference`` that are single tokens of ``encoder``,
    with their rows (ties in frequency: code-point order); fewer when the reference names fewer."""
    ranked = []
    for char in sorted(reference, key=lambda c: (-reference[c], c)):
        row = _char_row(encoder, char)
        if row is not None:
            ranked.append((char, row))
            if len(ranked) == n:
                break
    return ranked


def _ranked_or_unknown(vocab: CipherVocab, reference: Counter, encoder: Encoder) -> list[str | None]:
    """One character per kept cipher id, by rank; where the reference runs out of characters (a small corpus, or
    many kept ids: 3,358 at the full sizes against 3,096 characters of People's Daily's test split), the rarest
    cipher ids get None, the ``[UNK]`` row, as the ids under ``min_count`` do."""
    chars: list[str | None] = [c for c, _ in ranked_characters(encoder, reference, len(vocab.ids))]
    return chars + [None] * (len(vocab.ids) - len(chars))


def _alignment(encoder: Encoder, chars: Sequence[str | None], kind: str) -> Alignment:
    rows = _special_rows(encoder) + [encoder.unk_id if c is None else _char_row(encoder, c) or encoder.unk_id
                                     for c in chars]
    return Alignment(torch.tensor(rows, dtype=torch.long), tuple(chars), kind)


def rank_alignment(vocab: CipherVocab, reference: Counter, encoder: Encoder) -> Alignment:
    """Cipher id of rank r -> the encoder's character of rank r in the ``reference`` counts (Su's alignment);
    ranks beyond the reference's characters -> ``[UNK]``."""
    return _alignment(encoder, _ranked_or_unknown(vocab, reference, encoder), "rank-align")


def random_alignment(vocab: CipherVocab, reference: Counter, encoder: Encoder, seed: int = 0) -> Alignment:
    """The same characters as :func:`rank_alignment`, assigned to the cipher ids in random order (the control)."""
    chars = _ranked_or_unknown(vocab, reference, encoder)
    random.Random(seed).shuffle(chars)
    return _alignment(encoder, chars, "random-map")


def plaintext_alignment(vocab: CipherVocab, cipher: Cipher, encoder: Encoder) -> Alignment:
    """The true mapping (possible only because we made the cipher): the ceiling an alignment could reach."""
    plain = {i: c for c, i in cipher.char_to_id.items()}
    return _alignment(encoder, [plain[i] for i in vocab.ids], "plaintext")


# -- the model ------------------------------------------------------------------------------------------------
def reembed(model: BertForMaskedLM, rows: torch.Tensor) -> BertForMaskedLM:
    """Replace the token embedding by ``E[rows]`` (rows may repeat) and the tied MLM output layer (and its bias)
    by the same rows: token t of the new vocabulary starts as row ``rows[t]`` of the old one."""
    old = model.get_input_embeddings()
    if rows.min() < 0 or rows.max() >= old.num_embeddings:
        raise ValueError(f"rows must be in 0..{old.num_embeddings - 1}")
    new = torch.nn.Embedding(len(rows), old.embedding_dim)
    new.weight.data.copy_(old.weight.data[rows])
    bias = model.get_output_embeddings().bias
    decoder = torch.nn.Linear(old.embedding_dim, len(rows))
    decoder.bias.data.copy_(bias.data[rows] if bias is not None else torch.zeros(len(rows)))
    model.set_input_embeddings(new)
    model.set_output_embeddings(decoder)
    decoder.weight = new.weight  # tied, as in BERT
    model.config.vocab_size = len(rows)
    return model


def cipher_model(init: str, vocab: CipherVocab, *, encoder_name: str = "offline-zh", layers: int = 4,
                 reference: Counter | None = None, cipher: Cipher | None = None, seed: int = 0,
                 device: str | torch.device = "cpu") -> BertForMaskedLM:
    """A masked LM over the cipher vocabulary, its first ``layers`` layers from ``encoder_name``'s architecture.

    ``init``: ``"random-init"`` (same architecture, every weight random), ``"random-map"`` / ``"rank-align"``
    (pretrained weights; embedding rows by :func:`random_alignment` / :func:`rank_alignment` of ``reference``),
    ``"plaintext"`` (pretrained; the true characters, needs ``cipher``). The MLM head's transform is new and
    seeded by ``seed``. The model is returned on ``device``.
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    encoder = load_masked_lm(encoder_name, seed=seed)
    model = encoder.model
    if init == "random-init":
        config = BertConfig(**{**model.config.to_dict(), "vocab_size": len(vocab), "num_hidden_layers": layers})
        torch.manual_seed(seed)
        model = BertForMaskedLM(config)
    else:
        if init == "plaintext":
            if cipher is None:
                raise ValueError("the plaintext alignment needs the cipher")
            alignment = plaintext_alignment(vocab, cipher, encoder)
        else:
            if reference is None:
                raise ValueError(f"{init} needs reference character counts (e.g. char_counts(open corpus texts))")
            alignment = (rank_alignment(vocab, reference, encoder) if init == "rank-align"
                         else random_alignment(vocab, reference, encoder, seed=seed))
        keep_first_layers(model, layers)
        reembed(model, alignment.rows)
    return model.to(device).train()


# -- batches and the joint loss -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PairTensors:
    """Padded token ids of the first and second texts (already truncated) and labels (-1: unlabelled)."""

    a: torch.Tensor
    b: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, rows: slice) -> PairTensors:
        """The pairs in ``rows`` (a slice), e.g. ``pairs[:400]`` for the first 400."""
        if not isinstance(rows, slice):
            raise TypeError("index PairTensors with a slice (e.g. pairs[:400]); its tensors a, b, y hold single pairs")
        return PairTensors(self.a[rows], self.b[rows], self.y[rows])


def pair_tensors(pairs: Sequence[CipherPair], vocab: CipherVocab, max_length: int = 64) -> PairTensors:
    """Token ids of pairs, each cut to fit ``[CLS] a [SEP] b [SEP]`` in ``max_length`` (longer text trimmed
    first, see :func:`kexue.text.truncate_pair`)."""
    if max_length < 5:
        raise ValueError(f"max_length must be at least 5 (three specials and a token per text), got {max_length}")
    if not pairs:
        raise ValueError("no pairs")
    rows_a, rows_b, labels = [], [], []
    for p in pairs:
        if not p.a or not p.b:
            raise ValueError("empty text in a pair: drop it (every text needs at least one id)")
        if p.label is not None and p.label not in (0, 1):
            raise ValueError(f"labels must be 0 or 1 (or None for unlabelled pairs), got {p.label!r}")
        a, b = truncate_pair(vocab.tokens(p.a), vocab.tokens(p.b), max_length - 3)
        rows_a.append(a)
        rows_b.append(b)
        labels.append(-1 if p.label is None else p.label)

    def pad(rows: list[list[int]]) -> torch.Tensor:
        out = torch.full((len(rows), max(map(len, rows))), PAD, dtype=torch.long)
        for i, row in enumerate(rows):
            out[i, : len(row)] = torch.tensor(row)
        return out

    return PairTensors(pad(rows_a), pad(rows_b), torch.tensor(labels))


def concat(*parts: PairTensors) -> PairTensors:
    """One set of pairs from several (e.g. labelled and unlabelled), padded to the longest."""
    width_a = max(p.a.shape[1] for p in parts)
    width_b = max(p.b.shape[1] for p in parts)

    def grow(t: torch.Tensor, width: int) -> torch.Tensor:
        return torch.nn.functional.pad(t, (0, width - t.shape[1]), value=PAD)

    return PairTensors(torch.cat([grow(p.a, width_a) for p in parts]), torch.cat([grow(p.b, width_b) for p in parts]),
                       torch.cat([p.y for p in parts]))


def assemble(a: torch.Tensor, b: torch.Tensor | None = None, swap: torch.Tensor | None = None) -> torch.Tensor:
    """``[CLS] a [SEP] b [SEP]`` per row (``[CLS] b [SEP] a [SEP]`` where ``swap``), padded with ``[PAD]``;
    ``[CLS] a [SEP]`` when ``b`` is None."""
    cls, sep = torch.tensor([CLS]), torch.tensor([SEP])
    if b is None:
        rows = [torch.cat([cls, x[x != PAD], sep]) for x in a]
    else:
        swap = torch.zeros(len(a), dtype=torch.bool) if swap is None else swap
        rows = []
        for x, z, s in zip(a, b, swap.tolist()):
            x, z = (z, x) if s else (x, z)
            rows.append(torch.cat([cls, x[x != PAD], sep, z[z != PAD], sep]))
    return torch.nn.utils.rnn.pad_sequence(rows, batch_first=True, padding_value=PAD)


def pet_targets(input_ids: torch.Tensor, y: torch.Tensor, *, vocab_size: int, rate: float = 0.15,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(corrupted inputs, targets) of the joint model: BERT masking of the text tokens
    (:func:`kexue.text.mask_tokens`: ``rate``, then 80/10/10) and, at ``[CLS]``, the target ``[YES]`` (y = 1) or
    ``[NO]`` (y = 0); unlabelled pairs (y = -1) get ``IGNORE`` there, so they train the token predictions only."""
    inputs, targets = mask_tokens(input_ids, mask_id=MASK, vocab_size=vocab_size, special_ids=range(len(SPECIALS)),
                                  rate=rate, generator=generator)
    targets[:, 0] = torch.where(y == 1, YES, torch.where(y == 0, NO, IGNORE))
    return inputs, targets


def make_pet_loss(vocab_size: int, *, rate: float = 0.15, swap: float = 0.5, seed: int = 0):
    """``loss_fn(model, (a, b, y))`` for :func:`kexue.train.train`: random order swap (prob. ``swap``), fresh
    masking every batch, and one cross-entropy over all targets of the batch (``[CLS]`` labels and masked tokens):

    L = - (1 / |T|) sum_{(i, t) in T} log p_model(target_{i,t} | corrupted pair i),

    T = masked positions plus the ``[CLS]`` of labelled pairs. Logits are computed only at the target positions.
    """
    generator = torch.Generator().manual_seed(seed)

    def loss_fn(model: BertForMaskedLM, batch) -> torch.Tensor:
        a, b, y = (t.cpu() for t in batch)
        ids = assemble(a, b, torch.rand(len(a), generator=generator) < swap)
        inputs, targets = pet_targets(ids, y, vocab_size=vocab_size, rate=rate, generator=generator)
        device = next(model.parameters()).device
        mask = (ids != PAD).long().to(device)
        hidden = model.bert(input_ids=inputs.to(device), attention_mask=mask).last_hidden_state
        chosen = (targets != IGNORE).to(device)
        if not chosen.any():  # nothing to predict in this batch (tiny unlabelled batches): no signal
            return hidden.sum() * 0.0
        logits = model.cls(hidden[chosen])
        return torch.nn.functional.cross_entropy(logits, targets.to(device)[chosen])

    return loss_fn


@torch.no_grad()
def yes_probability(model: BertForMaskedLM, pairs: PairTensors, batch_size: int = 128) -> torch.Tensor:
    """Match score of each pair: s = p(yes) / (p(yes) + p(no)) from the MLM head at ``[CLS]`` (no masking, no swap)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    scores = []
    for start in range(0, len(pairs), batch_size):
        batch = pairs[start:start + batch_size]
        ids = assemble(batch.a, batch.b).to(device)
        hidden = model.bert(input_ids=ids, attention_mask=(ids != PAD).long()).last_hidden_state[:, 0]
        logits = model.cls(hidden)[:, [NO, YES]]
        scores.append(torch.softmax(logits.float(), -1)[:, 1].cpu())  # the full softmax's normaliser cancels
    model.train(was_training)
    return torch.cat(scores)


def roc_auc(scores: Sequence[float] | torch.Tensor, labels: Sequence[int] | torch.Tensor) -> float:
    """Area under the ROC curve: P(score of a random positive > score of a random negative), ties counting 1/2."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels)
    if s.shape != y.shape:
        raise ValueError(f"{len(s)} scores but {len(y)} labels")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1 (unlabelled pairs have no AUC)")
    positives, negatives = int(y.sum()), int((1 - y).sum())
    if positives == 0 or negatives == 0:
        raise ValueError("the AUC needs both positive and negative pairs")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    # average ranks of ties (1-based)
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(average, counts)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def train_matcher(model: BertForMaskedLM, labelled: PairTensors, held_out: PairTensors, *,
                  unlabelled: PairTensors | None = None, steps: int = 200, lr: float = 5e-5, batch_size: int = 32,
                  eval_every: int = 25, seed: int = 0, progress: bool = True) -> History:
    """Train the joint model with :func:`kexue.train.train` on labelled (+ unlabelled) pairs, shuffled together;
    evaluate the ROC-AUC of :func:`yes_probability` on ``held_out`` every ``eval_every`` steps (and at step 0)."""
    if (labelled.y < 0).any():
        raise ValueError("labelled pairs must all have labels 0 or 1; pass unlabelled ones as unlabelled=")
    if (held_out.y < 0).any():
        raise ValueError("held-out pairs need labels 0 or 1 to measure the AUC")
    data = labelled if unlabelled is None else concat(labelled, PairTensors(unlabelled.a, unlabelled.b,
                                                                            torch.full_like(unlabelled.y, -1)))
    vocab_size = model.config.vocab_size

    def evaluate(m: BertForMaskedLM) -> dict[str, float]:
        return {"auc": roc_auc(yes_probability(m, held_out), held_out.y)}

    return train(model, make_pet_loss(vocab_size, seed=seed), batches(data.a, data.b, data.y,
                 batch_size=batch_size, seed=seed), steps=steps, lr=lr, evaluate=evaluate, eval_every=eval_every,
                 eval_at_start=True, progress=progress, desc="PET matcher")


# -- what the starting weights know before any training ---------------------------------------------------------
@torch.no_grad()
def mean_pooled_states(model: BertForMaskedLM, texts: torch.Tensor, batch_size: int = 128) -> torch.Tensor:
    """Each text read alone as ``[CLS] text [SEP]``: the mean of every layer's hidden states over its real tokens,
    shape (layers + 1, texts, hidden); index 0 is the embedding layer. ``texts``: padded token ids (``[PAD]`` = 0)."""
    if texts.ndim != 2 or not (texts != PAD).any(1).all():
        raise ValueError("texts must be a 2-d tensor of padded token ids with at least one token per row")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    pooled = []
    for start in range(0, len(texts), batch_size):
        ids = assemble(texts[start:start + batch_size]).to(device)
        mask = (ids != PAD).long()
        states = model.bert(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
        pooled.append(torch.stack([mean_pool(h.float(), mask) for h in states]).cpu())
    model.train(was_training)
    return torch.cat(pooled, dim=1)


def zero_shot_auc(model: BertForMaskedLM, pairs: PairTensors, batch_size: int = 128) -> list[float]:
    """No training: score each pair by the cosine of its two texts' mean-pooled states (:func:`mean_pooled_states`)
    and return the held-out ROC-AUC at every depth (index 0: embeddings only, index k: after layer k).

    A model that starts from knowledge of the language separates matching pairs already here; how far a start
    falls below the true characters shows how much of that knowledge its embedding rows carry over."""
    if (pairs.y < 0).any():
        raise ValueError("zero-shot AUC needs labels 0 or 1 on every pair")
    a, b = mean_pooled_states(model, pairs.a, batch_size), mean_pooled_states(model, pairs.b, batch_size)
    cosines = torch.nn.functional.cosine_similarity(a, b, dim=-1)
    return [roc_auc(c, pairs.y) for c in cosines]


# -- how much of the cipher the alignment decodes ------------------------------------------------------------------
def recovery_flags(alignment: Alignment, vocab: CipherVocab, cipher: Cipher, reference: Counter,
                   factor: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Per kept cipher id (by rank): is the assumed character the true one (``exact``), and is its ``reference``
    frequency within ``factor`` of the true character's (``similar``: |log f(assumed) - log f(true)| <= log factor;
    a true character missing from the reference is never similar)?"""
    if factor < 1:
        raise ValueError(f"factor must be at least 1, got {factor}")
    plain = {i: c for c, i in cipher.char_to_id.items()}
    true = [plain[i] for i in vocab.ids]
    exact = np.array([c == t for c, t in zip(alignment.chars, true)])
    similar = np.array([c is not None and reference.get(t, 0) > 0 and reference.get(c, 0) > 0
                        and abs(math.log(reference[c] / reference[t])) <= math.log(factor)
                        for c, t in zip(alignment.chars, true)])
    return exact, similar


def recovery(alignment: Alignment, vocab: CipherVocab, cipher: Cipher, reference: Counter,
             factor: float = 2.0) -> dict[str, float]:
    """Fractions of kept cipher ids, and of their token occurrences, that the alignment maps to their true
    character (``exact``) or to one of similar frequency (``similar``, see :func:`recovery_flags`)."""
    exact, similar = recovery_flags(alignment, vocab, cipher, reference, factor)
    weights = np.asarray(vocab.counts, dtype=np.float64)
    return {
        "ids exact": float(exact.mean()), "tokens exact": float(weights[exact].sum() / weights.sum()),
        "ids similar": float(similar.mean()), "tokens similar": float(weights[similar].sum() / weights.sum()),
    }


def true_ranks(vocab: CipherVocab, cipher: Cipher, reference: Counter, encoder: Encoder) -> np.ndarray:
    """For the cipher id of rank r (0-based), the rank of its true character among the encoder's characters ranked
    by ``reference`` (the list :func:`rank_alignment` reads from); NaN if the character is not in that list.
    The rank alignment is right exactly where ``true_ranks[r] == r``."""
    order = {c: r for r, (c, _) in enumerate(ranked_characters(encoder, reference))}
    plain = {i: c for c, i in cipher.char_to_id.items()}
    return np.array([order.get(plain[i], np.nan) for i in vocab.ids], dtype=np.float64)


def decode_with(alignment: Alignment, vocab: CipherVocab, cipher_ids: Iterable[int], unknown: str = "□") -> str:
    """What the model is told a ciphered text says: each kept id read as the character the alignment gave it."""
    first = len(SPECIALS)
    return "".join(unknown if t < first or alignment.chars[t - first] is None else alignment.chars[t - first]
                   for t in vocab.tokens(cipher_ids))


def overlap_auc(pairs: Sequence[CipherPair]) -> float:
    """ROC-AUC of the Jaccard overlap |A ∩ B| / |A ∪ B| of the two texts' id sets: a baseline without any model.
    A bijective cipher leaves it unchanged, so it scores the same on plaintext and ciphertext."""
    scores = [len(set(p.a) & set(p.b)) / len(set(p.a) | set(p.b)) for p in pairs]
    return roc_auc(scores, [p.label for p in pairs])


# -- the chapter's data and experiments -----------------------------------------------------------------------------
@dataclass(frozen=True)
class CipherData:
    """A matching subtask of People's Daily, ciphered: labelled training pairs and held-out pairs (whose texts also
    serve as the unlabelled data, as the competition's test texts did); the plaintext is kept beside."""

    plain_train: tuple
    plain_held_out: tuple
    cipher: Cipher
    train: tuple[CipherPair, ...]
    held_out: tuple[CipherPair, ...]
    vocab: CipherVocab
    settings: dict


def desensitized_matching(criterion: str = "A", kind: str = "short-short", *, train_pairs: int = 2000,
                          held_out_pairs: int = 1000, min_count: int = 5, seed: int = 0) -> CipherData:
    """Pairs of one subtask of :func:`kexue.data.load_matching`: ``train_pairs`` from the train split (labelled),
    ``held_out_pairs`` from the dev split; one random cipher over all their characters; the vocabulary counted over
    all their texts (labelled and unlabelled), ``min_count`` and up."""
    from .data.matching import load_matching, task_id

    task = task_id(criterion, kind)
    train_plain = tuple(p for p in load_matching("train", train_pairs, seed=seed) if p.task == task)
    held_plain = tuple(p for p in load_matching("dev", held_out_pairs, seed=seed) if p.task == task)
    cipher = make_cipher([t for p in train_plain + held_plain for t in (p.a, p.b)], seed=seed)
    train_c, held_c = tuple(encipher_pairs(train_plain, cipher)), tuple(encipher_pairs(held_plain, cipher))
    vocab = build_vocab(train_c + held_c, min_count=min_count)
    settings = {"criterion": criterion, "kind": kind, "train_pairs": train_pairs, "held_out_pairs": held_out_pairs,
                "min_count": min_count, "seed": seed}
    return CipherData(train_plain, held_plain, cipher, train_c, held_c, vocab, settings)


#: open corpora whose character counts the rank alignment may use
REFERENCES = {
    "peoples-daily-test": "People's Daily, test split (27-31 January; never ciphered here)",
    "jieba": "jieba's dictionary word frequencies, spread over their characters",
}


def reference_counts(name: str) -> Counter:
    """Character counts of one of the :data:`REFERENCES` (a fresh copy; each corpus is read once per process)."""
    return Counter(_reference_counts(name))


@functools.cache
def _reference_counts(name: str) -> Counter:
    if name == "jieba":
        return jieba_char_counts()
    if name == "peoples-daily-test":
        from .data import load_peoples_daily

        return char_counts(s.text for s in load_peoples_daily("test"))
    raise ValueError(f"reference must be one of {list(REFERENCES)}, got {name!r}")


def experiment(data: CipherData, init: str, *, unlabelled: bool, seed: int = 0,
               reference: str = "peoples-daily-test", encoder_name: str = "offline-zh", layers: int = 4,
               steps: int = 200, lr: float = 1e-4, batch_size: int = 32, max_length: int = 64,
               eval_every: int = 25, eval_pairs: int = 500, progress: bool = True) -> dict:
    """Train one joint model (:func:`cipher_model` + :func:`train_matcher`); the AUC on the first ``eval_pairs``
    held-out pairs at each evaluation step, the training losses and the wall time."""
    import time

    torch.manual_seed(seed)
    counts = None if init in ("random-init", "plaintext") else reference_counts(reference)
    model = cipher_model(init, data.vocab, encoder_name=encoder_name, layers=layers, reference=counts,
                         cipher=data.cipher, seed=seed)
    labelled = pair_tensors(data.train, data.vocab, max_length)
    pool = pair_tensors(data.held_out, data.vocab, max_length)
    held = pool[:eval_pairs]
    start = time.perf_counter()
    history = train_matcher(model, labelled, held, unlabelled=pool if unlabelled else None, steps=steps, lr=lr,
                            batch_size=batch_size, eval_every=eval_every, seed=seed, progress=progress)
    return {"steps": history.eval_steps, "auc": history.metric("auc"), "loss": history.losses,
            "seconds": time.perf_counter() - start}


def compare_inits(data: CipherData, conditions: Sequence[tuple[str, bool, int]], **settings) -> dict[tuple, dict]:
    """:func:`experiment` for each (init, unlabelled, seed), each cached by its full configuration
    (:func:`kexue.artifacts.cached`), so a rebuild only trains what is new."""
    from .artifacts import cached

    results = {}
    for init, unlabelled, seed in conditions:
        config = {**data.settings, **settings, "init": init, "unlabelled": unlabelled, "run_seed": seed}
        compute = functools.partial(experiment, data, init, unlabelled=unlabelled, seed=seed, **settings)
        results[(init, unlabelled, seed)] = cached("desensitized", config, compute)
    return results


def compare_zero_shot(data: CipherData, conditions: Sequence[tuple[str, int]], *, encoder_name: str = "offline-zh",
                      layers: int = 12, eval_pairs: int = 400, max_length: int = 64,
                      reference: str = "peoples-daily-test",
                      device: str | torch.device | None = None) -> dict[tuple[str, int], list[float]]:
    """:func:`zero_shot_auc` on the first ``eval_pairs`` held-out pairs for each (init, seed), with the first
    ``layers`` layers of ``encoder_name``, on ``device`` (default: the GPU when there is one); each cached by its
    configuration."""
    from .artifacts import cached

    held = pair_tensors(data.held_out, data.vocab, max_length)[:eval_pairs]
    results = {}
    for init, seed in conditions:
        config = {**data.settings, "encoder": encoder_name, "layers": layers, "eval_pairs": eval_pairs,
                  "max_length": max_length, "reference": reference, "init": init, "run_seed": seed}

        def compute(init: str = init, seed: int = seed) -> list[float]:
            counts = reference_counts(reference) if init in ("random-map", "rank-align") else None
            model = cipher_model(init, data.vocab, encoder_name=encoder_name, layers=layers, reference=counts,
                                 cipher=data.cipher, seed=seed, device=device or pick_device())
            return zero_shot_auc(model, held)

        results[(init, seed)] = cached("desensitized-zero-shot", config, compute)
    return results
