"""The seeded Fashion-MNIST experiments: training with per-epoch curves, the sweep over flood levels b, and
the b-free comparison (descent-ascent against the explicit penalty and plain SGD).

Every run is cached by :func:`kexue.artifacts.cached_run` under its arguments (defaults included), so a rebuild
does not train again.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from ..artifacts import cached_run
from ..nets import mlp
from ..train import LossFn, batched_eval, cross_entropy_loss, train
from .data import noisy_fashion_mnist
from .descent_ascent import DescentAscent, equivalent_penalty, gradient_norm_penalty, repeat_batches
from .loss import _check_level, flooded


def _loss_and_accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    logits = batched_eval(model, model, x, batch_size=2048)
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


@cached_run("flooding")
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
    """:func:`run_flooding` (each run cached) for every flood level b and seed; returns {(b, seed): curves}."""
    return {(b, seed): run_flooding(b, seed, **config) for b in levels for seed in seeds}


B_FREE_METHODS = ("sgd", "descent-ascent", "penalty")


@cached_run("flooding-b-free")
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
    """:func:`run_b_free` (each run cached) for every method and seed; returns {(method, seed): curves}."""
    return {(m, seed): run_b_free(m, seed, **config) for m in methods for seed in seeds}
