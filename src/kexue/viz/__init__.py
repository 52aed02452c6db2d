"""Figures and widgets: the CJK font set-up, the house style, and the book's plots."""

from .style import find_cjk_font, set_style, use_cjk_font

__all__ = ["find_cjk_font", "set_style", "use_cjk_font"]
