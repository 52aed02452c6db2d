"""kexue.site.prefill: chapters executed in parallel into the execution cache are not executed again by the build."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kexue.site import prefill
from myst_chapter import HEADER



def chapter(folder: Path, name: str, code: str) -> Path:
    path = folder / f"{name}.md"
    path.write_text(f"{HEADER}\n# Chapter {name}\n\n```{{code-cell}} ipython3\n{code}\n```\n", encoding="utf-8")
    return path


def marking_code(marks: Path, name: str) -> str:
    """A cell that appends one line (chapter, threads the kernel was given) to ``marks`` each time it runs."""
    return (f"import os\nwith open({str(marks)!r}, 'a') as f:\n"
            f"    f.write('{name} ' + os.environ.get('KEXUE_THREADS', '-') + '\\n')\nprint('ran {name}')")


def small_book(tmp_path: Path) -> tuple[Path, list[Path], Path]:
    book, marks = tmp_path / "book", tmp_path / "marks.txt"
    book.mkdir()
    (book / "_config.yml").write_text("title: t\nexecute:\n  execute_notebooks: cache\n  timeout: 120\n")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n- file: a\n- file: b\n")
    (book / "intro.md").write_text("# Intro\n")
    paths = [chapter(book, name, marking_code(marks, name)) for name in ("a", "b")]
    return book, paths, marks


def test_prefilled_chapters_are_not_executed_again_by_the_build(tmp_path):
    book, paths, marks = small_book(tmp_path)
    cache = book / "_build" / ".jupyter_cache"
    assert prefill.prefill(paths, cache, jobs=2, timeout=120, threads=1) == {}
    assert sorted(marks.read_text().split("\n")[:-1]) == ["a 1", "b 1"]  # each ran once, with 1 thread
    assert all(prefill.is_cached(cache, p) for p in paths)

    built = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(book)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    assert marks.read_text().count("\n") == 2  # the build executed nothing
    assert "ran a" in (book / "_build" / "html" / "a.html").read_text()  # and shows the cached outputs

    # an edited chapter is the only one executed again
    chapter(book, "b", marking_code(marks, "b") + "\nprint('edited')")
    assert [p.stem for p in paths if not prefill.is_cached(cache, p)] == ["b"]
    assert prefill.prefill(paths, cache, jobs=2, timeout=120, threads=1) == {}
    assert marks.read_text().split("\n")[:-1][2:] == ["b 1"]


def test_a_failing_chapter_is_reported_and_not_cached(tmp_path):
    book, paths, _ = small_book(tmp_path)
    broken = chapter(book, "c", "raise RuntimeError('chapter c is broken')")
    cache = book / "_build" / ".jupyter_cache"
    failures = prefill.prefill([*paths, broken], cache, jobs=2, timeout=120, threads=1)
    assert list(failures) == ["c"] and "chapter c is broken" in failures["c"]
    assert not prefill.is_cached(cache, broken) and all(prefill.is_cached(cache, p) for p in paths)


def test_longest_first_follows_the_record_and_keeps_unknown_chapters(tmp_path):
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"chapters": [{"chapter": "a", "wall_seconds": 5.0},
                                               {"chapter": "b", "wall_seconds": 50.0}]}))
    paths = [Path("a.md"), Path("new.md"), Path("b.md")]
    assert [p.stem for p in prefill.longest_first(paths, record)] == ["b", "a", "new"]
    assert prefill.longest_first(paths, None) == paths


def test_cell_timeout_reads_the_config(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("execute:\n  timeout: -1\n")
    assert prefill.cell_timeout(config) is None
    config.write_text("execute:\n  timeout: 3600\n")
    assert prefill.cell_timeout(config) == 3600
