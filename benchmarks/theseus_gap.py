"""Does People's Daily tagging leave Theseus room? The record results/theseus-gap.json.

    python benchmarks/theseus_gap.py [--depths 12 6 3] [--seeds 0 1 2] [--steps 300] [--out DIR]

Theseus can only beat fine-tuning the first k layers where the whole fine-tuned encoder is clearly better than
those k layers at the same budget; on binary reviews it is not. This fine-tunes a token tagger (segmentation
and part of speech as B-/I- labels, :mod:`kexue.tagging`) on the first k layers of the encoder for each depth
and seed, the same steps, batch and rate for all, and prints the whole-minus-first-k difference in test accuracy
with its 95% paired-bootstrap interval over seeds and test sentences (:func:`kexue.theseus.depth_gap`).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict
from pathlib import Path

from kexue import theseus
from kexue.records import describe_device, write_record
from kexue.runtime import pick_device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="offline-zh")
    parser.add_argument("--depths", type=int, nargs="+", default=[12, 6, 3])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-train", type=int, default=4000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--out", type=Path, help="folder for the record (default: the repository's results/)")
    args = parser.parse_args()

    device = pick_device()
    task = theseus.TaggingTask(args.model, args.n_train, args.n_test, args.max_length, args.batch_size)
    start = time.perf_counter()
    accuracies = theseus.depth_gap(task, args.depths, args.seeds, steps=args.steps, lr=args.lr)
    rows = theseus.gap_rows(accuracies)
    numbers = {"rows": rows, "accuracy per seed": {str(n): acc.mean(1).tolist() for n, acc in accuracies.items()},
               "n_test_sentences": args.n_test}
    config = {**asdict(task), "depths": args.depths, "steps": args.steps, "lr": args.lr}
    path = write_record("theseus-gap", script="benchmarks/theseus_gap.py", device=describe_device(device),
                        wall_seconds=time.perf_counter() - start, seeds=args.seeds, config=config, numbers=numbers,
                        folder=args.out)
    for row in rows:
        print(row)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
