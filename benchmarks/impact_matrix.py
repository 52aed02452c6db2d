"""Impact matrix speed: the paper's per-token loop vs kexue's distinct-inputs version vs a bare forward.

    python benchmarks/impact_matrix.py [--lengths 16 32 64] [--model offline-zh] [--layers -1 4]

For each sentence length n (units = the first n characters of People's Daily test text) and layer:

* reference -- :func:`kexue.probing.impact_matrix_reference`, LividWo's loop: n batches of n sequences (n^2);
* ours      -- :func:`kexue.probing.impact_matrix`: the n(n+1)/2 distinct masked inputs, stopping at the layer;
* bare      -- the encoder alone over those n(n+1)/2 inputs (built beforehand, same batches and depth):
               the floor for ours.

Times are one run each after a warm-up, in seconds; memory is the peak resident-set growth during the call
(sampled every 2 ms from /proc/self/statm after malloc_trim; on CUDA the peak allocated memory instead). DESIGN.md's targets
at n = 32: reference/ours >= 1.8 at the last layer and >= 4 at layer 4, |diff| < 1e-4, ours within 15% of bare.
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import os
import threading
import time
from typing import Callable

import torch

from kexue import load_encoder
from kexue.data.peoples_daily import load_peoples_daily
from kexue.probing import impact_matrix, impact_matrix_reference, pair_count
from kexue.probing.segment import split_units

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def release_free_memory() -> None:
    """Hand freed heap pages back to the OS (glibc), so that one call's growth does not hide the next's."""
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def measure(call: Callable[[], object], device: torch.device) -> tuple[float, float, object]:
    """(seconds, peak extra memory in MiB, result) of one call."""
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        release_free_memory()
        base = rss()
    peak = [base]
    running = True

    def sample() -> None:
        while running:
            peak[0] = max(peak[0], rss())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    if device.type != "cuda":
        sampler.start()
    start = time.perf_counter()
    result = call()
    if device.type == "cuda":
        torch.cuda.synchronize()
        peak[0] = torch.cuda.max_memory_allocated()
    seconds = time.perf_counter() - start
    running = False
    if sampler.is_alive():
        sampler.join()
    return seconds, (peak[0] - base) / 2**20, result


def distinct_inputs(encoder, units: list[str]) -> torch.Tensor:
    """The n(n+1)/2 masked inputs impact_matrix runs: single masks {i}, then pairs {i < j}."""
    input_ids, spans = encoder.encode(units)
    masks = [(i,) for i in range(len(units))] + [(i, j) for i in range(len(units)) for j in range(i + 1, len(units))]
    batch = input_ids.repeat(len(masks), 1)
    for b, mask in enumerate(masks):
        for unit in mask:
            batch[b, spans[unit][0] : spans[unit][1]] = encoder.mask_id
    return batch.to(encoder.device)


def bare_forward(encoder, inputs: torch.Tensor, layer: int, batch_size: int) -> None:
    """The encoder alone over ``inputs``, stopping at hidden state ``layer`` as impact_matrix does."""
    depth = layer % (encoder.num_layers + 1)
    with torch.inference_mode(), encoder.truncated(depth):
        for start in range(0, len(inputs), batch_size):
            encoder.base(input_ids=inputs[start : start + batch_size])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--layers", type=int, nargs="+", default=[-1, 4])
    parser.add_argument("--model", default="offline-zh")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    torch.set_num_threads(os.cpu_count() or 1)
    encoder = load_encoder(args.model)
    device = encoder.device
    text = "".join(s.text for s in load_peoples_daily("test")[:200])
    pool = [u for u in split_units(text)[0] if len(u) == 1]
    print(f"{encoder!r} on {device}, {torch.get_num_threads()} threads, batch {args.batch_size}")
    impact_matrix(encoder, pool[:8])  # warm-up

    header = "   n  layer  inputs ref/ours  reference s   ours s   bare s  ref/ours  bare/ours  max|diff|  MiB ref/ours"
    print(header)
    print("-" * len(header))
    for n in args.lengths:
        units = pool[:n]
        inputs = distinct_inputs(encoder, units)
        for layer in args.layers:
            ours_call = functools.partial(impact_matrix, encoder, units, layer, batch_size=args.batch_size)
            t_ours, m_ours, ours = measure(ours_call, device)
            t_bare, _, _ = measure(functools.partial(bare_forward, encoder, inputs, layer, args.batch_size), device)
            t_ref, m_ref, ref = measure(functools.partial(impact_matrix_reference, encoder, units, layer), device)
            diff = abs(ours - ref).max()
            print(
                f"{n:4d}  {layer:5d}  {n * n:6d}/{pair_count(n):<5d}  {t_ref:10.2f}  {t_ours:7.2f}  {t_bare:7.2f}"
                f"  {t_ref / t_ours:8.2f}  {t_bare / t_ours:9.2f}  {diff:9.1e}  {m_ref:5.0f}/{m_ours:<5.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
