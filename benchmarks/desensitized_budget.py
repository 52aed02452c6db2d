"""Desensitized text: does a larger training budget let the PET matcher learn, and does rank alignment then win?

    python benchmarks/desensitized_budget.py [--layers 3] [--lr 1e-4] [--steps 1500] [--seeds 0 1 2]

Trains :func:`kexue.desensitized.experiment` (the chapter's data: People's Daily, loose criterion, short-short,
4,000 labelled pairs, held-out texts as unlabelled data) for every start and seed, then prints held-out ROC-AUC
(mean ± sd over seeds) at a few steps, and the per-seed gap rank alignment minus random map. Runs are cached like
the chapter's (:func:`kexue.desensitized.compare_inits`). Meant for a GPU: 12 runs of 1,500 steps with 3 layers take
about two minutes each on an H100 when twelve share it, and about 12 minutes each on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import statistics

from kexue import desensitized as ds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="offline-zh")
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--n-eval", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()

    data = ds.desensitized_matching("A", "short-short", n_train=4000, n_held_out=1000)
    conditions = [(init, True, seed) for seed in args.seeds for init in ds.INITS]
    results = ds.compare_inits(data, conditions, model=args.model, layers=args.layers, steps=args.steps,
                               lr=args.lr, batch_size=32, max_length=64, eval_every=args.eval_every,
                               n_eval=args.n_eval)
    steps = next(iter(results.values()))["steps"]
    shown = sorted({min(len(steps) - 1, i) for i in (2, len(steps) // 3, len(steps) - 1)})

    def cell(values: list[float]) -> str:
        return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}" if len(values) > 1 \
            else f"{values[0]:.3f}"

    print(f"{args.model}, {args.layers} layers, Adam {args.lr:g}, batch 32, seeds {args.seeds}; "
          f"id-overlap baseline {ds.overlap_auc(data.held_out[:args.n_eval]):.3f}")
    print("| start | " + " | ".join(f"AUC at step {steps[i]}" for i in shown) + " |")
    print("|---" * (len(shown) + 1) + "|")
    for init in ds.INITS:
        runs = [results[(init, True, s)]["auc"] for s in args.seeds]
        print(f"| {init} | " + " | ".join(cell([r[i] for r in runs]) for i in shown) + " |")
    for seed in args.seeds:
        gap = [a - b for a, b in zip(results[("rank-align", True, seed)]["auc"],
                                     results[("random-map", True, seed)]["auc"])]
        print(f"rank-align minus random-map, seed {seed}: " + " ".join(f"{g:+.3f}" for g in gap[1:]))


if __name__ == "__main__":
    main()
