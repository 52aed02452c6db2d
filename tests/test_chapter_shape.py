"""Chapters are prose and short library calls: no definitions in cells, lines that fit the page, one import
alias per module across the book, and no measured number typed into a sentence (it is glued from the run)."""

import re
import unicodedata
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(p for p in BOOK.glob("*.md") if p.read_text(encoding="utf-8").startswith("---\njupytext:"))
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.S | re.M)
MAX_LINE = 88  # columns the rendered page shows without a scroll bar


def width(line: str) -> int:
    """Columns the line takes on the page: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def cells(path: Path) -> list[str]:
    return CELL.findall(path.read_text(encoding="utf-8"))


def prose(path: Path) -> str:
    """The chapter's Markdown with code cells, front matter, math, code spans, roles, link targets, directives'
    option lines and comments removed: what is left is read as sentences and tables."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = CELL.sub("", text)
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)  # other fenced blocks
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", "", text)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", "", text)  # {glue:text}`x:.3f`, {cite}`key`, {doc}`page`
    text = re.sub(r"`[^`]*`", "", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets (URLs hold digits)
    text = re.sub(r"https?://\S+", "", text)
    return text


TYPED_NUMBER = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])|(?<![\w.])\d+(?:\.\d+)?\s?%|\d\s*±\s*\d")


def test_there_are_chapters():
    assert len(CHAPTERS) == 9


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_cells_define_nothing(chapter):
    found = [line.strip() for cell in cells(chapter) for line in cell.splitlines()
             if re.match(r"\s*(def|class|async def) \w", line) or re.search(r"\bconfig_key\(|\bcached\(", line)]
    assert not found, f"{chapter.name}: cells define functions or build cache keys (move them to src/kexue): {found}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_code_lines_fit_the_page(chapter):
    long = [line for cell in cells(chapter) for line in cell.splitlines() if width(line) > MAX_LINE]
    assert not long, f"{chapter.name}: {len(long)} code lines over {MAX_LINE} characters, e.g. {long[:2]}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_numbers_in_sentences_are_glued(chapter):
    lines = [line for line in prose(chapter).splitlines() if TYPED_NUMBER.search(line)]
    assert not lines, (f"{chapter.name}: decimals, percentages or 'x ± y' typed into the prose (glue them from the run "
                       f"with kexue.report.glue, or from the chapter's ARTICLE numbers): {lines[:3]}")


def test_one_alias_per_module_across_the_book():
    aliases: dict[str, set[str]] = {}
    for chapter in CHAPTERS:
        for cell in cells(chapter):
            for module, alias in re.findall(r"^\s*import ([\w.]+) as (\w+)", cell, re.M):
                aliases.setdefault(alias, set()).add(module)
            for package, names in re.findall(r"^\s*from ([\w.]+) import (.+)$", cell, re.M):
                for module, alias in re.findall(r"(\w+) as (\w+)", names):
                    aliases.setdefault(alias, set()).add(f"{package}.{module}")
    clashes = {alias: sorted(mods) for alias, mods in aliases.items() if len(mods) > 1}
    assert not clashes, f"one alias names different modules in different chapters: {clashes}"
    reused = [(c.name, a) for c in CHAPTERS for a in aliases
              if re.search(rf"^\s*{a}\s*=", "\n".join(cells(c)), re.M)]
    assert not reused, f"an import alias is also used as a variable name: {reused}"
