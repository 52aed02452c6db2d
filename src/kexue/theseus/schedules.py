"""The replacement rate over training, and the training loop that moves it.

Three schedules of the rate p_t at step t: constant (Su: p = 0.5 throughout the replacing phase), constant then
one (the replacing phase, then the successor fine-tuned alone), and the paper's curriculum p_t = min(1, k t + b).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..train import History, cross_entropy_loss, train
from .modules import Theseus, check_rate

Schedule = Callable[[int], float]


def constant_rate(p: float = 0.5) -> Schedule:
    """p_t = p for every step t (Su: 0.5 throughout the replacing phase)."""
    p = check_rate(p)
    return lambda t: p


def constant_then_one(p: float = 0.5, until: int = 100) -> Schedule:
    """p_t = p for t < ``until``, then 1: the replacing phase, then the successor fine-tuned alone."""
    p = check_rate(p)
    if until < 0:
        raise ValueError(f"until is a step number and must be >= 0, got {until}")
    return lambda t: p if t < until else 1.0


def linear_curriculum(k: float = 6e-4, b: float = 0.3) -> Schedule:
    """The paper's curriculum p_t = min(1, k t + b): replace more and more modules as training goes on."""
    check_rate(b)
    if k < 0:
        raise ValueError(f"the slope k must be >= 0 (the rate should not fall), got {k}")
    return lambda t: min(1.0, k * t + b)


def train_theseus(theseus: Theseus, loader, *, steps: int, schedule: Schedule, lr: float = 1e-4,
                  evaluate: Callable[[nn.Module], dict] | None = None, eval_every: int | None = None,
                  desc: str = "theseus") -> tuple[History, list[float]]:
    """Train the successor inside ``theseus`` with :func:`kexue.train.train` on the task loss alone; the rate
    follows ``schedule`` (p_t used at step t = 1..steps). Returns the history and the rate of every step.

    A step in which every module (and the embeddings) drew the predecessor leaves the successor unchanged.
    """
    rates: list[float] = []

    def set_rate(t: int) -> None:
        theseus.p = schedule(t)
        rates.append(theseus.p)

    def loss_fn(model: nn.Module, batch) -> torch.Tensor:
        loss = cross_entropy_loss(model, batch)
        # every coin chose the predecessor: nothing to learn from this batch, and the parameters' gradients stay
        # None, so Adam leaves them alone
        return loss if loss.requires_grad else loss.requires_grad_()

    set_rate(1)
    history = train(theseus, loss_fn, loader, steps=steps, lr=lr, params=theseus.successor_parameters(),
                    evaluate=evaluate, eval_every=eval_every, desc=desc,
                    on_step=lambda model, step: set_rate(step + 1) if step < steps else None)
    return history, rates
