"""The rendered book as a reader sees it: every page of the table of contents opened in headless Chromium.

Playwright drives Debian's ``chromium`` (``.ci/run`` installs it) against a local HTTP server over the built
HTML: by default the smoke book (``make book PROFILE=smoke``, which ``make test`` runs first); set
``KEXUE_BOOK_HTML=_build/html`` to check the book profile instead. Every request that leaves the built book
is refused (Playwright routing) and fails the page: the book must work with no network at all, formulas
typeset and widgets drawn by its own copies of MathJax and the widget manager. A full-page screenshot of every
page is kept under ``_build/screenshots/<build>/``.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from kexue.site.colab import book_ref, colab_url, read_repository

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = (ROOT / os.environ.get("KEXUE_BOOK_HTML", "_build/smoke/_build/html")).resolve()
SHOTS = ROOT / "_build" / "screenshots" / HTML.relative_to(ROOT / "_build").parts[0]
CHROMIUM = os.environ.get("KEXUE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]
REPOSITORY = read_repository(ROOT / "_config.yml")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _toc_pages() -> list[str]:
    """Docnames of _toc.yml, in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                pages.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", toc.get("chapters", [])))
    return pages


PAGES = _toc_pages()
CHAPTERS = [p for p in PAGES if (ROOT / f"{p}.md").read_text(encoding="utf-8").startswith("---\njupytext:")]


@pytest.fixture(scope="module")
def site() -> str:
    """Serve the built HTML on localhost; fail (not skip) when it is missing or older than its sources."""
    missing = [p for p in PAGES if not (HTML / f"{p}.html").exists()]
    if missing:
        pytest.fail(f"{HTML} lacks {', '.join(missing)}: build the book first with `make book PROFILE=smoke` "
                    "(`make test` does), or point KEXUE_BOOK_HTML at a built book")
    stale = [p for p in PAGES if (ROOT / f"{p}.md").stat().st_mtime > (HTML / f"{p}.html").stat().st_mtime]
    if stale:
        pytest.fail(f"{', '.join(stale)} changed after {HTML} was built: rebuild with `make book PROFILE=smoke`")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(HTML)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium with a fresh profile directory."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: `make venv` installs it (the test extra)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install chromium` (.ci/run does) or set KEXUE_CHROMIUM")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1280, "height": 900}, locale="en-US")
        yield context
        context.close()


class Visit:
    """One page load: what the console, the page and the network said."""

    def __init__(self, page, origin: str):
        self.page, self.origin = page, origin
        self.errors: list[str] = []  # uncaught exceptions and console errors of our own origin
        self.external: list[str] = []  # refused requests that leave the book
        self.failed: list[str] = []  # our own files that did not load
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("console", self._console)
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
        page.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.origin) or url.startswith("data:"):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def _console(self, message):
        source = message.location.get("url", "")
        if message.type == "error" and not (source and not source.startswith(self.origin)):
            if message.text.startswith("Failed to load resource") and not source:
                return  # the refused external requests, listed in self.external
            self.errors.append(f"console: {message.text} ({source})")


@pytest.fixture(scope="module")
def visit(site, browser):
    """Open a page once (cached): wait for it to load and settle, keep a full-page screenshot."""
    visits: dict[str, Visit] = {}

    def open_page(name: str, query: str = "") -> Visit:
        key = name + query
        if key not in visits:
            page = browser.new_page()
            record = Visit(page, site)
            page.goto(f"{site}/{name}.html{query}", wait_until="load")
            page.wait_for_load_state("networkidle")
            # MathJax typesets after loading: wait for it where the page has it
            page.evaluate("() => window.MathJax && window.MathJax.startup && window.MathJax.startup.promise")
            if not query:
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=SHOTS / f"{Path(name).name}.png", full_page=True)
            visits[key] = record
        return visits[key]

    yield open_page
    for record in visits.values():
        record.page.close()


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_without_errors(visit, name):
    v = visit(name)
    assert not v.errors, f"{name}: JavaScript errors: {v.errors}"
    assert not v.failed, f"{name}: files of the book that did not load: {v.failed}"
    assert not v.external, f"{name}: requests that leave the book: {sorted(set(v.external))}"
    broken = v.page.evaluate("""[...document.images].filter(i => new URL(i.src).origin === location.origin
                                 && !(i.complete && i.naturalWidth > 0)).map(i => i.src)""")
    assert not broken, f"{name}: images that did not load: {broken}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_shows_every_figure_and_links_its_notebook(visit, name):
    v = visit(name)
    # The figures the built HTML file holds (parsed, no script run) against those the browser drew.
    images, plots = v.page.evaluate("""async () => {
        const html = new DOMParser().parseFromString(await (await fetch(location.href)).text(), 'text/html');
        return [html.querySelectorAll('.cell_output img').length,
                html.querySelectorAll('.cell_output .plotly-graph-div').length]; }""")
    shown = v.page.evaluate("""[...document.querySelectorAll('.cell_output img')]  // widgets draw their own
                               .filter(i => !i.closest('.widget-subarea') && i.complete && i.naturalWidth > 0).length""")
    drawn = v.page.evaluate("""[...document.querySelectorAll('.cell_output .plotly-graph-div')]
                               .filter(d => d.querySelector('.main-svg')).length""")
    assert images + plots > 0, f"{name}: the chapter shows no figure"
    assert (shown, drawn) == (images, plots), (
        f"{name}: the page holds {images} images and {plots} plotly figures, the browser drew {shown} and {drawn}")
    badges = v.page.evaluate("""[...document.querySelectorAll('a')].filter(a => a.querySelector('img[alt="Open in Colab"]'))
                                .map(a => [a.href, a.querySelector('img').complete && a.querySelector('img').naturalWidth > 0,
                                           new URL(a.querySelector('img').src).origin === location.origin])""")
    chapter = Path(name).name
    assert badges == [[colab_url(REPOSITORY, chapter, book_ref()), True, True]], f"{name}: Colab badge {badges}"
    assert (ROOT / "notebooks" / f"{chapter}.ipynb").exists()
    raw = v.page.evaluate("[...document.querySelectorAll('.cell_output p')].filter(p => /\\|\\s*-{3,}\\s*\\|/.test(p.textContent))"
                          ".map(p => p.textContent.slice(0, 60))")
    assert not raw, f"{name}: Markdown tables printed as text instead of tables: {raw}"
    text = v.page.inner_text("main")
    assert re.search(r"Run time:[^\n]*smoke[^\n]*book[^\n]*full", text), f"{name}: no run time per profile"


@pytest.mark.parametrize("name", PAGES)
def test_formulas_are_typeset(visit, name):
    """Every formula Sphinx wrote (``.math``) holds MathJax's output, and no raw TeX delimiter is left in the
    page's text outside code."""
    page = visit(name).page
    formulas, typeset = page.evaluate("""[document.querySelectorAll('main .math').length,
        document.querySelectorAll('main .math mjx-container').length]""")
    assert typeset == formulas, f"{name}: {typeset} of {formulas} formulas typeset"
    raw = page.evaluate(r"""(() => {
        const walk = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
        const found = []; let node;
        while ((node = walk.nextNode())) {
            if (node.parentElement.closest('pre, code, script, style, .highlight')) continue;
            const m = node.data.match(/\\\(|\\\[|\$\$/);
            if (m) found.push(node.data.slice(Math.max(0, m.index - 20), m.index + 40));
        }
        return found; })()""")
    assert not raw, f"{name}: TeX left untypeset: {raw[:5]}"


def test_the_article_formulas_are_typeset_in_the_probing_chapter(visit):
    """The Perturbed Masking chapter defines f(x_i, x_j) in display math: it must be drawn, not raw text."""
    page = visit("book/perturbed-masking").page
    assert page.locator("main div.math mjx-container").count() >= 1
    assert page.locator("main span.math mjx-container").count() >= 10


@pytest.mark.parametrize("name", CHAPTERS)
def test_embedded_widgets_render(visit, name):
    """Each ipywidgets view the executed notebook embedded is drawn by the book's own widget manager."""
    page = visit(name).page
    views = page.evaluate("""async () => {
        const html = new DOMParser().parseFromString(await (await fetch(location.href)).text(), 'text/html');
        return html.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length; }""")
    if not views:
        return
    # html-manager draws each view into a .widget-subarea just before the view's script
    drawn = """[...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')]
        .filter(s => s.previousElementSibling && s.previousElementSibling.matches('.widget-subarea')
                     && s.previousElementSibling.querySelector('.jupyter-widgets')).length"""
    page.wait_for_function(f"{drawn} === {views}", timeout=10000)
    drawn = page.evaluate(drawn)
    assert drawn == views, f"{name}: {drawn} of {views} embedded widget views drawn"


def _cjk_fonts(v: Visit, limit: int = 12) -> list[tuple[str, int, dict[str, int]]]:
    """For up to ``limit`` elements whose own text has CJK characters: (text, CJK count, {font: glyphs})
    as Chromium reports the platform fonts it drew them with."""
    count = v.page.evaluate("""(limit) => {
        const cjk = /[\\u3400-\\u9fff\\uf900-\\ufaff]/;
        let n = 0;
        for (const el of document.querySelectorAll('main *')) {
            if (n >= limit || el.offsetParent === null) continue;
            const own = [...el.childNodes].filter(c => c.nodeType === 3).map(c => c.data).join('');
            if (cjk.test(own)) el.setAttribute('data-cjk-probe', n++);
        }
        return n;
    }""", limit)
    cdp = v.page.context.new_cdp_session(v.page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    found = []
    for i in range(count):
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": f'[data-cjk-probe="{i}"]'})["nodeId"]
        own = v.page.evaluate(f"""[...document.querySelector('[data-cjk-probe="{i}"]').childNodes]
                                  .filter(c => c.nodeType === 3).map(c => c.data).join('')""")
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        found.append((own.strip(), len(CJK.findall(own)), {f["familyName"]: f["glyphCount"] for f in fonts}))
    cdp.detach()
    return found


@pytest.mark.parametrize("name", ["book/getting-started", "book/perturbed-masking"])
def test_chinese_text_is_drawn_with_a_cjk_font(visit, name):
    """No tofu: every CJK character of the probed elements is drawn by a CJK font, not a fallback box."""
    probes = _cjk_fonts(visit(name))
    assert probes, f"{name}: no Chinese text found on the page"
    for text, n_cjk, fonts in probes:
        cjk_glyphs = sum(count for family, count in fonts.items() if "CJK" in family)
        assert cjk_glyphs >= n_cjk, f"{name}: {text[:40]!r} has {n_cjk} CJK characters, fonts used: {fonts}"


def test_impact_heatmap_reacts_to_hover_and_slider(visit):
    page = visit("book/perturbed-masking").page
    figure = page.locator(".cell_output .plotly-graph-div").first
    figure.scroll_into_view_if_needed()
    assert figure.locator(".hm image, .heatmaplayer image").count() > 0, "the heat map drew no image"
    # Hover an off-diagonal cell (the diagonal f(x_i, x_i) is left empty, and plotly labels no empty cell):
    # plotly shows a hover label with the cell's values.
    box = figure.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + 0.15 * box["width"], box["y"] + 0.55 * box["height"])
    label = figure.locator(".hoverlayer .hovertext")
    label.first.wait_for(state="visible", timeout=5000)
    assert label.first.text_content().strip(), "the hover label is empty"
    # Move the slider to its last step: the visible trace and the title change.
    state = "el => [el.layout.sliders[0].active, el._fullData.map(t => t.visible).join(), el.layout.title.text]"
    before = figure.evaluate(state)
    steps = figure.locator(".slider-container .slider-label-group")
    assert steps.count() > 1, "the heat map has no layer slider"
    rail = figure.locator(".slider-container .slider-rail-touch-rect").first.bounding_box()
    page.mouse.click(rail["x"] + rail["width"] - 2, rail["y"] + rail["height"] / 2)  # the rail's right end
    # plotly applies the step's restyle after the slider moves: wait for the visible trace to change
    page.wait_for_function("([el, was]) => el.layout.sliders[0].active > 0 && "
                           "el._fullData.map(t => t.visible).join() !== was",
                           arg=[figure.element_handle(), before[1]], timeout=5000)
    after = figure.evaluate(state)
    assert after[0] == steps.count() - 1 and after[1] != before[1], (before, after)


@pytest.mark.parametrize("name", CHAPTERS)
def test_search_finds_the_chapter_by_its_title(visit, name):
    title = visit(name).page.inner_text("main h1").strip().rstrip("#").strip()
    results = visit("search", f"?q={quote(title)}").page
    results.wait_for_selector("#search-results ul.search li", timeout=15000)
    hits = results.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.href)")
    assert any(h.split("#")[0].endswith(f"{name}.html") for h in hits), f"searching {title!r} gave {hits}"


def _plain(text: str) -> str:
    """Text without Sphinx's typography (curly quotes, which a pasted HTML table does not get) and extra spaces."""
    return " ".join(text.translate(str.maketrans("‘’“”", "''\"\"")).replace("…", "...").split())


def _claims(table: dict) -> tuple[str, list[list[str]]]:
    return _plain(table["setting"]), [[_plain(cell) for cell in row] for row in table["rows"]]


def test_summary_page_repeats_every_chapter_table(visit):
    """The reproduction summary carries each chapter's claims table, cell for cell, with its setting line."""
    read_tables = """root => [...root.querySelectorAll('p > em')].filter(e => e.textContent.startsWith('Measured with:'))
        .map(e => { let n = e.parentElement, table = null;
                    while (!table && (n = n.previousElementSibling)) table = n.matches('table') ? n : n.querySelector('table');
                    return {setting: e.textContent, rows: table ? [...table.querySelectorAll('tr')]
                            .map(r => [...r.children].map(c => c.textContent)) : []}; })"""
    summary = visit("book/reproduction").page
    pasted = summary.evaluate(f"({read_tables})(document.querySelector('main'))")
    expected = []
    for name in CHAPTERS:
        tables = visit(name).page.evaluate(f"({read_tables})(document.querySelector('main'))")
        expected += [_claims(t) for t in tables]
    assert expected, "no chapter shows an 'article says / we measured' table"
    assert [_claims(t) for t in pasted] == expected
    assert summary.locator(".kexue-claims").count() == len(expected)


def _probe_view(visit, index: int = -1):
    page = visit("book/perturbed-masking").page
    views = page.locator(".kexue-probe")
    assert views.count() >= 3, "the chapter shows the article's two sentences and a held-out one"
    view = views.nth(index)
    view.scroll_into_view_if_needed()
    return page, view


def _slide(view, name: str, value: int) -> None:
    view.locator(f"input.{name}").evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }",
                                           value)


def test_probe_view_threshold_slider_recuts_the_words_and_scores_them(visit):
    page, view = _probe_view(visit)
    words = lambda: view.locator(".seg-row").first.locator(".seg-word").all_text_contents()  # noqa: E731
    f1 = lambda: view.locator(".seg-f1").text_content()  # noqa: E731
    before, before_f1 = words(), f1()
    _slide(view, "threshold", 0)  # every scored pair at or above the lowest score: joined
    low = words()
    _slide(view, "threshold", 1000)  # only the highest pair joined
    high = words()
    assert len(low) < len(before) < len(high) or low != high, (low, before, high)
    assert "".join(low) == "".join(high) == "".join(before)
    assert f1() != before_f1 or low != before


def test_probe_view_layer_slider_moves_matrix_segmentation_and_tree_together(visit):
    page, view = _probe_view(visit)
    state = """v => [[...v.querySelectorAll('.heat-cell')].map(c => c.getAttribute('fill')).join(),
                    [...v.querySelectorAll('.seg-svg rect')].map(r => r.getAttribute('height')).join(),
                    [...v.querySelectorAll('.tree-node')].map(n => n.getAttribute('data-label')).join()]"""
    _slide(view, "layer", 0)
    first = view.evaluate(state)
    _slide(view, "layer", int(view.locator("input.layer").get_attribute("max")))
    last = view.evaluate(state)
    assert [a != b for a, b in zip(first, last)] == [True, True, True], "each panel follows the layer"


def test_probe_view_hover_shows_the_numbers_of_nodes_and_arcs(visit):
    page, view = _probe_view(visit)
    tip = view.locator(".kexue-tooltip")
    node = view.locator(".tree-node").first
    node.hover()
    tip.wait_for(state="visible", timeout=5000)
    assert "units" in tip.text_content() and ("gain" in tip.text_content() or "cost" in tip.text_content())
    view.locator("select.decoder").select_option("eisner")
    arc = view.locator(".dep-arc").first
    arc.scroll_into_view_if_needed()
    # the middle of the arc's stroke, on the screen (a curve's bounding box tells little of where it is)
    x, y = arc.evaluate("""a => { const p = a.getPointAtLength(a.getTotalLength() / 2);
        const m = a.getScreenCTM(); return [m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f]; }""")
    page.mouse.move(x, y)
    page.wait_for_function("t => t.style.display === 'block' && t.textContent.startsWith('head ')",
                           arg=tip.element_handle(), timeout=5000)
    assert re.match(r"head \S+ → dependent \S+: score [0-9.]+", tip.text_content()), tip.text_content()
    arcs = view.locator(".dep-arc").count()
    assert arcs == view.evaluate("v => v.querySelectorAll('.tree-svg text').length") - 1  # one per word, ROOT aside
