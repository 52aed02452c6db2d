"""kexue: the library under the executable book of eight Scientific Spaces (kexue.fm) articles."""

from .models import Encoder, load_encoder, load_masked_lm, tiny_bert
from .runtime import cache_dir, current_profile, setup

__version__ = "0.1.0"
__all__ = ["Encoder", "load_encoder", "load_masked_lm", "tiny_bert", "setup", "current_profile", "cache_dir"]
