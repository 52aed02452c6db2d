"""Which CPU levers make the book's training and evaluation cheaper: measured ratios, not assumptions.

    python benchmarks/cpu_levers.py [--layers 6] [--batch 16] [--repeats 5]

On the book's typical workload, the first ``--layers`` layers of ``offline-zh`` with its vocabulary pruned to
the reviews' pieces and a mean-pooling classifier on reviews padded per batch, it times (``kexue.timing``):

* a training step (forward, backward, Adam) in fp32 and under bf16 autocast, with 1 and 2 threads;
* evaluation (no gradients) per review at batch sizes 32 / 64 / 128 / 512, fp32 and bf16 autocast, the reviews
  sorted by length or not.

Prints seconds and ratios against fp32 at 2 threads. A ratio is a lever only if it also keeps the results: bf16
changes the numbers, so adopting it in a chapter needs the chapter's claims rerun.
"""

from __future__ import annotations

import argparse
import contextlib

import torch
import torch.nn.functional as F

from kexue.data.reviews import load_reviews
from kexue.layers import keep_first_layers
from kexue.models import load_encoder
from kexue.text import MeanPoolClassifier, encode_texts, prune_vocab
from kexue.timing import call_times


def autocast(bf16: bool):
    return torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--n-eval", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    torch.manual_seed(0)
    reviews = load_reviews("train")[: args.n_eval]
    encoder = load_encoder("offline-zh")
    keep_first_layers(encoder.model, args.layers)
    (ids,) = prune_vocab(encoder, encode_texts(encoder, [t for t, _ in reviews], args.max_length))
    labels = torch.tensor([y for _, y in reviews])
    model = MeanPoolClassifier(encoder.base, 2, encoder.pad_id)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-5)
    batch, batch_y = ids[: args.batch], labels[: args.batch]

    def train_step(bf16: bool):
        def step():
            model.train()
            with autocast(bf16):
                loss = F.cross_entropy(model(batch), batch_y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return step

    rows = []
    for threads in (2, 1):
        torch.set_num_threads(threads)
        times = call_times({"fp32": train_step(False), "bf16": train_step(True)}, repeats=args.repeats)
        rows += [(f"training step, batch {args.batch}, {kind}, {threads} threads", t) for kind, t in times.items()]
    torch.set_num_threads(2)

    lengths = (ids != encoder.pad_id).sum(1)
    by_length = ids[lengths.argsort()]

    def evaluate(data: torch.Tensor, size: int, bf16: bool):
        @torch.inference_mode()
        def run():
            model.eval()
            with autocast(bf16):
                for start in range(0, len(data), size):
                    model(data[start : start + size])
        return run

    calls = {}
    for size in (32, 64, 128, 512):
        for bf16 in (False, True):
            calls[f"evaluation per review, batch {size}, {'bf16' if bf16 else 'fp32'}"] = evaluate(ids, size, bf16)
    calls["evaluation per review, batch 64, fp32, sorted by length"] = evaluate(by_length, 64, False)
    times = call_times(calls, repeats=max(1, args.repeats // 2))
    rows += [(name, t / len(ids)) for name, t in times.items()]

    reference = {"training": rows[0][1], "evaluation": times[f"evaluation per review, batch 64, fp32"] / len(ids)}
    print(f"offline-zh, first {args.layers} layers, reviews cut to {args.max_length} tokens, padded per batch")
    print(f"{'what':72s} {'ms':>9s} {'ratio':>7s}")
    for name, seconds in rows:
        base = reference["training" if name.startswith("training") else "evaluation"]
        print(f"{name:72s} {seconds * 1e3:9.2f} {base / seconds:7.2f}x")
    print("ratio: the reference (fp32, 2 threads; evaluation at batch 64) over this row's time; above 1 is faster")


if __name__ == "__main__":
    main()
