"""The published page in a real browser: Debian's headless Chromium renders index.html,
and the test reads back the DOM it built, its console, and a screenshot.

Without Chromium the tests skip, unless CI is set: CI installs Chromium, so there its
absence is a failure, not a silent skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import Repo
from test_publish import HOSTILE, OWN_TODAY, Page, own_registry, publish

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0",
]
# Chromium logs each console message of a page as: ...:CONSOLE:12] "message", source: URL (12)
CONSOLE = re.compile(r":CONSOLE[^\]]*\] \"(?P<message>.*)\", source: (?P<source>\S*)")
PNG = b"\x89PNG\r\n\x1a\n"


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("Chromium is not installed, and CI must run the browser tests: "
                    "apt-get install -y chromium")
    pytest.skip("Chromium is not installed (apt-get install -y chromium); "
                "with CI set, this test fails instead")


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


def test_page_in_chromium(installed, own_repo: Repo, tmp_path: Path) -> None:
    site = tmp_path / "site"
    publish(installed, own_repo.path, site, today=OWN_TODAY)
    index = site / "index.html"

    rendered = render(index, tmp_path / "profile", "--dump-dom")
    assert rendered.console == []
    dom = Page(rendered.dom)
    # every current subprocessor of this repository, in its table, in both languages
    for lang in ("en", "fr"):
        for tier, names in own_registry().items():
            assert dom.names(f"{lang}-{tier}") == names, (lang, tier)
    assert [s["lang"] for s in dom.all("section") if "lang" in s] == ["en", "fr"]
    assert "Current Subprocessors" in dom.sections["en"]
    assert "Sous-traitants actuels" in dom.sections["fr"]
    assert dom.all("script") == []

    # screenshots beside the test's output: a desktop window and a phone-wide one
    for name, size in (("page.png", "1280,2400"), ("page-phone.png", "390,2400")):
        shot = tmp_path / name
        render(index, tmp_path / f"profile-{name}", f"--screenshot={shot}", f"--window-size={size}",
               "--hide-scrollbars")
        assert shot.read_bytes()[:8] == PNG and shot.stat().st_size > 10_000, name


def test_hostile_name_stays_text_in_chromium(installed, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.put("newco", name=HOSTILE, legal_name="NewCo Ltd")
    repo.commit("2025-01-01")
    site = tmp_path / "site"
    publish(installed, repo.path, site)
    rendered = render(site / "index.html", tmp_path / "profile", "--dump-dom")
    assert rendered.console == []
    dom = Page(rendered.dom)
    assert dom.all("img") == [] and dom.all("script") == []
    assert dom.names("en-core") == ["Acme Analytics", HOSTILE]
    assert dom.names("fr-core") == ["Acme Analytics", HOSTILE]


def test_missing_chromium_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        chromium()
