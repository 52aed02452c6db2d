"""Denoising density estimators as a generator's critic (DDE, Bigdeli et al. 2020).

E_p(x) ~ -log p_sigma(x) is a scalar energy trained once, with denoising score matching, on real data.
A generator G(z) defines q; a second energy E_q ~ -log q_sigma is trained on its (noisy) samples. Then

    KL(q_sigma || p_sigma) = E_{x~ ~ q_sigma}[log q_sigma(x~) - log p_sigma(x~)] = E_{z, eps}[E_p(G(z) + sigma eps) - E_q(G(z) + sigma eps)] + C,

so the generator minimises E_p - E_q at its noisy samples, while E_q keeps up with the moving q
(``critic_steps`` E_q updates per G update). The article writes the same loss with log-densities
E' = sigma^2 log p_sigma, hence the opposite sign there. Minimising E_p alone (``objective="p_only"``)
pulls every sample to the densest point of p_sigma: the generator collapses.
"""

from __future__ import annotations

import math
from typing import Iterator

import torch
from torch import nn

from ..nets import mlp
from ..train import History, train
from ._checks import check_count, check_positive
from .energy import dsm_loss

OBJECTIVES = ("kl", "p_only")


def mlp_generator(z_dim: int, shape: tuple[int, ...], hidden: int = 256, depth: int = 3) -> nn.Sequential:
    """G(z): an MLP from z (N, z_dim) to images of ``shape`` with a sigmoid, so pixels lie in (0, 1)."""
    check_count("z_dim", z_dim)
    return nn.Sequential(mlp(z_dim, math.prod(shape), hidden, depth), nn.Sigmoid(), nn.Unflatten(1, tuple(shape)))


class DDE(nn.Module):
    """The three networks of a DDE run and the state of the alternating loop.

    ``losses`` keeps the two losses apart ("E_q": denoising score matching on fakes, "G": E_p - E_q).
    """

    def __init__(self, generator: nn.Module, E_p: nn.Module, E_q: nn.Module | None, *, sigma: float, z_dim: int,
                 critic_steps: int = 2, objective: str = "kl"):
        super().__init__()
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
        if objective == "kl" and E_q is None:
            raise ValueError('objective="kl" needs an E_q energy for the generator\'s samples')
        self.generator, self.E_p, self.E_q = generator, E_p.requires_grad_(False).eval(), E_q
        self.sigma = check_positive("sigma", sigma)
        self.z_dim, self.critic_steps, self.objective = check_count("z_dim", z_dim), critic_steps, objective
        if critic_steps < 0:
            raise ValueError(f"critic_steps must be >= 0, got {critic_steps}")
        self.calls = 0
        self.losses: dict[str, list[float]] = {"E_q": [], "G": []}

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        """n generated images G(z), z ~ N(0, I)."""
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        z = torch.randn(check_count("n", n), self.z_dim, generator=g)
        return self.generator(z.to(next(self.generator.parameters()).device))


def dde_loss(model: DDE, z: torch.Tensor) -> torch.Tensor:
    """One step of the alternating loop, for :func:`kexue.train.train` with ``z`` batches of latent codes.

    ``critic_steps`` calls out of every ``critic_steps + 1`` train E_q by denoising score matching on G(z)
    (G detached); the other trains G on mean E_p(G(z) + sigma eps) - E_q(G(z) + sigma eps) with E_q frozen
    (only E_p with ``objective="p_only"``). Parameters that get no gradient are left alone by Adam.
    """
    z = z.to(next(model.generator.parameters()).device)
    phase = model.calls % (model.critic_steps + 1)
    model.calls += 1
    if model.objective == "kl" and phase < model.critic_steps:
        loss = dsm_loss(model.E_q, model.generator(z).detach(), model.sigma)
        model.losses["E_q"].append(loss.item())
        return loss
    x = model.generator(z)
    x_noisy = x + model.sigma * torch.randn_like(x)
    if model.objective == "p_only":
        loss = model.E_p(x_noisy, model.sigma).mean()
    else:
        model.E_q.requires_grad_(False)  # G's step must not move E_q: its parameters stay out of the graph
        try:
            loss = (model.E_p(x_noisy, model.sigma) - model.E_q(x_noisy, model.sigma)).mean()
        finally:
            model.E_q.requires_grad_(True)
    model.losses["G"].append(loss.item())
    return loss


def latent_batches(batch_size: int, z_dim: int, seed: int = 0) -> Iterator[torch.Tensor]:
    """An endless stream of latent batches z ~ N(0, I), shape (batch_size, z_dim)."""
    g = torch.Generator().manual_seed(seed)
    while True:
        yield torch.randn(batch_size, z_dim, generator=g)


def train_dde(model: DDE, *, steps: int, batch_size: int = 64, lr: float = 1e-3, betas=(0.5, 0.9),
              grad_clip: float | None = 1.0, seed: int = 0, progress: bool = True) -> tuple[DDE, History]:
    """Run the alternating loop for ``steps`` optimiser steps (E_q and G steps together) through
    :func:`kexue.train.train`; one Adam over G and E_q, each step moving only the network it trains.
    Returns the trained ``model``, on the CPU (its ``losses`` split by network), and the history of every step."""
    check_count("steps", steps)
    torch.manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr, betas=betas)
    history = train(model, dde_loss, latent_batches(batch_size, model.z_dim, seed), steps=steps, optimizer=optimizer,
                    grad_clip=grad_clip, progress=progress, desc=f"DDE ({model.objective})")
    return model.cpu().eval(), history
