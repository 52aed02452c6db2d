"""A training run through kexue.train, for tests/test_distributed.py: ``python distributed_job.py out.json`` in one
process, or ``accelerate launch --num_processes 2 --cpu distributed_job.py out.json`` across two. The main
process writes the final test accuracy and loss, and how many processes took part."""

import json
import sys

import torch
from accelerate import PartialState
from torch.utils.data import DataLoader, TensorDataset

from kexue.nets import mlp
from kexue.train import accuracy, cross_entropy_loss, train


def data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two Gaussian blobs in 8 dimensions, 1.5 apart along every axis."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    return torch.randn(n, 8, generator=g) + 1.5 * y[:, None].float(), y


if __name__ == "__main__":
    torch.manual_seed(0)
    x, y = data(2048, 0)
    x_test, y_test = data(1024, 1)
    model = mlp(8, 2, hidden=32, depth=2)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    history = train(model, cross_entropy_loss, loader, steps=150, lr=1e-2, progress=False, cpu=True,
                    evaluate=lambda m: {"accuracy": accuracy(m, x_test, y_test)}, eval_every=50)
    state = PartialState()
    if state.is_main_process:
        with open(sys.argv[1], "w") as f:
            json.dump({"accuracy": history.metric("accuracy")[-1], "loss": sum(history.losses[-20:]) / 20,
                       "processes": state.num_processes}, f)
