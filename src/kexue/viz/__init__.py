"""Figures and widgets: the CJK font set-up, the house style, and the book's plots."""

from .corpora import length_histogram, top_words_bar
from .style import find_cjk_font, set_style, use_cjk_font

__all__ = ["find_cjk_font", "length_histogram", "set_style", "top_words_bar", "use_cjk_font"]
