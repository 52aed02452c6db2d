"""A pretrained masked LM on desensitized text: cipher ids, frequency-rank alignment and a PET-style matcher.

In the 2021 Xiaobu (OPPO) short-text matching competition every character arrived as an opaque integer id. Su's
baseline (kexue.fm/archives/8213, code bojone/oppo-text-match) still starts from a pretrained Chinese BERT:

* **Frequency-rank alignment.** Count the cipher ids over all texts (labelled and unlabelled), send ids seen
  fewer than ``min_count`` times to ``[UNK]`` and rank the rest; rank the pretrained model's characters by their
  frequency in an open corpus; the cipher id of rank r gets the embedding row (and MLM output row) of the
  character of rank r.
* **One MLM does everything** (PET style). Input ``[CLS] a [SEP] b [SEP]``; the MLM head at ``[CLS]`` predicts
  the new tokens ``[YES]`` / ``[NO]``; masked tokens of both texts are predicted as usual (dynamic masking, 15%
  with 80/10/10); unlabelled pairs contribute the token loss only; the two texts swap places with p = 0.5.
  The match score is p(yes) / (p(yes) + p(no)).

Here the cipher is ours: a fixed random bijection character -> id applied to real sentence pairs
(:mod:`kexue.data.matching`), so the plaintext is known and :func:`recovery` can say how much of the cipher the
rank alignment actually decodes. One idea per file, in reading order:

- :mod:`.cipher`: the cipher and ciphered pairs;
- :mod:`.vocabulary`: the specials and the kept cipher ids by count (the model's tokens);
- :mod:`.references`: character counts of open corpora;
- :mod:`.alignments`: rank alignment, random map, true characters (which pretrained row each token gets);
- :mod:`.model`: the embedding surgery and the cipher model;
- :mod:`.pairs`: pairs as padded tensors and the model input;
- :mod:`.pet`: the joint masked-token / ``[YES]``-``[NO]`` loss and the match score;
- :mod:`.auc`: ROC-AUC (scikit-learn's) and the id-overlap baseline;
- :mod:`.trainer`: training the matcher with :func:`kexue.train.train`;
- :mod:`.zero_shot`: what the starting weights know before training;
- :mod:`.recovery`: how much of the cipher an alignment decodes;
- :mod:`.data`: the chapter's ciphered People's Daily pairs;
- :mod:`.experiments`: the cached runs; :mod:`.results`: their tables;
- :mod:`.claims`: the article's numbers and the claims table; :mod:`.findings`: the prose's numbers and words.
"""

from .alignments import Alignment, plaintext_alignment, random_alignment, rank_alignment, ranked_characters
from .auc import overlap_auc, roc_auc
from .cipher import Cipher, CipherPair, characters, encipher_pairs, make_cipher
from .claims import ARTICLE, claims, claims_setting, verdict_lines
from .data import CipherData, desensitized_matching
from .experiments import (
    compare_inits,
    compare_zero_shot,
    experiment,
    training_conditions,
    zero_shot_conditions,
    zero_shot_run,
)
from .findings import LONGER_RUNS, compared, longer_runs_rows, prose_values, zero_shot_verdict
from .model import INIT_LABELS, INITS, cipher_model, reembed
from .pairs import PairTensors, assemble, concat, pair_tensors
from .pet import pet_loss_fn, pet_targets, yes_probability
from .recovery import (
    RecoveryTable,
    chapter_references,
    decode_with,
    recovery,
    recovery_flags,
    recovery_table,
    true_ranks,
)
from .references import REFERENCES, char_counts, jieba_char_counts, reference_counts
from .results import TrainingRuns, ZeroShotRuns
from .trainer import train_matcher
from .vocabulary import CLS, MASK, NO, PAD, SEP, SPECIALS, UNK, YES, CipherVocab, build_vocab
from .zero_shot import mean_pooled_states, zero_shot_auc

__all__ = [
    "ARTICLE", "Alignment", "CLS", "Cipher", "CipherData", "CipherPair", "CipherVocab", "INITS", "INIT_LABELS",
    "LONGER_RUNS", "MASK", "NO", "PAD", "PairTensors", "REFERENCES", "RecoveryTable", "SEP", "SPECIALS",
    "TrainingRuns", "UNK", "YES", "ZeroShotRuns", "assemble", "build_vocab", "chapter_references", "char_counts",
    "characters", "cipher_model", "claims", "claims_setting", "compare_inits", "compare_zero_shot", "compared",
    "concat", "decode_with", "desensitized_matching", "encipher_pairs", "experiment", "jieba_char_counts",
    "longer_runs_rows", "make_cipher", "pet_loss_fn", "mean_pooled_states", "overlap_auc", "pair_tensors",
    "pet_targets", "plaintext_alignment", "prose_values", "random_alignment", "rank_alignment", "ranked_characters",
    "recovery", "recovery_flags", "recovery_table", "reembed", "reference_counts", "roc_auc", "train_matcher",
    "training_conditions", "true_ranks", "verdict_lines", "yes_probability", "zero_shot_auc", "zero_shot_conditions",
    "zero_shot_run", "zero_shot_verdict",
]
