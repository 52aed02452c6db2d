"""The flooded loss (Ishida et al., ICML 2020, eq. 1).

For the mini-batch mean loss L and a flood level b >= 0,

    L~ = |L - b| + b,    grad L~ = sign(L - b) grad L,

which is L above b and its mirror image 2b - L below it: gradient descent while the loss is above the floor,
gradient ascent once it has sunk under it, so the loss hovers around b.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ..train import LossFn


def _check_level(b: Any) -> float:
    """b as a float, after checking it is one finite number >= 0 (0 means no flooding)."""
    if isinstance(b, torch.Tensor):
        if b.numel() != 1:
            raise TypeError(f"the flood level b must be one number, got a tensor of shape {tuple(b.shape)}")
        b = b.item()
    if isinstance(b, bool) or not isinstance(b, (int, float, np.floating, np.integer)):
        raise TypeError(f"the flood level b must be a number, got {type(b).__name__}")
    b = float(b)
    if not math.isfinite(b) or b < 0:
        raise ValueError(
            f"the flood level b must be a finite number >= 0 (a loss floor; 0 means no flooding), got {b}"
        )
    return b


def flood(loss: torch.Tensor, b: float, *, per_sample: bool = False) -> torch.Tensor:
    """The flooded loss |L - b| + b of the mini-batch mean loss L (a scalar tensor).

    Equal to L when L >= b and to 2b - L below b, so its gradient is sign(L - b) grad L. ``per_sample=True``
    floods every element of a loss vector and averages, mean_i(|l_i - b| + b): a different method
    (per-sample flooding), which must be asked for explicitly.
    """
    b = _check_level(b)
    if not isinstance(loss, torch.Tensor):
        raise TypeError(f"flood needs the loss as a torch tensor, got {type(loss).__name__}")
    if per_sample:
        return ((loss - b).abs() + b).mean()
    if loss.dim() != 0:
        raise ValueError(
            f"flood needs the mini-batch mean loss (a scalar), got a tensor of shape {tuple(loss.shape)}: "
            "average it first (loss.mean()), or pass per_sample=True for per-sample flooding, a different method"
        )
    return (loss - b).abs() + b


def flooded(loss_fn: LossFn, b: float) -> LossFn:
    """Wrap any ``loss_fn(model, batch) -> scalar`` of :func:`kexue.train.train` into its flooded version."""
    b = _check_level(b)

    def loss(model: torch.nn.Module, batch: Any) -> torch.Tensor:
        return flood(loss_fn(model, batch), b)

    return loss
