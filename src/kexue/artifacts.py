"""Cache trained artefacts under the user cache dir, keyed by their configuration.

A chapter in the ``book`` profile trains for minutes; a rebuild should not train again::

    result = cached("flooding", {"b": 0.1, "seed": 0, "epochs": 200}, lambda: run_experiment(...))

The key is a hash of the JSON of ``config`` and ``CACHE_VERSION``: put every setting that changes the result in
``config`` (defaults of library functions included), and bump ``CACHE_VERSION`` when library code changes what a
cached computation means. Anything ``torch.save`` can store may be cached. Results are stored device-free (tensors
and modules as CPU copies) and read back onto the CPU, so a run made on a GPU loads on a CPU-only machine.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
from typing import Any, Callable, TypeVar

import torch

from .runtime import cache_dir

T = TypeVar("T")
CACHE_VERSION = "2"  # bump when the meaning of cached results changes (2: padding per batch)


def config_key(name: str, config: dict[str, Any]) -> str:
    """File stem for ``name`` with this configuration: the name plus a short hash of the sorted JSON."""
    text = json.dumps({"config": config, "cache": CACHE_VERSION}, sort_keys=True, default=str)
    return f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def device_free(value: Any) -> Any:
    """A copy of ``value`` with every tensor and module (inside dicts, lists, tuples, dataclasses) on the CPU."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, torch.nn.Module):
        return copy.deepcopy(value).cpu()
    if isinstance(value, dict):
        return type(value)((k, device_free(v)) for k, v in value.items())
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return type(value)(*(device_free(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(device_free(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: device_free(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    return value


def cached(name: str, config: dict[str, Any], compute: Callable[[], T], *, refresh: bool = False) -> T:
    """Return the stored result for (name, config), or compute, store and return it.

    ``KEXUE_NO_CACHE=1`` (or ``refresh=True``) recomputes and overwrites.
    """
    path = cache_dir("runs") / f"{config_key(name, config)}.pt"
    if path.exists() and not refresh and os.environ.get("KEXUE_NO_CACHE") != "1":
        return torch.load(path, map_location="cpu", weights_only=False)
    result = device_free(compute())  # what a later load gives, so a cold and a warm run see the same
    tmp = path.with_suffix(".partial")
    torch.save(result, tmp)
    tmp.replace(path)
    return result
