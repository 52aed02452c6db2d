"""Encoders the book probes and fine-tunes, behind one small interface: :mod:`.encoder` (the
:class:`Encoder`) and :mod:`.loaders` (``load_encoder``, ``load_masked_lm``, ``tiny_bert``, stand-ins)."""

from .encoder import Encoder, UnknownTokenWarning, mean_pool
from .loaders import (
    OFFLINE_NAMES,
    char_vocab_file,
    load_encoder,
    load_masked_lm,
    offline_en_path,
    offline_zh_path,
    save_hub_standin,
    tiny_bert,
)

__all__ = ["Encoder", "UnknownTokenWarning", "mean_pool", "OFFLINE_NAMES", "char_vocab_file", "load_encoder",
           "load_masked_lm", "offline_en_path", "offline_zh_path", "save_hub_standin", "tiny_bert"]
