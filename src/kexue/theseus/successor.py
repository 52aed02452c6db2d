"""The smaller models: a copy with chosen layers (the successor on its own), or with the first ``k`` layers
(the direct-fine-tuning baseline of the article)."""

from __future__ import annotations

import copy
from typing import Sequence

from torch import nn

from ..layers import find_layers, keep_first_layers, layers_path_of, set_num_layers
from .modules import Theseus, find_embeddings_owner


def keep_layers(model: nn.Module, layers: Sequence[nn.Module], *, embeddings: nn.Module | None = None,
                layers_path: str | None = None) -> nn.Module:
    """A deep copy of ``model`` whose list of transformer layers is ``layers`` (copied too), its configs updated to
    the new depth; ``embeddings`` (copied) replaces the embedding module when given. All parameters trainable."""
    path = layers_path_of(model, layers_path)
    parent, attribute = find_layers(model, path)
    original = getattr(parent, attribute)
    setattr(parent, attribute, nn.ModuleList())  # so that the copy below does not copy the old layers
    try:
        smaller = copy.deepcopy(model)
    finally:
        setattr(parent, attribute, original)
    new_parent, _ = find_layers(smaller, path)
    replacement = nn.ModuleList(copy.deepcopy(list(layers)))
    setattr(new_parent, attribute, replacement)
    if embeddings is not None:
        owner = find_embeddings_owner(smaller, path)
        if owner is None:
            raise ValueError(f"{type(model).__name__} has no 'embeddings' module above {path!r} to replace")
        smaller.get_submodule(owner).embeddings = copy.deepcopy(embeddings)
    for i, layer in enumerate(replacement):  # transformers 5 layers know their index (used by caches)
        for module in layer.modules():
            if hasattr(module, "layer_idx"):
                module.layer_idx = i
    set_num_layers(smaller, len(replacement))
    return smaller.requires_grad_(True)


def first_layers(model: nn.Module, num_layers: int, *, layers_path: str | None = None) -> nn.Module:
    """A copy of ``model`` keeping only its first ``num_layers`` transformer layers (the direct-fine-tuning
    baseline of the article), all parameters trainable; ``model`` is untouched."""
    return keep_first_layers(copy.deepcopy(model), num_layers, layers_path=layers_path).requires_grad_(True)


def extract_successor(theseus: Theseus) -> nn.Module:
    """The successor as a standalone model of the predecessor's type: same head, ``n`` layers, trainable.

    Its forward equals ``theseus`` in eval mode. The ``transformers`` model inside (e.g. ``.base`` of a
    :class:`~kexue.text.MeanPoolClassifier`) saves with ``save_pretrained`` and loads with ``from_pretrained``.
    """
    return keep_layers(theseus.predecessor, list(theseus.successor), embeddings=theseus.successor_embeddings,
                       layers_path=theseus.layers_path)
