"""A chapter that fails to execute fails the book build, and the build log shows the cell and the error.

The check builds a one-page copy of the book in a temporary folder with the project's own Makefile,
_config.yml and pyproject.toml (``.venv`` linked in): first with a deliberately broken cell, then with the
cell fixed, so the failure is known to come from the cell and not from the copy.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from myst_chapter import HEADER

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = HEADER + """
# A chapter with a broken cell

```{{code-cell}} ipython3
losses = [0.7, 0.5, 0.4]
```

```{{code-cell}} ipython3
{cell}
```
"""
BROKEN = 'raise RuntimeError(f"deliberately broken after {len(losses)} losses")'


def _build(book: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    return subprocess.run(["make", "-C", str(book), "book", "PROFILE=smoke"], capture_output=True, text=True,
                          env=env, timeout=600)


def _book_copy(tmp_path: Path) -> Path:
    book = tmp_path / "book-copy"
    (book / "book").mkdir(parents=True)
    for name in ["Makefile", "_config.yml", "pyproject.toml", "jupytext.toml", "book/references.bib",
                 "tools/system-packages"]:
        (book / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, book / name)  # copy2 keeps the times: make sees .venv as up to date
    (book / ".venv").symlink_to(ROOT / ".venv")
    (book / "_toc.yml").write_text("format: jb-book\nroot: book/broken\n")
    return book


def test_a_page_that_loads_from_another_host_fails_the_build(tmp_path):
    book = _book_copy(tmp_path)
    (book / "book" / "broken.md").write_text(
        CHAPTER.format(cell='from IPython.display import HTML\nHTML(\'<img src="https://example.org/x.png">\')'))
    failed = _build(book)
    log = re.sub(r"\x1b\[[0-9;]*m", "", failed.stdout + failed.stderr)
    assert failed.returncode != 0, log[-3000:]
    assert "book/broken.html loads from outside the book: https://example.org/x.png" in log


def test_a_failing_cell_fails_the_build_and_shows_the_error(tmp_path):
    book = _book_copy(tmp_path)
    chapter = book / "book" / "broken.md"

    chapter.write_text(CHAPTER.format(cell=BROKEN))
    failed = _build(book)
    log = re.sub(r"\x1b\[[0-9;]*m", "", failed.stdout + failed.stderr)  # without the colours
    assert failed.returncode != 0, log[-3000:]
    assert BROKEN in log, "the build log does not show the failing cell"
    assert "RuntimeError: deliberately broken after 3 losses" in log, "the build log does not show the error"
    assert "An error occurred while executing the following cell" in log
    assert "book/broken.md" in log, "the build log does not name the chapter"
    assert not (book / "_build/smoke/_build/html/book/broken.html").exists()

    chapter.write_text(CHAPTER.format(cell="print(min(losses))"))
    fixed = _build(book)
    assert fixed.returncode == 0, (fixed.stdout + fixed.stderr)[-3000:]
    assert (book / "_build/smoke/_build/html/book/broken.html").exists()
