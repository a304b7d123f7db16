"""The built site, opened in a real browser (headless Debian Chromium driven by Playwright).

For every page of the site: it loads, shows no Python traceback or error output, every image
loads with a non-zero size, every internal link resolves to a file of the site, no request
leaves the machine and no local request fails (HTTP >= 400). The landing page reaches every
chapter in one click, opens with the data it ran on and shows the findings records (the gate:
no failed check as a headline). Math is typeset by the bundled MathJax; every chapter offers
its notebook for download, ends with key findings rendered from its records and keeps its
provenance cell collapsed. A full-page screenshot of each page is saved to
``<build>/screenshots/``.

Chromium comes from Debian (``make test`` installs it when missing and it can, as root). Where
it is missing the tests are skipped, except in CI (``CI=true``), where a missing browser fails.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from kuailive_analysis import config
from kuailive_analysis.app import chapters as chs
from kuailive_analysis.chapter import findings as F

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]

pytestmark = pytest.mark.slow


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser():
    path = _chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI: `make test` should have installed it")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture(scope="module")
def site(built_site):
    """Serve the built site on 127.0.0.1 (a random free port) for the module's tests."""
    root = built_site.parent
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def _pages(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.html")
        if "_static" not in p.parts and "_sources" not in p.parts
    )


def _open(browser, url: str):
    """Open ``url``; return (page, external_requests, failed_requests).

    Failed requests include local responses with HTTP status >= 400 (a missing asset)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    external: list[str] = []
    failed: list[str] = []

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on(
        "response",
        lambda r: failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None,
    )
    response = page.goto(url)
    assert response is not None and response.ok, f"{url} did not load"
    page.wait_for_load_state("networkidle")
    return page, external, failed


def test_every_page_renders_cleanly_offline(browser, site):
    root, base = site
    shots = config.build_dir() / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    pages = _pages(root)
    assert len(pages) >= 7, pages
    for rel in pages:
        url = urljoin(base, rel)
        page, external, failed = _open(browser, url)
        text = page.inner_text("body")
        if "Traceback (most recent call last)" in text:
            problems.append(f"{rel}: shows a Python traceback")
        n_err = page.locator(".output.error, .output.traceback").count()
        if n_err:
            problems.append(f"{rel}: {n_err} error output(s)")
        stderr = page.locator(".output.stderr").all_inner_texts()
        bad = [s for s in stderr if "Error" in s or "Warning" in s]
        if bad:
            problems.append(f"{rel}: stderr output {bad[0][:200]!r}")
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.getAttribute('src'), e.complete, e.naturalWidth])"
        )
        for src, complete, width in images:
            if not complete or not width:
                problems.append(f"{rel}: image {src} did not load")
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for href in hrefs:
            parsed = urlparse(href)
            if parsed.hostname not in ("127.0.0.1", "localhost"):
                continue
            target = root / parsed.path.lstrip("/")
            if parsed.path.endswith("/"):
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{rel}: broken internal link {parsed.path}")
        if external:
            problems.append(f"{rel}: requests leaving the machine: {sorted(set(external))[:3]}")
        real_failures = [u for u in failed if u not in external]
        if real_failures:
            problems.append(f"{rel}: failed requests {real_failures[:3]}")
        page.screenshot(path=str(shots / (rel.replace("/", "__") + ".png")), full_page=True)
        page.close()
    assert not problems, "\n".join(problems)
    assert len(list(shots.glob("*.png"))) == len(pages)


def test_landing_page_reaches_every_chapter_in_one_click(browser, site):
    root, base = site
    page, _, _ = _open(browser, urljoin(base, "index.html"))
    assert page.url.rstrip("/").endswith(("intro.html", "index.html"))
    hrefs = {
        urlparse(h).path
        for h in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    }
    for ch in chs.all_chapters():
        assert any(h.endswith(f"/book/chapters/{ch.name}.html") for h in hrefs), (
            f"no link from the landing page to {ch.name}"
        )
    page.close()


def _words(text: str) -> str:
    """Text as the page shows it, for comparing with a record's markdown: no markup, straight
    quotes (Sphinx's smartquotes), single spaces."""
    for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(a, b)
    text = text.replace("\u2013", "--").replace("\u2014", "---").replace("\u2026", "...")
    return " ".join(re.sub(r"[*`_]", "", text).split())


def test_landing_page_shows_the_data_first_and_findings_from_the_records(browser, site):
    root, base = site
    page, _, _ = _open(browser, urljoin(base, "book/intro.html"))
    text = page.inner_text("article")
    assert "{glue" not in text and "{{" not in text, "unresolved glue or substitution"
    assert "generated: " not in page.content(), "a landing-page marker was left in the page"
    first = page.locator("article .admonition").first.inner_text()
    assert "This edition ran on synthetic data" in first and "seed 7" in first
    assert text.index("synthetic data") < text.index("Headlines")
    doc = json.loads((root.parent / "executed" / "findings.json").read_text())
    records = [F.from_dict(r) for r in doc["findings"]]
    top = _words(page.locator("section#headlines").inner_text())
    cannot = _words(page.locator("section#what-this-data-cannot-tell-us-yet").inner_text())
    checks = _words(page.locator("section#edition-checks").inner_text())
    policy = F.headlines(records, twin=True)
    for f in records:
        if f in policy:
            assert _words(f.statement) in top, f"headline {f.key} not on the landing page"
        else:
            assert _words(f.statement) not in top, f"{f.key} ({f.status}) a headline"
        if f in F.edition_checks(records):
            assert _words(f.statement) in checks, f"{f.key} not among the edition checks"
        elif not f.shown:
            assert _words(f.question) in cannot, f"{f.key} not asked as an open question"
            assert _words(f.reason) in cannot, f"{f.key} not listed with its reason"
    for word in ("How this edition was built", "seed 7", "pandas", "Site built"):
        assert word in text, f"landing page lacks {word!r}"
    page.close()


def test_math_is_typeset_offline(browser, site):
    root, base = site
    page, external, failed = _open(browser, urljoin(base, "book/chapters/04_ltv.html"))
    page.wait_for_selector("mjx-container", timeout=15_000)
    boxes = page.eval_on_selector_all(
        "mjx-container", "els => els.map(e => e.getBoundingClientRect().width)"
    )
    assert boxes and all(w > 0 for w in boxes), boxes
    assert not page.locator("mjx-merror").count(), "MathJax reported a TeX error"
    fonts = page.evaluate(
        "() => [...document.fonts].filter(f => f.family.includes('MJX')).map(f => f.status)"
    )
    assert "error" not in fonts, fonts
    assert not external and not failed, (external, failed)
    page.close()


@pytest.mark.parametrize("chapter", chs.all_chapters(), ids=lambda c: c.name)
def test_chapter_page_has_findings_collapsed_provenance_and_download(browser, site, chapter):
    root, base = site
    page, _, _ = _open(browser, urljoin(base, f"book/chapters/{chapter.name}.html"))
    headings = page.locator("article h2").all_inner_texts()
    assert any(h.startswith("Key findings") for h in headings), headings
    # Key findings are rendered from the chapter's records (findings.json): validated claims
    # as results, then the checks of the method and the edition (passed or not, with the
    # reason), then the other claims only under "What this data cannot tell us (yet)"
    text = _words(page.locator("section#key-findings").inner_text())
    cut = text.rfind("What this data cannot tell us (yet)")  # the list after the results
    doc = json.loads((root.parent / "executed" / "findings.json").read_text())
    records = [F.from_dict(r) for r in doc["findings"] if r["notebook"] == chapter.name]
    assert records, f"{chapter.name} glued no findings"
    checks = F.edition_checks(records)
    if not [f for f in records if f not in checks and not f.shown]:
        cut = len(text)  # no open question: the heading is only named in the chapter's prose
    for f in records:
        if f in checks:
            head = text[:cut]
            assert _words(f.statement) in head, f"{f.key} not among the checks"
            assert _words(f.reason) in head, f"{f.key}: the check's reason is not shown"
        elif f.shown:
            assert _words(f.statement) in text, f"{f.key} not among the key findings"
        else:
            assert cut >= 0 and _words(f.statement) not in text[:cut], f"{f.key} shown"
            assert _words(f.reason) in text[cut:], f"{f.key} not listed with its reason"
    prov = page.locator(".cell.tag_hide-input.tag_hide-output").last
    assert prov.count() == 1, "no collapsed provenance cell"
    assert not prov.get_by_text("executed at").is_visible(), "provenance is not collapsed"
    prov.locator("summary", has_text="output").first.click()
    page.wait_for_timeout(300)
    assert prov.get_by_text("executed at").first.is_visible(), "provenance does not expand"
    hrefs = page.eval_on_selector_all("a[href$='.ipynb']", "els => els.map(e => e.href)")
    assert any(urlparse(h).path.endswith(f"/{chapter.name}.ipynb") for h in hrefs), (
        "no notebook download link"
    )
    target = root / urlparse(hrefs[0]).path.lstrip("/")
    assert target.exists() and target.stat().st_size > 0
    page.close()
