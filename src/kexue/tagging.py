"""Token tagging: People's Daily word segmentation and part-of-speech as one label per token, and the linear
head, loss and per-sentence accuracy that train and score a BERT-like encoder on it.

Each word of a sentence is cut into the encoder's tokens (:meth:`~kexue.models.Encoder.unit_ids`); its first
token gets ``B-<tag>``, the others ``I-<tag>``, with ``<tag>`` the word's PKU tag (``n``, ``v``, ``nr``, ...). A
tagger therefore has to find the word boundaries and the part of speech together, a task with many labels
and long-range cues, where depth matters (unlike a binary sentiment of short reviews).
"""

from __future__ import annotations

from typing import Sequence

import torch

from .data.peoples_daily import Sentence
from .models import Encoder
from .text import IGNORE, encoder_states, pad_rows, token_counts
from .train import batched_eval


def tag_labels(tags: Sequence[str]) -> list[str]:
    """The label set of a tag set: ``B-t`` and ``I-t`` for every tag ``t``, in the tag set's order."""
    if not tags:
        raise ValueError("no tags: pass the tags of the training sentences (e.g. tag_set(sentences))")
    return [f"{prefix}-{t}" for t in tags for prefix in ("B", "I")]


def tag_set(sentences: Sequence[Sentence]) -> list[str]:
    """The tags of ``sentences``, most frequent first (ties by name)."""
    counts: dict[str, int] = {}
    for s in sentences:
        for t in s.tags:
            counts[t] = counts.get(t, 0) + 1
    return sorted(counts, key=lambda t: (-counts[t], t))


def encode_tagged(encoder: Encoder, sentences: Sequence[Sentence], labels: Sequence[str],
                  max_length: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded ids ``[CLS] tokens [SEP]`` of each sentence (cut to ``max_length``) and the label id of every token:
    :data:`~kexue.text.IGNORE` on the specials and padding, and on words whose tag is not in ``labels``."""
    if not sentences:
        raise ValueError("no sentences to encode")
    index = {label: i for i, label in enumerate(labels)}
    rows, targets = [], []
    for s in sentences:
        ids, tags = [], []
        for word, tag in zip(s.words, s.tags):
            pieces = encoder.unit_ids(word)
            ids += pieces
            tags += [index.get(f"B-{tag}", IGNORE)] + [index.get(f"I-{tag}", IGNORE)] * (len(pieces) - 1)
        ids, tags = ids[: max_length - 2], tags[: max_length - 2]
        rows.append([encoder.cls_id, *ids, encoder.sep_id])
        targets.append([IGNORE, *tags, IGNORE])
    return pad_rows(rows, encoder.pad_id), pad_rows(targets, IGNORE)


class TokenClassifier(torch.nn.Module):
    """logits_t = W · h_t + b for every token t, with h the encoder's last hidden states.

    ``base`` is any ``transformers`` encoder that takes ``input_ids`` and ``attention_mask``; padding is the
    ``pad_id`` token. The output has as many positions as the longest row of the batch (padding columns of the
    whole batch are cut first, :func:`~kexue.text.trim_padding`).
    """

    def __init__(self, base: torch.nn.Module, num_labels: int, pad_id: int):
        super().__init__()
        if num_labels < 2:
            raise ValueError(f"a tagger needs at least 2 labels, got {num_labels}")
        self.base, self.pad_id = base, pad_id
        self.head = torch.nn.Linear(base.config.hidden_size, num_labels)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.head(encoder_states(self.base, input_ids, self.pad_id)[0])


def token_loss(model: torch.nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Cross-entropy over the labelled tokens of a batch ``(ids, labels)`` (labels cut to the logits' width)."""
    ids, labels = batch
    logits = model(ids)
    labels = labels[:, : logits.shape[1]]
    return torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE)


def token_predictions(model: torch.nn.Module, ids: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """The arg-max label of every token, shaped like ``ids`` (:data:`~kexue.text.IGNORE` beyond each batch's
    longest row); the sentences run shortest first."""
    width = ids.shape[1]

    def step(batch: torch.Tensor) -> torch.Tensor:
        predicted = model(batch).argmax(-1)
        return torch.nn.functional.pad(predicted, (0, width - predicted.shape[1]), value=IGNORE)

    return batched_eval(model, step, ids, batch_size=batch_size, lengths=token_counts(ids, model.pad_id))


def sentence_accuracies(predicted: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per sentence, the fraction of its labelled tokens tagged right (float64; the items a paired bootstrap
    resamples, since the tokens of one sentence are not independent)."""
    labelled = labels != IGNORE
    if not labelled.any(1).all():
        raise ValueError("every sentence needs at least one labelled token")
    correct = ((predicted == labels) & labelled).sum(1)
    return correct.double() / labelled.sum(1).double()
