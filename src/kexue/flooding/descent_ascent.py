"""Flooding without b: alternate a descent step (rate eps1) and an ascent step (rate eps2), and the explicit
gradient-norm penalty that pair amounts to (Su, kexue.fm/archives/7643).

Near the floor flooding alternates descent and ascent. With g = grad L and H its Hessian, a pair of steps is

    theta - eps1 g(theta) + eps2 g(theta - eps1 g) = theta - (eps1 - eps2) g - eps1 eps2 H g + O(eps^3),

and since grad ||g||^2 = 2 H g this is one step of rate eps1 - eps2 on

    L + lambda ||g||^2,    lambda = eps1 eps2 / (2 (eps1 - eps2)).

With eps1 = eps2 = eps only the penalty is left: a step of rate eps^2 / 2 on ||g||^2.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Iterator

import torch
from torch.utils.data import DataLoader

from ..train import LossFn


def equivalent_penalty(eps1: float, eps2: float) -> tuple[float, float]:
    """(rate, lambda) of the step a descent (eps1) then ascent (eps2) pair amounts to, to second order:
    rate = eps1 - eps2 on L + lambda ||grad L||^2 with lambda = eps1 eps2 / (2 (eps1 - eps2))."""
    if not eps1 > eps2 >= 0:
        raise ValueError(f"need eps1 > eps2 >= 0 for an equivalent penalised step, got eps1={eps1}, eps2={eps2}")
    return eps1 - eps2, eps1 * eps2 / (2 * (eps1 - eps2))


class DescentAscent(torch.optim.Optimizer):
    """Plain gradient steps that alternate: theta -= eps1 g on odd calls, theta += eps2 g on even calls.

    Flooding without a flood level: a pair of calls moves theta like a step of rate eps1 - eps2 on
    L + eps1 eps2 / (2 (eps1 - eps2)) ||grad L||^2 (see :func:`equivalent_penalty`), exactly so when both calls
    see the same batch (feed each batch twice with :func:`repeat_batches`). Needs eps1 >= eps2 >= 0; eps1 = eps2
    leaves only the penalty, a step of rate eps^2/2 on ||grad L||^2.
    """

    def __init__(self, params: Iterable[torch.nn.Parameter], eps1: float, eps2: float):
        if not (math.isfinite(eps1) and math.isfinite(eps2)) or not eps1 >= eps2 >= 0 or eps1 == 0:
            raise ValueError(
                f"need a descent rate eps1 > 0 at least the ascent rate eps2 >= 0, got eps1={eps1}, eps2={eps2}: "
                "eps2 > eps1 climbs the loss"
            )
        super().__init__(params, {"lr": eps1, "eps1": eps1, "eps2": eps2, "calls": 0})

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            ascent = group["calls"] % 2 == 1
            rate = -group["eps2"] if ascent else group["eps1"]
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-rate)
            group["calls"] += 1
        return loss


class _RepeatedBatches(torch.utils.data.Sampler):
    def __init__(self, batches: Iterable[list[int]], times: int):
        self.batches, self.times = batches, times

    def __iter__(self) -> Iterator[list[int]]:
        for batch in self.batches:
            for _ in range(self.times):
                yield batch

    def __len__(self) -> int:
        return len(self.batches) * self.times


def repeat_batches(loader: DataLoader, times: int = 2) -> DataLoader:
    """The same data loader, but every batch comes ``times`` times in a row (for :class:`DescentAscent` pairs)."""
    if times < 1:
        raise ValueError(f"times must be at least 1, got {times}")
    if loader.batch_sampler is None:
        raise ValueError("repeat_batches needs a DataLoader with a batch size (batch_size=None gives single examples)")
    return DataLoader(loader.dataset, batch_sampler=_RepeatedBatches(loader.batch_sampler, times),
                      collate_fn=loader.collate_fn, num_workers=loader.num_workers)


def _trainable(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    return [p for p in model.parameters() if p.requires_grad]


def gradient_norm_penalty(loss_fn: LossFn, lam: float) -> LossFn:
    """Wrap ``loss_fn`` into L + lambda ||grad_theta L||^2 (theta: the model's trainable parameters).

    The gradient is taken with ``create_graph=True``, so training differentiates through it (double backprop).
    """
    if not (math.isfinite(lam) and lam >= 0):
        raise ValueError(f"the penalty weight lambda must be a finite number >= 0, got {lam}")

    def loss(model: torch.nn.Module, batch: Any) -> torch.Tensor:
        value = loss_fn(model, batch)
        grads = torch.autograd.grad(value, _trainable(model), create_graph=True)
        return value + lam * sum((g**2).sum() for g in grads)

    return loss
