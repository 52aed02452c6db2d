"""Timing: forward passes of models taking turns (device synchronised), and where a build's time goes (phases).

    times = forward_times({"full": big, "small": small}, {"full": ids, "small": ids}, repeats=5)
    times = call_times({"fp32": step, "bf16": step_bf16}, repeats=5)   # any calls, e.g. training steps

Each round runs every model once, so a slow spell of a shared machine hits them all alike; the first round is a
warm-up and is not counted; on CUDA the clock reads only after ``torch.cuda.synchronize`` (kernels run
asynchronously, so without it a pass would seem to take the time of its launch). Returns the median per model.

    with phase("training"): ...      # or @phase("model loading") on a function
    phase_seconds()                  # {"training": 12.3, "model loading": 4.0, ...} since the process started

The library marks its phases itself: model loading, data, training, inference (forward passes without gradients:
the evaluations during training, predictions, embeddings, impact matrices) and the artefact cache. A block inside
another counts for the inner phase only, so the totals add up to at most the wall time. ``benchmarks/book_build.py``
reads them after each chapter.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping

import torch


_SECONDS: defaultdict[str, float] = defaultdict(float)
_OPEN: list[list] = []  # [phase, start of its current stretch], innermost last


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Count the wall time of the block (or of each call, as a decorator) as phase ``name``; while an inner
    phase runs, the outer one's clock stops."""
    now = time.perf_counter()
    if _OPEN:
        _SECONDS[_OPEN[-1][0]] += now - _OPEN[-1][1]
    _OPEN.append([name, now])
    try:
        yield
    finally:
        now = time.perf_counter()
        _, start = _OPEN.pop()
        _SECONDS[name] += now - start
        if _OPEN:
            _OPEN[-1][1] = now


def phase_seconds() -> dict[str, float]:
    """Seconds spent in each phase so far in this process (phases still open count up to now)."""
    totals = dict(_SECONDS)
    if _OPEN:
        name, start = _OPEN[-1]
        totals[name] = totals.get(name, 0.0) + time.perf_counter() - start
    return totals


def reset_phases() -> None:
    """Start the phase totals from zero (open phases keep running from now)."""
    _SECONDS.clear()
    now = time.perf_counter()
    for entry in _OPEN:
        entry[1] = now


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (CUDA, MPS); nothing to wait for on the CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def _device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def call_times(calls: Mapping[Any, Callable[[], Any]], *, repeats: int = 5,
               devices: Mapping[Any, torch.device] | None = None) -> dict:
    """Median seconds of each of ``calls`` (no arguments), taking turns: round 0 is a warm-up, then ``repeats``
    rounds each run every call once; ``devices[name]`` (default CPU) is synchronised around its call."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if not calls:
        raise ValueError("nothing to time")
    devices = devices or {}
    times: dict = {name: [] for name in calls}
    for round_ in range(repeats + 1):
        for name, fn in calls.items():
            device = devices.get(name, torch.device("cpu"))
            synchronize(device)
            start = time.perf_counter()
            fn()
            synchronize(device)
            if round_ > 0:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


@torch.inference_mode()
def forward_times(models: Mapping[Any, torch.nn.Module], inputs: Mapping[Any, Any] | Any, *, repeats: int = 5,
                  call: Callable[[torch.nn.Module, Any], Any] | None = None) -> dict:
    """Median seconds of one forward pass of each model (in eval mode, on its own device; :func:`call_times`).

    ``inputs``: one input for all models, or a mapping with each model's own (same keys as ``models``); tensors
    move to the model's device before the clock starts. ``call(model, input)`` runs one pass (default
    ``model(input)``).
    """
    if not models:
        raise ValueError("no models to time")
    per_model = inputs if isinstance(inputs, Mapping) else {name: inputs for name in models}
    if missing := [name for name in models if name not in per_model]:
        raise ValueError(f"no input for the models {missing}")
    call = call or (lambda model, x: model(x))
    calls, devices = {}, {}
    for name, model in models.items():
        model.eval()
        devices[name] = _device_of(model)
        x = per_model[name]
        x = x.to(devices[name]) if torch.is_tensor(x) else x
        calls[name] = lambda model=model, x=x: call(model, x)
    return call_times(calls, repeats=repeats, devices=devices)
