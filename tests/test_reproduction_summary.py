"""The pieces behind the reproduction summary page (the page itself is checked in test_book_browser.py)."""

import re
from types import SimpleNamespace

from kexue.report import GLUE_KEY, claims_html, claims_table
from kexue.site.offline import _drop_duplicate_scripts
from kexue.site.summary import SUMMARY_BLOCK, _glue_keys, _read_summary_last, _reread_summary, summary_markdown

CLAIMS = [{"claim": "a < b & c", "article": 0.5, "ours": (0.4, 0.01)}, {"claim": "x", "article": "–", "ours": 1}]


def _cells(html: str) -> list[str]:
    return re.findall(r"<t[dh](?: [^>]*)?>(.*?)</t[dh]>", html)


def test_html_table_has_the_cells_of_the_markdown_table():
    md = claims_table(CLAIMS, setting="smoke, cpu <1 min>", digits=2).data
    html = claims_html(CLAIMS, setting="smoke, cpu <1 min>", digits=2)
    md_cells = [c.strip() for line in md.splitlines() if line.startswith("| ") for c in line.strip("|").split("|")]
    unescaped = [c.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") for c in _cells(html)]
    assert unescaped == md_cells == ["claim", "article", "ours", "a < b & c", "0.50", "0.40 ± 0.01", "x", "–", "1"]
    assert "<em>Measured with: smoke, cpu &lt;1 min&gt;</em>" in html


def test_summary_markdown_pastes_each_key_of_each_chapter():
    md = summary_markdown([("book/flooding", "Flooding", "flooding.md", [GLUE_KEY, f"{GLUE_KEY}-2"])])
    assert md.startswith("## Flooding\n\nFrom {doc}`/book/flooding`.")
    assert md.count("```{glue} kexue-claims") == 2 and md.count(":doc: flooding.md") == 2
    assert "No chapter" in summary_markdown([])


def test_the_summary_block_is_found_only_as_a_fence():
    page = "# Summary\n\nText about {claims-summary}.\n\n```{claims-summary}\n```\n"
    assert len(SUMMARY_BLOCK.findall(page)) == 1
    assert SUMMARY_BLOCK.sub("X", page).endswith("\n\nX\n")


def test_only_claims_keys_are_collected():
    env = SimpleNamespace(nb_metadata={"book/a": {"glue": ["other", GLUE_KEY, f"{GLUE_KEY}-2", f"{GLUE_KEY}-x"]}})
    assert _glue_keys(env, "book/a") == [GLUE_KEY, f"{GLUE_KEY}-2"]
    assert _glue_keys(env, "book/b") == []


def test_summary_is_reread_after_any_change_and_read_last():
    app = SimpleNamespace(config=SimpleNamespace(kexue_summary_page="book/reproduction"))
    env = SimpleNamespace(found_docs={"book/a", "book/reproduction"})
    assert _reread_summary(app, env, set(), {"book/a"}, set()) == ["book/reproduction"]
    assert _reread_summary(app, env, set(), set(), set()) == []
    docs = ["book/a", "book/reproduction", "book/z"]
    _read_summary_last(app, env, docs)
    assert docs == ["book/a", "book/z", "book/reproduction"]


def test_an_inline_script_listed_twice_is_dropped():
    script = lambda filename, body: SimpleNamespace(filename=filename, attributes={"body": body})  # noqa: E731
    scripts = [script(None, "const A = 1"), script("x.js", ""), script("", "const A = 1")]
    context = {"script_files": scripts}
    _drop_duplicate_scripts(None, "page", "page.html", context, None)
    assert [s.filename for s in context["script_files"]] == [None, "x.js"]


def test_a_pipe_in_a_cell_does_not_split_the_markdown_table():
    from kexue.report import markdown_table

    md = markdown_table([{"|difference|": "a|b"}]).data
    assert md.splitlines() == [r"| \|difference\| |", "|---|", r"| a\|b |"]
