"""The replacement itself: a frozen predecessor cut into modules, a successor layer per module, a coin per module.

A predecessor with ``L`` layers is cut into ``n`` contiguous modules prd_1 .. prd_n (:func:`layer_groups`); the
successor has one layer scc_i per module. In each training forward pass every module draws

    r_i ~ Bernoulli(p),        y_i = r_i * scc_i(y_{i-1}) + (1 - r_i) * prd_i(y_{i-1}),

one draw for the whole batch, from the wrapper's own seeded generator (so the draws do not depend on, or
disturb, the global random state). In eval mode the successor alone runs.
"""

from __future__ import annotations

import copy
from typing import Sequence

import torch
from torch import nn

from ..layers import find_layers, layers_path_of


def layer_groups(num_layers: int, num_modules: int) -> list[list[int]]:
    """Split layers ``0..L-1`` into ``n`` contiguous modules, as even as possible.

    When ``n`` does not divide ``L`` the first ``L mod n`` modules get one layer more: 12 layers in 5 modules are
    ``[0,1,2] [3,4,5] [6,7] [8,9] [10,11]``.
    """
    if num_modules < 1:
        raise ValueError(f"the successor needs at least one layer, got num_modules={num_modules}")
    if num_modules >= num_layers:
        raise ValueError(
            f"num_modules={num_modules} must be smaller than the predecessor's {num_layers} layers: "
            "the successor is meant to be the smaller model")
    size, extra = divmod(num_layers, num_modules)
    groups, start = [], 0
    for i in range(num_modules):
        end = start + size + (1 if i < extra else 0)
        groups.append(list(range(start, end)))
        start = end
    return groups


def find_embeddings_owner(model: nn.Module, layers_path: str) -> str | None:
    """Dotted name of the nearest module above the layer list that has an ``embeddings`` module (None if none)."""
    parts = layers_path.split(".")[:-1]
    for i in range(len(parts), -1, -1):
        name = ".".join(parts[:i])
        if isinstance(getattr(model.get_submodule(name), "embeddings", None), nn.Module):
            return name
    return None


def check_rate(p: float) -> float:
    """``p`` as a float, refused unless it is a probability."""
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"the replacement rate p is a probability and must lie in [0, 1], got {p}")
    return p


class Theseus(nn.Module):
    """A frozen predecessor and a trainable ``n``-layer successor that replaces its modules at random.

    ``predecessor``: the fine-tuned model (any module with one list of transformer layers, see
    :func:`kexue.layers.find_layers`), called as ``predecessor(*args, **kwargs)``. ``num_modules``: ``n``, the
    successor's depth. ``init_layers``: the ``n`` predecessor layers the successor starts from (default
    ``0..n-1``). ``replace_embeddings``: give the successor its own copy of the embedding layer, drawn like one
    more module (Su's version). ``p``: the replacement rate. ``seed``: of the generator the draws come from.
    In training mode each forward pass draws ``r_i ~ Bernoulli(p)`` per module (one draw for the whole batch);
    in eval mode the successor alone runs. The predecessor is frozen in place (``requires_grad=False``) and
    shared, not copied.
    """

    def __init__(self, predecessor: nn.Module, num_modules: int, *, init_layers: Sequence[int] | None = None,
                 replace_embeddings: bool = False, p: float = 0.5, seed: int = 0, layers_path: str | None = None):
        super().__init__()
        # a path, not the module: a module stored as an attribute would be registered twice
        self.layers_path = layers_path_of(predecessor, layers_path)
        parent, attribute = find_layers(predecessor, self.layers_path)
        layers = getattr(parent, attribute)
        self.groups = layer_groups(len(layers), num_modules)
        init_layers = list(range(num_modules)) if init_layers is None else list(init_layers)
        if len(init_layers) != num_modules or not all(0 <= i < len(layers) for i in init_layers):
            raise ValueError(f"init_layers must list {num_modules} layer indices in 0..{len(layers) - 1}, "
                             f"got {init_layers}")
        self.embeddings_owner = find_embeddings_owner(predecessor, self.layers_path) if replace_embeddings else None
        if replace_embeddings and self.embeddings_owner is None:
            raise ValueError(f"replace_embeddings=True needs an 'embeddings' module above {self.layers_path!r}")
        self.predecessor = predecessor.requires_grad_(False)
        self.successor = nn.ModuleList(copy.deepcopy(layers[i]) for i in init_layers).requires_grad_(True)
        self.successor_embeddings = (
            copy.deepcopy(predecessor.get_submodule(self.embeddings_owner).embeddings).requires_grad_(True)
            if replace_embeddings else None)
        self.init_layers = init_layers
        self.p = p
        self.generator = torch.Generator().manual_seed(seed)
        self.last_draw: list[bool] = []

    @property
    def p(self) -> float:
        """The replacement rate: probability that a module is replaced by its successor layer."""
        return self._p

    @p.setter
    def p(self, value: float) -> None:
        self._p = check_rate(value)

    @property
    def num_modules(self) -> int:
        return len(self.groups)

    def draw(self) -> list[bool]:
        """One Bernoulli(p) draw per module (plus one for the embeddings when they are replaceable)."""
        count = self.num_modules + (self.successor_embeddings is not None)
        return (torch.rand(count, generator=self.generator) < self.p).tolist()

    def forward(self, *args, **kwargs):
        replaced = self.draw() if self.training else [True] * (self.num_modules + 1)
        self.last_draw = replaced
        parent, attribute = find_layers(self.predecessor, self.layers_path)
        predecessor_layers = getattr(parent, attribute)
        chosen = []
        for r, group, layer in zip(replaced, self.groups, self.successor):
            chosen.extend([layer] if r else [predecessor_layers[j] for j in group])
        setattr(parent, attribute, nn.ModuleList(chosen))
        if self.successor_embeddings is not None:
            owner = self.predecessor.get_submodule(self.embeddings_owner)
            embeddings = owner.embeddings
            if replaced[self.num_modules]:
                owner.embeddings = self.successor_embeddings
        try:
            return self.predecessor(*args, **kwargs)
        finally:  # put the predecessor back together, whatever happened
            setattr(parent, attribute, predecessor_layers)
            if self.successor_embeddings is not None:
                owner.embeddings = embeddings

    def successor_parameters(self) -> list[nn.Parameter]:
        """The parameters Theseus training updates: the successor layers (and embeddings)."""
        params = list(self.successor.parameters())
        if self.successor_embeddings is not None:
            params += list(self.successor_embeddings.parameters())
        return params
