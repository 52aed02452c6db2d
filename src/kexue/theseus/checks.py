"""The wrapper's properties checked on a trained predecessor (the unit tests check them on a small random
model): the draws, p = 0 is the predecessor, eval mode is the extracted successor, and the extracted successor
survives ``save_pretrained`` / ``from_pretrained``."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

import torch
from transformers import AutoModel

from ..text import MeanPoolClassifier
from ..train import accuracy
from .modules import Theseus
from .successor import extract_successor


@dataclass
class WrapperChecks:
    """What :func:`check_wrapper` found."""

    depth: int
    p: float
    groups: list[list[int]]
    draws: list[list[int]]  # four draws r_1..r_n, r_emb of a fresh wrapper
    rate_zero_is_predecessor: bool  # p = 0 in training mode, same dropout seed: exactly the predecessor
    eval_is_successor: bool  # eval mode equals the extracted successor
    reload_is_successor: bool  # ... also after save_pretrained / from_pretrained
    reloaded_layers: int
    untrained_accuracy: float  # test accuracy of the successor before any Theseus training

    @property
    def all_hold(self) -> bool:
        return self.rate_zero_is_predecessor and self.eval_is_successor and self.reload_is_successor

    def lines(self) -> list[str]:
        """The findings, one printed line each."""
        return [
            f"modules (predecessor layers): {self.groups}",
            f"draws r_1..r_n, r_emb at p = {self.p}: {self.draws}",
            f"p = 0, training mode: equals the predecessor: {self.rate_zero_is_predecessor}",
            f"eval mode: equals the extracted successor: {self.eval_is_successor}",
            f"after save_pretrained / from_pretrained: {self.reload_is_successor} ({self.reloaded_layers} layers)",
            f"untrained {self.depth}-layer successor, test accuracy: {self.untrained_accuracy:.3f}",
        ]


def check_wrapper(predecessor: MeanPoolClassifier, depth: int, x: torch.Tensor, x_test: torch.Tensor,
                  y_test: torch.Tensor, *, p: float = 0.5) -> WrapperChecks:
    """Wrap ``predecessor`` (a trained :class:`~kexue.text.MeanPoolClassifier`, left frozen and in eval mode)
    in a fresh ``depth``-layer :class:`Theseus` with replaceable embeddings and check it on the batch ``x``;
    the untrained successor's accuracy is measured on ``x_test``, ``y_test``."""
    device = next(predecessor.parameters()).device
    x = x.to(device)
    theseus = Theseus(predecessor, depth, p=p, replace_embeddings=True)
    draws = [[int(r) for r in theseus.draw()] for _ in range(4)]
    successor = extract_successor(theseus).eval()
    with tempfile.TemporaryDirectory() as folder:
        successor.base.save_pretrained(folder)
        reloaded = AutoModel.from_pretrained(folder)
    reloaded = MeanPoolClassifier(reloaded, successor.head.out_features, predecessor.pad_id).to(device).eval()
    reloaded.head.load_state_dict(successor.head.state_dict())
    with torch.no_grad():
        theseus.p = 0.0
        torch.manual_seed(0)
        mixed = theseus.train()(x)
        torch.manual_seed(0)
        original = predecessor.train()(x)
        rate_zero = torch.equal(mixed, original)
        eval_equal = torch.allclose(theseus.eval()(x), successor(x))
        reload_equal = torch.allclose(reloaded(x), successor(x), atol=1e-6)
    predecessor.eval()
    return WrapperChecks(
        depth=depth, p=p, groups=theseus.groups, draws=draws, rate_zero_is_predecessor=rate_zero,
        eval_is_successor=eval_equal, reload_is_successor=reload_equal,
        reloaded_layers=reloaded.base.config.num_hidden_layers,
        untrained_accuracy=accuracy(successor, x_test, y_test, batch_size=64))
