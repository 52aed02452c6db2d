"""Cache trained artefacts under the user cache dir, keyed by their configuration.

A chapter in the ``book`` profile trains for minutes; a rebuild should not train again::

    result = cached("flooding", {"b": 0.1, "seed": 0, "epochs": 200}, lambda: run_experiment(...))

The key is a hash of the JSON of ``config`` and ``CACHE_VERSION``: put every setting that changes the result in
``config`` (defaults of library functions included), and bump ``CACHE_VERSION`` when library code changes what a
cached computation means. Anything ``torch.save`` can store may be cached.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Callable, TypeVar

import torch

from .runtime import cache_dir

T = TypeVar("T")
CACHE_VERSION = "1"  # bump when the meaning of cached results changes


def config_key(name: str, config: dict[str, Any]) -> str:
    """File stem for ``name`` with this configuration: the name plus a short hash of the sorted JSON."""
    text = json.dumps({"config": config, "cache": CACHE_VERSION}, sort_keys=True, default=str)
    return f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def cached(name: str, config: dict[str, Any], compute: Callable[[], T], *, refresh: bool = False) -> T:
    """Return the stored result for (name, config), or compute, store and return it.

    ``KEXUE_NO_CACHE=1`` (or ``refresh=True``) recomputes and overwrites.
    """
    path = cache_dir("runs") / f"{config_key(name, config)}.pt"
    if path.exists() and not refresh and os.environ.get("KEXUE_NO_CACHE") != "1":
        return torch.load(path, weights_only=False)
    result = compute()
    tmp = path.with_suffix(".partial")
    torch.save(result, tmp)
    tmp.replace(path)
    return result
