"""kexue: the library under the executable book of eight Scientific Spaces (kexue.fm) articles.

The top level holds what every chapter uses: ``setup`` (profile, seed, device), the encoders, the one
training loop (``kexue.train.train``), the one artefact cache and the report helpers. Each article's method
lives in its own subpackage (``kexue.probing``, ``kexue.theseus``, ``kexue.wobert``, ``kexue.cln``,
``kexue.desensitized``, ``kexue.longtail``, ``kexue.flooding``, ``kexue.denoising``), its figures in
``kexue.viz``.
"""

from importlib.metadata import version as _version

from .artifacts import cached_run
from .models import Encoder, load_encoder, load_masked_lm, tiny_bert
from .report import claims_table, glue, markdown_table, mean_interval, mean_std, verdict
from .runtime import cache_dir, current_profile, setup
from . import train  # the module: kexue.train.train is the loop (a function here would hide it)
from .train import History

__version__ = _version("kexue")  # pyproject.toml is the one place the version is written
__all__ = ["setup", "current_profile", "cache_dir", "Encoder", "load_encoder", "load_masked_lm", "tiny_bert",
           "train", "History", "cached_run", "claims_table", "markdown_table", "glue", "mean_std", "mean_interval",
           "verdict"]
