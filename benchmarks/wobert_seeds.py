"""WoBERT's "without losing accuracy" over several seeds and every dev review: the record results/wobert.json.

    python benchmarks/wobert_seeds.py [--out DIR]

The chapter's `book` sizes (written out below, checked against the chapter by the provenance line it prints)
through :func:`kexue.wobert.record_config`: every dev review, the seeds :data:`kexue.wobert.RECORD_SEEDS`, one
evaluation at the end, and only the character model and the word model with mean-of-characters rows, without
and with the continued masked-LM training. The paired
bootstrap over seeds and reviews gives the accuracy difference a 95% interval, judged as an equivalence claim
within ±1 point. On 2 CPU cores: about 7 minutes per seed, plus the masked-LM run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from kexue import load_encoder, wobert
from kexue.records import describe_device, write_record
from kexue.report import verdict
from kexue.runtime import pick_device

# the chapter's book profile (book/wobert.md, first cell)
BOOK_MLM = dict(model="offline-zh", words=20000, prune=True, n_texts=3000, n_held_out=128, n_train_reviews=2000,
                n_dev_reviews=300, steps=80, batch=16, max_length=48, lr=1e-4, eval_every=10, seed=0)
BOOK_FINE_TUNING = dict(steps=80, batch=16, max_length=64, lr=5e-5, eval_every=20, seeds=(0,))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="folder for the record (default: the repository's results/)")
    args = parser.parse_args()

    device = pick_device()
    book = wobert.SentimentConfig(mlm=wobert.MLMConfig(**BOOK_MLM), **BOOK_FINE_TUNING)
    config = wobert.record_config(book)
    words = wobert.select_words(load_encoder(config.mlm.model), config.mlm.words).words
    start = time.perf_counter()
    runs = wobert.sentiment_run(config, words, device=str(device))
    differences = {}
    for name in wobert.RECORD_WORD_MODELS:
        difference, low, high = runs.difference(name)
        differences[name] = {"difference": difference, "low": low, "high": high,
                             "verdict": verdict(low, high, margin=wobert.ACCURACY_MARGIN)}
    numbers = {"accuracies": {name: runs.correct(name).mean(1).tolist() for name in runs.predictions},
               "differences": differences, "margin": wobert.ACCURACY_MARGIN, "n_dev": int(runs.labels.numel())}
    path = write_record("wobert", script="benchmarks/wobert_seeds.py", device=describe_device(device),
                        wall_seconds=time.perf_counter() - start, seeds=list(config.seeds),
                        config=wobert.recorded(config), numbers=numbers, folder=args.out)
    for name, test in differences.items():
        print(f"{name} − characters: {test['difference']:+.4f} [{test['low']:+.4f}, {test['high']:+.4f}], "
              f"{test['verdict']} (margin ±{wobert.ACCURACY_MARGIN})")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
