"""Denoisers, scalar energies and the losses that train them (denoising score matching).

Notation (the chapter's): clean data x ~ p, noise eps ~ N(0, I), noisy x~ = x + sigma * eps, and
p_sigma = p * N(0, sigma^2 I) the density of x~.

* A denoiser r trained with E ||r(x~) - x||^2 converges to r*(x~) = x~ + sigma^2 grad log p_sigma(x~) (Tweedie).
* A scalar energy E(x~, sigma) with score s = -grad_x E, trained with the sigma^2-weighted loss
  E ||sigma * s(x~, sigma) + eps||^2, converges to E = -log p_sigma + C. The article writes the same loss as
  ||grad E'(x + eps') + eps'||^2 with eps' = sigma * eps and E' = sigma^2 log p_sigma = -sigma^2 E.
  Taking the gradient of an energy inside the loss is "double backprop" (``create_graph=True``).
* With a per-sample sigma (``dsm_loss_fn((lo, hi))``) one network learns every noise level at once: the
  noise-conditional version used for annealed sampling.
"""

from __future__ import annotations

import copy
import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ..train import History, LossFn, train
from ._checks import as_sigma, check_count, check_positive


def _first(batch) -> torch.Tensor:
    """The inputs of a batch: the tensor itself, or the first item of a (inputs, ...) tuple or list."""
    return batch[0] if isinstance(batch, (tuple, list)) else batch


def _per_sample(sigma: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """sigma (N,) reshaped to broadcast over x (N, ...)."""
    return sigma.view(-1, *([1] * (x.dim() - 1)))


class NoiseEmbedding(nn.Module):
    """Embed a noise level: log sigma -> fixed Fourier features (sin, cos) -> two-layer MLP, shape (N, dim)."""

    def __init__(self, dim: int = 64, n_frequencies: int = 16):
        super().__init__()
        # cycles per unit of log sigma, from slow (monotone over the whole range) to fast
        self.register_buffer("frequencies", 2 * math.pi * torch.logspace(math.log10(0.05), math.log10(2.0), n_frequencies))
        self.mlp = nn.Sequential(nn.Linear(2 * n_frequencies, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, sigma: torch.Tensor) -> torch.Tensor:
        angles = torch.log(sigma)[:, None] * self.frequencies[None]
        return self.mlp(torch.cat([torch.sin(angles), torch.cos(angles)], dim=1))


class EnergyMLP(nn.Module):
    """A scalar energy on vectors or flattened images: E(x, sigma) = h(x, sigma) / sigma + confinement.

    h is an MLP with SiLU activations (smooth, so its input gradient -- the score -- is smooth too).
    With ``noise_conditional=True`` an embedding of log sigma is added to every hidden layer.
    ``confinement=tau`` adds ||x - center||^2 / (2 (sigma^2 + tau^2)): the energy of a Gaussian of
    variance tau^2 smoothed by the noise, which keeps Langevin chains from running away where no data
    ever taught h anything (without it, samples on 8x8 digits drift to +-50).
    """

    def __init__(
        self,
        dim: int,
        hidden: int = 256,
        depth: int = 3,
        *,
        noise_conditional: bool = False,
        embedding_dim: int = 64,
        confinement: float | None = None,
        center: float = 0.0,
    ):
        super().__init__()
        check_count("dim", dim), check_count("hidden", hidden), check_count("depth", depth)
        if confinement is not None:
            check_positive("confinement", confinement)
        self.dim, self.confinement, self.center = dim, confinement, center
        self.layers = nn.ModuleList(nn.Linear(dim if i == 0 else hidden, hidden) for i in range(depth))
        self.embedding = NoiseEmbedding(embedding_dim) if noise_conditional else None
        self.conditioning = (
            nn.ModuleList(nn.Linear(embedding_dim, hidden) for _ in range(depth)) if noise_conditional else None
        )
        self.head = nn.Linear(hidden, 1)

    def energy(self, x: torch.Tensor, sigma: float | torch.Tensor) -> torch.Tensor:
        """E(x, sigma), shape (N,), for x of shape (N, ...) with prod(...) = dim."""
        flat = x.flatten(1)
        if flat.shape[1] != self.dim:
            raise ValueError(f"this energy takes inputs of {self.dim} values, got shape {tuple(x.shape)}")
        s = as_sigma(sigma, len(x), device=x.device, dtype=x.dtype)
        e = self.embedding(s) if self.embedding is not None else None
        h = flat
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if e is not None:
                h = h + self.conditioning[i](e)
            h = F.silu(h)
        energy = self.head(h).squeeze(-1) / s
        if self.confinement is not None:
            energy = energy + ((flat - self.center) ** 2).sum(1) / (2 * (s**2 + self.confinement**2))
        return energy

    forward = energy

    def score(self, x: torch.Tensor, sigma: float | torch.Tensor, create_graph: bool = False) -> torch.Tensor:
        """s(x, sigma) = -grad_x E(x, sigma), by autograd (kept differentiable with ``create_graph``)."""
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self.energy(x, sigma).sum(), x, create_graph=create_graph)
        return -grad if create_graph else -grad.detach()


def dsm_loss(model: nn.Module, x: torch.Tensor, sigma: float | torch.Tensor) -> torch.Tensor:
    """Denoising score matching, sigma^2-weighted: mean over samples and dimensions of
    (sigma * s(x + sigma eps, sigma) + eps)^2, eps ~ N(0, I). ``model.score(x, sigma, create_graph)`` gives s.

    Its minimiser is s = grad log p_sigma; the minimum is not 0 but the irreducible E Var[eps | x~]
    (an energy that is exactly -log p_sigma reaches it: zero *excess* loss).
    """
    s = as_sigma(sigma, len(x), device=x.device, dtype=x.dtype)
    eps = torch.randn_like(x)
    scale = _per_sample(s, x)
    predicted = model.score(x + scale * eps, s, create_graph=True)
    return ((scale * predicted + eps) ** 2).mean()


def sample_log_uniform(n: int, low: float, high: float, device=None) -> torch.Tensor:
    """n noise levels with log sigma uniform in [log low, log high]."""
    check_positive("sigma low", low), check_positive("sigma high", high)
    if low > high:
        raise ValueError(f"sigma range must be (low, high) with low <= high, got ({low}, {high})")
    u = torch.rand(n, device=device)
    return torch.exp(math.log(low) + u * (math.log(high) - math.log(low)))


def dsm_loss_fn(sigma: float | tuple[float, float]) -> LossFn:
    """``loss_fn(model, batch)`` for :func:`kexue.train.train`: :func:`dsm_loss` at one fixed sigma, or, for a
    pair (low, high), at a sigma drawn per sample log-uniformly in that range (annealed / multi-scale DSM)."""
    if isinstance(sigma, (tuple, list)):
        low, high = sigma
        sample_log_uniform(1, low, high)  # validates the range now, not at the first step

        def loss_fn(model: nn.Module, batch) -> torch.Tensor:
            x = _first(batch)
            return dsm_loss(model, x, sample_log_uniform(len(x), low, high, device=x.device))

        return loss_fn
    check_positive("sigma", sigma)
    return lambda model, batch: dsm_loss(model, _first(batch), sigma)


def denoiser_loss_fn(sigma: float) -> LossFn:
    """``loss_fn(model, batch)`` for training a plain denoiser r: mean ||r(x + sigma eps) - x||^2."""
    check_positive("sigma", sigma)

    def loss_fn(model: nn.Module, batch) -> torch.Tensor:
        x = _first(batch)
        return ((model(x + sigma * torch.randn_like(x)) - x) ** 2).mean()

    return loss_fn


def ema_hook(model: nn.Module, decay: float) -> tuple[nn.Module, Callable[[nn.Module, int], None]]:
    """An exponential moving average of ``model``'s weights and the ``on_step`` hook that updates it.

    theta_ema <- d_t theta_ema + (1 - d_t) theta with d_t = min(decay, (1 + t) / (10 + t)), so the random
    initial weights do not linger in the average of a short run.
    """
    if not 0 < decay < 1:
        raise ValueError(f"EMA decay must be in (0, 1), e.g. 0.999, got {decay}")
    average = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def on_step(current: nn.Module, step: int) -> None:
        device = next(current.parameters()).device
        if next(average.parameters()).device != device:  # the loop moved the model (e.g. to a GPU): follow it
            average.to(device)
        d = min(decay, (1 + step) / (10 + step))
        for a, p in zip(average.parameters(), current.parameters()):
            a.lerp_(p.detach(), 1 - d)
        for a, b in zip(average.buffers(), current.buffers()):
            a.copy_(b)

    return average, on_step


def fit(
    model: nn.Module,
    data: torch.Tensor,
    loss_fn: LossFn,
    *,
    steps: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    ema_decay: float | None = None,
    grad_clip: float | None = 1.0,
    seed: int = 0,
    desc: str = "train",
    progress: bool = True,
) -> tuple[nn.Module, History]:
    """Train ``model`` on shuffled batches of ``data`` with :func:`kexue.train.train` (on a GPU when there is one);
    returns the trained model (its EMA copy when ``ema_decay`` is given), on the CPU, and the loss history.
    A NaN loss stops with ``TrainingDiverged``."""
    check_count("steps", steps)
    if not torch.all(torch.isfinite(data)):
        raise ValueError("the training data contain NaN or infinite values")
    torch.manual_seed(seed)
    loader = DataLoader(TensorDataset(data), batch_size=min(batch_size, len(data)), shuffle=True, drop_last=True)
    average, on_step = ema_hook(model, ema_decay) if ema_decay is not None else (model, None)
    history = train(model, loss_fn, loader, steps=steps, lr=lr, grad_clip=grad_clip, on_step=on_step,
                    desc=desc, progress=progress)
    return average.cpu().eval(), history
