"""What the article reports (Su Jianlin, "提速不掉点：基于词颗粒度的中文WoBERT", kexue.fm/archives/7758,
2020-09-18; code: ZhuiyiTechnology/WoBERT). The chapter glues these numbers from here; nothing else types them."""

from __future__ import annotations

ARTICLE_WORDS = 20_000  # words the article adds to BERT's character vocabulary
ARTICLE_VOCAB_SIZE = 33_586  # WoBERT's final vocabulary
#: forward-pass speed-up of WoBERT over the character BERT the article reports, by input length in characters
ARTICLE_SPEEDUP = {128: 1.16, 256: 1.22, 512: 1.28}
#: the article's downstream accuracies (%), character BERT vs WoBERT
ARTICLE_ACCURACY = {"IFLYTEK": (60.31, 61.15), "TNEWS": (56.94, 57.05)}
#: "without losing accuracy" (the article's title, 提速不掉点) read as an equivalence claim: the word model's
#: accuracy within ±1 point of the character model's (our margin; the article's gains are 0.1 and 0.8 points)
ACCURACY_MARGIN = 0.01
#: summarisation gains in Rouge-L points (the article: "about 2.5 and 3.5 points")
ARTICLE_ROUGE_GAIN = {"CSL": 2.5, "LCSTS": 3.5}
#: the article's drop on named-entity recognition (about 3%), as a fraction
ARTICLE_NER_DROP = 0.03


def article_gains() -> dict[str, float]:
    """The article's accuracy gain (word minus character model, in points) per CLUE task."""
    return {task: word - char for task, (char, word) in ARTICLE_ACCURACY.items()}
