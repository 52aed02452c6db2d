"""The :class:`Encoder`: a ``transformers`` encoder with its tokenizer, fed one unit (character or word) at a time.

:meth:`Encoder.encode` turns units into input ids plus each unit's span of positions; :meth:`Encoder.normalize`
applies the model's own tokenizer rules (the vocabulary decides: a character it has stays as it is, else its NFKC
form, typographic quotes and dashes fall back to ASCII, and text is lower-cased only when the vocabulary has no
capitals).
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import torch
from transformers import PreTrainedModel

from ..timing import phase

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")  # one CJK ideograph
_SPM_SPACE = "\u2581"
_LATIN_CAPITAL = re.compile(r"[A-Z]")
# typographic quotes and dashes NFKC keeps, by the ASCII form a vocabulary is sure to have (bert-base-chinese
# lacks all of them, and People's Daily writes them in most paragraphs)
_TYPOGRAPHIC = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "‘": "'", "’": "'", "‚": "'", "‛": "'",
                              "—": "-", "–": "-", "―": "-", "‒": "-"})
_SPECIAL_TOKEN = re.compile(r"\[[^\]]*\]|<[^>]*>")  # [CLS], [unused1], <mask>: not text of the language


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``hidden`` (batch, tokens, dim) over the tokens where ``attention_mask`` (batch, tokens) is 1."""
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1)


class UnknownTokenWarning(UserWarning):
    """Some characters are not in the vocabulary and were fed as the unknown token."""


@dataclass
class Encoder:
    """A ``transformers`` encoder with its tokenizer and the few facts the book's methods need.

    ``model`` is in eval mode; it may be a bare encoder or one with a masked-LM head (``has_mlm_head``).
    """

    model: PreTrainedModel
    tokenizer: object
    name: str
    mask_id: int = field(init=False)
    cls_id: int = field(init=False)
    sep_id: int = field(init=False)
    unk_id: int = field(init=False)
    pad_id: int = field(init=False)
    vocab: dict[str, int] = field(init=False, repr=False)
    lowercase: bool = field(init=False, repr=False)
    kept_ids: torch.Tensor | None = field(default=None, init=False, repr=False)
    _old_to_new: torch.Tensor | None = field(default=None, init=False, repr=False)
    _full_forward_done: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        tok = self.tokenizer
        self.mask_id = tok.mask_token_id
        self.cls_id = tok.cls_token_id if tok.cls_token_id is not None else tok.bos_token_id
        self.sep_id = tok.sep_token_id if tok.sep_token_id is not None else tok.eos_token_id
        self.unk_id = tok.unk_token_id
        self.pad_id = tok.pad_token_id if tok.pad_token_id is not None else self.unk_id
        self.vocab = tok.get_vocab()  # token -> id; built once (250k entries for offline-zh)
        self.lowercase = not any(_LATIN_CAPITAL.search(t) for t in self.vocab if not _SPECIAL_TOKEN.fullmatch(t))
        self._forms: dict[str, str] = {}  # character -> the form the vocabulary has (see normalize)
        if self.mask_id is None:
            raise ValueError(f"{self.name}: the tokenizer has no mask token, so it cannot be probed by masking")
        self.model.eval()

    # -- facts ---------------------------------------------------------------------------------
    @property
    def base(self) -> PreTrainedModel:
        """The bare encoder (without an MLM head)."""
        return self.model.base_model

    @property
    def num_layers(self) -> int:
        return self.model.config.num_hidden_layers

    @property
    def hidden_size(self) -> int:
        return self.model.config.hidden_size

    @property
    def max_length(self) -> int:
        """Longest input (special tokens included) the position embeddings allow."""
        return self.model.config.max_position_embeddings

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def special_ids(self) -> list[int]:
        """Ids of the special tokens (padding, unknown, [CLS], [SEP], [MASK]), sorted."""
        return sorted({self.pad_id, self.unk_id, self.cls_id, self.sep_id, self.mask_id})

    @property
    def has_mlm_head(self) -> bool:
        return self.model is not self.model.base_model

    def to(self, device: str | torch.device) -> "Encoder":
        self.model.to(device)
        return self

    def cache_key(self) -> dict:
        """What a run with this encoder is keyed by (:func:`kexue.artifacts.key_value`): its name, architecture,
        a digest of its weights (a few values of every tensor) and of its pruned vocabulary, if any."""
        import hashlib

        digest = hashlib.sha256()
        with torch.no_grad():
            for name, tensor in self.model.state_dict().items():
                flat = tensor.detach().flatten()
                digest.update(name.encode() + flat[:: max(1, flat.numel() // 64)][:64].float().cpu().numpy().tobytes())
        kept = None if self.kept_ids is None else hashlib.sha256(self.kept_ids.cpu().numpy().tobytes()).hexdigest()[:16]
        return {"name": self.name, "architecture": self.model.config.to_json_string(),
                "weights": digest.hexdigest()[:16], "kept_ids": kept}

    def __repr__(self) -> str:
        n = sum(p.numel() for p in self.model.parameters())
        return (
            f"Encoder({self.name!r}, {type(self.model).__name__}, layers={self.num_layers}, "
            f"hidden={self.hidden_size}, vocab={self.model.config.vocab_size}, params={n / 1e6:.1f}M)"
        )

    # -- text to ids -----------------------------------------------------------------------------
    def normalize(self, text: str) -> str:
        """``text`` as this model's vocabulary spells it, character by character.

        A character the vocabulary holds (alone, or as a ``##``/``▁`` piece) stays; any other becomes its NFKC
        form, so full-width ``，`` and ``１`` become ``,`` and ``1`` for multilingual-e5 (whose vocabulary lacks
        them) but stay for bert-base-chinese (which has them, id 8024 for ``，``). Letters are lower-cased
        when the vocabulary has no capital letter: the vocabulary decides, not the tokenizer's setting --
        bert-base-chinese's tokenizer config says cased (``do_lower_case=False``), yet its vocabulary has no
        capitals and it was trained on lower-cased text (transformers issues 9286 and 14990), so ``GDP`` and
        ``ＧＤＰ`` would otherwise be ``[UNK]``. Curly quotes and long dashes that are still unknown become
        their ASCII forms (``“`` -> ``"``, ``—`` -> ``-``).
        """
        forms = self._forms
        out = []
        for char in text:
            form = forms.get(char)
            if form is None:
                vocab = self.vocab
                known = char in vocab or _SPM_SPACE + char in vocab or "##" + char in vocab
                form = char if known else unicodedata.normalize("NFKC", char)
                if not known and form not in vocab and _SPM_SPACE + form not in vocab:
                    form = form.translate(_TYPOGRAPHIC)
                forms[char] = form = form.lower() if self.lowercase else form
            out.append(form)
        return "".join(out)

    def unit_ids(self, unit: str) -> list[int]:
        """Token ids of one unit (after :meth:`normalize`): each CJK character one token, other runs tokenized."""
        text = self.normalize(unit).strip()
        if not text:
            raise ValueError(f"empty unit {unit!r}: units must contain visible characters")
        vocab = self.vocab
        ids: list[int] = []
        for chunk in re.findall(rf"{CJK.pattern}|[^\s\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", text):
            if CJK.fullmatch(chunk):
                ids.append(vocab.get(chunk, vocab.get(_SPM_SPACE + chunk, self.tokenizer.unk_token_id)))
                continue
            pieces = self.tokenizer(chunk, add_special_tokens=False)["input_ids"]
            space = vocab.get(_SPM_SPACE)
            if len(pieces) > 1 and pieces[0] == space:  # SentencePiece's lone word-start marker
                pieces = pieces[1:]
            ids.extend(pieces)
        return ids if self._old_to_new is None else self._remap(torch.tensor(ids)).tolist()

    def _remap(self, ids: torch.Tensor) -> torch.Tensor:
        """Original tokenizer ids -> ids of the pruned vocabulary (dropped pieces become the unknown token)."""
        new = self._old_to_new[ids]
        return torch.where(new < 0, torch.full_like(new, self.unk_id), new)

    def set_id_map(self, old_to_new: torch.Tensor, kept_ids: torch.Tensor) -> None:
        """Switch to a pruned vocabulary (see :func:`kexue.text.prune_vocab`): ``old_to_new[id]`` is -1 if dropped."""
        self._old_to_new, self.kept_ids = old_to_new, kept_ids
        for name in ("mask_id", "cls_id", "sep_id", "unk_id", "pad_id"):
            setattr(self, name, int(old_to_new[getattr(self, name)]))

    def encode(self, units: Sequence[str], *, truncate: bool = False) -> tuple[torch.Tensor, list[tuple[int, int]]]:
        """Ids ``[CLS] u_1 ... u_n [SEP]`` and each unit's half-open span of token positions.

        Characters missing from the vocabulary become the unknown token and are reported with an
        :class:`UnknownTokenWarning`. Inputs longer than :attr:`max_length` raise, unless ``truncate``
        drops the units that do not fit.
        """
        if isinstance(units, str):
            raise TypeError("encode takes a list of units (characters or words), e.g. list('欧拉是一名数学家')")
        if len(units) == 0:
            raise ValueError("encode needs at least one unit; got an empty list")
        ids, spans, unknown = [self.cls_id], [], []
        for unit in units:
            unit_ids = self.unit_ids(unit)
            if self.unk_id in unit_ids:
                unknown.append(unit)
            if truncate and len(ids) + len(unit_ids) + 1 > self.max_length:
                break
            spans.append((len(ids), len(ids) + len(unit_ids)))
            ids.extend(unit_ids)
        ids.append(self.sep_id)
        if len(ids) > self.max_length:
            raise ValueError(
                f"{len(ids)} tokens exceed {self.name}'s maximum of {self.max_length} (special tokens included); "
                "split the text into windows, or pass truncate=True to drop the units that do not fit"
            )
        if unknown:
            warnings.warn(
                f"{self.name}: {len(unknown)} unit(s) contain characters outside the vocabulary and are fed "
                f"as {self.tokenizer.unk_token}: {unknown[:10]}",
                UnknownTokenWarning,
                stacklevel=2,
            )
        return torch.tensor(ids, dtype=torch.long), spans

    # -- running it ----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def truncated(self, num_layers: int) -> Iterator["Encoder"]:
        """Temporarily keep only the first ``num_layers`` transformer layers (to stop the forward early)."""
        layers = self.base.encoder.layer
        if not 0 <= num_layers <= len(layers):
            raise ValueError(f"num_layers must be in 0..{len(layers)}, got {num_layers}")
        if not self._full_forward_done:
            # transformers 5 installs its hidden-state hooks lazily, on the layers present at the first call
            # that asks for hidden states: make that call with every layer in place.
            self.hidden_states(torch.tensor([self.cls_id, self.sep_id]))
        self.base.encoder.layer = torch.nn.ModuleList(list(layers)[:num_layers])
        try:
            yield self
        finally:
            self.base.encoder.layer = layers

    @torch.inference_mode()
    @phase("inference")
    def hidden_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> tuple:
        """All hidden states (embeddings first) of the bare encoder for a batch of ids."""
        input_ids = input_ids.to(self.device)
        if input_ids.dim() == 1:
            input_ids = input_ids[None]
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        out = self.base(input_ids=input_ids, attention_mask=attention_mask.to(self.device), output_hidden_states=True)
        self._full_forward_done = self._full_forward_done or len(self.base.encoder.layer) == self.num_layers
        return out.hidden_states

    @torch.inference_mode()
    @phase("inference")
    def embed(self, texts: Sequence[str], batch_size: int = 32, max_length: int | None = None) -> torch.Tensor:
        """Mean-pooled last-layer vectors of whole texts (tokenizer's own segmentation), L2-normalised.

        Texts longer than ``max_length`` tokens (default: the model's maximum) are truncated. The texts run
        shortest first (each batch is padded to its own longest), the vectors come back in the order of ``texts``.
        """
        if not texts:
            raise ValueError("no texts to embed")
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = []
        for start in range(0, len(texts), batch_size):
            batch = self.tokenizer(
                [self.normalize(texts[i]) for i in order[start : start + batch_size]],
                padding=True,
                truncation=True,
                max_length=min(max_length or self.max_length, self.max_length),
                return_tensors="pt",
            )
            if self._old_to_new is not None:
                batch["input_ids"] = self._remap(batch["input_ids"])
            batch = batch.to(self.device)
            last = self.base(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
            pooled = mean_pool(last, batch["attention_mask"])
            vectors.append(torch.nn.functional.normalize(pooled, dim=-1).cpu())
        return torch.cat(vectors)[torch.argsort(torch.tensor(order))]

