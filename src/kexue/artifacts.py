"""The one artefact cache: experiment runs stored under the user cache dir, keyed by what they were run with.

A chapter in the ``book`` profile trains for minutes; a rebuild should not train again. Every experiment of the
library is a function decorated with :func:`cached_run`::

    @cached_run("flooding", version=1)
    def run_flooding(b: float, seed: int, *, epochs: int, lr: float = 1e-3, progress: bool = True) -> dict: ...

Its key is the function's qualified name, ``version`` (bump it when the code behind the run changes what it
computes), :data:`CACHE_VERSION`, and every bound argument with the defaults applied, so a changed default retrains
too. Arguments that cannot change the result (``progress``, and those named in ``ignore``) are left out. Configs
are frozen dataclasses (their type and every field enter the key); other objects enter through a ``cache_key()``
method, and anything else is refused, so a key never silently misses a setting. Chapters call the decorated
functions and never build a key.

Anything ``torch.save`` can store may be cached. Results are stored device-free (tensors and modules as CPU
copies) and read back onto the CPU, so a run made on a GPU loads on a CPU-only machine. ``KEXUE_NO_CACHE=1``
recomputes and overwrites; ``fn.uncached`` is the plain function.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import inspect
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

import torch

from .runtime import cache_dir
from .timing import phase

T = TypeVar("T")
CACHE_VERSION = "3"  # bump when the meaning of every cached result changes (2: padding per batch; 3: cached_run keys)


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


def key_value(value: Any) -> Any:
    """``value`` as plain JSON data for a cache key: numbers, strings, lists and dicts as they are, a dataclass as
    its type and fields, a ``torch.device`` or ``torch.dtype`` as its name, an object with ``cache_key()`` as what
    that returns. Anything else raises ``TypeError`` (its repr may hide a setting, or change every run)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [key_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): key_value(v) for k, v in value.items()}
    if isinstance(value, (torch.device, torch.dtype)):
        return str(value)
    if hasattr(value, "cache_key"):
        return key_value(value.cache_key())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: key_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"type": type(value).__qualname__, **fields}
    raise TypeError(f"cannot put a {type(value).__name__} into a cache key: give it a cache_key() method "
                    "returning its settings, or name the argument in cached_run(ignore=...) if it cannot change "
                    "the result")


def run_key(fn: Callable, args: tuple, kwargs: dict, *, version: int, ignore: Iterable[str]) -> dict[str, Any]:
    """The key config of ``fn(*args, **kwargs)``: its qualified name, ``version`` and every bound argument
    (defaults applied) except those in ``ignore``."""
    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    arguments = {name: key_value(v) for name, v in bound.arguments.items() if name not in ignore}
    return {"function": f"{fn.__module__}.{fn.__qualname__}", "version": version, "arguments": arguments}


def cached_run(name: str, *, version: int = 1, ignore: Iterable[str] = ()) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorator: cache the function's result under ``name`` and :func:`run_key` (``progress`` is always left
    out). ``ignore`` names the other arguments that cannot change the result (a device, a helper object fully
    determined by the other arguments); each must be a parameter of the function."""
    skipped = {"progress", *ignore}

    def decorate(fn: Callable[..., T]) -> Callable[..., T]:
        unknown = set(ignore) - set(inspect.signature(fn).parameters)
        if unknown:
            raise TypeError(f"cached_run(ignore=...) names {sorted(unknown)}, which {fn.__qualname__} does not take")

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> T:
            config = run_key(fn, args, kwargs, version=version, ignore=skipped)
            return cached(name, config, lambda: fn(*args, **kwargs))

        run.uncached = fn
        run.cache_path = lambda *args, **kwargs: _path(name, run_key(fn, args, kwargs, version=version,
                                                                      ignore=skipped))
        return run

    return decorate


def _path(name: str, config: dict[str, Any]) -> Path:
    """Where the result of (name, config) is stored."""
    return cache_dir("runs") / f"{config_key(name, config)}.pt"


def cached(name: str, config: dict[str, Any], compute: Callable[[], T], *, refresh: bool = False) -> T:
    """Return the stored result for (name, config), or compute, store and return it; what :func:`cached_run`
    calls (experiments use the decorator, not this).

    ``KEXUE_NO_CACHE=1`` (or ``refresh=True``) recomputes and overwrites.
    """
    path = _path(name, config)
    if path.exists() and not refresh and os.environ.get("KEXUE_NO_CACHE") != "1":
        with phase("cache"):
            return torch.load(path, map_location="cpu", weights_only=False)
    result = device_free(compute())  # what a later load gives, so a cold and a warm run see the same
    with phase("cache"):
        tmp = path.with_suffix(f".{os.getpid()}.partial")  # one per process: chapters may run side by side
        torch.save(result, tmp)
        tmp.replace(path)
    return result
