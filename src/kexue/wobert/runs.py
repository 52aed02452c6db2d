"""The chapter's three cached runs: forward-pass speed, continued masked-LM pretraining, review sentiment.

Each run has a config dataclass holding every setting that changes its result (``from_run`` reads them from
the chapter's profile sizes); the config is the artefact-cache key (:func:`kexue.artifacts.cached_run`), so a
rebuild with the same settings loads the stored result instead of training again. The data are read here,
sliced by the config's counts, so the key also says which texts a run saw.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Sequence

from ..artifacts import cached_run
from ..data import load_peoples_daily, load_reviews
from ..train import History
from .experiments import SentimentRuns, mlm_comparison, sentiment_comparison
from .measure import speed_ratios
from .tokenizer import WordTokenizer

#: the word models of the sentiment comparison: label -> (initialisation of the new rows, load the MLM state?)
WORD_MODELS = {"words, mean init": ("mean", False), "words, random init": ("random", False),
               "words, mean init + MLM": ("mean", True)}


def _peoples_daily(split: str) -> list[str]:
    return [s.text for s in load_peoples_daily(split)]


@dataclass(frozen=True)
class SpeedConfig:
    """Forward-pass timing of :func:`speed_run`: ``model`` extended with ``words`` words, windows of People's
    Daily dev text at each input length, ``batch`` windows per length, ``repeats`` timed rounds, on ``device``."""

    model: str
    words: int
    lengths: tuple[int, ...]
    batch: int
    repeats: int
    device: str

    @classmethod
    def from_run(cls, run: Any) -> "SpeedConfig":
        return cls(model=run.model, words=run.words, lengths=tuple(run.lengths), batch=run.speed_batch,
                   repeats=run.repeats, device=str(run.device))


@cached_run("wobert-speed", ignore=("tokenizer",))
def speed_run(config: SpeedConfig, tokenizer: WordTokenizer) -> list[dict]:
    """:func:`speed_ratios` of ``tokenizer``'s encoder (moved to ``config.device``) on People's Daily dev text,
    cached as ``"wobert-speed"``. ``tokenizer`` must hold the ``config.words`` words of ``config.model``."""
    if len(tokenizer.words) != config.words:
        raise ValueError(f"the tokenizer holds {len(tokenizer.words)} words but the config says {config.words}: "
                         "build it with select_words(encoder, config.words)")
    model = tokenizer.encoder.base.to(config.device)
    return speed_ratios(model, tokenizer, _peoples_daily("dev"), config.lengths, batch_size=config.batch,
                        repeats=config.repeats)


@dataclass(frozen=True)
class MLMConfig:
    """Continued masked-LM pretraining of :func:`mlm_run`: the first ``n_texts`` People's Daily training
    sentences, ``n_held_out`` dev sentences to evaluate on; ``n_train_reviews`` / ``n_dev_reviews`` review
    counts that the later sentiment run uses (the pruned vocabulary must hold their characters, see
    :func:`keep_texts`)."""

    model: str
    words: int
    prune: bool
    n_texts: int
    n_held_out: int
    n_train_reviews: int
    n_dev_reviews: int
    steps: int
    batch: int
    max_length: int
    lr: float
    eval_every: int | None
    seed: int

    @classmethod
    def from_run(cls, run: Any) -> "MLMConfig":
        return cls(model=run.model, words=run.words, prune=run.prune, n_texts=run.mlm_texts,
                   n_held_out=run.n_held_out, n_train_reviews=run.n_train_reviews,
                   n_dev_reviews=run.n_dev_reviews, steps=run.mlm_steps, batch=run.mlm_batch,
                   max_length=run.mlm_max_length, lr=run.mlm_lr, eval_every=run.mlm_eval_every, seed=run.seeds[0])


def keep_texts(config: MLMConfig) -> list[str]:
    """Every text the trained word models will see: the MLM training and held-out sentences, the training and
    dev reviews (the vocabulary is pruned to their characters)."""
    return (_peoples_daily("train")[: config.n_texts] + _peoples_daily("dev")[: config.n_held_out]
            + [t for t, _ in load_reviews("train")[: config.n_train_reviews]]
            + [t for t, _ in load_reviews("dev")[: config.n_dev_reviews]])


def _check_words(words: Sequence[str], count: int) -> None:
    if len(words) != count:
        raise ValueError(f"{len(words)} words given but the config says {count}: pass "
                         "select_words(encoder, config.words).words")


@cached_run("wobert-mlm", ignore=("words", "device"))
def mlm_run(config: MLMConfig, words: Sequence[str], *, device: str | None = None) -> dict:
    """:func:`mlm_comparison` from mean and random new rows, cached as ``"wobert-mlm"``:
    ``{"histories": {init: History}, "state": state dict of the mean-init model}``."""
    _check_words(words, config.words)
    return mlm_comparison(
        config.model, words, _peoples_daily("train")[: config.n_texts], _peoples_daily("dev")[: config.n_held_out],
        keep_texts(config), steps=config.steps, batch_size=config.batch, lr=config.lr,
        max_length=config.max_length, eval_every=config.eval_every, prune=config.prune, seed=config.seed,
        device=device)


@dataclass(frozen=True)
class SentimentConfig:
    """Fine-tuning of :func:`sentiment_run`: the character model and the ``word_models`` (labels of
    :data:`WORD_MODELS`, one of them starting from the state the run ``mlm`` left), on ``mlm.n_train_reviews``
    training and ``mlm.n_dev_reviews`` dev reviews."""

    mlm: MLMConfig
    steps: int
    batch: int
    max_length: int
    lr: float
    eval_every: int | None
    seeds: tuple[int, ...]
    word_models: tuple[str, ...] = tuple(WORD_MODELS)

    def __post_init__(self) -> None:
        unknown = set(self.word_models) - set(WORD_MODELS)
        if unknown:
            raise ValueError(f"unknown word models {sorted(unknown)}: choose from {list(WORD_MODELS)}")

    @classmethod
    def from_run(cls, run: Any) -> "SentimentConfig":
        return cls(mlm=MLMConfig.from_run(run), steps=run.ft_steps, batch=run.ft_batch,
                   max_length=run.ft_max_length, lr=run.ft_lr, eval_every=run.ft_eval_every,
                   seeds=tuple(run.seeds))


@cached_run("wobert-sentiment", version=2, ignore=("words", "device"))
def sentiment_run(config: SentimentConfig, words: Sequence[str], *, device: str | None = None) -> SentimentRuns:
    """:func:`sentiment_comparison` of the character model and the ``config.word_models``, cached as
    ``"wobert-sentiment"``: one history and the dev predictions per seed and model. The MLM state comes from
    :func:`mlm_run` with ``config.mlm`` (a cache hit when the chapter ran it before)."""
    _check_words(words, config.mlm.words)
    mlm = config.mlm
    state = mlm_run(mlm, words, device=device)["state"]
    word_models = {label: (WORD_MODELS[label][0], state if WORD_MODELS[label][1] else None)
                   for label in config.word_models}
    return sentiment_comparison(
        mlm.model, words, keep_texts(mlm), load_reviews("train")[: mlm.n_train_reviews],
        load_reviews("dev")[: mlm.n_dev_reviews],
        word_models=word_models, steps=config.steps, batch_size=config.batch, lr=config.lr,
        max_length=config.max_length, eval_every=config.eval_every, prune=mlm.prune, seeds=config.seeds,
        device=device)


#: the recorded run's seeds (``benchmarks/wobert_seeds.py``, ``results/wobert.json``)
RECORD_SEEDS = (0, 1, 2, 3, 4)
#: the word models the recorded run compares with the character model: the extended vocabulary with
#: mean-of-characters rows, without and with the continued masked-LM training (the article's whole recipe)
RECORD_WORD_MODELS = ("words, mean init", "words, mean init + MLM")


def record_config(config: SentimentConfig) -> SentimentConfig:
    """The recorded run of the chapter's ``config``: the same sizes and steps, every dev review, the seeds
    :data:`RECORD_SEEDS`, one evaluation at the end, and only the models its claim compares."""
    return replace(config, mlm=replace(config.mlm, n_dev_reviews=len(load_reviews("dev"))), eval_every=config.steps,
                   seeds=RECORD_SEEDS, word_models=RECORD_WORD_MODELS)


def recorded(config: SentimentConfig) -> dict[str, Any]:
    """``config`` as the plain dict a record stores (:mod:`kexue.records`): tuples as lists, as JSON reads them."""
    return _plain(asdict(config))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value
