"""kexue: the library under the executable book of eight Scientific Spaces (kexue.fm) articles."""

from importlib.metadata import version as _version

from .models import Encoder, load_encoder, load_masked_lm, tiny_bert
from .runtime import cache_dir, current_profile, setup

__version__ = _version("kexue")  # pyproject.toml is the one place the version is written
__all__ = ["Encoder", "load_encoder", "load_masked_lm", "tiny_bert", "setup", "current_profile", "cache_dir"]
