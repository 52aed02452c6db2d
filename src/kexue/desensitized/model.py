"""The cipher model: a pretrained masked LM whose embedding (and tied MLM output layer) is rebuilt row by row.

``reembed`` is the embedding surgery: token t of the new vocabulary starts as row ``rows[t]`` of the old one,
E' = E[rows], and the MLM decoder (weight tied to E', bias b' = b[rows]) follows. ``cipher_model`` picks the rows
(one of :data:`INITS`) and keeps the first ``layers`` transformer layers.
"""

from __future__ import annotations

from collections import Counter

import torch
from transformers import BertConfig, BertForMaskedLM

from ..layers import keep_first_layers
from ..models import load_masked_lm
from ..text import take_embedding_rows
from .alignments import plaintext_alignment, random_alignment, rank_alignment
from .cipher import Cipher
from .vocabulary import CipherVocab

#: the ways to initialise the cipher model compared in the chapter
INITS = ("random-init", "random-map", "rank-align", "plaintext")
#: how tables and figures name them
INIT_LABELS = {
    "random-init": "random init (no pretraining)",
    "random-map": "pretrained, random id → char map",
    "rank-align": "pretrained, frequency-rank alignment",
    "plaintext": "pretrained, true characters (ceiling)",
}


def reembed(model: BertForMaskedLM, rows: torch.Tensor) -> BertForMaskedLM:
    """Replace the token embedding by ``E[rows]`` (rows may repeat) and the tied MLM output layer (and its bias)
    by the same rows: token t of the new vocabulary starts as row ``rows[t]`` of the old one
    (:func:`kexue.text.take_embedding_rows`)."""
    take_embedding_rows(model, rows)
    return model


def cipher_model(init: str, vocab: CipherVocab, *, model: str = "offline-zh", layers: int = 4,
                 reference: Counter | None = None, cipher: Cipher | None = None, seed: int = 0,
                 device: str | torch.device = "cpu") -> BertForMaskedLM:
    """A masked LM over the cipher vocabulary, its first ``layers`` layers from ``model``'s architecture.

    ``init``: ``"random-init"`` (same architecture, every weight random), ``"random-map"`` / ``"rank-align"``
    (pretrained weights; embedding rows by :func:`random_alignment` / :func:`rank_alignment` of ``reference``),
    ``"plaintext"`` (pretrained; the true characters, needs ``cipher``). The MLM head's transform is new and
    seeded by ``seed``. The model is returned on ``device``.
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    encoder = load_masked_lm(model, seed=seed)
    network = encoder.model
    if init == "random-init":
        config = BertConfig(**{**network.config.to_dict(), "vocab_size": len(vocab), "num_hidden_layers": layers})
        torch.manual_seed(seed)
        network = BertForMaskedLM(config)
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
        keep_first_layers(network, layers)
        reembed(network, alignment.rows)
    return network.to(device).train()
