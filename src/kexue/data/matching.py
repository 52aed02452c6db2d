"""Six text-matching subtasks built from People's Daily: loose (A) and strict (B) relatedness of short and long texts.

The Sohu 2021 competition data is not available, so this is an analogue on real text with the same shape:
two criteria × three length pairings, where the same pair can be positive for A and negative for B.

* A *short* text is one sentence; a *long* text is a paragraph (for short-long pairs, a paragraph with one of its
  sentences taken out, so the short text never appears verbatim inside it).
* Criterion **A** (loose): the two texts come from the same article.
* Criterion **B** (strict):
  - short-short: consecutive sentences of one paragraph;
  - short-long: the sentence is the one taken out of that paragraph;
  - long-long: consecutive paragraphs of one article.

Labels are balanced in every subtask. Positives of A are uniform over same-article pairs (so mostly not B-related);
negatives of A come from another article. Positives of B are B-related pairs; half of B's negatives come from the same
article (these are *conflict* pairs: A would call them positive) and half from another article. Splits follow the
People's Daily article split, so no article is shared between train, dev and test.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence

from ..timing import phase
from ._paths import check_split
from .peoples_daily import is_headline, load_articles, sentence_spans

#: Subtask names by task id: criterion (A loose, B strict) x length pairing.
TASKS = ("A short-short", "A short-long", "A long-long", "B short-short", "B short-long", "B long-long")
KINDS = ("short-short", "short-long", "long-long")

#: relation of a pair's two texts, from strongest to weakest
RELATED, SAME_ARTICLE, OTHER_ARTICLE = "B-related", "same article", "other article"

Article = Sequence[Sequence[str]]  # paragraphs, each a list of sentences


@dataclass(frozen=True)
class MatchPair:
    """One labelled pair: texts ``a`` and ``b``, ``label`` (1 = match), ``task`` id (see TASKS) and the relation."""

    a: str
    b: str
    label: int
    task: int
    relation: str

    @property
    def criterion(self) -> str:
        return TASKS[self.task][0]

    @property
    def kind(self) -> str:
        return KINDS[self.task % 3]


def task_id(criterion: str, kind: str) -> int:
    """Task id of criterion ``"A"``/``"B"`` and kind ``"short-short"``/``"short-long"``/``"long-long"``."""
    if criterion not in ("A", "B") or kind not in KINDS:
        raise ValueError(f"criterion must be 'A' or 'B' and kind one of {KINDS}; got {criterion!r}, {kind!r}")
    return 3 * (criterion == "B") + KINDS.index(kind)


def _pick_pair(rng: random.Random, articles: Sequence[Article], kind: str, relation: str) -> tuple[str, str]:
    """Two texts of the given kind and relation, drawn from ``articles``."""
    while True:
        art = rng.choice(articles)
        if kind == "short-short":
            if relation == RELATED:
                par = rng.choice(art)
                if len(par) < 2:
                    continue
                i = rng.randrange(len(par) - 1)
                return par[i], par[i + 1]
            sentences = [(p, i) for p, par in enumerate(art) for i in range(len(par))]
            (p1, i1) = rng.choice(sentences)
            if relation == SAME_ARTICLE:
                (p2, i2) = rng.choice(sentences)
                if (p1, i1) == (p2, i2) or (p1 == p2 and abs(i1 - i2) == 1):
                    continue  # the same sentence, or a B-related one
                return art[p1][i1], art[p2][i2]
            other = rng.choice(articles)
            if other is art:
                continue
            return art[p1][i1], rng.choice(rng.choice(other))
        if kind == "short-long":
            p = rng.randrange(len(art))
            par = art[p]
            if len(par) < 2:
                continue
            removed = rng.randrange(len(par))
            long = "".join(s for i, s in enumerate(par) if i != removed)
            if relation == RELATED:
                return par[removed], long
            if relation == SAME_ARTICLE:
                others = [q for q in range(len(art)) if q != p]
                if not others:
                    continue
                return rng.choice(art[rng.choice(others)]), long
            other = rng.choice(articles)
            if other is art:
                continue
            return rng.choice(rng.choice(other)), long
        # long-long
        if len(art) < 2:
            continue
        if relation == RELATED:
            p = rng.randrange(len(art) - 1)
            return "".join(art[p]), "".join(art[p + 1])
        if relation == SAME_ARTICLE:
            if len(art) < 3:
                continue
            p, q = rng.sample(range(len(art)), 2)
            if abs(p - q) == 1:
                continue
            return "".join(art[p]), "".join(art[q])
        other = rng.choice(articles)
        if other is art:
            continue
        return "".join(rng.choice(art)), "".join(rng.choice(other))


def build_matching_pairs(articles: Sequence[Article], per_task: int, seed: int = 0) -> list[MatchPair]:
    """``per_task`` labelled pairs for each of the six subtasks (half positive), drawn from ``articles``.

    An article is a list of paragraphs, each a list of sentences. Same seed, same pairs. The order of each pair's
    two texts is random.
    """
    if per_task < 2 or per_task % 2:
        raise ValueError(f"per_task must be an even number of at least 2 (half positives), got {per_task}")
    usable = [[list(par) for par in art if par] for art in articles]
    usable = [art for art in usable if art]
    if len(usable) < 2:
        raise ValueError("need at least two non-empty articles to draw pairs from other articles")
    if not any(len(art) >= 3 for art in usable) or not any(len(par) >= 2 for art in usable for par in art):
        raise ValueError("need an article of at least 3 paragraphs and a paragraph of at least 2 sentences")
    rng = random.Random(seed)
    pairs = []
    for task in range(len(TASKS)):
        criterion, kind = TASKS[task].split(" ")
        half = per_task // 2
        if criterion == "A":
            plan = [(1, SAME_ARTICLE)] * half + [(0, OTHER_ARTICLE)] * half
        else:
            plan = [(1, RELATED)] * half + [(0, SAME_ARTICLE)] * (half // 2) + [(0, OTHER_ARTICLE)] * (half - half // 2)
        for label, relation in plan:
            a, b = _pick_pair(rng, usable, kind, relation)
            if kind != "short-long" and rng.random() < 0.5:
                a, b = b, a
            pairs.append(MatchPair(a, b, label, task, relation))
    rng.shuffle(pairs)
    return pairs


def article_sentences(split: str, min_chars: int = 6, max_chars: int = 80) -> list[list[list[str]]]:
    """People's Daily articles of ``split`` as paragraphs of sentences, headlines and short fragments dropped.

    Sentences outside ``min_chars``..``max_chars`` characters are dropped; paragraphs left empty are dropped.
    """
    out = []
    for article in load_articles(split):
        paragraphs = []
        for par in article:
            if is_headline(par.text):
                continue
            sentences = ["".join(par.words[s:e]) for s, e in sentence_spans(par.words)]
            sentences = [s for s in sentences if min_chars <= len(s) <= max_chars]
            if sentences:
                paragraphs.append(sentences)
        if paragraphs:
            out.append(paragraphs)
    return out


@phase("data")
def load_matching(split: str, per_task: int, seed: int = 0) -> list[MatchPair]:
    """The six matching subtasks on People's Daily articles of ``split`` (train / dev / test), ``per_task`` each."""
    check_split(split)
    offset = {"train": 0, "dev": 1, "test": 2}[split]
    return build_matching_pairs(article_sentences(split), per_task, seed=offset + 10 * seed)
