"""The API reference page (book/api.md) documents every public module of kexue, each once."""

import importlib
import pkgutil
import re
from pathlib import Path

import kexue

PAGE = Path(__file__).resolve().parents[1] / "book" / "api.md"


def public_modules() -> list[str]:
    found = [m.name for m in pkgutil.walk_packages(kexue.__path__, "kexue.")
             if not any(part.startswith("_") for part in m.name.split("."))]
    return ["kexue", *found]


def test_every_public_module_is_on_the_api_page_once():
    listed = re.findall(r"^\.\. automodule:: (\S+)$", PAGE.read_text(encoding="utf-8"), re.M)
    assert sorted(listed) == sorted(set(listed)), "a module is listed twice"
    assert set(listed) == set(public_modules()), (
        f"missing from book/api.md: {sorted(set(public_modules()) - set(listed))}; "
        f"no longer in kexue: {sorted(set(listed) - set(public_modules()))}")


def test_packages_show_their_overview_and_modules_their_members():
    text = PAGE.read_text(encoding="utf-8")
    for name, option in re.findall(r"^\.\. automodule:: (\S+)\n   (:[\w-]+:)", text, re.M):
        is_package = hasattr(importlib.import_module(name), "__path__")
        assert option == (":no-members:" if is_package else ":members:"), name


def test_bars_in_docstrings_print_as_bars():
    from kexue.site.api import plain_bars

    assert plain_bars(["|A ∩ B| / |A ∪ B|, ``a | b`` kept"]) == [r"\|A ∩ B\| / \|A ∪ B\|, ``a | b`` kept"]


def test_chapters_link_modules_that_the_api_page_documents():
    listed = set(re.findall(r"^\.\. automodule:: (\S+)$", PAGE.read_text(encoding="utf-8"), re.M))
    for chapter in PAGE.parent.glob("*.md"):
        text = chapter.read_text(encoding="utf-8")
        unknown = set(re.findall(r"\{py:mod\}`([\w.]+)`", text)) - listed
        assert not unknown, f"{chapter.name} links modules the API page lacks: {sorted(unknown)}"
        bare = re.findall(r"`(?:src/)?kexue/[\w/.]+`", text)
        assert not bare, f"{chapter.name}: source paths without a link, write {{py:mod}}`kexue.x` instead: {bare}"
