"""The transformer layers of a BERT-like model: finding them, and keeping only the first few.

Cutting a model to its first k layers is what several chapters do: the direct-fine-tuning baseline and the
successor of BERT-of-Theseus, the shallower matcher of the conditional-LayerNorm chapter, the small cipher
model of the desensitized-text chapter. :func:`keep_first_layers` does it in place, :func:`layers_path_of`
finds the layer list of any ``transformers`` encoder (BERT, RoBERTa, ELECTRA, ... or a named path).
"""

from __future__ import annotations

from torch import nn


def layers_path_of(model: nn.Module, layers_path: str | None = None) -> str:
    """Dotted name of the model's list of transformer layers, checked.

    By default the one ``nn.ModuleList`` whose name ends in ``encoder.layer`` (BERT, RoBERTa, ELECTRA, ...); other
    architectures name theirs with ``layers_path`` (e.g. ``"transformer.layer"`` for DistilBERT).
    """
    if layers_path is None:
        names = [name for name, m in model.named_modules()
                 if isinstance(m, nn.ModuleList) and (name == "encoder.layer" or name.endswith(".encoder.layer"))]
        if len(names) != 1:
            found = "no" if not names else f"{len(names)} ({names})"
            raise ValueError(
                f"{type(model).__name__} has {found} 'encoder.layer' list of transformer layers; pass "
                "layers_path='...' naming the nn.ModuleList of its layers (e.g. 'transformer.layer')")
        return names[0]
    try:
        layers = model.get_submodule(layers_path)
    except AttributeError:
        raise ValueError(f"{type(model).__name__} has no submodule {layers_path!r} (layers_path)") from None
    if not isinstance(layers, nn.ModuleList):
        raise ValueError(f"{layers_path!r} in {type(model).__name__} is not an nn.ModuleList of layers")
    return layers_path


def find_layers(model: nn.Module, layers_path: str | None = None) -> tuple[nn.Module, str]:
    """(parent module, attribute name) of the model's list of transformer layers (see :func:`layers_path_of`)."""
    parent_path, _, attribute = layers_path_of(model, layers_path).rpartition(".")
    return model.get_submodule(parent_path), attribute


def set_num_layers(model: nn.Module, num_layers: int) -> None:
    """Write the new depth into every config of ``model`` (``num_hidden_layers``)."""
    for module in model.modules():
        config = getattr(module, "config", None)
        if config is not None and hasattr(config, "num_hidden_layers"):
            config.num_hidden_layers = num_layers


def check_depth(model: nn.Module, available: int, wanted: int) -> None:
    """A clear error when ``wanted`` layers are asked of a model that has ``available``."""
    if not 1 <= wanted <= available:
        name = getattr(getattr(model, "config", None), "name_or_path", "") or type(model).__name__
        deeper = f", or choose a model with at least {wanted} layers (KEXUE_MODEL)" if wanted > available else ""
        raise ValueError(f"{name} has {available} transformer layers and {wanted} were asked for: ask for "
                         f"1..{available}{deeper}")


def keep_first_layers(model: nn.Module, num_layers: int, *, layers_path: str | None = None) -> nn.Module:
    """Keep only the first ``num_layers`` transformer layers of ``model``, in place; returns ``model``."""
    parent, attribute = find_layers(model, layers_path)
    layers = getattr(parent, attribute)
    check_depth(model, len(layers), num_layers)
    setattr(parent, attribute, nn.ModuleList(list(layers)[:num_layers]))
    set_num_layers(model, num_layers)
    return model
