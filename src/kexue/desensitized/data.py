"""The chapter's data: one matching subtask of People's Daily (:mod:`kexue.data.matching`), ciphered.

Training pairs come from the train split (labelled); held-out pairs from the dev split, whose texts also serve
as the unlabelled data, as the competition's test texts did. One random cipher covers all their characters, and
the vocabulary is counted over all their texts.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cipher import Cipher, CipherPair, encipher_pairs, make_cipher
from .vocabulary import CipherVocab, build_vocab


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

    def cache_key(self) -> dict:
        """What a run on these pairs is keyed by (:func:`kexue.artifacts.key_value`): the settings that made them."""
        return self.settings


def desensitized_matching(criterion: str = "A", kind: str = "short-short", *, n_train: int = 2000,
                          n_held_out: int = 1000, min_count: int = 5, seed: int = 0) -> CipherData:
    """Pairs of one subtask of :func:`kexue.data.load_matching`: ``n_train`` from the train split (labelled),
    ``n_held_out`` from the dev split; one random cipher over all their characters; the vocabulary counted over
    all their texts (labelled and unlabelled), ``min_count`` and up."""
    from ..data.matching import load_matching, task_id

    task = task_id(criterion, kind)
    train_plain = tuple(p for p in load_matching("train", n_train, seed=seed) if p.task == task)
    held_plain = tuple(p for p in load_matching("dev", n_held_out, seed=seed) if p.task == task)
    cipher = make_cipher([t for p in train_plain + held_plain for t in (p.a, p.b)], seed=seed)
    train_c, held_c = tuple(encipher_pairs(train_plain, cipher)), tuple(encipher_pairs(held_plain, cipher))
    vocab = build_vocab(train_c + held_c, min_count=min_count)
    settings = {"criterion": criterion, "kind": kind, "n_train": n_train, "n_held_out": n_held_out,
                "min_count": min_count, "seed": seed}
    return CipherData(train_plain, held_plain, cipher, train_c, held_c, vocab, settings)
