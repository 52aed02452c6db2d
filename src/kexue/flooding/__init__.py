"""Flooding: keep the training loss near a floor b instead of driving it to zero (Ishida et al., ICML 2020).

Flooding replaces the mini-batch mean loss L by L~ = |L - b| + b: gradient descent above the flood level b,
gradient ascent below it. Su Jianlin's reading (kexue.fm/archives/7643): one descent step followed by one
ascent step, rate eps each, is to second order one step of rate eps^2/2 on ||grad L||^2, so near the floor
flooding is a gradient-norm penalty; with a descent rate eps1 > eps2 (ascent rate) the pair is a step of rate
eps1 - eps2 on L + eps1 eps2 / (2 (eps1 - eps2)) ||grad L||^2, a version that needs no b at all.

- :mod:`.loss`: the flooded loss ``flood`` and the wrapper ``flooded`` for any ``loss_fn(model, batch)``;
- :mod:`.descent_ascent`: the b-free optimiser ``DescentAscent``, ``repeat_batches``, the explicit
  ``gradient_norm_penalty`` and ``equivalent_penalty`` (rate, lambda);
- :mod:`.expansion`: Su's expansion checked numerically (update, gap and their slopes against eps);
- :mod:`.data`: a seeded Fashion-MNIST subset with symmetric label noise, and the noise floor H;
- :mod:`.experiments`: the cached runs: the sweep over b and the b-free comparison, per-epoch curves;
- :mod:`.summary`: final values, the second descent, one row per setting (mean ± std over seeds);
- :mod:`.claims`: the article's claims (``ARTICLE``) and the "article says / we measured" rows;
- :mod:`.facts`: the numbers and verdict words the chapter's sentences show.
"""

from .claims import ARTICLE, B_GRID, best_level, claims, claims_setting, tested_difference
from .data import add_label_noise, flipped_fraction, label_noise_entropy, noisy_fashion_mnist, stratified_subset
from .descent_ascent import DescentAscent, equivalent_penalty, gradient_norm_penalty, repeat_batches
from .expansion import (
    GELU_DOUBLE,
    GELU_EQUAL,
    RELU_EQUAL,
    descent_ascent_update,
    expansion_check,
    expansion_checks,
    expansion_network,
    expansion_slopes,
    penalty_update,
    slope_rows,
    swap_activation,
)
from .experiments import B_FREE_METHODS, b_free_comparison, flooding_sweep, run_b_free, run_flooding, track_training
from .facts import (
    b_free_facts,
    epoch_swing,
    expansion_facts,
    gain_verdict,
    memorised,
    relu_small_clause,
    sweep_facts,
)
from .loss import flood, flooded
from .summary import (
    final_value,
    largest_jump,
    paired_differences,
    rise_to_peak,
    second_descent,
    seed_differences,
    settings_and_seeds,
    summarize,
)

__all__ = [
    "ARTICLE",
    "B_FREE_METHODS",
    "B_GRID",
    "DescentAscent",
    "GELU_DOUBLE",
    "GELU_EQUAL",
    "RELU_EQUAL",
    "add_label_noise",
    "b_free_comparison",
    "b_free_facts",
    "best_level",
    "claims",
    "claims_setting",
    "seed_differences",
    "tested_difference",
    "descent_ascent_update",
    "epoch_swing",
    "equivalent_penalty",
    "expansion_check",
    "expansion_checks",
    "expansion_facts",
    "expansion_network",
    "expansion_slopes",
    "final_value",
    "flipped_fraction",
    "flood",
    "flooded",
    "flooding_sweep",
    "gain_verdict",
    "gradient_norm_penalty",
    "label_noise_entropy",
    "largest_jump",
    "memorised",
    "noisy_fashion_mnist",
    "paired_differences",
    "penalty_update",
    "relu_small_clause",
    "repeat_batches",
    "rise_to_peak",
    "run_b_free",
    "run_flooding",
    "second_descent",
    "settings_and_seeds",
    "slope_rows",
    "stratified_subset",
    "summarize",
    "swap_activation",
    "sweep_facts",
    "track_training",
]
