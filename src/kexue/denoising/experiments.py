"""The chapter's trained artefacts, one cached function each, keyed by a frozen config of every setting.

Each config holds every argument that changes its result (the data spec, the network's shape, the noise
levels, the optimiser's settings, the seed), with the defaults of the functions it calls, so that editing any
of them, in the chapter or here, retrains instead of loading a stale run. Progress bars and the device are not
part of a key (:func:`kexue.artifacts.cached_run`). ``CODE_VERSION`` is in every key: bump it when code here or
in the modules these functions call changes what they compute.

* :func:`classifier`: the judge of :mod:`.quality` (Fréchet distance, class shares) -- :class:`ClassifierConfig`;
* :func:`energy`: a scalar energy trained by denoising score matching -- :class:`EnergyConfig`;
* :func:`score_unet`: the noise-conditional score U-Net -- :class:`UNetConfig`;
* :func:`dde_generator`: a DDE generator (``objective="kl"``) or one trained on E_p alone (``"p_only"``)
  -- :class:`DDEConfig`;
* :func:`samples`: annealed Langevin samples of a trained energy or U-Net -- :class:`SamplingConfig`.

Every model is built right after ``torch.manual_seed(seed)``, so its initial weights do not depend on what ran
before it (or on which earlier artefacts came from the cache).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..artifacts import cached_run
from ..train import History
from .datasets import DigitData, FashionData
from .dde import DDE, mlp_generator, train_dde
from .energy import EnergyMLP, dsm_loss_fn, fit
from .quality import train_classifier
from .sampling import LangevinResult, geometric_sigmas, langevin
from .unet import ScoreUNet

CODE_VERSION = 1  # the version of every run below: bump it when the code behind them changes what it computes

Data = FashionData | DigitData


def _seed_init(seed: int) -> None:
    """Seed torch's global generator right before a model is built: its initial weights depend on ``seed`` only."""
    torch.manual_seed(seed)


def _fit(model: nn.Module, x: torch.Tensor, config, desc: str, progress: bool):
    """:func:`~kexue.denoising.fit` of ``model`` on ``x`` with ``dsm_loss_fn(config.sigma)`` and the optimiser
    settings of an :class:`EnergyConfig` or a :class:`UNetConfig`."""
    return fit(model, x, dsm_loss_fn(config.sigma), steps=config.steps, batch_size=config.batch_size,
               lr=config.lr, ema_decay=config.ema_decay, grad_clip=config.grad_clip, seed=config.seed,
               desc=desc, progress=progress)


@dataclass(frozen=True)
class ClassifierConfig:
    """:func:`~kexue.denoising.train_classifier` on ``data``'s training images (its defaults)."""
    data: Data
    steps: int = 600
    batch_size: int = 128
    width: int = 32
    lr: float = 2e-3
    seed: int = 0


@cached_run("denoising-classifier", version=CODE_VERSION)
def classifier(config: ClassifierConfig, *, progress: bool = True) -> nn.Sequential:
    """The small CNN that judges samples, trained on ``config.data`` (cached)."""
    split = config.data.load()
    return train_classifier(split.x_train, split.y_train, steps=config.steps, batch_size=config.batch_size,
                            width=config.width, lr=config.lr, seed=config.seed, progress=progress)


@dataclass(frozen=True)
class EnergyConfig:
    """An :class:`~kexue.denoising.EnergyMLP` trained with ``dsm_loss_fn(sigma)`` by
    :func:`~kexue.denoising.fit` (a number: one noise level; a pair (low, high): log-uniform per sample)."""
    data: Data
    sigma: float | tuple[float, float]
    steps: int
    hidden: int = 256
    depth: int = 3
    noise_conditional: bool = False
    embedding_dim: int = 64
    confinement: float | None = None
    center: float = 0.0
    batch_size: int = 64
    lr: float = 1e-3
    ema_decay: float | None = None
    grad_clip: float | None = 1.0
    seed: int = 0


@cached_run("denoising-energy", version=CODE_VERSION)
def energy(config: EnergyConfig, *, progress: bool = True) -> tuple[EnergyMLP, History]:
    """(the trained energy -- its EMA copy when ``ema_decay`` is set --, the loss history), cached."""
    x = config.data.load().x_train
    _seed_init(config.seed)
    model = EnergyMLP(x[0].numel(), hidden=config.hidden, depth=config.depth,
                      noise_conditional=config.noise_conditional, embedding_dim=config.embedding_dim,
                      confinement=config.confinement, center=config.center)
    return _fit(model, x, config, "energy", progress)


@dataclass(frozen=True)
class UNetConfig:
    """A :class:`~kexue.denoising.ScoreUNet` trained with ``dsm_loss_fn(sigma)`` by :func:`~kexue.denoising.fit`."""
    data: Data
    steps: int
    width: int = 32
    levels: int = 2
    embedding_dim: int = 128
    unshuffle: int = 1
    sigma: float | tuple[float, float] = (0.01, 1.0)
    batch_size: int = 64
    lr: float = 1e-3
    ema_decay: float | None = None
    grad_clip: float | None = 1.0
    seed: int = 0


@cached_run("denoising-unet", version=CODE_VERSION)
def score_unet(config: UNetConfig, *, progress: bool = True) -> tuple[ScoreUNet, History]:
    """(the trained score U-Net -- its EMA copy when ``ema_decay`` is set --, the loss history), cached."""
    x = config.data.load().x_train
    _seed_init(config.seed)
    model = ScoreUNet(in_channels=x.shape[1], width=config.width, levels=config.levels,
                      embedding_dim=config.embedding_dim, unshuffle=config.unshuffle)
    return _fit(model, x, config, "score U-Net", progress)


@dataclass(frozen=True)
class DDEConfig:
    """A :class:`~kexue.denoising.DDE` run: E_p from ``E_p`` (its data and its single noise level sigma), a
    generator MLP from ``z_dim`` latents, an E_q MLP of ``critic_hidden`` x ``critic_depth`` (unused with
    ``objective="p_only"``), trained by :func:`~kexue.denoising.train_dde` (its defaults)."""
    E_p: EnergyConfig
    steps: int
    objective: str = "kl"
    z_dim: int = 16
    generator_hidden: int = 256
    generator_depth: int = 3
    critic_hidden: int = 256
    critic_depth: int = 3
    critic_steps: int = 2
    batch_size: int = 64
    lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.9)
    grad_clip: float | None = 1.0
    seed: int = 0

    def __post_init__(self):
        if isinstance(self.E_p.sigma, (tuple, list)):
            raise ValueError("DDE needs an E_p trained at one noise level (EnergyConfig.sigma a number)")


@cached_run("denoising-dde", version=CODE_VERSION)
def dde_generator(config: DDEConfig, *, progress: bool = True) -> tuple[DDE, History]:
    """(the trained DDE -- generator, E_p, E_q --, the history of every step), cached; trains E_p first if
    :func:`energy` has not cached it yet."""
    E_p, _ = energy(config.E_p, progress=progress)
    shape = config.E_p.data.shape
    _seed_init(config.seed)
    generator = mlp_generator(config.z_dim, shape, hidden=config.generator_hidden, depth=config.generator_depth)
    E_q = (EnergyMLP(E_p.dim, hidden=config.critic_hidden, depth=config.critic_depth)
           if config.objective == "kl" else None)
    model = DDE(generator, E_p, E_q, sigma=config.E_p.sigma, z_dim=config.z_dim,
                critic_steps=config.critic_steps, objective=config.objective)
    return train_dde(model, steps=config.steps, batch_size=config.batch_size, lr=config.lr,
                     betas=config.betas, grad_clip=config.grad_clip, seed=config.seed, progress=progress)


@dataclass(frozen=True)
class SamplingConfig:
    """:func:`~kexue.denoising.langevin` on the model of ``model``: ``n`` chains started uniformly in [0, 1]
    (generator seeded with ``seed``), ``levels`` geometric noise levels from ``sigma_max`` to ``sigma_min``,
    ``steps`` per level (its defaults)."""
    model: EnergyConfig | UNetConfig
    n: int
    steps: int
    eps: float
    sigma_max: float = 1.0
    sigma_min: float = 0.01
    levels: int = 10
    temperature: float = 1.0
    denoise: bool = True
    clip: tuple[float, float] | None = None
    track: int = 8
    seed: int = 0


@cached_run("denoising-samples", version=CODE_VERSION, ignore=("device",))
def samples(config: SamplingConfig, *, device=None, progress: bool = True) -> LangevinResult:
    """Annealed Langevin samples (and the first chains' trajectories) of the trained model, cached."""
    train = score_unet if isinstance(config.model, UNetConfig) else energy
    model, _ = train(config.model, progress=progress)
    start = torch.rand(config.n, *config.model.data.shape, generator=torch.Generator().manual_seed(config.seed))
    sigmas = geometric_sigmas(config.sigma_max, config.sigma_min, config.levels)
    return langevin(model, start, sigmas, steps=config.steps, eps=config.eps, temperature=config.temperature,
                    denoise=config.denoise, clip=config.clip, track=config.track, seed=config.seed,
                    device=device, progress=progress)
