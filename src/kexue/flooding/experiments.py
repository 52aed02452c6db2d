"""The seeded Fashion-MNIST experiments: training with per-epoch curves, the sweep over flood levels b, and
the b-free comparison (descent-ascent against the explicit penalty and plain SGD).

Every run is cached by :func:`kexue.artifacts.cached` under its configuration, so a rebuild does not train
again. The keys are the arguments the chapter passes (plus b or the method, and the seed).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from ..artifacts import cached
from ..nets import mlp
from ..train import LossFn, cross_entropy_loss, train
from .data import noisy_fashion_mnist
from .descent_ascent import DescentAscent, equivalent_penalty, gradient_norm_penalty, repeat_batches
from .loss import _check_level, flooded


@torch.no_grad()
def _loss_and_accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    device = next(model.parameters()).device
    logits = torch.cat([model(x[i : i + 2048].to(device)).cpu() for i in range(0, len(x), 2048)])
    return torch.nn.functional.cross_entropy(logits, y).item(), (logits.argmax(-1) == y).float().mean().item()


def track_training(
    model: torch.nn.Module,
    loss_fn: LossFn,
    data: dict[str, torch.Tensor],
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    repeat: int = 1,
    desc: str = "train",
    progress: bool = False,
) -> dict[str, list[float]]:
    """Train with :func:`kexue.train.train` for ``epochs`` passes over ``data["x"], data["y"]`` (each batch
    used ``repeat`` times in a row) and return per-epoch curves of the plain cross-entropy and accuracy on the
    training labels and on the test set: keys ``epoch``, ``train_loss``, ``train_acc``, ``test_loss``,
    ``test_acc``, plus ``objective``, the mean training objective (e.g. the flooded loss) over each epoch."""
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(TensorDataset(data["x"], data["y"]), batch_size=batch_size, shuffle=True, generator=generator)
    if repeat > 1:
        loader = repeat_batches(loader, repeat)
    per_epoch = len(loader)

    def evaluate(m: torch.nn.Module) -> dict[str, float]:
        train_loss, train_acc = _loss_and_accuracy(m, data["x"], data["y"])
        test_loss, test_acc = _loss_and_accuracy(m, data["x_test"], data["y_test"])
        return {"train_loss": train_loss, "train_acc": train_acc, "test_loss": test_loss, "test_acc": test_acc}

    history = train(model, loss_fn, loader, steps=epochs * per_epoch, lr=lr, optimizer=optimizer,
                    evaluate=evaluate, eval_every=per_epoch, desc=desc, progress=progress)
    curves = {name: history.metric(name) for name in ("train_loss", "train_acc", "test_loss", "test_acc")}
    losses = np.asarray(history.losses).reshape(epochs, per_epoch)
    return {"epoch": [s // per_epoch for s in history.eval_steps], "objective": losses.mean(1).tolist(), **curves}


def run_flooding(
    b: float, seed: int, *, n_train: int, noise: float, epochs: int, batch_size: int = 100, lr: float = 1e-3,
    hidden: int = 500, depth: int = 2, n_test: int | None = None,
) -> dict[str, list[float]]:
    """One Fashion-MNIST run of an MLP trained with Adam on the flooded cross-entropy |L - b| + b
    (b = 0: plain training), on a seeded noisy subset; returns the curves of :func:`track_training`."""
    b = _check_level(b)
    data = noisy_fashion_mnist(n_train, noise, seed, n_test)
    torch.manual_seed(seed)
    model = mlp(28 * 28, 10, hidden=hidden, depth=depth)
    return track_training(model, flooded(cross_entropy_loss, b), data, epochs=epochs, batch_size=batch_size,
                          seed=seed, lr=lr, desc=f"b={b:g} seed={seed}")


def flooding_sweep(levels: Sequence[float], seeds: Sequence[int], **config: Any) -> dict[tuple[float, int], dict]:
    """:func:`run_flooding` for every flood level b and seed, each run cached by its configuration
    (:func:`kexue.artifacts.cached`); returns {(b, seed): curves}."""
    return {
        (b, seed): cached("flooding", {"b": b, "seed": seed, **config},
                          lambda b=b, seed=seed: run_flooding(b, seed, **config))
        for b in levels
        for seed in seeds
    }


B_FREE_METHODS = ("sgd", "descent-ascent", "penalty")


def run_b_free(
    method: str, seed: int, *, eps1: float, eps2: float, n_train: int, noise: float, epochs: int,
    batch_size: int = 100, hidden: int = 500, depth: int = 2, n_test: int | None = None,
) -> dict[str, list[float]]:
    """One run of the b-free comparison, all with plain gradient steps on the same seeded noisy subset:

    * ``"descent-ascent"``: :class:`DescentAscent` (eps1, eps2), every batch used for one descent-ascent pair;
    * ``"penalty"``: SGD with rate eps1 - eps2 on L + lambda ||grad L||^2, lambda from :func:`equivalent_penalty`;
    * ``"sgd"``: SGD with rate eps1 - eps2 on L alone (the baseline both should beat).

    Each batch gives one pair or one step, so the epochs match.
    """
    if method not in B_FREE_METHODS:
        raise ValueError(f"method must be one of {B_FREE_METHODS}, got {method!r}")
    rate, lam = equivalent_penalty(eps1, eps2)
    data = noisy_fashion_mnist(n_train, noise, seed, n_test)
    torch.manual_seed(seed)
    model = mlp(28 * 28, 10, hidden=hidden, depth=depth)
    common = {"epochs": epochs, "batch_size": batch_size, "seed": seed, "desc": f"{method} seed={seed}"}
    if method == "descent-ascent":
        return track_training(model, cross_entropy_loss, data, optimizer=DescentAscent(model.parameters(), eps1, eps2),
                              repeat=2, **common)
    loss_fn = gradient_norm_penalty(cross_entropy_loss, lam) if method == "penalty" else cross_entropy_loss
    return track_training(model, loss_fn, data, optimizer=torch.optim.SGD(model.parameters(), lr=rate), **common)


def b_free_comparison(
    seeds: Sequence[int], methods: Sequence[str] = B_FREE_METHODS, **config: Any
) -> dict[tuple[str, int], dict]:
    """:func:`run_b_free` for every method and seed, cached; returns {(method, seed): curves}."""
    return {
        (m, seed): cached("flooding-b-free", {"method": m, "seed": seed, **config},
                          lambda m=m, seed=seed: run_b_free(m, seed, **config))
        for m in methods
        for seed in seeds
    }
