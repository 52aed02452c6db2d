"""Su's second-order expansion of a descent-ascent pair, checked numerically.

The pair of :class:`~kexue.flooding.DescentAscent` steps on one batch moves theta by d; the expansion predicts

    p = -(eps1 - eps2) g - (eps1 eps2 / 2) grad ||g||^2,

with a remainder ||d - p|| = O(eps^3) on a smooth loss (it involves the third derivative). On a ReLU network the
Hessian jumps where a unit switches, and the remainder is larger and irregular.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import torch

from ..train import LossFn, cross_entropy_loss
from .descent_ascent import DescentAscent, _trainable

GELU_EQUAL, GELU_DOUBLE, RELU_EQUAL = "GELU, ε1 = ε2 = ε", "GELU, ε1 = 2ε, ε2 = ε", "ReLU, ε1 = ε2 = ε"


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


def expansion_network(hidden: int, seed: int, depth: int = 2) -> torch.nn.Sequential:
    """The ReLU MLP 784-hidden-...-10 of the experiments at its seeded initialisation, in float64 (so rounding
    does not swamp the small gaps). Seeded here, so the network does not depend on what ran before it."""
    from ..nets import mlp

    torch.manual_seed(seed)
    return mlp(28 * 28, 10, hidden=hidden, depth=depth).double()


def expansion_checks(
    relu_net: torch.nn.Module, batch: Any, epsilons: Sequence[float], loss_fn: LossFn = cross_entropy_loss
) -> dict[str, list[dict[str, float]]]:
    """:func:`expansion_check` three ways: on ``relu_net`` with GELU in place of ReLU (:func:`swap_activation`),
    with eps1 = eps2 and with eps1 = 2 eps2, and on the ReLU original with eps1 = eps2."""
    gelu_net = swap_activation(relu_net, torch.nn.GELU)
    return {
        GELU_EQUAL: expansion_check(gelu_net, loss_fn, batch, epsilons),
        GELU_DOUBLE: expansion_check(gelu_net, loss_fn, batch, epsilons, ratio=2.0),
        RELU_EQUAL: expansion_check(relu_net, loss_fn, batch, epsilons),
    }


def expansion_slopes(rows: Sequence[dict[str, float]], max_eps: float = math.inf) -> dict[str, float]:
    """Least-squares slopes of log ||update||, log ||gap|| and log relative gap against log eps over the rows of
    :func:`expansion_check` with eps <= ``max_eps`` (smooth loss, eps1 = eps2: about 2, 3 and 1)."""
    rows = [r for r in rows if r["eps"] <= max_eps]
    if len(rows) < 2:
        raise ValueError(f"need at least two rows with eps <= {max_eps} to fit a slope")
    log_eps = np.log([r["eps"] for r in rows])
    keys = ("update", "abs_gap", "rel_gap")
    return {key: float(np.polyfit(log_eps, np.log([r[key] for r in rows]), 1)[0]) for key in keys}


def slope_rows(slopes: dict[str, dict[str, float]], max_eps: float) -> list[dict[str, Any]]:
    """Table rows, one per check, of the slopes from :func:`expansion_slopes` (fitted over eps <= ``max_eps``)."""
    return [{f"network and rates (ε ≤ {max_eps:g})": name, **{f"slope of log {k}": v for k, v in fit.items()}}
            for name, fit in slopes.items()]
