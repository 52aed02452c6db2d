"""Long-tail learning by logit adjustment (Menon et al., ICLR 2021; Su, kexue.fm/archives/7615).

A classifier trained by plain cross-entropy (ERM) on long-tailed data learns logits f_y(x) ≈ log p(y|x),
which carry the training prior π_y = p(y). Balanced accuracy (the mean of per-class accuracies) is maximised
by argmax_y p(x|y) = argmax_y [log p(y|x) − log π_y] instead, so the prior has to come out, either

* after training (post-hoc): predict argmax_y f_y(x) − τ log π_y  (:func:`adjust_logits`), or
* in the loss: train on softmax cross-entropy of f_y(x) + τ log π_y  (:func:`logit_adjusted_loss`) and
  predict with the raw argmax_y f_y(x).

The same loss written pairwise is log[1 + Σ_{i≠y} (π_i/π_y)^τ exp(f_i − f_y)]
(:func:`logit_adjusted_loss_pairwise`). Symbols: ``logits`` f (N, K), ``targets`` y (N,), ``prior`` π (K,),
``tau`` τ ≥ 0, ``rho`` ρ = n_max / n_min the imbalance ratio.

- :mod:`.data`: the exponential long-tail profile, subsampling to it, the class prior, Fashion-MNIST-LT;
- :mod:`.adjust`: log π (zero priors refused), post-hoc adjustment, the loss in two forms, prediction rules;
- :mod:`.metrics`: per-class, balanced and prior-weighted accuracy, head / mid / tail groups, τ curves;
- :mod:`.training`: training through :func:`kexue.train.train`, the chapter's CNN runs (cached);
- :mod:`.toy`: the 2-D Gaussian picture and its balanced Bayes rule;
- :mod:`.experiment`: the chapter's Fashion-MNIST-LT runs, their tables, claims and verdicts; the article's
  numbers (:data:`ARTICLE`).
"""

from .adjust import (
    adjust_logits,
    log_prior,
    logit_adjusted_loss,
    logit_adjusted_loss_pairwise,
    logit_adjusted_loss_fn,
    loss_forms_table,
    predict,
)
from .data import LongTailImages, class_prior, fashion_mnist_lt, long_tail_counts, long_tail_subsample
from .experiment import ARTICLE, METHODS, FashionRuns, claim_phrase, comparison_phrase, fashion_runs
from .metrics import (
    balanced_accuracy,
    class_groups,
    evaluate_runs,
    mean_per_class_accuracy,
    mean_std_by_key,
    per_class_accuracy,
    prior_weighted_accuracy,
    run_scores,
    scores,
    tau_curve,
)
from .toy import GaussianToy, PostHoc, gaussian_balanced_logits, gaussian_toy, gaussian_toy_experiment
from .training import cnn_test_logits, fit, linear_classifier, predict_logits

__all__ = [
    "ARTICLE",
    "FashionRuns",
    "GaussianToy",
    "LongTailImages",
    "METHODS",
    "PostHoc",
    "adjust_logits",
    "balanced_accuracy",
    "class_groups",
    "class_prior",
    "claim_phrase",
    "cnn_test_logits",
    "comparison_phrase",
    "evaluate_runs",
    "fashion_mnist_lt",
    "fashion_runs",
    "fit",
    "gaussian_balanced_logits",
    "gaussian_toy",
    "gaussian_toy_experiment",
    "linear_classifier",
    "log_prior",
    "logit_adjusted_loss",
    "logit_adjusted_loss_pairwise",
    "long_tail_counts",
    "long_tail_subsample",
    "logit_adjusted_loss_fn",
    "loss_forms_table",
    "mean_per_class_accuracy",
    "mean_std_by_key",
    "per_class_accuracy",
    "predict",
    "predict_logits",
    "prior_weighted_accuracy",
    "run_scores",
    "scores",
    "tau_curve",
]
