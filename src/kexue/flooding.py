"""Flooding: keep the training loss near a floor b instead of driving it to zero (Ishida et al., ICML 2020).

Flooding replaces the mini-batch mean loss L by

    L~ = |L - b| + b,

which equals L above the flood level b and 2b - L below it: gradient descent turns into gradient ascent once the
loss sinks under b, so the loss hovers around b. Su Jianlin's reading (kexue.fm/archives/7643): one descent step
followed by one ascent step, rate eps each, moves the parameters like one step of rate eps^2/2 on ||grad L||^2,

    theta - eps g(theta) + eps g(theta - eps g) = theta - (eps^2/2) grad ||g||^2 + O(eps^3),

so near the floor flooding is a gradient-norm penalty. With a descent rate eps1 > eps2 (ascent rate) the pair is,
to the same order, a step of rate eps1 - eps2 on L + eps1 eps2 / (2 (eps1 - eps2)) ||grad L||^2, a version that
needs no b at all. This module holds the flooded loss, that b-free optimiser, the explicit penalty, the numerical
check of the expansion, and the seeded Fashion-MNIST experiment (a subset with label noise) the chapter runs.
"""

from __future__ import annotations

import copy
import math
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from .report import mean_std
from .train import LossFn, cross_entropy_loss, train

# ---------------------------------------------------------------------------------------------------------------
# The flooded loss


def _check_level(b: Any) -> float:
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


# ---------------------------------------------------------------------------------------------------------------
# The b-free variant and the explicit gradient-norm penalty


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


# ---------------------------------------------------------------------------------------------------------------
# Su's expansion, checked numerically


def _flat(tensors: Iterable[torch.Tensor]) -> torch.Tensor:
    return torch.cat([t.reshape(-1) for t in tensors])


def descent_ascent_update(
    model: torch.nn.Module, loss_fn: LossFn, batch: Any, eps1: float, eps2: float
) -> torch.Tensor:
    """theta'' - theta after two :class:`DescentAscent` calls on the same batch (a copy of ``model`` moves),
    as one flat vector."""
    moved = copy.deepcopy(model)
    params = _trainable(moved)
    start = _flat(p.detach().clone() for p in params)
    optimizer = DescentAscent(params, eps1, eps2)
    for _ in range(2):
        optimizer.zero_grad()
        loss_fn(moved, batch).backward()
        optimizer.step()
    return _flat(p.detach() for p in params) - start


def penalty_update(model: torch.nn.Module, loss_fn: LossFn, batch: Any, eps1: float, eps2: float) -> torch.Tensor:
    """The second-order prediction of :func:`descent_ascent_update`, as one flat vector:
    -(eps1 - eps2) grad L - (eps1 eps2 / 2) grad ||grad L||^2."""
    params = _trainable(model)
    grads = torch.autograd.grad(loss_fn(model, batch), params, create_graph=True)
    norm2 = sum((g**2).sum() for g in grads)
    grad_norm2 = torch.autograd.grad(norm2, params)
    return -(eps1 - eps2) * _flat(g.detach() for g in grads) - 0.5 * eps1 * eps2 * _flat(grad_norm2)


def expansion_check(
    model: torch.nn.Module, loss_fn: LossFn, batch: Any, epsilons: Sequence[float], *, ratio: float = 1.0
) -> list[dict[str, float]]:
    """For each eps (ascent rate eps2 = eps, descent rate eps1 = ratio * eps): the gap between the
    descent-ascent update and its second-order prediction, absolute ||d - p|| and relative ||d - p|| / ||p||.

    Su's expansion says the absolute gap is O(eps^3) while the update itself is O(eps^2) (ratio 1), so the
    relative gap falls like eps. Run the model in float64 to see this below eps ~ 1e-3.
    """
    if ratio < 1:
        raise ValueError(f"ratio = eps1 / eps2 must be >= 1, got {ratio}")
    rows = []
    for eps in epsilons:
        if not eps > 0:
            raise ValueError(f"every eps must be > 0, got {eps}")
        d = descent_ascent_update(model, loss_fn, batch, ratio * eps, eps)
        p = penalty_update(model, loss_fn, batch, ratio * eps, eps)
        gap = (d - p).norm().item()
        rows.append({"eps": float(eps), "update": p.norm().item(), "abs_gap": gap, "rel_gap": gap / p.norm().item()})
    return rows


def swap_activation(
    model: torch.nn.Module, activation: Callable[[], torch.nn.Module] = torch.nn.GELU
) -> torch.nn.Module:
    """A copy of ``model`` with every ``nn.ReLU`` replaced by ``activation()``, e.g. to make the loss smooth:
    the expansion assumes third derivatives, and a ReLU network's kinks add a larger, irregular error term."""
    smooth = copy.deepcopy(model)
    for module in list(smooth.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, torch.nn.ReLU):
                setattr(module, name, activation())
    return smooth


def expansion_slopes(rows: Sequence[dict[str, float]], max_eps: float = math.inf) -> dict[str, float]:
    """Least-squares slopes of log ||update||, log ||gap|| and log relative gap against log eps over the rows of
    :func:`expansion_check` with eps <= ``max_eps`` (smooth loss, eps1 = eps2: about 2, 3 and 1)."""
    rows = [r for r in rows if r["eps"] <= max_eps]
    if len(rows) < 2:
        raise ValueError(f"need at least two rows with eps <= {max_eps} to fit a slope")
    log_eps = np.log([r["eps"] for r in rows])
    keys = ("update", "abs_gap", "rel_gap")
    return {key: float(np.polyfit(log_eps, np.log([r[key] for r in rows]), 1)[0]) for key in keys}


# ---------------------------------------------------------------------------------------------------------------
# Data: a seeded Fashion-MNIST subset with symmetric label noise


def stratified_subset(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of ``n`` examples drawn without replacement, about n / classes from each class, in random order."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    if not 0 < n <= len(labels):
        raise ValueError(f"n must be between 1 and the {len(labels)} examples, got {n}")
    rng = np.random.default_rng(seed)
    per_class = np.full(len(classes), n // len(classes))
    per_class[rng.permutation(len(classes))[: n % len(classes)]] += 1
    chosen = []
    for c, k in zip(classes, per_class):
        pool = np.flatnonzero(labels == c)
        if k > len(pool):
            raise ValueError(f"class {c} has {len(pool)} examples, fewer than the {k} asked for")
        chosen.append(rng.choice(pool, size=k, replace=False))
    return rng.permutation(np.concatenate(chosen))


def add_label_noise(labels: np.ndarray, rate: float, num_classes: int, seed: int) -> np.ndarray:
    """A copy of ``labels`` where round(rate * n) of them, chosen at random, are replaced by a different
    class drawn uniformly (symmetric label noise)."""
    if not 0 <= rate <= 1:
        raise ValueError(f"the noise rate must be in [0, 1], got {rate}")
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}")
    rng = np.random.default_rng(seed)
    noisy = labels.copy()
    flip = rng.choice(len(labels), size=round(rate * len(labels)), replace=False)
    shift = rng.integers(1, num_classes, size=len(flip))  # never 0, so the new class differs
    noisy[flip] = (labels[flip] + shift) % num_classes
    return noisy


def label_noise_entropy(rate: float, num_classes: int) -> float:
    """The lowest expected cross-entropy any model can reach on labels with symmetric noise ``rate``:
    H = -(1 - r) ln(1 - r) - r ln(r / (K - 1)), reached by predicting 1 - r for the true class and r / (K - 1)
    for each other one. Training losses below it mean the noise is being memorised."""
    if not 0 <= rate < 1 or num_classes < 2:
        raise ValueError(f"need 0 <= rate < 1 and at least 2 classes, got rate={rate}, num_classes={num_classes}")
    if rate == 0:
        return 0.0
    return float(-(1 - rate) * math.log(1 - rate) - rate * math.log(rate / (num_classes - 1)))


@lru_cache(maxsize=1)
def _fashion() -> tuple[torch.Tensor, np.ndarray, torch.Tensor, torch.Tensor]:
    from .data import load_fashion_mnist
    from .nets import images_to_tensor

    x_train, y_train = load_fashion_mnist("train")
    x_test, y_test = load_fashion_mnist("test")
    return images_to_tensor(x_train), y_train, images_to_tensor(x_test), torch.as_tensor(y_test)


def noisy_fashion_mnist(n_train: int, noise: float, seed: int, n_test: int | None = None) -> dict[str, torch.Tensor]:
    """A stratified Fashion-MNIST training subset of ``n_train`` images with a fraction ``noise`` of labels
    flipped (both seeded), and the first ``n_test`` test images (all 10,000 by default).

    Keys: ``x``, ``y`` (noisy labels, what the model is trained on), ``y_clean``, ``x_test``, ``y_test``.
    """
    x, y, x_test, y_test = _fashion()
    idx = stratified_subset(y, n_train, seed)
    n_test = len(y_test) if n_test is None else n_test
    return {
        "x": x[idx],
        "y": torch.as_tensor(add_label_noise(y[idx], noise, 10, seed + 1)),
        "y_clean": torch.as_tensor(y[idx]),
        "x_test": x_test[:n_test],
        "y_test": y_test[:n_test],
    }


# ---------------------------------------------------------------------------------------------------------------
# Experiments: training with per-epoch curves, the b sweep, the b-free comparison


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
    from .nets import mlp

    b = _check_level(b)
    data = noisy_fashion_mnist(n_train, noise, seed, n_test)
    torch.manual_seed(seed)
    model = mlp(28 * 28, 10, hidden=hidden, depth=depth)
    return track_training(model, flooded(cross_entropy_loss, b), data, epochs=epochs, batch_size=batch_size,
                          seed=seed, lr=lr, desc=f"b={b:g} seed={seed}")


def flooding_sweep(levels: Sequence[float], seeds: Sequence[int], **config: Any) -> dict[tuple[float, int], dict]:
    """:func:`run_flooding` for every flood level b and seed, each run cached by its configuration
    (:func:`kexue.artifacts.cached`); returns {(b, seed): curves}."""
    from .artifacts import cached

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
    from .nets import mlp

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
    from .artifacts import cached

    return {
        (m, seed): cached("flooding-b-free", {"method": m, "seed": seed, **config},
                          lambda m=m, seed=seed: run_b_free(m, seed, **config))
        for m in methods
        for seed in seeds
    }


# ---------------------------------------------------------------------------------------------------------------
# Summaries


def final_value(curves: dict[str, list[float]], key: str, last: int = 1) -> float:
    """Mean of ``curves[key]`` over the last ``last`` evaluations (smooths epoch-to-epoch noise)."""
    values = curves[key][-last:]
    return float(np.mean(values))


def second_descent(curves: dict[str, list[float]], window: int) -> float:
    """How far the test loss comes back down after its peak (the "second descent"): the maximum of its moving
    average over ``window`` evaluations minus the last moving average; 0 when the test loss is still rising."""
    values = np.asarray(curves["test_loss"])
    window = max(1, min(window, len(values)))
    smooth = np.convolve(values, np.ones(window) / window, mode="valid")
    return float(smooth.max() - smooth[-1])


def summarize(results: dict[tuple[Any, int], dict], *, last: int = 1, baseline: Any = None,
              name: str = "setting") -> list[dict[str, Any]]:
    """One row per setting (the first element of each key, in column ``name``): mean ± std over seeds of the final
    test accuracy, the best test accuracy during training, the final test loss and its drop after the peak
    (:func:`second_descent`), the final training loss and accuracy ("final": the mean of the last ``last``
    evaluations); with ``baseline`` (a setting), also the mean ± std over
    seeds of the paired difference in final test accuracy to it."""
    settings = list(dict.fromkeys(k for k, _ in results))
    seeds = list(dict.fromkeys(s for _, s in results))

    rows = []
    for setting in settings:
        runs = [results[setting, s] for s in seeds]
        row = {
            name: setting,
            "test acc (final)": mean_std([final_value(r, "test_acc", last) for r in runs]),
            "test acc (best epoch)": mean_std([max(r["test_acc"]) for r in runs]),
            "test loss (final)": mean_std([final_value(r, "test_loss", last) for r in runs]),
            "test loss drop after peak": mean_std([second_descent(r, last) for r in runs]),
            "train loss (final)": mean_std([final_value(r, "train_loss", last) for r in runs]),
            "train acc (final)": mean_std([final_value(r, "train_acc", last) for r in runs]),
        }
        if baseline is not None:
            diffs = [
                final_value(results[setting, s], "test_acc", last) - final_value(results[baseline, s], "test_acc", last)
                for s in seeds
            ]
            row[f"Δ test acc vs {baseline}"] = mean_std(diffs)
        rows.append(row)
    return rows
