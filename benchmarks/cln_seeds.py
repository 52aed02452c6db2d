"""Conditional LayerNorm over several seeds at the `book` profile's sizes: the record results/cln.json.

    python benchmarks/cln_seeds.py [--seeds 0 1 2] [--steps 360] [--max-length 96] [--eval-every 120] [--out DIR]

Runs :func:`kexue.cln.compare` (a conditional and a shared model, and the baselines) once per seed, each run
cached like the chapter's, so the chapter's own seed costs nothing when its build has run. Then the paired
bootstrap over seeds and test pairs (:func:`kexue.cln.comparison.difference_tests`) gives each compared difference
a 95% interval and a verdict. On 2 CPU cores one seed takes about 11 minutes.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from kexue import cln
from kexue.cln.comparison import difference_rows, difference_tests
from kexue.records import describe_device, write_record
from kexue.report import verdict
from kexue.runtime import pick_device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--model", default="offline-zh")
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--steps", type=int, default=360)
    parser.add_argument("--eval-every", type=int, default=120)
    parser.add_argument("--out", type=Path, help="folder for the record (default: the repository's results/)")
    args = parser.parse_args()

    device = pick_device()
    config = cln.MatchingConfig(conditional=True, model=args.model, layers=args.layers, max_length=args.max_length,
                                steps=args.steps, eval_every=args.eval_every)
    start = time.perf_counter()
    comparisons = []
    for seed in args.seeds:
        comparisons.append(cln.compare(replace(config, seed=seed), device=device))
        print(f"seed {seed} done after {time.perf_counter() - start:.0f} s")
    tests = difference_tests(comparisons)
    numbers = {
        "differences": difference_rows(tests),
        "tests": {key: {"compared with": best, "difference": d, "low": low, "high": high,
                        "verdict": verdict(low, high)} for key, (best, (d, low, high)) in tests.items()},
        "readings": {str(seed): c.readings() for seed, c in zip(args.seeds, comparisons)},
        "baselines": comparisons[0].baseline_scores(),
    }
    path = write_record("cln", script="benchmarks/cln_seeds.py", device=describe_device(device),
                        wall_seconds=time.perf_counter() - start, seeds=args.seeds, config=config.recorded(),
                        numbers=numbers, folder=args.out)
    for row in numbers["differences"]:
        print(f"{row['claim']}: {row['ours']}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
