"""One switch for the whole book: the profile, plus seeding, device and threads.

A chapter calls :func:`setup` once, with the sizes it uses in each profile::

    run = setup(sizes={"smoke": {"steps": 5}, "book": {"steps": 300}, "full": {"steps": 3000}})
    run.steps  # the size for the active profile

The profile comes from the environment variable ``KEXUE_PROFILE``:

* ``smoke`` -- tests and CI: tiny random models, a few hundred examples, under a minute a chapter;
* ``book`` (default) -- what the rendered book shows: offline pretrained models, real data, CPU;
* ``full`` -- a GPU with internet (Colab): the articles' models and full data sizes.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

PROFILES = ("smoke", "book", "full")
DEFAULT_PROFILE = "book"


def current_profile() -> str:
    """The active profile, read from ``KEXUE_PROFILE`` (default ``book``)."""
    value = os.environ.get("KEXUE_PROFILE", DEFAULT_PROFILE).strip().lower() or DEFAULT_PROFILE
    if value not in PROFILES:
        raise ValueError(
            f"KEXUE_PROFILE={value!r} is not a profile; use one of {', '.join(PROFILES)} "
            "(smoke: tests, book: the rendered book on CPU, full: a GPU with internet)"
        )
    return value


def cache_dir(*parts: str) -> Path:
    """A folder under the user cache (``$KEXUE_CACHE_DIR`` or ``~/.cache/kexue``), created on demand."""
    root = os.environ.get("KEXUE_CACHE_DIR")
    if root is None:
        root = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "kexue")
    path = Path(root, *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def offline() -> bool:
    """Whether downloads are off: ``HF_HUB_OFFLINE`` set to 1/true/yes/on (the Makefile sets it for the book
    and the tests). Then hub models and data sets are never fetched; loaders say what to install instead."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA) with one number."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pick_device(prefer: str | None = None) -> torch.device:
    """``cuda`` when available (or ``mps`` on Apple), else ``cpu``; ``prefer`` overrides."""
    if prefer is not None:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@dataclass(frozen=True)
class Run:
    """What :func:`setup` decided: profile, device, seed and the chapter's sizes for this profile."""

    profile: str
    device: torch.device
    seed: int
    threads: int
    sizes: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        sizes = object.__getattribute__(self, "sizes")
        if name in sizes:
            return sizes[name]
        raise AttributeError(f"{name!r} is neither a Run field nor one of this chapter's sizes {sorted(sizes)}")

    def describe(self) -> str:
        """One line saying what runs where, for the top of every chapter's output."""
        shown = ", ".join(f"{k}={v}" for k, v in self.sizes.items())
        return (
            f"kexue profile={self.profile} device={self.device} threads={self.threads} "
            f"seed={self.seed} torch={torch.__version__}" + (f" | {shown}" if shown else "")
        )


def setup(
    sizes: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    seed: int = 0,
    device: str | None = None,
    threads: int | None = None,
    verbose: bool = True,
) -> Run:
    """Seed everything, pick the device, set CPU threads and return the sizes of the active profile.

    ``sizes`` maps each profile name to that profile's settings (any keys); every profile must list
    the same keys so that a chapter reads the same names whatever runs it.
    """
    profile = current_profile()
    sizes = dict(sizes or {})
    unknown = set(sizes) - set(PROFILES)
    if unknown:
        raise ValueError(f"sizes has unknown profiles {sorted(unknown)}; use {', '.join(PROFILES)}")
    if sizes:
        missing = [p for p in PROFILES if p not in sizes]
        if missing:
            raise ValueError(f"sizes must give every profile; missing {missing}")
        keys = {p: set(v) for p, v in sizes.items()}
        if len({frozenset(k) for k in keys.values()}) != 1:
            raise ValueError(f"every profile must list the same size names; got {keys}")
    chosen = dict(sizes.get(profile, {}))
    seed_everything(seed)
    threads = threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    run = Run(profile=profile, device=pick_device(device), seed=seed, threads=threads, sizes=chosen)
    if verbose:
        print(run.describe())
    return run
