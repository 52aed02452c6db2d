"""The adjustment: log π checked, post-hoc f − τ log π, the logit-adjusted loss (two forms), prediction rules.

Symbols: ``logits`` f (N, K), ``targets`` y (N,), ``prior`` π (K,), ``tau`` τ ≥ 0.

Zero priors: a class with π_y = 0 has log π_y = −∞, which would put ±∞ into the adjusted logits (the
reference code's loss adds 1e-12 to π^τ, a floor of log 1e-12 ≈ −28; used post-hoc, the same floor would hand
the class a bonus of +28 over every other). Every function here refuses such a prior with a ``ValueError``;
smooth it first with ``class_prior(labels, num_classes, smoothing=1.0)`` (add-one counts) or drop the class.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Literal, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def log_prior(prior: torch.Tensor | np.ndarray | Sequence[float], num_classes: int | None = None) -> torch.Tensor:
    """log π after checking π: shape (K,), finite, no zeros, no negatives, sums to 1 (±1e-4)."""
    prior = torch.as_tensor(prior, dtype=torch.float64)
    if prior.dim() != 1:
        raise ValueError(f"prior must be a vector (K,), got shape {tuple(prior.shape)}")
    if num_classes is not None and len(prior) != num_classes:
        raise ValueError(f"prior has {len(prior)} entries but the logits have {num_classes} classes")
    if not torch.isfinite(prior).all() or (prior < 0).any():
        raise ValueError("prior must hold probabilities (finite, >= 0); did you pass log-probabilities?")
    zeros = torch.nonzero(prior == 0).flatten().tolist()
    if zeros:
        raise ValueError(
            f"classes {zeros} have prior 0, so log π = -inf: smooth the counts with "
            "class_prior(labels, num_classes, smoothing=1.0) or drop those classes"
        )
    total = prior.sum().item()
    if abs(total - 1) > 1e-4:
        raise ValueError(f"prior sums to {total:.6g}, not 1: pass class_prior(labels) or counts / counts.sum()")
    return prior.log()


def _check_tau(tau: float) -> float:
    if not isinstance(tau, numbers.Real) or isinstance(tau, bool) or not np.isfinite(tau) or tau < 0:
        raise ValueError(f"tau must be a finite number >= 0 (1.0 is the usual choice), got {tau!r}")
    return float(tau)


def _check_logits(logits: torch.Tensor, targets: torch.Tensor | None = None) -> None:
    if not torch.is_tensor(logits) or not torch.is_floating_point(logits) or logits.dim() != 2:
        raise TypeError("logits must be a float tensor of shape (N, K)")
    if targets is None:
        return
    if not torch.is_tensor(targets) or targets.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        got = getattr(targets, "dtype", type(targets))
        raise TypeError(f"targets must be an integer tensor of class ids, got {got}")
    if targets.shape != logits.shape[:1]:
        raise ValueError(
            f"logits {tuple(logits.shape)} need targets of shape ({logits.shape[0]},), got {tuple(targets.shape)}"
        )
    if len(targets) and (targets.min() < 0 or targets.max() >= logits.shape[1]):
        raise ValueError(f"targets must lie in 0..{logits.shape[1] - 1}")


def adjust_logits(logits: torch.Tensor, prior: torch.Tensor, tau: float = 1.0) -> torch.Tensor:
    """Post-hoc logit adjustment: f_y(x) − τ log π_y. With τ = 0 the logits come back unchanged."""
    _check_logits(logits)
    tau = _check_tau(tau)
    return logits - (tau * log_prior(prior, logits.shape[1])).to(logits)


def logit_adjusted_loss(
    logits: torch.Tensor, targets: torch.Tensor, prior: torch.Tensor, tau: float = 1.0
) -> torch.Tensor:
    """Mean logit-adjusted softmax cross-entropy: −log softmax(f(x) + τ log π)_y. τ = 0 is plain cross-entropy."""
    _check_logits(logits, targets)
    tau = _check_tau(tau)
    return F.cross_entropy(logits + (tau * log_prior(prior, logits.shape[1])).to(logits), targets.long())


def logit_adjusted_loss_pairwise(
    logits: torch.Tensor, targets: torch.Tensor, prior: torch.Tensor, tau: float = 1.0
) -> torch.Tensor:
    """The same loss in its pairwise-margin form: mean of log[1 + Σ_{i≠y} (π_i/π_y)^τ exp(f_i − f_y)].

    Written literally (exp of raw logit gaps), so it overflows for gaps above ~700 in float64: it is here to
    check :func:`logit_adjusted_loss`, which is the one to train with.
    """
    _check_logits(logits, targets)
    tau = _check_tau(tau)
    pi = torch.exp(log_prior(prior, logits.shape[1]))
    f = logits.double()
    y = targets.long()
    ratio = (pi[None, :] / pi[y][:, None]) ** tau  # (π_i / π_y)^τ
    terms = ratio * torch.exp(f - f.gather(1, y[:, None]))
    others = terms.sum(1) - terms.gather(1, y[:, None]).squeeze(1)  # drop i = y
    return torch.log1p(others).mean().to(logits.dtype)


def loss_forms_table(
    taus: Sequence[float] = (0.0, 0.5, 1.0, 2.0), *, n: int = 1000, num_classes: int = 10, seed: int = 0
) -> list[dict[str, Any]]:
    """Rows checking that the softmax and pairwise forms agree, in float64, on random logits f = 4·N(0, 1),
    labels and a random prior π = softmax(2·N(0, 1)), one row per τ; a last row checks that a uniform prior
    gives plain cross-entropy (τ = 1)."""
    g = torch.Generator().manual_seed(seed)
    f = 4 * torch.randn(n, num_classes, generator=g, dtype=torch.float64)
    y = torch.randint(0, num_classes, (n,), generator=g)
    pi = torch.softmax(2 * torch.randn(num_classes, generator=g, dtype=torch.float64), 0)
    rows = []
    for tau in taus:
        softmax_form = logit_adjusted_loss(f, y, pi, tau).item()
        pairwise_form = logit_adjusted_loss_pairwise(f, y, pi, tau).item()
        rows.append({"prior": "random", "τ": f"{tau:g}", "softmax form": softmax_form,
                     "pairwise form": pairwise_form, "|difference|": f"{abs(softmax_form - pairwise_form):.1e}"})
    uniform = torch.full((num_classes,), 1 / num_classes, dtype=torch.float64)
    rows.append({"prior": "uniform", "τ": "1", "softmax form": logit_adjusted_loss(f, y, uniform).item(),
                 "pairwise form": F.cross_entropy(f, y).item(),
                 "|difference|": "(pairwise column: plain cross-entropy)"})
    return rows


def logit_adjusted_loss_fn(prior: torch.Tensor, tau: float = 1.0) -> Callable[[nn.Module, tuple], torch.Tensor]:
    """A ``loss_fn(model, (x, y))`` for :func:`kexue.train.train`: :func:`logit_adjusted_loss` with π, τ."""
    tau = _check_tau(tau)
    log_prior(prior)  # fail now, not at the first batch

    def loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return logit_adjusted_loss(model(x), y, prior, tau)

    return loss


def predict(
    logits: torch.Tensor,
    prior: torch.Tensor,
    *,
    trained_with: Literal["erm", "logit_adjusted"],
    goal: Literal["balanced", "plain"],
    tau: float = 1.0,
) -> torch.Tensor:
    """Class predictions with the rule that fits how the model was trained and which accuracy is wanted.

    ==================  ===========================  ===========================
    trained with        goal "balanced"              goal "plain"
    ==================  ===========================  ===========================
    "erm"               argmax f_y − τ log π_y       argmax f_y
    "logit_adjusted"    argmax f_y                   argmax f_y + τ log π_y
    ==================  ===========================  ===========================

    For "logit_adjusted", ``tau`` must be the τ used in training; for "erm" it is the post-hoc τ.
    """
    if trained_with not in ("erm", "logit_adjusted"):
        raise ValueError(f"trained_with must be 'erm' or 'logit_adjusted', got {trained_with!r}")
    if goal not in ("balanced", "plain"):
        raise ValueError(f"goal must be 'balanced' or 'plain', got {goal!r}")
    _check_logits(logits)
    tau = _check_tau(tau)
    shift = {("erm", "balanced"): -tau, ("erm", "plain"): 0.0,
             ("logit_adjusted", "balanced"): 0.0, ("logit_adjusted", "plain"): tau}[(trained_with, goal)]
    return (logits + (shift * log_prior(prior, logits.shape[1])).to(logits)).argmax(1)
