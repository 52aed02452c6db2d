"""One switch for the whole book: the profile, plus seeding, device and threads.

A chapter calls :func:`setup` once, with the sizes it uses in each profile::

    run = setup(sizes={"smoke": {"steps": 5}, "book": {"steps": 300}, "full": {"steps": 3000}})
    run.steps  # the size for the active profile

The profile comes from the environment variable ``KEXUE_PROFILE``:

* ``smoke`` -- tests and CI: tiny random models, a few hundred examples, under a minute a chapter;
* ``book`` (default) -- what the rendered book shows: offline pretrained models, real data, CPU;
* ``full`` -- a GPU with internet (Colab): the articles' models and full data sizes.

``KEXUE_MODEL`` (a hub id or a local folder saved with ``save_pretrained``) replaces the profile's ``model``
in every chapter, e.g. a local copy of bert-base-chinese without hub access::

    KEXUE_MODEL=/data/bert-base-chinese make book PROFILE=full

``KEXUE_COUNTS`` (a profile name) takes the amounts of work of that profile -- the size keys a chapter lists in
``setup(..., counts=[...])``: examples, steps, seeds -- and everything else (model, image size, architecture,
schedule) from the active profile. ``KEXUE_PROFILE=full KEXUE_COUNTS=smoke`` so runs every code path of the
``full`` profile in seconds: the test suite does that for every chapter, with a small hub-layout stand-in model.
"""

from __future__ import annotations

import os
import random
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

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


def check_model_name(name: str) -> str:
    """``name`` if it can name a model: a local folder that exists, or something shaped like a hub id
    (``name`` or ``owner/name``); a path to nowhere is refused at once, not after a hub lookup."""
    looks_local = name.startswith((".", "/", "~")) or name.count("/") > 1
    path = Path(os.path.expanduser(name))
    if looks_local and not path.is_dir():
        raise ValueError(f"model {name!r} is not a folder: give the folder of a model saved with "
                         "save_pretrained(), or a Hugging Face hub id such as bert-base-chinese (in KEXUE_MODEL, "
                         "or where a chapter names its model)")
    return str(path) if path.is_dir() else name


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


def native_bf16(device: torch.device | str) -> bool:
    """Whether ``device`` computes in bfloat16 natively: CUDA compute capability 8.0 or higher (A100, L4,
    H100, ...). ``torch.cuda.is_bf16_supported()`` is also true on a T4 (7.5), which only emulates it, slowly."""
    device = torch.device(device)
    return device.type == "cuda" and torch.cuda.get_device_capability(device) >= (8, 0)


def half_precision(device: torch.device | str) -> torch.dtype | None:
    """The autocast dtype for ``device``: bfloat16 where native, float16 on older GPUs, None (fp32) on CPU."""
    device = torch.device(device)
    if device.type != "cuda":
        return None
    return torch.bfloat16 if native_bf16(device) else torch.float16


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
    counts: Sequence[str] = (),
) -> Run:
    """Seed everything, pick the device, set CPU threads and return the sizes of the active profile.

    Threads: ``threads``, else ``$KEXUE_THREADS``, else every core (one job at a time runs fastest so; two jobs
    sharing the cores with all threads each slow each other down several times over).

    ``sizes`` maps each profile name to that profile's settings (any keys); every profile must list
    the same keys so that a chapter reads the same names whatever runs it. ``counts`` names the keys that only
    scale the work (see ``KEXUE_COUNTS`` in the module docstring).
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
    if unknown_counts := set(counts) - set(chosen):
        raise ValueError(f"counts names keys that are not sizes: {sorted(unknown_counts)}")
    if counts_from := os.environ.get("KEXUE_COUNTS", "").strip().lower():
        if counts_from not in PROFILES:
            raise ValueError(f"KEXUE_COUNTS={counts_from!r} is not a profile; use one of {', '.join(PROFILES)}")
        chosen.update({key: sizes[counts_from][key] for key in counts})
    if (model := os.environ.get("KEXUE_MODEL", "").strip()) and "model" in chosen:
        chosen["model"] = check_model_name(model)
    seed_everything(seed)
    threads = threads or int(os.environ.get("KEXUE_THREADS") or 0) or os.cpu_count() or 1
    torch.set_num_threads(threads)
    run = Run(profile=profile, device=pick_device(device), seed=seed, threads=threads, sizes=chosen)
    if verbose:
        print(run.describe() + (f" | counts from the {counts_from} profile" if counts_from and counts else ""))
    if profile == "full" and run.device.type == "cpu":
        warnings.warn("KEXUE_PROFILE=full but torch sees no GPU: the full sizes run on the CPU, for hours. On Colab "
                      "choose a GPU runtime; locally install a CUDA build of torch, or use the book profile.",
                      RuntimeWarning, stacklevel=2)
    return run
