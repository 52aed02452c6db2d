"""Do two executed builds show the same results? Compares the outputs of every code cell, chapter by chapter.

    python benchmarks/compare_builds.py _build/benchmark/cold _build/benchmark/warm [--ignore "seconds" ...]

Reads the executed notebooks that ``benchmarks/book_build.py --out DIR`` wrote (one ``<chapter>.ipynb`` per
chapter). For each chapter found in both folders, the text of each code cell's outputs (printed text, plain
text, Markdown, HTML tables, glued values; images and progress-bar widgets are left out) is compared line by line. Lines matching an
``--ignore`` pattern (a regular expression: wall times, speed measurements, progress bars) are dropped first.
Prints every differing line pair and, per chapter, ``same`` or the number of cells that differ; the exit status
is 1 when any chapter differs.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

TEXT_TYPES = ("text/plain", "text/markdown", "text/html")


def output_lines(cell: nbformat.NotebookNode, ignore: list[re.Pattern]) -> list[str]:
    """The text lines a code cell shows, without those matching an ``ignore`` pattern."""
    texts = []
    for output in cell.get("outputs", []):
        if "application/vnd.jupyter.widget-view+json" in output.get("data", {}):
            continue  # a progress bar: shown while a run trains, absent when it loads from the cache
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            texts.append(output.get("text", ""))
        for kind in TEXT_TYPES:
            value = output.get("data", {}).get(kind)
            if value is not None:
                texts.append(value if isinstance(value, str) else "".join(value))
    lines = [line.strip() for text in texts for line in text.splitlines() if line.strip()]
    return [line for line in lines if not any(p.search(line) for p in ignore)]


def compare(a: Path, b: Path, ignore: list[re.Pattern]) -> list[tuple[int, str, str]]:
    """(cell index, line in a, line in b) for every line where the two executed notebooks differ."""
    cells_a = [c for c in nbformat.read(a, as_version=4).cells if c.cell_type == "code"]
    cells_b = [c for c in nbformat.read(b, as_version=4).cells if c.cell_type == "code"]
    if len(cells_a) != len(cells_b):
        return [(-1, f"{len(cells_a)} code cells", f"{len(cells_b)} code cells")]
    differences = []
    for index, (x, y) in enumerate(zip(cells_a, cells_b)):
        lines_x, lines_y = output_lines(x, ignore), output_lines(y, ignore)
        for k in range(max(len(lines_x), len(lines_y))):
            left = lines_x[k] if k < len(lines_x) else "(none)"
            right = lines_y[k] if k < len(lines_y) else "(none)"
            if left != right:
                differences.append((index, left, right))
    return differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--ignore", nargs="*", default=[], help="regular expressions of lines to leave out")
    args = parser.parse_args()
    ignore = [re.compile(p) for p in args.ignore]
    common = sorted({p.name for p in args.a.glob("*.ipynb")} & {p.name for p in args.b.glob("*.ipynb")})
    if not common:
        sys.exit(f"no chapter executed in both {args.a} and {args.b}")
    differing = 0
    for name in common:
        differences = compare(args.a / name, args.b / name, ignore)
        for index, left, right in differences:
            print(f"{name} cell {index}:\n    - {left[:160]}\n    + {right[:160]}")
        cells = len({index for index, _, _ in differences})
        print(f"{Path(name).stem:28s} {'same' if not differences else f'{cells} cells differ'}")
        differing += bool(differences)
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
