"""BERT-of-Theseus: compress a fine-tuned encoder by replacing its modules, one random draw at a time.

Xu et al. (EMNLP 2020) and Su Jianlin's post (kexue.fm/archives/7575). A fine-tuned *predecessor* with ``L``
layers is cut into ``n`` contiguous *modules* (:func:`layer_groups`); a *successor* has one layer per module,
initialised as a copy of chosen predecessor layers (default: the first ``n``). In each training forward pass, every
module ``i`` draws

    r_i ~ Bernoulli(p),        y_i = r_i * scc_i(y_{i-1}) + (1 - r_i) * prd_i(y_{i-1}),

so with probability ``p`` (the *replacement rate*) the successor layer stands in for the predecessor module. The
predecessor, its embeddings (unless ``replace_embeddings``) and its classifier head are frozen and shared; only the
successor is trained, on the task loss alone. At inference only the successor runs: ``p = 0`` is the predecessor,
``p = 1`` the successor.

- :mod:`.modules`: :class:`Theseus`, the wrapper around any model holding one list of transformer layers
  (``encoder.layer`` in BERT-like ``transformers`` models), and :func:`layer_groups`;
- :mod:`.successor`: :func:`extract_successor` (the smaller model on its own, an ordinary ``transformers``
  model inside), :func:`keep_layers`, :func:`first_layers` (the direct-fine-tuning baseline);
- :mod:`.schedules`: the rate over training (:func:`constant_rate`, :func:`constant_then_one`,
  :func:`linear_curriculum`, ``p_t = min(1, k t + b)``) and :func:`train_theseus`;
- :mod:`.experiment`: the chapter's cached runs (:func:`predecessor_run`, :func:`direct_run`,
  :func:`theseus_run`), :func:`compression_experiment` over them and :func:`trained_models`;
- :mod:`.claims`: the article's numbers (``ARTICLE``), the accuracy/speed rows and the claims table;
- :mod:`.checks`: the wrapper's properties checked on a trained predecessor;
- :mod:`.depth`: whether a task leaves room for compression (the whole encoder against its first layers, on
  People's Daily tagging, :func:`depth_gap`);
- :mod:`.facts`: the numbers and verdict words the chapter's sentences show.
"""

from .checks import WrapperChecks, check_wrapper
from .depth import TaggingTask, depth_gap, depth_run, gap_facts, gap_rows, tagging_tensors
from .claims import ARTICLE, PAPER, SU_IFLYTEK, claims, claims_setting, depths, mean_accuracies, summary
from .experiment import (
    PREDECESSOR_VERSION,
    ReviewTask,
    compression_experiment,
    direct_run,
    fit,
    predecessor_run,
    review_tensors,
    theseus_run,
    trained_models,
    trained_predecessor,
)
from .facts import claim_verdict, facts, gap_verdict, standard_error
from .modules import Theseus, check_rate, find_embeddings_owner, layer_groups
from .schedules import Schedule, constant_rate, constant_then_one, linear_curriculum, train_theseus
from .successor import extract_successor, first_layers, keep_layers

__all__ = [
    "ARTICLE", "PAPER", "PREDECESSOR_VERSION", "ReviewTask", "SU_IFLYTEK", "Schedule", "TaggingTask", "Theseus",
    "WrapperChecks", "depth_gap", "depth_run", "gap_facts", "gap_rows", "tagging_tensors",
    "check_rate", "check_wrapper", "claim_verdict", "claims", "claims_setting", "compression_experiment",
    "constant_rate", "constant_then_one", "depths", "direct_run", "extract_successor", "facts", "find_embeddings_owner",
    "first_layers", "fit", "gap_verdict", "keep_layers", "layer_groups", "linear_curriculum",
    "mean_accuracies", "predecessor_run", "review_tensors", "standard_error", "summary", "theseus_run",
    "train_theseus", "trained_models", "trained_predecessor",
]
