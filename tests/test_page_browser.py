"""The published pages in a real browser: Debian's headless Chromium renders them, and
the tests read back the DOM it built, its console, screenshots at desktop and phone
widths, the print layout (and a PDF), and what axe-core, the accessibility engine, finds
in each language's page at each width.

Chromium runs two ways: from its command line (`--dump-dom`, as a user's script would)
and driven through the DevTools protocol by Playwright for Python, launched with
`executable_path` on Debian's Chromium (Playwright's own browser download is not used).
axe-core comes from npm into tests/browser/node_modules (`make browser` installs it).

Without Chromium or axe-core the tests skip, unless CI is set: CI installs both, so
there their absence is a failure, not a silent skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, Repo
from test_publish import CHAINED, HOSTILE, OWN_ANNOUNCED, Page, own_history, own_registry, publish

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0",
]
# Chromium logs each console message of a page as: ...:CONSOLE:12] "message", source: URL (12)
CONSOLE = re.compile(r":CONSOLE[^\]]*\] \"(?P<message>.*)\", source: (?P<source>\S*)")
PNG = b"\x89PNG\r\n\x1a\n"
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
PAGES = {"en": "index.html", "fr": "index.fr.html"}


def _missing(what: str, how: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed, and CI must run the browser tests: {how}")
    pytest.skip(f"{what} is not installed ({how}); with CI set, this test fails instead")


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    _missing("Chromium", "apt-get install -y chromium")
    raise AssertionError("unreachable")


def axe_source() -> str:
    if not AXE.is_file():
        _missing("axe-core", "make browser (npm install in tests/browser)")
    return AXE.read_text(encoding="utf-8")


@dataclass
class Rendered:
    dom: str
    console: list[str]  # console messages whose source is the page


def render(page: Path, profile: Path, *extra: str) -> Rendered:
    """Open `page` in headless Chromium with `extra` flags (--dump-dom, --screenshot=...)."""
    url = page.resolve().as_uri()
    proc = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True, text=True, timeout=180, check=False,
        env={**os.environ, "HOME": str(profile)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    console = [m["message"] for m in CONSOLE.finditer(proc.stderr) if m["source"].startswith(url)]
    return Rendered(proc.stdout, console)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, driven through the DevTools protocol by Playwright."""
    path = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page, all rules of its default set (WCAG 2.x A and
    AA, and best practices). Evaluated through the DevTools protocol, which the page's
    Content-Security-Policy (no script at all) does not govern."""
    page.evaluate(axe_source())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["html"][:120] for n in v["nodes"]][:3]} for v in result["violations"]]


@pytest.mark.parametrize(("head", "expected"), [
    # a stylesheet the page's CSP does not allow (what a wrong style hash would do)
    ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">', "Content Security Policy"),
    ("", "Uncaught ReferenceError"),
])
def test_console_detection_catches_a_broken_page(tmp_path: Path, head: str, expected: str) -> None:
    """The console check below must not pass vacuously: a page with errors is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text(f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title>{head}'
                   '<style>p { color: red }</style></head><body><p>x</p>'
                   '<script>undefinedFunction()</script></body></html>', encoding="utf-8")
    seen = render(bad, tmp_path / "profile", "--dump-dom").console
    assert any(expected in m for m in seen), seen


def test_axe_catches_an_inaccessible_page(browser: Any, tmp_path: Path) -> None:
    """The accessibility check must not pass vacuously: axe-core finds what is wrong."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><title>t</title></head><body><img src="x.png">'
                   '<p style="color:#999;background:#aaa">faint</p></body></html>', encoding="utf-8")
    page = browser.new_page()
    page.goto(bad.resolve().as_uri())
    found = {(v["id"], v["impact"]) for v in axe(page)}
    page.close()
    assert {("html-has-lang", "serious"), ("image-alt", "critical"), ("color-contrast", "serious")} <= found


@pytest.fixture
def own_site(installed: Any, tmp_path: Path) -> Path:
    """This repository's page as the installed subreg publishes it on the day the five
    chains were announced: every entry in force in its table, the chains pending."""
    repo = own_history(tmp_path)
    site = tmp_path / "site"
    publish(installed, repo.path, site, today=OWN_ANNOUNCED)
    return site


def test_page_in_chromium(own_site: Path, tmp_path: Path) -> None:
    for lang, name in PAGES.items():
        rendered = render(own_site / name, tmp_path / f"profile-{lang}", "--dump-dom")
        assert rendered.console == []
        dom = Page(rendered.dom)
        assert dom.lang == lang and dom.errors == []
        assert dom.all("script") == []
        # every subprocessor of this repository in its table, with the values in force
        for tier, names in own_registry().items():
            assert dom.names(f"{lang}-{tier}") == names, (lang, tier)
        assert f"{lang}-core" not in dom.chains
        # the pending change kept in its table, and listed under upcoming changes
        assert len(dom.notes[f"{lang}-core"]) == 5
        assert dom.names(f"{lang}-upcoming") == sorted(CHAINED.values(), key=str.casefold)
        # per residency region, who may touch its data
        assert [n for n in dom.tables if n.startswith(f"{lang}-region-")] == [
            f"{lang}-region-us", f"{lang}-region-eu", f"{lang}-region-ca"]
        assert "Amazon Web Services (AWS)" in dom.names(f"{lang}-region-eu")
    en = Page(render(own_site / "index.html", tmp_path / "p", "--dump-dom").dom)
    assert "Current Subprocessors" in en.sections["en"] and "Upcoming Changes" in en.sections["en"]
    fr = Page(render(own_site / "index.fr.html", tmp_path / "p", "--dump-dom").dom)
    assert "Sous-traitants ultérieurs actuels" in fr.sections["fr"] and "Changements à venir" in fr.sections["fr"]


@pytest.mark.parametrize("width", WIDTHS)
def test_switch_comes_first_and_pages_are_accessible(browser: Any, own_site: Path, tmp_path: Path,
                                                     width: str) -> None:
    """At each width, each language's page: the switch to every language is visible
    without scrolling, above the title; axe-core finds no violation; and a screenshot."""
    w, h = WIDTHS[width]
    for lang, name in PAGES.items():
        page = browser.new_page(viewport={"width": w, "height": h})
        messages: list[str] = []
        page.on("console", lambda m, seen=messages: seen.append(m.text))
        page.goto((own_site / name).resolve().as_uri())
        assert page.evaluate("document.documentElement.lang") == lang
        links = page.locator("nav.languages a")
        assert links.all_inner_texts() == ["English", "Français"]
        title = page.locator("h1").bounding_box()
        for i in range(links.count()):
            box = links.nth(i).bounding_box()
            assert box is not None and title is not None
            assert box["y"] + box["height"] <= h and box["y"] < title["y"], (lang, width, i)
        assert page.locator("nav.languages a[aria-current=page]").get_attribute("hreflang") == lang
        violations = axe(page)
        assert [v for v in violations if v["impact"] in ("serious", "critical")] == [], violations
        assert violations == []
        shot = tmp_path / f"page-{lang}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes()[:8] == PNG and shot.stat().st_size > 20_000, shot
        assert messages == []
        page.close()


def test_print_layout(browser: Any, own_site: Path, tmp_path: Path) -> None:
    """Printed for a vendor review: no switch, tables within the page width with rows
    kept whole, each link followed by its URL; the PDF has the whole list."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((own_site / "index.fr.html").resolve().as_uri())
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('nav.languages')).display") == "none"
    after = page.evaluate("getComputedStyle(document.querySelector('th a'), '::after').content")
    assert after == '" <https://aws.amazon.com>"'
    # a link that shows its URL already is not followed by it twice (the feed's)
    assert page.evaluate("getComputedStyle(document.querySelector('a.bare'), '::after').content") == "none"
    assert page.evaluate("getComputedStyle(document.querySelector('tbody tr')).breakInside") == "avoid"
    assert page.evaluate("getComputedStyle(document.querySelector('thead')).display") == "table-header-group"
    page.set_viewport_size({"width": 700, "height": 900})  # about an A4 page's width
    widths = page.evaluate("[...document.querySelectorAll('table')].map(t => t.getBoundingClientRect().right)")
    assert widths and max(widths) <= 700, widths
    shot = tmp_path / "page-print.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == PNG
    pdf = tmp_path / "page.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=False)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 3
    page.close()


def test_print_to_pdf_from_the_command_line(own_site: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "cli.pdf"
    render(own_site / "index.html", tmp_path / "profile", f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.stat().st_size > 20_000


def test_the_switch_leads_to_the_other_language(browser: Any, installed: Any, repo: Repo, tmp_path: Path) -> None:
    """Without `public_url` the switch links the pages relatively: a click opens the other one."""
    repo.put("acme")
    repo.commit("2025-01-01")
    site = tmp_path / "site"
    publish(installed, repo.path, site)
    page = browser.new_page()
    page.goto((site / "index.html").resolve().as_uri())
    page.click("nav.languages a[hreflang=fr]")
    page.wait_for_load_state()
    assert page.url.endswith("/index.fr.html") and page.evaluate("document.documentElement.lang") == "fr"
    assert page.locator("h1").inner_text() == "Liste des sous-traitants ultérieurs"
    page.click("nav.languages a[hreflang=en]")
    page.wait_for_load_state()
    assert page.url.endswith("/index.html") and page.locator("h1").inner_text() == "Subprocessors List"
    page.close()


def test_hostile_name_stays_text_in_chromium(installed: Any, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.put("newco", name=HOSTILE, legal_name="NewCo Ltd")
    repo.commit("2025-01-01")
    site = tmp_path / "site"
    publish(installed, repo.path, site)
    for lang, name in PAGES.items():
        rendered = render(site / name, tmp_path / f"profile-{lang}", "--dump-dom")
        assert rendered.console == []
        dom = Page(rendered.dom)
        assert dom.all("img") == [] and dom.all("script") == []
        assert dom.names(f"{lang}-core") == ["Acme Analytics", HOSTILE]


def test_missing_tools_skip_locally_and_fail_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setattr("test_page_browser.AXE", tmp_path / "none.js")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        chromium()
    with pytest.raises(pytest.skip.Exception, match="make browser"):
        axe_source()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        chromium()
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests: make browser"):
        axe_source()
