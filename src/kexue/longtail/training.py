"""Training with the logit-adjusted loss through :func:`kexue.train.train` (τ = 0 is ERM): the small CNN of
the chapter (its test logits cached by configuration) and a softmax regression for 2-D pictures."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ..artifacts import cached_run
from ..nets import small_cnn
from ..runtime import seed_everything
from ..train import History, batched_eval, train
from .adjust import _check_tau, logit_adjusted_loss_fn
from .data import LongTailImages


def fit(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    prior: torch.Tensor,
    tau: float = 0.0,
    steps: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Train ``model`` on (x, y) with :func:`logit_adjusted_loss` (τ = 0: ERM) through :func:`kexue.train.train`,
    Adam at ``lr``, shuffled mini-batches drawn with ``seed``."""
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    desc = "ERM" if tau == 0 else f"LA loss τ={tau:g}"
    return train(model, logit_adjusted_loss_fn(prior, tau), loader, steps=steps, lr=lr, progress=progress, desc=desc)


def predict_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """The model's logits for ``x`` in eval mode, on the CPU."""
    return batched_eval(model, model, x, batch_size=batch_size)


@cached_run("logit-adjustment-cnn")
def cnn_test_logits(
    data: LongTailImages,
    *,
    tau: float = 0.0,
    seed: int = 0,
    epochs: float = 10,
    batch_size: int = 128,
    lr: float = 1e-3,
    width: int = 32,
    progress: bool = True,
) -> torch.Tensor:
    """Train :func:`kexue.nets.small_cnn` on ``data`` with :func:`fit` for ``epochs`` passes (τ = 0: ERM) and
    return its test logits (N_test, K). Seeds the weights and the batch order with ``seed``. Cached by
    :func:`kexue.artifacts.cached_run` (the key holds ``data.config`` and every setting), so a rebuild does not
    train again."""
    tau = _check_tau(tau)
    seed_everything(seed)
    model = small_cnn(len(data.counts), data.x_train.shape[1], width)
    steps = max(1, round(epochs * len(data.y_train) / batch_size))
    fit(model, data.x_train, data.y_train, prior=data.prior, tau=tau, steps=steps, batch_size=batch_size,
        lr=lr, seed=seed, progress=progress)
    return predict_logits(model, data.x_test)


def linear_classifier(
    x: torch.Tensor, y: torch.Tensor, *, prior: torch.Tensor, tau: float = 0.0, steps: int = 500, lr: float = 0.05,
    seed: int = 0,
) -> nn.Linear:
    """Softmax regression (one linear layer) on all of (x, y) at once, trained by :func:`fit` with τ (0: ERM).

    Returned on the CPU, where its 2-D decision regions are drawn, wherever it was trained."""
    seed_everything(seed)
    model = nn.Linear(x.shape[1], len(prior))
    fit(model, x, y, prior=prior, tau=tau, steps=steps, batch_size=len(y), lr=lr, seed=seed, progress=False)
    return model.cpu().eval()
