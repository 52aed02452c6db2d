"""WoBERT: a word-level Chinese BERT made from a character-level one (Su Jianlin, kexue.fm/archives/7758).

The recipe, for any BERT-like ``transformers`` model behind an :class:`~kexue.models.Encoder`:

1. :mod:`.vocabulary` -- :func:`select_words`: the encoder's own tokens (one per CJK character, see
   :meth:`~kexue.models.Encoder.unit_ids`) plus the ``n`` most frequent words of jieba's dictionary that the
   encoder does not already hold as one token (the article: 20,000 words);
2. :mod:`.tokenizer` -- :class:`WordTokenizer`: ``jieba.cut(text, HMM=False)``; a piece that is one of the new
   words becomes one token, any other piece falls back to the encoder's character tokens;
3. :mod:`.embeddings` -- :func:`extend_embeddings` / :func:`add_words`: one embedding row per word, initialised
   to the mean of its characters' rows, e(w) = (1/|w|) sum_{c in w} e(c), and the same for the masked-LM
   output layer;
4. :mod:`.pretraining` -- :func:`continue_pretraining`: masked-LM training on word-tokenized text (15% of
   tokens, 80/10/10, masks drawn anew for every batch) through :func:`kexue.train.train`.

Measuring it: :mod:`.measure` (sequence lengths, forward-pass speed), :mod:`.experiments` (the word model,
the MLM and sentiment comparisons), :mod:`.runs` (their cached runs and configs), :mod:`.summary` (tables and
claims), :mod:`.facts` (the numbers and verdicts the chapter's prose shows), :mod:`.article` (the article's
numbers).

A :class:`WordTokenizer` offers the attributes :mod:`kexue.text` reads from an encoder (``unit_ids``, the special
ids, ``max_length``, ``name``), so ``kexue.text.encode_texts(tokenizer, texts)`` gives word-level batches.
"""

from .article import (
    ACCURACY_MARGIN,
    ARTICLE_ACCURACY,
    ARTICLE_NER_DROP,
    ARTICLE_ROUGE_GAIN,
    ARTICLE_SPEEDUP,
    ARTICLE_VOCAB_SIZE,
    ARTICLE_WORDS,
    article_gains,
)
from .embeddings import add_words, extend_embeddings
from .experiments import SentimentRuns, fine_tune_classifier, mlm_comparison, sentiment_comparison, word_model
from .facts import (article_facts, length_facts, mlm_facts, record_facts, sentiment_facts, speed_facts,
                    vocabulary_facts)
from .measure import compare_tokens, length_ratios, pooled_ratio, speed_ratios, text_windows
from .pretraining import continue_pretraining, fixed_masks, masked_logits, mlm_loss_fn, mlm_metrics
from .runs import (
    RECORD_SEEDS,
    RECORD_WORD_MODELS,
    WORD_MODELS,
    MLMConfig,
    SentimentConfig,
    SpeedConfig,
    keep_texts,
    mlm_run,
    record_config,
    recorded,
    sentiment_run,
    speed_run,
)
from .summary import accuracy_rows, claims, claims_setting, final_accuracies, mlm_rows, record_rows
from .tokenizer import WordTokenizer
from .vocabulary import WordSelection, char_vocabulary, select_words, word_char_ids

__all__ = [
    "ACCURACY_MARGIN",
    "RECORD_SEEDS",
    "RECORD_WORD_MODELS",
    "SentimentRuns",
    "record_config",
    "record_facts",
    "record_rows",
    "recorded",
    "ARTICLE_ACCURACY",
    "ARTICLE_NER_DROP",
    "ARTICLE_ROUGE_GAIN",
    "ARTICLE_SPEEDUP",
    "ARTICLE_VOCAB_SIZE",
    "ARTICLE_WORDS",
    "MLMConfig",
    "SentimentConfig",
    "SpeedConfig",
    "WORD_MODELS",
    "WordSelection",
    "WordTokenizer",
    "accuracy_rows",
    "add_words",
    "article_facts",
    "article_gains",
    "char_vocabulary",
    "claims",
    "claims_setting",
    "compare_tokens",
    "continue_pretraining",
    "extend_embeddings",
    "final_accuracies",
    "fine_tune_classifier",
    "fixed_masks",
    "keep_texts",
    "length_facts",
    "length_ratios",
    "masked_logits",
    "mlm_comparison",
    "mlm_facts",
    "mlm_loss_fn",
    "mlm_metrics",
    "mlm_rows",
    "mlm_run",
    "pooled_ratio",
    "select_words",
    "sentiment_comparison",
    "sentiment_facts",
    "sentiment_run",
    "speed_facts",
    "speed_ratios",
    "speed_run",
    "text_windows",
    "vocabulary_facts",
    "word_char_ids",
    "word_model",
]
