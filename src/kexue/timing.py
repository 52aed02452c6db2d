"""One way to time forward passes: the models take turns, the device is synchronised around each pass.

    times = forward_times({"full": big, "small": small}, {"full": ids, "small": ids}, repeats=5)

Each round runs every model once, so a slow spell of a shared machine hits them all alike; the first round is a
warm-up and is not counted; on CUDA the clock reads only after ``torch.cuda.synchronize`` (kernels run
asynchronously, so without it a pass would seem to take the time of its launch). Returns the median per model.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable, Mapping

import torch


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (CUDA, MPS); nothing to wait for on the CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def _device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.inference_mode()
def forward_times(models: Mapping[Any, torch.nn.Module], inputs: Mapping[Any, Any] | Any, *, repeats: int = 5,
                  call: Callable[[torch.nn.Module, Any], Any] | None = None) -> dict:
    """Median seconds of one forward pass of each model (in eval mode, on its own device).

    ``inputs``: one input for all models, or a mapping with each model's own (same keys as ``models``); tensors
    move to the model's device before the clock starts. ``call(model, input)`` runs one pass (default
    ``model(input)``).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if not models:
        raise ValueError("no models to time")
    per_model = inputs if isinstance(inputs, Mapping) else {name: inputs for name in models}
    if missing := [name for name in models if name not in per_model]:
        raise ValueError(f"no input for the models {missing}")
    call = call or (lambda model, x: model(x))
    placed = {}
    for name, model in models.items():
        model.eval()
        device = _device_of(model)
        x = per_model[name]
        placed[name] = (device, x.to(device) if torch.is_tensor(x) else x)
    times: dict = {name: [] for name in models}
    for round_ in range(repeats + 1):
        for name, model in models.items():
            device, x = placed[name]
            synchronize(device)
            start = time.perf_counter()
            call(model, x)
            synchronize(device)
            if round_ > 0:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}
