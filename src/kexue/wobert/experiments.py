"""The chapter's experiments, each a pure function of its arguments (so it can be cached by them): build the
word model, continue its masked-LM pretraining from two initialisations of the new rows, and fine-tune
character and word models on review sentiment at the same budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import torch

from ..models import Encoder, load_encoder, load_masked_lm
from ..text import MeanPoolClassifier, batches, encode_texts, prune_vocab, token_counts
from ..report import paired_bootstrap
from ..train import History, batched_eval, cross_entropy_loss, train
from .embeddings import add_words
from .pretraining import continue_pretraining
from .tokenizer import WordTokenizer
from .vocabulary import word_char_ids


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
) -> tuple[History, torch.Tensor]:
    """Fine-tune ``base`` (a bare encoder) with a mean-pooling linear head (:class:`kexue.text.MeanPoolClassifier`)
    for ``steps`` steps. Returns the history (dev accuracy at each evaluation) and the trained model's predicted
    label for every dev text (the last evaluation's, so the per-review answers cost no extra pass)."""
    torch.manual_seed(seed)
    classifier = MeanPoolClassifier(base, int(train_labels.max()) + 1, pad_id)
    dev_lengths = token_counts(dev_ids, pad_id)
    last: dict[str, torch.Tensor] = {}

    def evaluate(model: torch.nn.Module) -> dict[str, float]:
        last["predictions"] = batched_eval(model, lambda x: model(x).argmax(-1), dev_ids, lengths=dev_lengths)
        return {"dev accuracy": (last["predictions"] == dev_labels).float().mean().item()}

    history = train(classifier, cross_entropy_loss,
                    batches(train_ids, train_labels, batch_size=batch_size, seed=seed), steps=steps, lr=lr,
                    evaluate=evaluate, eval_every=eval_every, progress=progress, desc="fine-tune")
    return history, last["predictions"]


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


@dataclass
class SentimentRuns:
    """The sentiment comparison: per model, one history per seed (``histories``) and the trained models' dev
    predictions, shape (seeds, dev reviews) (``predictions``); ``labels`` the dev labels."""

    histories: dict[str, list[History]]
    predictions: dict[str, torch.Tensor]
    labels: torch.Tensor

    def correct(self, name: str) -> torch.Tensor:
        """1.0 where model ``name`` (seed by seed) answered a dev review right, else 0.0: (seeds, reviews)."""
        return (self.predictions[name] == self.labels).double()

    def difference(self, name: str, baseline: str = "characters") -> tuple[float, float, float]:
        """(acc(name) − acc(baseline), low, high): the dev-accuracy difference and its 95% paired-bootstrap
        interval over seeds and reviews (:func:`kexue.report.paired_bootstrap`)."""
        return paired_bootstrap(self.correct(name).numpy(), self.correct(baseline).numpy())


def sentiment_comparison(name: str, words: Sequence[str], keep_texts: Sequence[str],
                         train: Sequence[tuple[str, int]], dev: Sequence[tuple[str, int]], *,
                         word_models: Mapping[str, tuple[str, dict | None]], steps: int, batch_size: int = 32,
                         lr: float = 5e-5, max_length: int = 64, eval_every: int | None = None, prune: bool = True,
                         seeds: Sequence[int] = (0,), device: str | None = None) -> SentimentRuns:
    """Fine-tune the character model ``name`` and word models on the same reviews, with the same steps, batch size,
    learning rate and maximum length in tokens; one history and one row of dev predictions per seed and model.

    ``word_models`` maps a label to ``(init, state)``: the word model of :func:`word_model` with that
    initialisation of the new rows, then the state dict ``state`` loaded over it when it is not None (e.g. the
    ``"state"`` of :func:`mlm_comparison`, built with the same ``keep_texts``).
    """
    texts, y = [t for t, _ in train], torch.tensor([label for _, label in train])
    dev_texts, dev_y = [t for t, _ in dev], torch.tensor([label for _, label in dev])
    histories: dict[str, list[History]] = {"characters": []}
    predictions: dict[str, list[torch.Tensor]] = {"characters": []}

    def fine_tune(label: str, base: torch.nn.Module, pad_id: int, x: torch.Tensor, x_dev: torch.Tensor,
                  seed: int) -> None:
        history, predicted = fine_tune_classifier(base, pad_id, x, y, x_dev, dev_y, steps=steps,
                                                  batch_size=batch_size, lr=lr, eval_every=eval_every, seed=seed)
        histories.setdefault(label, []).append(history)
        predictions.setdefault(label, []).append(predicted)

    for seed in seeds:
        encoder = load_encoder(name)
        x, x_dev = encode_texts(encoder, texts, max_length), encode_texts(encoder, dev_texts, max_length)
        if prune:
            x, x_dev = prune_vocab(encoder, x, x_dev)
        if device is not None:
            encoder.to(device)
        fine_tune("characters", encoder.base, encoder.pad_id, x, x_dev, seed)
        for label, (init, state) in word_models.items():
            encoder, tokenizer = word_model(name, words, keep_texts, init=init, prune=prune)
            if state is not None:
                encoder.model.load_state_dict(state)
            if device is not None:
                encoder.to(device)
            x, x_dev = encode_texts(tokenizer, texts, max_length), encode_texts(tokenizer, dev_texts, max_length)
            fine_tune(label, encoder.base, tokenizer.pad_id, x, x_dev, seed)
    return SentimentRuns(histories, {k: torch.stack(v) for k, v in predictions.items()}, dev_y)
