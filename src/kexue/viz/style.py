"""Matplotlib set-up shared by every chapter: a CJK-capable font and one house style."""

from __future__ import annotations

import warnings

import matplotlib
from matplotlib import font_manager

# Fonts that cover simplified Chinese, most preferred first.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Droid Sans Fallback",
)
INSTALL_HINT = (
    "no CJK font found, Chinese labels would show as boxes: install one with "
    "`apt-get install fonts-noto-cjk` (Debian/Ubuntu/Colab) and restart the kernel"
)


def find_cjk_font() -> str | None:
    """Family name of an installed font that covers Chinese, or None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


def use_cjk_font() -> str | None:
    """Make matplotlib draw Chinese: put a CJK font first in the sans-serif list; warn when none exists."""
    family = find_cjk_font()
    if family is None:
        font_manager.fontManager.__init__()  # a font installed after import (e.g. on Colab) needs a rescan
        family = find_cjk_font()
    if family is None:
        warnings.warn(INSTALL_HINT, stacklevel=2)
        return None
    rc = matplotlib.rcParams
    rc["font.sans-serif"] = [family] + [f for f in rc["font.sans-serif"] if f != family]
    rc["font.family"] = "sans-serif"
    rc["axes.unicode_minus"] = False  # CJK fonts often lack U+2212
    return family


def set_style() -> str | None:
    """The book's figure style (readable sizes, light grid, no top/right spines) plus a CJK font."""
    matplotlib.rcParams.update(
        {
            "figure.figsize": (7, 3.5),
            "figure.dpi": 110,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.frameon": False,
        }
    )
    return use_cjk_font()
