"""Conditional LayerNorm: the pretrained γ, β plus a shift that depends on a condition vector c.

    LN(x) = γ ⊙ x̂ + β,        x̂ = (x − μ(x)) / sqrt(σ²(x) + ε)

becomes

    CLN(x | c) = (γ + W_γ c) ⊙ x̂ + (β + W_β c),

with W_γ, W_β initialised to zero, so that training starts exactly at the pretrained model.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ConditionalLayerNorm(nn.Module):
    """CLN(x | c) = (γ + W_γ c) ⊙ x̂ + (β + W_β c), built from an existing ``nn.LayerNorm`` (γ, β, ε kept).

    W_γ and W_β (``W_gamma``, ``W_beta``: ``cond_dim`` → hidden, no bias) start at zero. The condition c, shape
    (batch, cond_dim), is set per call by :class:`~kexue.cln.ConditionalEncoder` in ``self.condition``. The
    output is computed as LN(x) + (W_γ c) ⊙ x̂ + W_β c, so while the W are zero it is the original LayerNorm's
    output bit for bit.
    """

    def __init__(self, norm: nn.LayerNorm, cond_dim: int):
        super().__init__()
        if not isinstance(norm, nn.LayerNorm) or not norm.elementwise_affine or norm.bias is None:
            raise TypeError("ConditionalLayerNorm needs an nn.LayerNorm with a weight (γ) and a bias (β)")
        if cond_dim < 1:
            raise ValueError(f"cond_dim must be at least 1, got {cond_dim}")
        self.normalized_shape, self.eps = norm.normalized_shape, norm.eps
        self.weight, self.bias = norm.weight, norm.bias  # γ, β: the pretrained parameters themselves
        hidden = norm.normalized_shape[-1]
        self.W_gamma = nn.Linear(cond_dim, hidden, bias=False, device=norm.weight.device)
        self.W_beta = nn.Linear(cond_dim, hidden, bias=False, device=norm.weight.device)
        nn.init.zeros_(self.W_gamma.weight)
        nn.init.zeros_(self.W_beta.weight)
        self.condition: torch.Tensor | None = None

    def shifts(self, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(W_γ c, W_β c): how much the condition moves γ and β, each of shape (..., hidden)."""
        return self.W_gamma(c), self.W_beta(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.condition is None:
            raise RuntimeError("no condition set: call the model through ConditionalEncoder(..., task=task_ids)")
        c = self.condition
        if c.shape[0] != x.shape[0]:
            raise ValueError(f"{c.shape[0]} conditions for a batch of {x.shape[0]}: pass one task id per example")
        x_hat = F.layer_norm(x, self.normalized_shape, eps=self.eps)
        d_gamma, d_beta = self.shifts(c)
        view = (x.shape[0],) + (1,) * (x.dim() - 2) + (x.shape[-1],)  # broadcast over the sequence
        out = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return out + d_gamma.view(view) * x_hat + d_beta.view(view)


def convert_layernorms(model: nn.Module, cond_dim: int = 128) -> list[ConditionalLayerNorm]:
    """Replace every ``nn.LayerNorm`` inside ``model`` (in place) by a :class:`ConditionalLayerNorm`; return them.

    The order is that of ``model.named_modules()`` (for BERT: embeddings, then per layer attention and output).
    """
    targets = [(name, module) for name, module in model.named_modules() if isinstance(module, nn.LayerNorm)]
    if not targets:
        raise ValueError("the model has no nn.LayerNorm to make conditional (was it converted already?)")
    converted = []
    for name, norm in targets:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        cln = ConditionalLayerNorm(norm, cond_dim)
        setattr(parent, child, cln)
        converted.append(cln)
    return converted
